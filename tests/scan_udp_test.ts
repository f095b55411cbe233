/**
 * -sU in the lab (root only; skipped otherwise). The scanme replica's UDP
 * table against nmap's in the same lab, the scenario's truth under the
 * kernel's default ICMP rate limits (where nmap itself may misreport closed
 * ports), a rate-limited target where every closed port must come out
 * closed, the labelled --defeat-icmp-ratelimit mode, IPv6 and a combined
 * -sS -sU run. The full top-1000 runs with their timings belong to
 * `deno task bench`.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { ratelimitSysctls } from "./lab/mod.ts";
import { type Lab, labTest, ok, oracleStep, tables, withLab } from "./scan_lab.ts";
import { udpReply } from "./lab/responders.ts";
import { udpPayloads } from "../cli/scans/udp_payloads.ts";

/** The article's ports plus a few closed ones. */
const SUBSET = "53,68,123,135-139,161,162,445,1000-1005";
const SCANME_SUBSET = [
  "53/udp closed domain",
  "68/udp open|filtered dhcpc",
  "123/udp open ntp",
  "135/udp open|filtered msrpc",
  "136/udp open|filtered profile",
  "137/udp open|filtered netbios-ns",
  "138/udp open|filtered netbios-dgm",
  "139/udp open|filtered netbios-ssn",
  "161/udp closed snmp",
  "162/udp open|filtered snmptrap",
  "445/udp open|filtered microsoft-ds",
  "1000/udp closed ock",
  "1001/udp closed unknown",
  "1002/udp closed unknown",
  "1003/udp closed unknown",
  "1004/udp closed unknown",
  "1005/udp closed unknown",
];

function hostTable(text: string, addr: string) {
  const h = tables(text)[addr];
  if (!h) throw new Error(`no report for ${addr}:\n${text}`);
  return h;
}

/** Rows of the port table with their REASON column ("123/udp open ntp udp-response ttl 64"). */
function reasonRows(text: string): string[] {
  return text.split("\n").filter((l) => /^\d+\/udp/.test(l)).map((l) => l.split(/\s+/).join(" "));
}

async function setRatelimit(lab: Lab, on: boolean): Promise<void> {
  ok(await lab.runInTarget(0, ["sysctl", "-qw", ...ratelimitSysctls(on)]), "sysctl");
}

Deno.test("lab responders answer our payloads (NTP, DNS, mDNS, SNMP v1/v2c/v3)", () => {
  const ctx = { family: 4 as const };
  const ask = (port: number) => udpPayloads(port, ctx);
  assert(udpReply({ kind: "ntp" }, ask(123)[0]!) !== null, "NTP");
  assert(udpReply({ kind: "dns" }, ask(53)[0]!) !== null, "DNS");
  assert(udpReply({ kind: "mdns" }, ask(5353)[0]!) !== null, "mDNS");
  for (const p of ask(161)) assert(udpReply({ kind: "snmp" }, p) !== null, "SNMP");
});

