/**
 * -b on the relays lab: the target sits behind a router that forwards nothing, and vsftpd on that
 * router (port_promiscuous=YES) bounces to it. Porthole's table equals nmap -b's through the same
 * server for closed, open and filtered ports. vsftpd ends the session on a privileged port's
 * LIST ("500 OOPS: Illegal port request"): nmap then loses its control connection and marks the
 * rest "unknown" or wrong, Porthole skips privileged ports with nmap's message and goes on.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, tables } from "./scan_lab.ts";
import { RelaysLab } from "./lab/relays.ts";

Deno.test(
  labTest("-b: the FTP bounce scan's table equals nmap -b's through vsftpd", async (t) => {
    const rl = await RelaysLab.up({ tag: "bounce" });
    try {
      const target = rl.lab.target.v4;
      // 40000 (dropped) last: nmap reads whatever comes next as the next port's reply.
      const args = ["-n", "-Pn", "-r", "-b", rl.relayV4, "-p", "1024-1030,31337,40000", target];
      const ours = tables(ok(await rl.lab.porthole(args, { timeoutMs: 120_000 }), "porthole"));
      assertEquals(ours[target]?.ports, [
        "1024/tcp closed kdm",
        "1025/tcp closed NFS-or-IIS",
        "1026/tcp closed LSA-or-nterm",
        "1027/tcp closed IIS",
        "1028/tcp closed unknown",
        "1029/tcp closed ms-lsa",
        "1030/tcp closed iad1",
        "31337/tcp open Elite",
        "40000/tcp filtered safetynetp",
      ]);
      await oracleStep(t, "nmap", async () => {
        // nmap reads replies by timing: when "150" and "226" come in one read it waits for a
        // reply that already came, sends ABOR and calls the open port filtered. Such a run is
        // asked again (three runs at most); one that equals ours must come.
        const seen: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const theirs = tables(ok(await rl.lab.nmap(args, { timeoutMs: 300_000 }), "nmap"));
          if (JSON.stringify(theirs) === JSON.stringify(ours)) return;
          seen.push(theirs);
        }
        assertEquals(ours, seen[0], `no nmap run of three agreed: ${JSON.stringify(seen)}`);
      });
      await t.step("privileged ports: skipped with nmap's message, the rest scanned", async () => {
        const r = await rl.lab.porthole([
          "-n",
          "-Pn",
          "-b",
          rl.relayV4,
          "-p",
          "22,80,31337",
          target,
        ], {
          timeoutMs: 120_000,
        });
        const out = ok(r, "porthole");
        assert(
          r.stderr.includes(
            "Your FTP bounce server doesn't allow privileged ports, skipping them.",
          ),
          r.stderr,
        );
        assertEquals(tables(out)[target]?.ports, ["31337/tcp open Elite"]);
      });
      await t.step("a relay that takes no connection: one message, exit 1", async () => {
        const r = await rl.lab.porthole([
          "-n",
          "-Pn",
          "-b",
          `${rl.relayV4}:2121`,
          "-p",
          "1024",
          target,
        ]);
        assertEquals(r.code, 1);
        assert(r.stderr.startsWith("Your FTP bounce proxy server won't talk to us!\n"), r.stderr);
      });
    } finally {
      await rl.down();
    }
  }),
);
