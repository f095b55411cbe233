/**
 * Porthole as it runs on a host without nmap: inside the lab's scanner namespace and a private
 * mount namespace of its own, with an empty directory bind-mounted over each of nmap's data
 * directories, so that neither nmap's scripts nor its data files are there.
 */

import type { Lab } from "../lab/mod.ts";
import type { RunOptions, RunResult } from "../lab/_exec.ts";
import { NMAP_DATA_DIRS } from "../../cli/scripts/mod.ts";

/** Are nmap's scripts installed (the answers to compare with come from them)? */
export const haveNmapScripts: boolean = NMAP_DATA_DIRS.some((d) => {
  try {
    return Deno.statSync(`${d}/scripts/script.db`).isFile;
  } catch {
    return false;
  }
});

/** Runs Porthole with `args` in the lab's scanner namespace, nmap's data directories hidden. */
export async function portholeWithoutNmap(
  lab: Lab,
  args: string[],
  opts: RunOptions = { timeoutMs: 300_000 },
): Promise<RunResult> {
  const empty = await Deno.makeTempDir({ prefix: "ph-no-nmap-" });
  try {
    const argv = (await lab.portholeArgv(args)).slice(4); // without "ip netns exec NS"
    // Exit 99: a mount failed; 98: nmap's scripts are still visible. Either way no bare host.
    const hide = `for d in ${NMAP_DATA_DIRS.join(" ")}; do ` +
      `[ -d "$d" ] && { mount --bind "${empty}" "$d" || exit 99; }; done; ` +
      `[ ! -e /usr/share/nmap/scripts ] || exit 98; exec "$@"`;
    return await lab.runInScanner(["unshare", "-m", "sh", "-c", hide, "sh", ...argv], opts);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
}
