/**
 * Answers that depend on the lab's topology, as a user on a real network
 * meets it: the on-link gateway scanned together with a host behind it (the
 * routed scenarios, where the target's link address is the scanner's
 * gateway and its service address one hop away).
 */

import { assert, assertEquals } from "../cli/engine/_assert.ts";
import { labTest, ok, withLab } from "./scan_lab.ts";

/** Each host's block of a normal-output report, keyed by its address. */
function reports(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split(/^(?=(?:Nmap|Porthole) scan report for )/m).slice(1)) {
    const m = /^\S+ scan report for (?:\S+ \(([^)]+)\)|(\S+))/.exec(block)!;
    out.set(m[1] ?? m[2]!, block);
  }
  return out;
}

Deno.test(
  labTest("scan: the on-link gateway and a host behind it keep their own routes", async (t) => {
    await withLab({ tag: "stopo", scenario: "policies" }, async (lab) => {
      for (const fam of [4, 6] as const) {
        const gw = fam === 4 ? lab.addr.gatewayV4 : lab.addr.gatewayV6;
        const host = fam === 4 ? lab.target.v4 : lab.target.v6;
        for (const order of [[gw, host], [host, gw]]) {
          await t.step(`IPv${fam}: ${order.join(" ")}`, async () => {
            const args = ["-n", "-p", "1004", ...(fam === 6 ? ["-6"] : []), ...order];
            const out = ok(await lab.porthole(args), "porthole");
            const r = reports(out);
            assertEquals([...r.keys()].sort(), [gw, host].sort(), out);
            for (const a of [gw, host]) assert(/^1004\/tcp\s+open\b/m.test(r.get(a)!), out);
            // Only the gateway is on the link: nmap prints a MAC line for it alone.
            assert(/^MAC Address: /m.test(r.get(gw)!), out);
            assert(!/^MAC Address: /m.test(r.get(host)!), out);
            assert(out.includes("(2 hosts up)"), out);
          });
        }
      }
    });
  }),
);
