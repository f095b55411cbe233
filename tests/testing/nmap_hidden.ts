/**
 * Porthole as on a host without nmap: in the lab's scanner, in a mount namespace of its own where
 * an empty directory is bind-mounted over each of nmap's data directories, so that Porthole's
 * built-in scripts run (issue 19's "nmap's data hidden").
 */
import type { Lab } from "../lab/mod.ts";
import type { RunResult } from "../lab/_exec.ts";
import { NMAP_DATA_DIRS } from "../../cli/scripts/mod.ts";

/** Runs Porthole with `args` with nmap's data hidden; exit 99/98: the hiding itself failed. */
export async function portholeWithoutNmap(
  lab: Lab,
  args: string[],
  timeoutMs = 300_000,
): Promise<RunResult> {
  const empty = await Deno.makeTempDir({ prefix: "ph-no-nmap-" });
  try {
    const argv = (await lab.portholeArgv(args)).slice(4); // without "ip netns exec NS"
    const hide = `for d in ${NMAP_DATA_DIRS.join(" ")}; do ` +
      `[ -d "$d" ] && { mount --bind "${empty}" "$d" || exit 99; }; done; ` +
      `[ ! -e /usr/share/nmap/scripts ] || exit 98; exec "$@"`;
    return await lab.runInScanner(["unshare", "-m", "sh", "-c", hide, "sh", ...argv], {
      timeoutMs,
    });
  } finally {
    await Deno.remove(empty);
  }
}
