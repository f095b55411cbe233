/**
 * -O through the command line on the lab's scanme: with nmap's database loaded, the fingerprint
 * tests that depend neither on timing nor on randomness equal nmap's for the same target, and
 * the report has nmap's lines (fingerprint block or OS details, Network Distance).
 */

import { equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";

/** The OS:… block joined back into one string, then split into its tests: "OPS(...)" → body. */
function fingerprintTests(stdout: string): Map<string, string> {
  const joined = stdout.split("\n").filter((l) => l.startsWith("OS:")).map((l) => l.slice(3))
    .join("");
  const tests = new Map<string, string>();
  for (const m of joined.matchAll(/([A-Z0-9]+)\(([^)]*)\)/g)) tests.set(m[1]!, m[2]!);
  return tests;
}

Deno.test({
  name: "os cli: -O with nmap's database gives nmap's deterministic fingerprint tests",
  ignore: (await labUnavailable()) !== null || !await exists("/usr/share/nmap/nmap-os-db"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "oscli", scenario: "scanme" });
    const args = ["-O", "-p", "22,80,113", lab.target.v4];
    const ours = await lab.porthole(["--osdb", "/usr/share/nmap/nmap-os-db", ...args], {
      timeoutMs: 180_000,
    });
    equal(ours.code, 0, ours.stderr);
    const nmap = await lab.nmap(args, { timeoutMs: 180_000 });
    equal(nmap.code, 0, nmap.stderr);
    match(ours.stdout, /^Network Distance: 1 hop$/m);

    const want = fingerprintTests(nmap.stdout);
    const got = fingerprintTests(ours.stdout);
    // nmap prints the block only when no exact match exists; compare when it did.
    if (want.size) {
      for (const t of ["OPS", "WIN", "ECN", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "U1", "IE"]) {
        ok(want.has(t), `nmap's fingerprint has ${t}`);
        equal(got.get(t), want.get(t), `${t} differs`);
      }
    } else {
      const details = (s: string) => /^OS details: (.*)$/m.exec(s)?.[1];
      equal(details(ours.stdout), details(nmap.stdout));
    }
  },
});

Deno.test({
  name: "os cli: -O with Porthole's own database names the lab's Linux or prints a fingerprint",
  ignore: (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "oscli2", scenario: "scanme" });
    const r = await lab.porthole(["-O", "-p", "22,113", lab.target.v4], { timeoutMs: 180_000 });
    equal(r.code, 0, r.stderr);
    // Our database holds this machine's kernel; another kernel gets nmap's no-match report.
    match(r.stdout, /^(OS details: Linux|No exact OS matches for host)/m);
    match(r.stdout, /^OS detection performed\./m);
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
