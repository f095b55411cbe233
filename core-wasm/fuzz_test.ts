// 100k+ fuzz cases with no permissions: no trap, no read outside the frame, every reason code
// reachable.

import { assert, assertEquals } from "./_test_assert.ts";
import { fuzz } from "./_fuzz.ts";
import { packetCore, PARSE_ERROR_COUNT, ParseError } from "./mod.ts";

Deno.test("fuzz: 120k random and mutated frames, every reason code reached", () => {
  const report = fuzz(packetCore(), 0xf022, 120_000);
  assertEquals(report.failures, []);
  assertEquals(report.cases, 120_000);
  const names = Object.entries(ParseError);
  assertEquals(names.length, PARSE_ERROR_COUNT);
  const missing = names.filter(([, code]) => report.byStatus[code] === 0).map(([n]) => n);
  assertEquals(missing, [], `reason codes never produced: ${missing.join(", ")}`);
  assert(report.byStatus[ParseError.OK]! > 1000);
});
