/**
 * Runs Porthole's command line from the source tree as the `porthole` task runs it (the same
 * permissions and environment words), for tests that need no lab: `porthole inventory …` and the
 * like. No scanning here: a scan runs inside a lab namespace (tests/lab/mod.ts).
 *
 * @module
 */

import { portholeEnv, portholeFlags } from "../../tools/artifact.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const dec = new TextDecoder();

/** `porthole ARGS` in `cwd`: exit code and both outputs. */
export async function porthole(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(portholeEnv().map((w) => w.split("=", 2) as [string, string]));
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...portholeFlags(), `${REPO}cli/main.ts`, ...args],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}
