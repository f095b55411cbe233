/**
 * 20% random loss each way (the "lossy" scenario): Porthole must still print
 * the loss-free table, every run. Checked against the scenario's rules, so
 * the expected answer does not depend on a lossy nmap run.
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, ok, tables, withLab } from "./scan_lab.ts";

const EXPECTED = [
  "22/tcp open ssh",
  "25/tcp filtered smtp",
  "80/tcp open http",
  "135/tcp filtered msrpc",
  "139/tcp filtered netbios-ssn",
  "9929/tcp open nping-echo",
  "31337/tcp open Elite",
];

Deno.test(labTest("scan: 20% loss each way still gives the loss-free table", async (t) => {
  await withLab({ tag: "sloss", scenario: "lossy" }, async (lab) => {
    const v4 = lab.target.v4;
    for (let run = 1; run <= 3; run++) {
      await t.step(`-sS top 1000, run ${run}`, async () => {
        const out = ok(await lab.porthole(["-T4", "-n", "-sS", v4]), "porthole");
        const h = tables(out)[v4];
        assertEquals(h?.ports, EXPECTED, out);
        assertEquals(h?.notShown, "993 closed tcp ports (reset)");
      });
    }
    await t.step("-sS -p 1-10000", async () => {
      const out = ok(
        await lab.porthole(["-T4", "-n", "-sS", "-p", "1-10000,31337", v4]),
        "porthole",
      );
      const h = tables(out)[v4];
      assertEquals(h?.ports, EXPECTED);
      assertEquals(h?.notShown, "9994 closed tcp ports (reset)");
    });
    await t.step("-sS -6", async () => {
      const v6 = lab.target.v6;
      const out = ok(
        await lab.porthole(["-T4", "-n", "-6", "-p", "1-2000,9929,31337", v6]),
        "porthole",
      );
      assertEquals(tables(out)[v6]?.ports, EXPECTED);
    });
  });
}));
