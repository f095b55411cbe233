/**
 * -sI (idle scan) on the "idle" scenario: a zombie whose resets count up one global IP ID (the
 * lab's userspace responder), one with random IP IDs, and a target with open, closed and
 * filtered ports on the same segment — against the scenario's rules, against what the target
 * sees on its wire, and against nmap's -sI through the same zombie.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";
import { captureIn } from "./lab/tcpdump.ts";
import type { Lab, RunResult } from "./lab/mod.ts";

const PORTS = "21-25,80,81,443,1000,1001,3306,8080";

function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/tcp/.test(l)).map((l) => l.replace(/\s+/g, " "));
}

/** The zombie's line ("Idle scan using zombie …"). */
function zombieLine(text: string): string[] {
  return text.split("\n").filter((l) => /^Idle scan using zombie/.test(l));
}

/** A refusal as the user sees it: stderr without the start line, and the exit status. */
function refusal(r: RunResult): { code: number; stderr: string[] } {
  const lines = (r.stderr + r.stdout).split("\n").filter((l) =>
    l !== "" && !/^Starting (Nmap|Porthole)/.test(l)
  );
  return { code: r.code, stderr: lines };
}

Deno.test(
  labTest("scan: -sI through an incremental zombie equals the rules and nmap's", async (t) => {
    await withLab({ tag: "idle", scenario: "idle" }, async (lab: Lab) => {
      const [zombie, rzombie, target] = lab.targets;
      const base = ["-n", "-Pn", "--reason", "-p", PORTS];

      await t.step("the target's open ports, by the zombie's IP IDs alone", async () => {
        let out = "";
        // Everything that reaches the target while the scan runs: nothing from our address.
        const seen = await captureIn(
          target!.ns,
          "tcp and tcp[tcpflags] & tcp-syn != 0",
          async () => {
            out = ok(await lab.porthole([...base, "-sI", zombie!.v4, target!.v4]), "porthole");
          },
          false,
          false,
        );
        assertEquals(zombieLine(out), [
          `Idle scan using zombie ${zombie!.v4} (${zombie!.v4}:80); Class: Incremental`,
        ]);
        assertEquals(rows(out), [
          "21/tcp closed|filtered ftp no-ipid-change",
          "22/tcp open ssh ipid-change",
          "23/tcp closed|filtered telnet no-ipid-change",
          "24/tcp closed|filtered priv-mail no-ipid-change",
          "25/tcp closed|filtered smtp no-ipid-change",
          "80/tcp open http ipid-change",
          "81/tcp closed|filtered hosts2-ns no-ipid-change",
          "443/tcp open https ipid-change",
          "1000/tcp closed|filtered cadlock no-ipid-change",
          "1001/tcp closed|filtered webpush no-ipid-change",
          "3306/tcp open mysql ipid-change",
          "8080/tcp closed|filtered http-proxy no-ipid-change",
        ]);
        const syns = seen.filter((l) => / IP /.test(l));
        assert(syns.length >= 12, `the target saw the spoofed SYNs: ${seen.join("\n")}`);
        for (const l of syns) {
          assert(l.includes(`IP ${zombie!.v4}.80 > ${target!.v4}.`), `from the zombie: ${l}`);
        }
      });

      await oracleStep(t, "nmap", async () => {
        // The zombie's line is nmap's LOG_PLAIN: the screen and the -oN file alike.
        const file = await Deno.makeTempFile({ suffix: ".nmap" });
        const args = [...base, "-sI", zombie!.v4, "-oN", file, target!.v4];
        const p = ok(await lab.porthole(args), "porthole");
        const pFile = await Deno.readTextFile(file);
        const n = ok(await lab.nmap(args), "nmap");
        const nFile = await Deno.readTextFile(file);
        await Deno.remove(file);
        assertEquals(rows(n).length, 12, "nmap lists every port");
        assertEquals(rows(p), rows(n));
        assertEquals(zombieLine(p), zombieLine(n));
        assertEquals(zombieLine(nFile).length, 1, "nmap's -oN has the zombie's line");
        assertEquals(zombieLine(pFile), zombieLine(nFile));
        assertEquals(rows(pFile), rows(nFile));
      }, "-sI ZOMBIE equals nmap's table, on the screen and in -oN");

      // A thousand ports: groups, halving and recounts at scale; nmap folds the rest.
      await oracleStep(t, "nmap", async () => {
        const args = ["-n", "-Pn", "-p", "1-1000,3306", "-sI", zombie!.v4, target!.v4];
        const table = (s: string) => s.split("\n").filter((l) => /^Not shown|^\d+\/tcp/.test(l));
        const p = table(ok(await lab.porthole(args), "porthole"));
        const n = table(ok(await lab.nmap(args), "nmap"));
        assertEquals(n[0], "Not shown: 997 closed|filtered tcp ports (no-ipid-change)");
        assertEquals(p, n);
      }, "-sI over 1001 ports equals nmap's");

      await oracleStep(t, "nmap", async () => {
        const xml = await Deno.makeTempFile({ suffix: ".xml" });
        const args = [...base, "-v", "-sI", zombie!.v4, "-oX", xml, target!.v4];
        // The task lines (times left out), the zombie's line, and the XML's scaninfo (none),
        // tasks and ports.
        const pick = (s: string) =>
          s.split("\n").filter((l) =>
            /^(Initiating|Completed) idle|^Idle scan|<scaninfo|<port |<taskbegin task="idle/.test(l)
          ).map((l) =>
            l.replace(/ at \d\d:\d\d(, [\d.]+s elapsed)?/, "").replace(/ time="\d+"/, "")
          ).sort();
        const both = async (r: RunResult) => ok(r, "run") + await Deno.readTextFile(xml);
        const p = await both(await lab.porthole(args));
        const n = await both(await lab.nmap(args));
        await Deno.remove(xml);
        assert(pick(n).length === 16, `nmap's lines: ${pick(n).join("\n")}`);
        assertEquals(pick(p), pick(n));
      }, "-sI -v -oX equals nmap's task lines and XML");

      // nmap qualifies the zombie once and scans the targets one after another; rzombie (which
      // resets every SYN, so its SYN-ACKs never reach the zombie) shows nothing open.
      await oracleStep(t, "nmap", async () => {
        const args = ["-n", "-Pn", "-p", "22,80,81", "-sI", zombie!.v4, target!.v4, rzombie!.v4];
        const reports = (s: string) =>
          s.split("\n").filter((l) => /scan report for|^\d+\/tcp|^Idle scan/.test(l)).map((l) =>
            l.replace(/^\S+ scan report/, "scan report").replace(/\s+/g, " ")
          );
        const p = reports(ok(await lab.porthole(args), "porthole"));
        const n = reports(ok(await lab.nmap(args), "nmap"));
        assertEquals(n.length, 9, `nmap's lines: ${n.join("\n")}`);
        assertEquals(p, n);
      }, "-sI over two targets equals nmap's");

      // Without -Pn nmap's default pings include a SYN to 443: that becomes the probe port, and
      // nmap warns that the pings come from our own address.
      await oracleStep(t, "nmap", async () => {
        const args = ["-n", "-p", "22,80,81", "-sI", `${zombie!.v4}`, target!.v4];
        const p = await lab.porthole(args);
        const n = await lab.nmap(args);
        assertEquals(rows(ok(p, "porthole")), rows(ok(n, "nmap")));
        assertEquals(zombieLine(p.stdout), zombieLine(n.stdout));
        const warn = (r: RunResult) => r.stderr.split("\n").filter((l) => /^WARNING/.test(l));
        assertEquals(warn(p), warn(n));
      }, "-sI with nmap's pings: probe port 443 and the warning, as nmap's");

      // nmap's refusals: random IP IDs, a Linux host (IP IDs of zero on its resets), a zombie
      // that is not there, and a bad probe port.
      for (
        const zombieSpec of [
          `${rzombie!.v4}:443`,
          target!.v4,
          `${lab.target.v4.replace(/\.\d+$/, ".99")}`,
          `${zombie!.v4}:0x`,
        ]
      ) {
        await oracleStep(t, "nmap", async () => {
          const args = ["-n", "-Pn", "-p", "22,80", "-sI", zombieSpec, target!.v4];
          const p = refusal(await lab.porthole(args));
          const n = refusal(await lab.nmap(args));
          assertEquals(n.code, 1, "nmap refuses");
          assertEquals(p, n);
        }, `-sI ${zombieSpec} refused as nmap refuses it`);
      }
    });
  }),
);
