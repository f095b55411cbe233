/** What -d and -v add to the screen: nmap's timing report and raw packet count. */

import assert from "node:assert/strict";
import { byteCount, timingReport } from "./normal.ts";
import { parseOptions } from "../options/mod.ts";

Deno.test("byteCount is nmap's format_bytecount (powers of 1000)", () => {
  assert.equal(byteCount(72), "72B");
  assert.equal(byteCount(999), "999B");
  assert.equal(byteCount(88028), "88.028KB");
  assert.equal(byteCount(880028), "880.028KB");
  assert.equal(byteCount(1_234_567), "1.235MB");
});

Deno.test("timingReport: nmap's -d block from the parsed timing", () => {
  const o = parseOptions(["-T4", "--max-retries", "3", "--min-rate", "12.5", "h"], {
    skipFileChecks: true,
  });
  assert.equal(
    timingReport(o.timing),
    `--------------- Timing report ---------------
  hostgroups: min 1, max 100000
  rtt-timeouts: init 500, min 100, max 1250
  max-scan-delay: TCP 10, UDP 1000, SCTP 10
  parallelism: min 0, max 0
  max-retries: 3, host-timeout: 0
  min-rate: 12.5, max-rate: 0
---------------------------------------------
`,
  );
});
