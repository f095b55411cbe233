/**
 * Adverse networks (issue 24): a firewall that rate-limits new connections, a host that
 * rate-limits its resets, a path with 50–250 ms of jitter each way, bursty loss, loss on the
 * replies only, and a ≥ 300 ms path to 256 hosts. In each, Porthole (default timing) must print
 * the loss-free table, every run of three, exit 0. The expected tables come from the scenarios'
 * rules, not from a run under the condition. How long it takes, beside nmap, is the bench's
 * business (`deno task bench adverse`), not a test's.
 */

import { assertEquals } from "./testing/assert.ts";
import { haveTool } from "./_oracle.ts";
import { ADVERSE_PORTS, FAR_PORTS, type Lab, lossFreeTable } from "./lab/mod.ts";
import { labTest, ok, parseNmapNormal, withLab } from "./scan_lab.ts";

const RUNS = 3;

/** Connect time to `addr`:22 from the scanner, in ms (one round trip through the path). */
async function connectMs(lab: Lab, addr: string): Promise<number> {
  const r = await lab.runInScanner([
    "bash",
    "-c",
    `s=$(date +%s%N); exec 3<>/dev/tcp/${addr}/22; echo $(( ($(date +%s%N) - s) / 1000000 ))`,
  ]);
  return Number(r.stdout.trim());
}

/** Three runs of Porthole's -sS on ADVERSE_PORTS of a scanme-like scenario, each the loss-free
 * table. */
function adverseTest(scenario: string, tag: string, check?: (lab: Lab) => Promise<void>) {
  const needsQueue = ["jitter", "bursty"].includes(scenario);
  return {
    ...labTest(`scan: ${scenario} still gives the loss-free table`, async (t) => {
      await withLab({ tag, scenario }, async (lab) => {
        const v4 = lab.target.v4;
        const want = lossFreeTable(lab.target.spec, ADVERSE_PORTS);
        if (check) await t.step(`the scenario: ${lab.scenario.description}`, () => check(lab));
        for (let run = 1; run <= RUNS; run++) {
          await t.step(`-sS -p ${ADVERSE_PORTS}, run ${run}`, async () => {
            const out = ok(
              await lab.porthole(["-n", "-sS", "-p", ADVERSE_PORTS, v4], { timeoutMs: 300_000 }),
              "porthole",
            );
            const h = parseNmapNormal(out).find((x) => x.address === v4);
            assertEquals(h?.ports.map((p) => `${p.port}/${p.proto} ${p.state}`), want.rows, out);
            assertEquals(h?.notShown, `${want.closed} closed tcp ports (reset)`, out);
          });
        }
      });
    }),
    ...(needsQueue && !haveTool("iptables-restore") ? { ignore: true } : {}),
  };
}

Deno.test(adverseTest("syn-limit", "sadsyn"));
Deno.test(adverseTest("rst-limit", "sadrst"));
Deno.test(adverseTest("jitter", "sadjit", async (lab) => {
  // Each way 50-250 ms: a round trip takes 100-500 ms.
  const ms = await connectMs(lab, lab.target.v4);
  if (!(ms >= 100 && ms < 1500)) throw new Error(`a connect took ${ms} ms`);
}));
Deno.test(adverseTest("bursty", "sadbur"));
Deno.test(adverseTest("asymmetric", "sadasy"));

Deno.test({
  ...labTest("scan: far (RTT >= 300 ms, 256 hosts) still gives every host's table", async (t) => {
    await withLab({ tag: "sadfar", scenario: "far" }, async (lab) => {
      const range = lab.anyip!;
      const want = lossFreeTable(lab.target.spec, FAR_PORTS);
      assertEquals(want.closed, 0);
      await t.step("the scenario: a round trip takes at least 300 ms", async () => {
        const ms = await connectMs(lab, range.replace(/0\/24$/, "7"));
        if (!(ms >= 300 && ms < 1500)) throw new Error(`a connect took ${ms} ms`);
      });
      for (let run = 1; run <= RUNS; run++) {
        await t.step(`-sS -p ${FAR_PORTS} ${range}, run ${run}`, async () => {
          const out = ok(
            await lab.porthole(["-n", "-sS", "-p", FAR_PORTS, range], { timeoutMs: 300_000 }),
            "porthole",
          );
          const hosts = parseNmapNormal(out);
          assertEquals(hosts.filter((h) => h.up).length, 256, out.slice(-2000));
          for (const h of hosts) {
            assertEquals(
              h.ports.map((p) => `${p.port}/${p.proto} ${p.state}`),
              want.rows,
              h.address,
            );
          }
        });
      }
    });
  }),
  ...(haveTool("iptables-restore") ? {} : { ignore: true }),
});
