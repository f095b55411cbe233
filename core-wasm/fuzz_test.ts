// 100k+ fuzz cases with no permissions: no trap, no read outside the frame, every reason code
// reachable.

import { assert, assertEquals, rng } from "../tests/testing/assert.ts";
import { fuzz } from "./_fuzz.ts";
import { packetCore, PARSE_ERROR_COUNT, ParseError, type SpecFields } from "./mod.ts";

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

Deno.test("fuzz: random build specs either build or throw a clear error, never trap", () => {
  const core = packetCore();
  const r = rng(0xb111d);
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  let built = 0;
  for (let n = 0; n < 20_000; n++) {
    const fields: SpecFields = {
      kind: int(10),
      family: [0, 4, 6, 5][int(4)]!,
      srcV4: int(2 ** 32),
      dstV4: int(2 ** 32),
      srcV6: bytes(16),
      dstV6: bytes(16),
      ttl: int(256),
      icmpType: [0, 3, 8, 11, 13, 17, 128, 135, 136, int(256)][int(10)],
      tcpOptions: r() < 0.3 ? bytes(int(41)) : undefined,
      payload: r() < 0.5 ? bytes(int(2000)) : undefined,
      ipOptions: r() < 0.2 ? bytes(int(41)) : undefined,
      vlan: r() < 0.2 ? int(65536) : undefined,
      ndpLinkAddr: r() < 0.3 ? bytes(6) : undefined,
      ipv6Extensions: r() < 0.2
        ? { first: [0, 43, 44, 60, 51, 6][int(6)]!, bytes: bytes(8 * int(4)) }
        : undefined,
    };
    const link = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999][int(11)]!;
    try {
      const f = core.buildFields(fields, link);
      assert(f.length > 0);
      built++;
    } catch (e) {
      assert(e instanceof TypeError || e instanceof RangeError, String(e));
    }
  }
  assert(built > 3000, `only ${built} built`);
});
