/**
 * Script selection against nmap's own: for each --script expression, the scripts Porthole chooses
 * from nmap's installed scripts/ and script.db are the ones `nmap --script-help` lists. nmap's
 * --script-help sends no packet, but it runs inside a lab scanner namespace all the same.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";
import { chooseScripts, diskEnv } from "../cli/scripts/select.ts";

const SCRIPTS = "/usr/share/nmap/scripts";
const haveScripts = (() => {
  try {
    return Deno.statSync(`${SCRIPTS}/script.db`).isFile;
  } catch {
    return false;
  }
})();

const EXPRESSIONS = [
  "default",
  "default or safe",
  "not intrusive",
  "http-*",
  "http-* and not brute",
  "safe and discovery or vuln",
  "(safe and discovery) or vuln",
  "ssh-hostkey,http-title",
  "ssh-*,default and not (http-* or ssl-*)",
  "VULN and not dos",
  "broadcast and not (dhcp* or targets-*)",
  "all and not (intrusive or dos or exploit or brute or fuzzer or malware)",
];

/** The script ids `nmap --script-help` lists: each is the line before a "Categories:" line. */
function helpIds(stdout: string): string[] {
  const lines = stdout.split("\n");
  return lines.flatMap((l, i) => (lines[i + 1]?.startsWith("Categories:") ? [l.trim()] : []));
}

Deno.test({
  name: "nse select: --script expressions choose the scripts nmap's --script-help lists",
  ignore: !haveScripts || missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsesel", scenario: "scanme" });
    const env = diskEnv(SCRIPTS);
    for (const expr of EXPRESSIONS) {
      const r = await lab.nmap(["--script-help", expr], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const theirs = helpIds(r.stdout).sort();
      assert.ok(theirs.length > 0, expr);
      const ours = chooseScripts(expr.split(","), env).map((c) =>
        c.path.replace(/^.*\//, "").replace(/\.nse$/, "")
      ).sort();
      assert.deepEqual(ours, theirs, expr);
    }
    // --script-help's text, after nmap's "Starting Nmap" line.
    const body = (out: string) => out.slice(out.indexOf("\n") + 1).trimEnd();
    const expr = "http-title,ssh-hostkey,ftp-anon";
    const theirs = await lab.nmap(["--script-help", expr], { timeoutMs: 120_000 });
    const ours = await lab.porthole(["--script-help", expr], { timeoutMs: 120_000 });
    assert.equal(ours.code, 0, ours.stderr);
    // Porthole's note under an id it also has a built-in script for (which of the two runs).
    const note = /^Porthole: nmap's ([\w.-]+)\.nse runs .*\n.*\n/gm;
    assert.deepEqual(
      [...ours.stdout.matchAll(note)].map((m) => m[1]).sort(),
      expr.split(",").sort(),
    );
    assert.equal(ours.stdout.replace(note, "").trimEnd(), body(theirs.stdout));
  },
});
