/**
 * nmap's installed data directory, for unit tests that run nmap's own scripts and nselib: each
 * asks for the file it needs and is ignored when nmap is not installed.
 *
 * @module
 */

/** Where Debian's nmap keeps its scripts, nselib and data files. */
export const NMAP = "/usr/share/nmap";

/** Whether `relative` (e.g. "nselib/stdnse.lua") is a file under nmap's data directory. */
export function haveNmapFile(relative: string): boolean {
  try {
    return Deno.statSync(`${NMAP}/${relative}`).isFile;
  } catch {
    return false;
  }
}