Deno.test(
  labTest("-sU: scanme's UDP table, rate limits off and on, v4 and v6", async (t) => {
    await withLab({ tag: "sudp", scenario: "scanme" }, async (lab) => {
      const v4 = lab.target.v4, v6 = lab.target.v6;

      await t.step("rate limits off: the article's table, equal to nmap's", async (t) => {
        await setRatelimit(lab, false);
        const args = ["-n", "-T4", "-sU", v4];
        const out = ok(await lab.porthole(args), "porthole");
        const h = hostTable(out, v4);
        assertEquals(h.notShown, "991 closed udp ports (port-unreach)");
        assertEquals(h.ports, SCANME_SUBSET.filter((r) => !/closed/.test(r)));
        await oracleStep(t, "nmap", async () => {
          assertEquals(h, hostTable(ok(await lab.nmap(args), "nmap"), v4));
        });
      });

      await t.step("rate limits off: --reason rows equal nmap's", async (t) => {
        const args = ["-n", "-T4", "-sU", "--reason", "-p", SUBSET, v4];
        const rows = reasonRows(ok(await lab.porthole(args), "porthole"));
        assert(rows.includes("123/udp open ntp udp-response ttl 64"), rows.join("\n"));
        assert(rows.includes("1000/udp closed ock port-unreach ttl 64"), rows.join("\n"));
        assert(rows.includes("68/udp open|filtered dhcpc no-response"), rows.join("\n"));
        await oracleStep(t, "nmap", async () => {
          assertEquals(rows, reasonRows(ok(await lab.nmap(args), "nmap")));
        });
      });

      await t.step(
        "default rate limits (1 ICMP/s, burst 6): every closed port closed",
        async () => {
          await setRatelimit(lab, true);
          const args = ["-n", "-T4", "-sU", "-p", SUBSET, v4];
          assertEquals(
            hostTable(ok(await lab.porthole(args), "porthole"), v4).ports,
            SCANME_SUBSET,
          );
        },
      );

      await t.step("IPv6 with default rate limits", async () => {
        const args = ["-n", "-T4", "-6", "-sU", "-p", SUBSET, v6];
        assertEquals(hostTable(ok(await lab.porthole(args), "porthole"), v6).ports, SCANME_SUBSET);
      });

      await t.step("-sS -sU with T:/U: ports: both tables in one report", async () => {
        await setRatelimit(lab, false);
        const args = ["-n", "-T4", "-sS", "-sU", "-p", "T:22,25,80,U:53,68,123", v4];
        const ports = hostTable(ok(await lab.porthole(args), "porthole"), v4).ports;
        assertEquals(ports, [
          "22/tcp open ssh",
          "25/tcp filtered smtp",
          "80/tcp open http",
          "53/udp closed domain",
          "68/udp open|filtered dhcpc",
          "123/udp open ntp",
        ]);
      });
    });
  }),
);

Deno.test(
  labTest(
    "-sU: a rate-limited target comes out right, paced; --defeat-icmp-ratelimit labelled",
    async (t) => {
      await withLab({ tag: "sudprl", scenario: "ratelimited-udp" }, async (lab) => {
        const v4 = lab.target.v4;
        const closed = Array.from({ length: 20 }, (_, i) => 1000 + i);
        const ports = `53,123,161,5353,${closed[0]}-${closed.at(-1)}`;

        await t.step("every closed port closed, open ones open", async () => {
          const out = ok(await lab.porthole(["-n", "-sU", "-v", "-p", ports, v4]), "porthole");
          const h = hostTable(out, v4);
          const want = [
            "53/udp open domain",
            "123/udp open ntp",
            "161/udp open snmp",
            ...closed.map((p) => `${p}/udp closed`),
            "5353/udp open zeroconf",
          ];
          assertEquals(h.ports.map((r) => r.replace(/^(\d+\/udp closed).*$/, "$1")), want);
          // -v says what limit it found: one error a second, a burst of 6.
          const m = /limits ICMP errors to ~([\d.]+)\/s \(burst (\d+)\)/.exec(out);
          assert(m, `no rate-limit note in:\n${out}`);
          assert(Math.abs(Number(m[1]) - 1) < 0.25, `rate ${m[1]}`);
          assertEquals(m[2], "6");
        });

        await t.step(
          "--defeat-icmp-ratelimit: fast, labelled, never calls a closed port open",
          async () => {
            const args = ["-n", "-sU", "--defeat-icmp-ratelimit", "-p", ports, v4];
            const out = ok(await lab.porthole(args), "porthole");
            assert(
              /^WARNING: Some ports marked closed\|filtered may actually be open/m.test(out),
              out,
            );
            const rows = hostTable(out, v4);
            for (const r of rows.ports) {
              const [port, state] = r.split(" ");
              const n = Number(port!.split("/")[0]);
              if (closed.includes(n)) assert(state === "closed" || state === "closed|filtered", r);
              else assertEquals(state, "open", r);
            }
          },
        );
      });
    },
  ),
);
