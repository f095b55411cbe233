/**
 * Reading the "TCP/IP fingerprint:" block of an -O report (nmap's or Porthole's), for the lab
 * tests that compare the two tools' fingerprints.
 *
 * @module
 */

import { parseFingerprint } from "../../cli/model/os_fingerprint.ts";

/** The tests that depend on neither timing nor randomness: equal for one target, run to run. */
export const DETERMINISTIC = [
  "OPS",
  "WIN",
  "ECN",
  "T1",
  "T2",
  "T3",
  "T4",
  "T5",
  "T6",
  "T7",
  "U1",
  "IE",
];

/** The "TCP/IP fingerprint:" block of a report. */
export function fingerprintBlock(report: string): string {
  const start = report.indexOf("TCP/IP fingerprint:\n");
  if (start < 0) throw new Error(`no fingerprint in:\n${report}`);
  return report.slice(start + 20).split("\n\n")[0]!;
}

/** Each test line of the "TCP/IP fingerprint:" block in a report, by name. */
export function fingerprintTests(report: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of parseFingerprint(fingerprintBlock(report))) {
    out.set(t.name, `${t.name}(${t.attrs.map(([a, v]) => `${a}=${v}`).join("%")})`);
  }
  return out;
}

/**
 * Runs an OS scan (either tool, at -vv so the fingerprint is printed even under test conditions
 * found non-ideal on a busy machine) until its fingerprint has every deterministic test, at most
 * three times: a run that lost one of their replies leaves nothing to compare.
 */
export async function untilDeterministic(run: () => Promise<string>): Promise<string> {
  let out = "";
  for (let tries = 1; tries <= 3; tries++) {
    out = await run();
    const got = out.includes("TCP/IP fingerprint:\n") ? fingerprintTests(out) : new Map();
    if (DETERMINISTIC.every((name) => got.has(name))) break;
    await new Promise((r) => setTimeout(r, 1500));
  }
  return out;
}

/**
 * Measures both tools (each until its fingerprint is whole) until their deterministic tests
 * agree, at most three times: on a busy machine a reply that comes late for one run changes a
 * test's value (an OPS without O5) in that run only. Returns the last pair; the caller asserts.
 */
export async function agreeingRuns(
  nmap: () => Promise<string>,
  ours: () => Promise<string>,
): Promise<{ nmap: string; ours: string }> {
  const tests = (report: string) =>
    report.includes("TCP/IP fingerprint:\n") ? fingerprintTests(report) : new Map();
  let pair = { nmap: "", ours: "" };
  for (let tries = 1; tries <= 3; tries++) {
    pair = { nmap: await untilDeterministic(nmap), ours: await untilDeterministic(ours) };
    const n = tests(pair.nmap), p = tests(pair.ours);
    if (DETERMINISTIC.every((t) => n.has(t) && n.get(t) === p.get(t))) break;
  }
  return pair;
}
