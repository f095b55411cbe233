/**
 * What the face (cli/main.ts) asks of the application besides a run: --script-help, --libpcap,
 * --iflist, a --resume file's state, and the wording of an unexpected failure. Each loads its
 * room only when called, so `porthole --version` loads none of them.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ResumeState } from "../output/resume.ts";

export { escapeTerminal } from "../output/escape.ts";
export type { PartialHost, ResumeState } from "../output/resume.ts";

/** nmap --script-help RULES: the chosen scripts' descriptions. Throws UsageError. */
export async function scriptHelp(rules: string): Promise<string> {
  const nse = await import("../scripts/mod.ts");
  try {
    return await nse.scriptHelp(rules);
  } catch (e) {
    if (e instanceof nse.ScriptSetupError) throw new UsageError(e.message);
    throw e;
  }
}

/** --libpcap PATH: the libpcap to load instead of the system's. */
export async function useLibpcap(path: string): Promise<void> {
  (await import("../engine/system.ts")).useLibpcap(path);
}

/** --iflist: interfaces and routes, as nmap prints them. */
export async function interfaceList(): Promise<string> {
  return (await import("../engine/system.ts")).formatIfList();
}

/** --resume FILE: the original command line and what it finished. */
export async function readResumeState(path: string): Promise<ResumeState> {
  return (await import("../output/mod.ts")).readResumeState(path);
}

/** An unexpected error in one sentence (the OS edge's wording when it knows the error). */
export async function describeFailure(e: unknown): Promise<string> {
  return (await import("../engine/system.ts")).describeError(e);
}
