/**
 * Runs Porthole's command line from the source tree as the `porthole` task runs it (the same
 * permissions and environment words), for tests that need no lab: `porthole inventory …` and the
 * like. A scan through it reaches only the loopback of the suite's own network namespace
 * (tests/in_own_netns.sh); anything else runs inside a lab namespace (tests/lab/mod.ts).
 *
 * @module
 */

import { portholeEnv, portholeFlags } from "../../tools/artifact.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const dec = new TextDecoder();

/** The porthole task's command for `args`, run in `cwd`, with `extraFlags` (a permission a
 * user adds, such as --allow-run=/bin/sh) after the task's own and `extraEnv` in its
 * environment; output piped. */
export function portholeCommand(
  args: string[],
  cwd: string,
  extraFlags: string[] = [],
  extraEnv: Record<string, string> = {},
): Deno.Command {
  const env = {
    ...Object.fromEntries(portholeEnv().map((w) => w.split("=", 2) as [string, string])),
    ...extraEnv,
  };
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...portholeFlags(), ...extraFlags, `${REPO}cli/main.ts`, ...args],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

/** `porthole ARGS` in `cwd`: exit code and both outputs. */
export async function porthole(
  args: string[],
  cwd: string,
  extraFlags: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await portholeCommand(args, cwd, extraFlags).output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}
