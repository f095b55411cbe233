/**
 * --proxies on the relays lab: the target sits behind a router that forwards nothing, so the
 * scanner reaches it only through the real relays on that router (tinyproxy for HTTP CONNECT,
 * Dante for SOCKS4). Porthole's -sT table, -sV answers and scripts' output through each proxy,
 * and through a chain of both, equal nmap's direct scan from the router itself (nmap 7.93 relays
 * only -sV and NSE, and its port scan cannot reach this target from the scanner).
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, normalise, ok, oracleStep } from "./scan_lab.ts";
import { RelaysLab } from "./lab/relays.ts";

/** The report of one host from the PORT line on, comparable across nmap and Porthole. */
function report(out: string): string {
  const text = normalise(out);
  const from = text.search(/^(Not shown|PORT)/m);
  const to = text.search(/^(Service detection performed|Nmap done)/m);
  return text.slice(from, to).trim();
}

Deno.test(
  labTest(
    "--proxies: -sT, -sV and scripts through tinyproxy, Dante (SOCKS4) and a chain equal nmap's direct scan from the relay",
    async (t) => {
      const rl = await RelaysLab.up({ tag: "proxy" });
      try {
        const target = rl.lab.target.v4;
        const chains = [rl.httpProxy, rl.socks4Proxy, `${rl.socks4Proxy},${rl.httpProxy}`];
        await t.step("the target cannot be reached without a proxy", async () => {
          const out = ok(
            await rl.lab.porthole(["-n", "-Pn", "-sT", "-p", "22,80", target], {
              timeoutMs: 120_000,
            }),
            "porthole, direct",
          );
          assertEquals(report(out).split("\n").slice(1), [
            "22/tcp filtered ssh",
            "80/tcp filtered http",
          ]);
        });
        const runs: [string, string[]][] = [
          ["-sT, top 1000 ports", ["-sT"]],
          ["-sV", ["-sV", "-p", "21,22,25,80,113,135,9929,31337"]],
          ["scripts", ["-sT", "--script", "banner,http-title", "-p", "21,22,80"]],
        ];
        for (const [what, args] of runs) {
          await oracleStep(t, "nmap", async () => {
            const expected = report(ok(
              await rl.inRouter(["nmap", "-n", "-Pn", ...args, target]),
              "nmap from the relay",
            ));
            for (const chain of chains) {
              const got = ok(
                await rl.lab.porthole(["-n", ...args, "--proxies", chain, target], {
                  timeoutMs: 300_000,
                }),
                `porthole --proxies ${chain}`,
              );
              assertEquals(report(got), expected, `--proxies ${chain}`);
            }
          }, `${what}: equal nmap's from the relay`);
        }
      } finally {
        await rl.down();
      }
    },
  ),
);
