import assert from "node:assert/strict";
import { stampedRun, threadSpans, timelineSummary } from "./nse_timeline.ts";

// Lines as nmap 7.93 and Porthole print them at -d (from the real-daemons lab).
const LINES = [
  { t: 1.2, line: "NSE: Script Pre-scanning." },
  { t: 3.6, line: "NSE: Starting ssh-hostkey against 10.222.1.1:2222." },
  { t: 3.7, line: "NSE: Starting http-title against lab.example (10.222.1.1:80)." },
  { t: 4.4, line: "NSE: Starting snmp-win32-software against 10.222.1.1:161." },
  { t: 5.0, line: "NSE: [ntp-info 10.222.1.1:123] Test len: 1" },
  { t: 67.2, line: "NSE: Finished ssh-hostkey against 10.222.1.1:2222." },
  { t: 200.1, line: "NSE: Finished http-title against lab.example (10.222.1.1:80)." },
  { t: 525.8, line: "NSE: Starting clock-skew against 10.222.1.1." },
  { t: 525.8, line: "NSE: Finished clock-skew against 10.222.1.1." },
  { t: 526.0, line: "NSE: Starting ssh-hostkey." },
];

Deno.test("nse timeline: -d lines become script threads with start and end, a name's address kept", () => {
  assert.deepEqual(threadSpans(LINES), [
    { script: "ssh-hostkey", target: "10.222.1.1:2222", start: 3.6, end: 67.2 },
    { script: "http-title", target: "10.222.1.1:80", start: 3.7, end: 200.1 },
    { script: "snmp-win32-software", target: "10.222.1.1:161", start: 4.4 },
    { script: "clock-skew", target: "10.222.1.1", start: 525.8, end: 525.8 },
    { script: "ssh-hostkey", target: "", start: 526.0 },
  ]);
  const summary = timelineSummary(threadSpans(LINES), 2).split("\n");
  assert.deepEqual(summary.map((l) => l.replace(/\s+/g, " ").trim()), [
    "ended last:",
    "4.4 → (not finished) snmp-win32-software 10.222.1.1:161",
    "526.0 → (not finished) ssh-hostkey",
    "longest:",
    "4.4 → (not finished) snmp-win32-software 10.222.1.1:161",
    "526.0 → (not finished) ssh-hostkey",
  ]);
});

Deno.test("nse timeline: a command's lines are stamped as they arrive", async () => {
  const r = await stampedRun([
    "sh",
    "-c",
    "echo one; sleep 0.3; printf 'two\\nthree'; echo err >&2",
  ], {
    timeoutMs: 10_000,
  });
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines.map((l) => l.line), ["one", "two", "three"]);
  assert.ok(r.lines[1]!.t - r.lines[0]!.t >= 0.25, "the second line was stamped on arrival");
  assert.equal(r.stderr, "err\n");
});
