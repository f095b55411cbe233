/**
 * Helpers for the engine's integration tests (tests/scan_*_test.ts): bring a
 * lab scenario up for one test file, run nmap and Porthole inside its
 * scanner namespace, and compare what matters (port tables, "Not shown"
 * lines, host status) with everything time-dependent normalised away.
 *
 * Only addresses inside the lab's own namespaces (or loopback) are scanned.
 *
 * @module
 */

import { haveTool, oracleStep } from "./_oracle.ts";
import { Lab, labUnavailable } from "./lab/mod.ts";
import type { RunResult } from "./lab/_exec.ts";
import { type HostTable, parseNmapNormal } from "./lab/nmap_table.ts";

export { Lab, oracleStep, parseNmapNormal };
export type { HostTable, RunResult };

/** Why lab tests cannot run here (not root, no ip/nft), or null. Evaluated once. */
export const labSkip: string | null = await labUnavailable();

/** Is nmap installed (the expected answers come from it)? */
export const haveNmap: boolean = haveTool("nmap");

/** Runs `fn` with a lab up, and always takes it down. */
export async function withLab<T>(
  opts: Parameters<typeof Lab.up>[0],
  fn: (lab: Lab) => Promise<T>,
): Promise<T> {
  const lab = await Lab.up(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

/** Fails with both outputs when a run did not exit 0. */
export function ok(r: RunResult, what: string): string {
  if (r.code !== 0 || r.timedOut) {
    throw new Error(
      `${what} exited ${r.code}${r.timedOut ? " (timed out)" : ""}\n` +
        `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return r.stdout;
}

/** Normal output with times, versions and the program name made comparable. */
export function normalise(text: string): string {
  return text
    .replace(/\bPorthole\b/g, "Nmap")
    .replace(/^Starting Nmap .*$/m, "Starting Nmap")
    .replace(/\(\d[\d.]*s latency\)/g, "(Xs latency)")
    .replace(/scanned in [\d.]+ seconds/g, "scanned in X seconds")
    .replace(/^(Initiating|Completed) .*$/gm, "")
    .replace(/\n{3,}/g, "\n\n");
}

/** One comparable line per port: "22/tcp open ssh". */
export function table(h: HostTable): string[] {
  return h.ports.map((p) => `${p.port}/${p.proto} ${p.state} ${p.service}`);
}

/** Every host's table and "Not shown" line, keyed by address. */
export function tables(
  text: string,
): Record<string, { up: boolean; notShown?: string; ports: string[] }> {
  const out: Record<string, { up: boolean; notShown?: string; ports: string[] }> = {};
  for (const h of parseNmapNormal(text)) {
    out[h.address] = { up: h.up, notShown: h.notShown, ports: table(h) };
  }
  return out;
}

/** Test options for lab tests: skipped without a lab, no resource sanitizers (children). */
export function labTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): Deno.TestDefinition {
  return {
    name,
    ignore: labSkip !== null,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  };
}
