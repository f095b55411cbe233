/**
 * An overloaded target (the "busy" scenario): the quiet host takes 300 packets a second from its
 * link and its neighbour floods that budget in bursts, so a scanner that does not slow down loses
 * most of its probes. Porthole must notice the drops, back off, and print the loss-free table:
 * every run, exit 0. The expected table comes from the scenario's rules (no loss, no neighbour),
 * not from a run under load. nmap on the same scenario is a figure, not a test (its capped retries
 * lose a different port or two each run): `deno task bench` runs it beside Porthole.
 */

import { assertEquals } from "./testing/assert.ts";
import { expectedState, type Lab } from "./lab/mod.ts";
import { labTest, ok, tables, withLab } from "./scan_lab.ts";

const PORTS = "1-1500";

/** The quiet host's table without loss: its open ports, everything else closed. */
const EXPECTED = ["22/tcp open ssh", "80/tcp open http"];
const NOT_SHOWN = "1498 closed tcp ports (reset)";

/** Packets the quiet host received over `ms` (the neighbour's flood, mostly), per second. */
async function inputRate(lab: Lab, ms: number): Promise<number> {
  const read = async () =>
    Number(
      (await lab.runInTarget(0, ["cat", "/sys/class/net/eth0/statistics/rx_packets"])).stdout,
    );
  const a = await read();
  await new Promise((r) => setTimeout(r, ms));
  return ((await read()) - a) * 1000 / ms;
}

Deno.test(labTest("scan: an overloaded target still gives its loss-free table", async (t) => {
  await withLab({ tag: "sbusy", scenario: "busy" }, async (lab) => {
    const v4 = lab.target.v4;
    await t.step("the scenario: open ports from its rules, the neighbour flooding", async () => {
      const open = [];
      for (let p = 1; p <= 1500; p++) {
        if (expectedState(lab.target.spec, "tcp", p, "syn") !== "closed") open.push(p);
      }
      assertEquals(open, [22, 80]);
      // The flood averages 2000 datagrams a second against a budget of 300: well over it.
      const rate = await inputRate(lab, 1200);
      if (!(rate > 1000)) throw new Error(`the neighbour floods only ${rate} packets/s`);
    });
    for (let run = 1; run <= 3; run++) {
      await t.step(`-sS -p ${PORTS}, run ${run}`, async () => {
        const out = ok(
          await lab.porthole(["-T4", "-n", "-sS", "-p", PORTS, v4], { timeoutMs: 180_000 }),
          "porthole",
        );
        const h = tables(out)[v4];
        assertEquals(h?.ports, EXPECTED, out);
        assertEquals(h?.notShown, NOT_SHOWN, out);
      });
    }
  });
}));
