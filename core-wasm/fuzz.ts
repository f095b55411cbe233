/**
 * `deno task fuzz`: at least a million random and mutated frames through the batch parser,
 * with no permissions. Usage: `deno run core-wasm/fuzz.ts [cases] [seed]`.
 * Exits non-zero when an invariant breaks or a reason code is never produced.
 *
 * @module
 */

import { fuzz } from "./_fuzz.ts";
import { packetCore, ParseError } from "./mod.ts";

const cases = Number(Deno.args[0] ?? 1_000_000);
const seed = Number(Deno.args[1] ?? Date.now() % 0xffffffff);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  console.error("usage: fuzz.ts [cases > 0] [integer seed]");
  Deno.exit(2);
}
const started = performance.now();
let next = 100_000;
const report = fuzz(packetCore(), seed, cases, (done) => {
  if (done >= next) {
    console.log(`${done} cases`);
    next += 100_000;
  }
});
const seconds = (performance.now() - started) / 1000;
console.log(`seed ${seed}: ${report.cases} cases in ${seconds.toFixed(1)} s`);
for (const [name, code] of Object.entries(ParseError)) {
  console.log(`  ${name.padEnd(18)} ${report.byStatus[code]}`);
}
const missing = Object.entries(ParseError).filter(([, c]) => report.byStatus[c] === 0);
for (const f of report.failures) console.error(`FAIL ${f}`);
if (missing.length) console.error(`never produced: ${missing.map(([n]) => n).join(", ")}`);
if (report.failures.length || missing.length) Deno.exit(1);
