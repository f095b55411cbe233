/**
 * -sV with scripts runs nmap's "version" category too (nse_main.lua check_rules), and plain -sV
 * prints no script output, as nmap on the scanme replica.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";

const haveScripts = (() => {
  try {
    return Deno.statSync("/usr/share/nmap/scripts/script.db").isFile;
  } catch {
    return false;
  }
})();

/** The script lines of a normal report, one block per (port, script), sorted: nmap prints a
 * port's scripts in the order they finish, which varies from run to run. */
function scriptBlocks(out: string): string[] {
  const blocks: string[] = [];
  let port = "";
  for (const l of out.split("\n")) {
    if (/^\d+\/(tcp|udp)\s/.test(l)) port = l.split(" ")[0]!;
    else if (/^\| [\w-]+:|^\|_[\w-]+:/.test(l)) blocks.push(`${port} ${l.slice(2)}`);
    else if (/^\|[ _]/.test(l) && blocks.length) blocks[blocks.length - 1] += `\n${l}`;
    else if (!l.startsWith("|")) port = /^\d+\//.test(l) ? port : "";
  }
  return blocks.sort();
}
const idOf = (block: string) => block.split(" ")[1]!.replace(/:.*$/s, "");

Deno.test({
  name: "nse lab: -sV adds the version category to the scripts, as nmap (scanme, -sV and -A)",
  ignore: !haveScripts || missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsever", scenario: "scanme" });
    // Plain -sV: nmap runs its version scripts but prints none of their output.
    const plain = ["-n", "-sV", "-p80", lab.target.v4];
    const nmapPlain = await lab.nmap(plain, { timeoutMs: 300_000 });
    assert.equal(nmapPlain.code, 0, nmapPlain.stderr);
    const phPlain = await lab.porthole(plain, { timeoutMs: 300_000 });
    assert.equal(phPlain.code, 0, phPlain.stderr);
    assert.deepEqual(scriptBlocks(phPlain.stdout), scriptBlocks(nmapPlain.stdout));

    // -A: -sC plus the version category (http-server-header on 80).
    const all = ["-n", "-v", "-A", "-p", "22,80", lab.target.v4];
    const theirs = await lab.nmap(all, { timeoutMs: 300_000 });
    assert.equal(theirs.code, 0, theirs.stderr);
    const ours = await lab.porthole(all, { timeoutMs: 300_000 });
    assert.equal(ours.code, 0, ours.stderr);
    const nmapBlocks = scriptBlocks(theirs.stdout);
    assert.ok(nmapBlocks.some((b) => idOf(b) === "http-server-header"), theirs.stdout);
    // Scripts Porthole cannot load yet (a C module it lacks, e.g. lpeg) are named at -v; every
    // other script line must be nmap's.
    const skipped = new Set(
      [...(ours.stdout + ours.stderr).matchAll(/^ {2}([\w-]+)\.nse: /gm)].map((m) => m[1]!),
    );
    const expected = nmapBlocks.filter((b) => !skipped.has(idOf(b)));
    assert.ok(expected.length > 0, "nothing left to compare");
    assert.deepEqual(scriptBlocks(ours.stdout), expected, ours.stdout + ours.stderr);
    // The version script was chosen: it printed nmap's line or was named as not loadable.
    const phIds = new Set([...scriptBlocks(ours.stdout).map(idOf), ...skipped]);
    assert.ok(phIds.has("http-server-header"), ours.stdout + ours.stderr);
  },
});
