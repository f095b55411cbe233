/**
 * -sC against the scanme replica: Porthole's script output (normal and XML) equals nmap's -sC on
 * the same target and ports, line for line.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";
import { scriptXml } from "./testing/script_output.ts";

const haveScripts = (() => {
  try {
    return Deno.statSync("/usr/share/nmap/scripts/script.db").isFile;
  } catch {
    return false;
  }
})();

/** The script lines of a normal report ("| …" and "|_…"), in order. */
const scriptLines = (out: string) => out.split("\n").filter((l) => /^\|[ _]/.test(l));

Deno.test({
  name: "nse lab: -sC -p 22,80 on the scanme replica prints nmap's script output",
  ignore: !haveScripts || missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsec", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-nse-" });
    try {
      const args = ["-sC", "-p", "22,80", lab.target.v4];
      const theirs = await lab.nmap([...args, "-oX", `${dir}/nmap.xml`], { timeoutMs: 300_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await lab.porthole([...args, "-oX", `${dir}/ph.xml`], { timeoutMs: 300_000 });
      assert.equal(ours.code, 0, ours.stderr);
      const nmapLines = scriptLines(theirs.stdout);
      assert.ok(nmapLines.length > 0, "nmap printed no script output: nothing to compare");
      assert.deepEqual(scriptLines(ours.stdout), nmapLines, ours.stdout);
      assert.deepEqual(
        scriptXml(await Deno.readTextFile(`${dir}/ph.xml`)),
        scriptXml(await Deno.readTextFile(`${dir}/nmap.xml`)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
