/**
 * -O through the command line on the lab's scanme: with nmap's database loaded, the fingerprint
 * tests that depend neither on timing nor on randomness equal nmap's for the same target, and
 * the report has nmap's lines (the fingerprint block, Network Distance).
 */

import { equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { agreeingRuns, DETERMINISTIC, fingerprintTests } from "./testing/os_fingerprints.ts";

Deno.test({
  name: "os cli: -O with nmap's database gives nmap's deterministic fingerprint tests",
  ignore: (await labUnavailable()) !== null || !await exists("/usr/share/nmap/nmap-os-db"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "oscli", scenario: "scanme" });
    // -vv: both print the fingerprint even under test conditions found non-ideal (a busy
    // machine); runs that lost or delayed a deterministic test's reply are measured again.
    const args = ["-vv", "-O", "-p", "22,80,113", lab.target.v4];
    const { ours, nmap } = await agreeingRuns(
      async () => {
        const r = await lab.nmap(args, { timeoutMs: 180_000 });
        equal(r.code, 0, r.stderr);
        return r.stdout;
      },
      async () => {
        const r = await lab.porthole(["--osdb", "/usr/share/nmap/nmap-os-db", ...args], {
          timeoutMs: 180_000,
        });
        equal(r.code, 0, r.stderr);
        return r.stdout;
      },
    );
    match(ours, /^Network Distance: 1 hop$/m);
    const want = fingerprintTests(nmap), got = fingerprintTests(ours);
    for (const t of DETERMINISTIC) {
      ok(want.has(t), `nmap's fingerprint has ${t}`);
      equal(got.get(t), want.get(t), `${t} differs`);
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
