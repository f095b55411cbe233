/**
 * The step after reading the options that touches the filesystem: the files the run will read
 * (-iL, --excludefile, --versiondb, --osdb, --libpcap, --resume) exist and are not folders, and
 * --script-write-dir is a folder, so a typo ends the run with one message before the first packet.
 *
 * @module
 */

import { fatal, UsageError } from "../errors.ts";
import { readsStdin } from "../targets.ts";
import type { Options } from "./types.ts";

/** nmap's "Failed to open … for reading" when `path` cannot be read (`what` names it). */
export function checkReadable(path: string, what: string): void {
  if (path === "-") return;
  try {
    const st = Deno.statSync(path);
    if (st.isDirectory) fatal(`Failed to open ${what} ${path} for reading: Is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const why = e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : e instanceof Deno.errors.PermissionDenied
      ? "Permission denied"
      : String((e as Error).message ?? e);
    fatal(`Failed to open ${what} ${path} for reading: ${why}`);
  }
}

/** The message when `path` is not an existing directory (`what` names it). */
export function checkDirectory(path: string, what: string): void {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : "Permission denied";
    return fatal(`${what} ${path}: ${why}`);
  }
  if (!st.isDirectory) fatal(`${what} ${path}: Not a directory`);
}

/** Checks every input file `o` names (not --servicedb: port_lists.ts reads it). */
export function checkInputFiles(o: Options): void {
  if (o.output.resume !== undefined) checkReadable(o.output.resume, "resume file");
  // Stdin (-, /dev/stdin) is read when the targets are; Deno would refuse to stat it.
  if (o.inputList !== undefined && !readsStdin(o.inputList)) {
    checkReadable(o.inputList, "input file");
  }
  if (o.excludeFile !== undefined && !readsStdin(o.excludeFile)) {
    checkReadable(o.excludeFile, "exclude file");
  }
  if (o.versionDb !== undefined) checkReadable(o.versionDb, "version database");
  if (o.osdb !== undefined) checkReadable(o.osdb, "OS database");
  if (o.libpcap !== undefined) checkReadable(o.libpcap, "libpcap");
  if (o.scripts?.writeDir !== undefined) checkDirectory(o.scripts.writeDir, "--script-write-dir");
}
