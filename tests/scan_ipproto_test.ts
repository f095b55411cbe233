/**
 * -sO (IP protocol scan) and -PO (IP protocol ping) on the "ipproto" scenario — whole protocols
 * dropped (47, 94) or rejected with admin-prohibited (103) and host-unreachable (112) by the
 * target's nftables, the rest answered by its kernel (TCP RST, UDP port unreachable, protocol
 * unreachable / ICMPv6 parameter problem) — against the scenario's rules and against nmap in
 * the same lab, IPv4 and IPv6.
 *
 * ICMP (1) is left out of reason comparisons: nmap opens it on any ICMP from the target once its
 * probe is out, with that message's reason (its protoscanicmphack), so whether its reason is
 * "echo-reply" or another protocol's "proto-unreach" depends on which reply came first.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

/** The table's rows, spaces collapsed; ICMP's reason dropped (see above). */
function rows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+ +(open|closed|filtered|unfiltered)/.test(l)).map(
    (l) => {
      const r = l.replace(/\s+/g, " ").trim();
      return r.startsWith("1 ") ? r.split(" ").slice(0, 3).join(" ") : r;
    },
  );
}

/** The report and status lines, latency left out. */
function status(text: string): string[] {
  return text.split("\n").filter((l) => /^Host is|^Note: Host seems down|scan report for/.test(l))
    .map((l) => l.replace(/^\S+ scan report/, "scan report").replace(/ \([\d.]+s latency\)/, ""));
}

const PROTOCOLS = "0-6,17,41,47,50,51,58,94,103,112,132,255";

Deno.test(
  labTest("scan: -sO states and reasons, and -PO discovery, equal nmap's", async (t) => {
    await withLab({ tag: "ipproto", scenario: "ipproto" }, async (lab) => {
      const v4 = lab.target.v4, v6 = lab.target.v6;
      const base = ["-n", "--reason", "-Pn", "-sO", "-p", PROTOCOLS];

      await t.step("-sO against the rules themselves", async () => {
        const out = ok(await lab.porthole([...base, v4]), "porthole");
        const table = rows(out);
        for (
          const row of [
            "6 open tcp proto-response ttl 64",
            "17 open udp port-unreach ttl 64",
            "47 open|filtered gre no-response",
            "94 open|filtered ipip no-response",
            "103 filtered pim admin-prohibited ttl 64",
            "112 filtered vrrp host-unreach ttl 64",
          ]
        ) assert(table.includes(row), `${row} in\n${out}`);
        assert(/^PROTOCOL +STATE +SERVICE +REASON$/m.test(out), "nmap's PROTOCOL header");
      });

      const runs: [string, string[]][] = [["IPv4", [...base, v4]], ["IPv6", ["-6", ...base, v6]]];
      for (const [name, args] of runs) {
        await oracleStep(t, "nmap", async () => {
          const p = ok(await lab.porthole(args), "porthole");
          const n = ok(await lab.nmap(args), "nmap");
          assert(rows(n).length === 18, `nmap lists every protocol:\n${n}`);
          assertEquals(rows(p), rows(n));
        }, `-sO ${name} table equals nmap's`);
      }

      // Every protocol (0-255): the folded states and the formats.
      await oracleStep(t, "nmap", async () => {
        const args = ["-n", "-Pn", "-sO", "-v", v4];
        const xml = (s: string) =>
          s.split("\n").filter((l) => /<scaninfo|<port |<service|<extraports|<extrareasons/.test(l))
            .map((l) => l.replace(/(portid="1"><state state="open" reason=")[^"]*"/, '$1"'));
        const px = ok(await lab.porthole([...args, "-oX", "-"]), "porthole");
        const nx = ok(await lab.nmap([...args, "-oX", "-"]), "nmap");
        assert(xml(nx).length >= 8, "nmap's XML has scaninfo, folded states and protocols");
        assertEquals(xml(px), xml(nx));
        const grep = (s: string) =>
          s.split("\n").filter((l) => /^# Ports scanned|Protocols: /.test(l));
        const pg = ok(await lab.porthole([...args, "-oG", "-"]), "porthole");
        const ng = ok(await lab.nmap([...args, "-oG", "-"]), "nmap");
        assert(grep(ng).length === 2, "nmap's grepable has the protocol list and the protocols");
        assertEquals(grep(pg), grep(ng));
        const normal = (s: string) =>
          s.split("\n").filter((l) => /^Not shown|^PROTOCOL|^\d+ +[a-z|]+ +\S+$/.test(l));
        const pn = ok(await lab.porthole(args), "porthole");
        const nn = ok(await lab.nmap(args), "nmap");
        assertEquals(normal(pn), normal(nn));
      }, "-sO -v (all 256) in normal, XML and grepable equals nmap's");

      for (const ping of ["-PO", "-PO4", "-PO6", "-PO17", "-PO47", "-PO2,103,112"]) {
        const targets: [string, string[]][] = [["IPv4", [v4]], ["IPv6", ["-6", v6]]];
        for (const [name, target] of targets) {
          await oracleStep(t, "nmap", async () => {
            const all = ["-n", "--reason", "-sn", ping, ...target];
            const p = ok(await lab.porthole(all), "porthole");
            const n = ok(await lab.nmap(all), "nmap");
            assertEquals(status(p), status(n));
          }, `-sn ${ping} ${name} equals nmap's`);
        }
      }
    });
  }),
);
