/**
 * -sY (SCTP INIT scan) and -PY (SCTP INIT ping) on the "sctp" scenario — listeners answered by
 * the lab's userspace SCTP responder (INIT ACK / ABORT), nftables policies (drop, port and
 * admin unreachable) — against the scenario's own rules and against nmap in the same lab.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/(sctp|tcp)/.test(l)).map((l) =>
    l.replace(/\s+/g, " ")
  );
}

/** The report and status lines, latency left out. */
function status(text: string): string[] {
  return text.split("\n").filter((l) => /^Host is|^Note: Host seems down|scan report for/.test(l))
    .map((l) => l.replace(/^\S+ scan report/, "scan report").replace(/ \([\d.]+s latency\)/, ""));
}

const PORTS = ["-p", "80,81,1000,1002,1003,2905"];

Deno.test(
  labTest("scan: -sY states and reasons, and -PY discovery, equal nmap's", async (t) => {
    await withLab({ tag: "sctp", scenario: "sctp" }, async (lab) => {
      const v4 = lab.target.v4;
      const base = ["-n", "--reason", ...PORTS];
      const both = ["-n", "--reason", "-p", "S:80,81,T:22,23"];

      await t.step("-sY against the rules themselves", async () => {
        const out = ok(await lab.porthole([...base, "-sY", "-Pn", v4]), "porthole");
        assertEquals(rows(out), [
          "80/sctp open http init-ack ttl 64",
          "81/sctp closed unknown abort ttl 64",
          "1000/sctp filtered unknown no-response",
          "1002/sctp filtered unknown port-unreach ttl 64",
          "1003/sctp filtered unknown admin-prohibited ttl 64",
          "2905/sctp open m3ua init-ack ttl 64",
        ]);
      });

      for (
        const args of [[...base, "-sY", "-Pn"], [...base, "-sY", "-T4"], [...both, "-sY", "-sS"]]
      ) {
        await oracleStep(t, "nmap", async () => {
          const all = [...args, v4];
          const p = ok(await lab.porthole(all), "porthole");
          const n = ok(await lab.nmap(all), "nmap");
          assertEquals(rows(p), rows(n));
        }, `${args.slice(2).join(" ")} equals nmap's`);
      }

      // IPv6: the responder serves IPv4 only, so the target's kernel answers with ICMPv6
      // parameter problems (no SCTP there), which quote our INITs.
      await oracleStep(t, "nmap", async () => {
        const all = [...base, "-6", "-sY", "-Pn", lab.target.v6];
        const p = ok(await lab.porthole(all), "porthole");
        const n = ok(await lab.nmap(all), "nmap");
        assert(rows(n).length === 6, "nmap lists every port");
        assertEquals(rows(p), rows(n));
      }, "-6 -sY (ICMPv6 parameter problems) equals nmap's");

      // nmap's SCTP port list (every sctp row of nmap-services) and its formats.
      await oracleStep(t, "nmap", async () => {
        const args = ["-n", "-sY", "-Pn", "-v", v4];
        const xml = (s: string) =>
          s.split("\n").filter((l) => /<scaninfo|<port |<extraports|<extrareasons/.test(l));
        const p = ok(await lab.porthole([...args, "-oX", "-"]), "porthole");
        const n = ok(await lab.nmap([...args, "-oX", "-"]), "nmap");
        assert(xml(n).length >= 4, "nmap's XML has scaninfo and ports");
        assertEquals(xml(p), xml(n));
        const grep = (s: string) =>
          s.split("\n").filter((l) => /^# Ports scanned|Ports: /.test(l)).map((l) =>
            l.replace(/\tIgnored State.*/, "")
          );
        const pg = ok(await lab.porthole([...args, "-oG", "-"]), "porthole");
        const ng = ok(await lab.nmap([...args, "-oG", "-"]), "nmap");
        assert(grep(ng).length === 2, "nmap's grepable has the port list and the ports");
        assertEquals(grep(pg), grep(ng));
        const normal = (s: string) => s.split("\n").filter((l) => /^Not shown|^\d+\/sctp/.test(l));
        const pn = ok(await lab.porthole(args), "porthole");
        const nn = ok(await lab.nmap(args), "nmap");
        assertEquals(normal(pn), normal(nn));
      }, "-sY -v (nmap's port list) in normal, XML and grepable equals nmap's");

      for (const ping of ["-PY", "-PY81", "-PY1000"]) {
        await oracleStep(t, "nmap", async () => {
          const all = ["-n", "--reason", "-sn", ping, v4];
          const p = ok(await lab.porthole(all), "porthole");
          const n = ok(await lab.nmap(all), "nmap");
          assertEquals(status(p), status(n));
        }, `-sn ${ping} equals nmap's`);
      }
    });
  }),
);
