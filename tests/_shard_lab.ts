/**
 * What the shard lab tests share: running a shard's porthole in a scanner namespace of its own
 * (as a pod would be), any command line with its output, and `porthole --merge`.
 */

import assert from "node:assert/strict";
import { haveTool } from "./_oracle.ts";
import type { Lab } from "./lab/mod.ts";

const dec = new TextDecoder();

/** Runs `argv` from the repository's root; its exit code and output. */
export async function runArgv(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

/** Porthole's argv inside scanner namespace `exec` (the lab's own when undefined). */
export async function portholeIn(lab: Lab, exec: string[] | undefined, args: string[]) {
  const argv = await lab.portholeArgv(args);
  if (exec) argv.splice(0, 4, ...exec); // "ip netns exec <scanner>" → the other scanner
  return argv;
}

/** `porthole --merge out files...` in the lab's scanner namespace. */
export const merge = (lab: Lab, out: string, files: string[]) =>
  lab.porthole(["--merge", out, ...files]);

/** Steps checking a merged XML file with the oracles: valid against nmap.dtd, and ndiff
 * finds it identical to the single run's `single`. */
export async function oracleSteps(t: Deno.TestContext, single: string, merged: string) {
  await t.step({
    name: "xmllint --dtdvalid nmap.dtd",
    ignore: !haveTool("xmllint") || !haveTool("/usr/share/nmap/nmap.dtd"),
    fn: async () => {
      const r = await runArgv([
        "xmllint",
        "--noout",
        "--dtdvalid",
        "/usr/share/nmap/nmap.dtd",
        merged,
      ]);
      assert.equal(r.code, 0, r.err);
    },
  });
  await t.step({
    name: "ndiff single merged",
    ignore: !haveTool("ndiff"),
    fn: async () => {
      const r = await runArgv(["ndiff", single, merged]);
      assert.equal(r.code, 0, r.out + r.err);
    },
  });
}
