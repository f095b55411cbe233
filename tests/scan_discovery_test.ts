/**
 * Host discovery on the "many-hosts" scenario (8 hosts on one Ethernet
 * segment, the last one dark): ARP / neighbour discovery, MAC lines, the
 * host-down note, -Pn, --disable-arp-ping. nmap's screen is the expected
 * answer (times normalised); without nmap, the scenario's facts.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, normalise, ok, oracleStep, parseNmapNormal, withLab } from "./scan_lab.ts";

Deno.test(
  labTest("scan: discovery on a LAN equals nmap's (ARP, ND, MACs, host down)", async (t) => {
    await withLab({ tag: "sdisc", scenario: "many-hosts" }, async (lab) => {
      const hosts = lab.targets;
      const dark = hosts.find((h) => h.spec.dark)!;
      const lit = hosts.filter((h) => !h.spec.dark);
      const first = lit[0]!;
      const same = async (t: Deno.TestContext, args: string[]) => {
        const p = ok(await lab.porthole(args), "porthole");
        await oracleStep(t, "nmap", async () => {
          assertEquals(normalise(p), normalise(ok(await lab.nmap(args), "nmap")));
        });
        return p;
      };

      await t.step("-sn over the segment (ARP ping)", async (t) => {
        const out = await same(t, ["-T4", "-sn", ...hosts.map((h) => h.v4)]);
        const up = parseNmapNormal(out).map((h) => h.address);
        assertEquals(up.sort(), lit.map((h) => h.v4).sort());
        assertEquals((out.match(/^MAC Address: /gm) ?? []).length, lit.length);
        assert(out.includes(`(${lit.length} hosts up)`), out);
      });

      await t.step("-sn -6 (neighbour discovery)", async (t) => {
        const out = await same(t, ["-T4", "-sn", "-6", first.v6, dark.v6]);
        assertEquals(parseNmapNormal(out).map((h) => h.address), [first.v6]);
      });

      await t.step("a dark host: the host-down note", async (t) => {
        const out = await same(t, ["-T4", "-p", "22", dark.v4]);
        assert(
          out.includes(
            "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn",
          ),
          out,
        );
        assert(/done: 1 IP address \(0 hosts up\)/.test(out), out);
      });

      await t.step("-Pn on a LAN still ARPs (nmap's implicit ARP ping)", async (t) => {
        const out = await same(t, ["-T4", "-Pn", "-p", "22", first.v4, dark.v4]);
        assertEquals(parseNmapNormal(out).map((h) => h.address), [first.v4]);
      });

      await t.step("--disable-arp-ping: IP probes, MAC learnt from replies", async (t) => {
        const out = await same(t, ["-T4", "-sn", "--disable-arp-ping", first.v4, dark.v4]);
        assertEquals(parseNmapNormal(out).map((h) => h.address), [first.v4]);
        assert(/^MAC Address: /m.test(out), out);
      });
    });
  }),
);
