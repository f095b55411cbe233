/**
 * Replies are checked against the probe they answer: a forged SYN-ACK whose
 * ack does not match our probe's keyed sequence number is ignored, while a
 * forged one with the right ack is taken (proving the forgeries do reach the
 * scanner). Ports 25 and 135 of the scanme replica drop every probe, so the
 * forged replies are the only ones.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, tables, withLab } from "./scan_lab.ts";

const AGENT = new URL("./scan_spoof_agent.ts", import.meta.url).pathname;

Deno.test(labTest("scan: a reply with a wrong ack is ignored, the right one counts", async () => {
  await withLab({ tag: "sspoof", scenario: "scanme" }, async (lab) => {
    const dir = await Deno.makeTempDir({ prefix: "ph-spoof-" });
    try {
      const agent = lab.runInTarget(0, [Deno.execPath(), "run", "-A", AGENT, "135", "25", dir], {
        timeoutMs: 150_000,
      });
      for (let i = 0; i < 600; i++) {
        try {
          await Deno.stat(`${dir}/ready`);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const v4 = lab.target.v4;
      const out = ok(
        await lab.porthole(["-T4", "-n", "-Pn", "-sS", "-p", "25,135", v4]),
        "porthole",
      );
      await Deno.writeTextFile(`${dir}/stop`, "");
      const a = await agent;
      assertEquals(a.code, 0, a.stderr);
      const forged = Number(/forged (\d+)/.exec(a.stdout)?.[1] ?? 0);
      assert(forged >= 2, `the agent forged replies: ${a.stdout}`);
      assertEquals(tables(out)[v4]?.ports, ["25/tcp filtered smtp", "135/tcp open msrpc"], out);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}));
