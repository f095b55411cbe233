/**
 * NSE prerule and postrule scripts on the scanme replica: "Pre-scan script results:" before the
 * first host, "Post-scan script results:" after the last, and <prescript>/<postscript> in -oX,
 * as nmap prints and writes them for the same script.
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

// stdnse.output_table keeps its keys in order (a plain table's order is the hash's).
const SCRIPT = `local stdnse = require "stdnse"
description = [[Pre- and post-scan test script.]]
categories = {"safe"}
prerule = function() return true end
postrule = function() return true end
action = function()
  if SCRIPT_TYPE == "prerule" then return "before the scan" end
  local o = stdnse.output_table()
  o.phase = SCRIPT_TYPE
  o.list = { "a", "b" }
  return o
end
`;

/** From "Pre-scan script results:" (or Post-) to the end of its script lines. */
function block(out: string, phase: "Pre" | "Post"): string[] {
  const lines = out.split("\n");
  const at = lines.indexOf(`${phase}-scan script results:`);
  if (at < 0) return [];
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((l) => !l.startsWith("|"));
  return lines.slice(at, at + 1 + (end < 0 ? rest.length : end));
}
const xmlBlocks = (xml: string) =>
  xml.match(/<(pre|post)script>[^]*?<\/\1script>\n?(?:<\w+)?/g) ?? [];

Deno.test({
  name: "nse lab: prerule and postrule output as nmap's (Pre-scan/Post-scan, <prescript>)",
  ignore: !haveScripts || missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsepp", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-nsepp-" });
    try {
      await Deno.writeTextFile(`${dir}/pp-test.nse`, SCRIPT);
      const args = ["-n", "-p80", "--script", `${dir}/pp-test.nse`, lab.target.v4];
      const theirs = await lab.nmap([...args, "-oX", `${dir}/nmap.xml`], { timeoutMs: 120_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await lab.porthole([...args, "-oX", `${dir}/ph.xml`], { timeoutMs: 120_000 });
      assert.equal(ours.code, 0, ours.stderr);
      for (const phase of ["Pre", "Post"] as const) {
        const expected = block(theirs.stdout, phase);
        assert.ok(expected.length > 1, `nmap printed no ${phase}-scan results`);
        assert.deepEqual(block(ours.stdout, phase), expected, ours.stdout);
      }
      // Pre-scan results come before the host's report, post-scan ones after it.
      const pre = ours.stdout.indexOf("Pre-scan script results:");
      const report = ours.stdout.indexOf("scan report for");
      const post = ours.stdout.indexOf("Post-scan script results:");
      assert.ok(pre < report && report < post, ours.stdout);
      const nmapXml = xmlBlocks(await Deno.readTextFile(`${dir}/nmap.xml`));
      assert.equal(nmapXml.length, 2);
      assert.deepEqual(xmlBlocks(await Deno.readTextFile(`${dir}/ph.xml`)), nmapXml);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
