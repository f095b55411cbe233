/**
 * Where data files come from, the way nmap finds them (nmap.cc's nmap_fetchfile): each file by
 * its nmap name, searched on its own in a list of directories, the first readable regular file
 * winning. The list:
 *
 * 1. `--datadir DIR`
 * 2. `$PORTHOLE_DATADIR`
 * 3. `~/.porthole`
 * 4. `$NMAPDIR` (nmap's second place, after its own --datadir)
 * 5. `~/.nmap`
 * 6. `/usr/local/share/nmap` (nmap built from source: its NMAPDATADIR, and its binary's
 *    `../share/nmap`)
 * 7. `/usr/share/nmap` (distributions' packages)
 *
 * `--servicedb`, `--versiondb` and `--osdb` name one file each and skip the search for it, as
 * in nmap. What a file found here does depends on the file: nmap's service probes, OS
 * fingerprints and MAC prefixes are merged with Porthole's own, nmap's UDP payloads take the
 * ports they name (cli/app/udp_payload_file.ts), nmap's services table replaces the built-in copy
 * of it. Every file read is noted, for -v's "Read data files from: DIR".
 *
 * ```ts
 * const path = findDataFile("nmap-service-probes", opts.datadir); // undefined: none found
 * if (path) noteDataFileRead("nmap-service-probes", path);
 * ```
 *
 * @module
 */

/** The data files searched for, by nmap's names. */
export const DATA_FILE_NAMES = [
  "nmap-service-probes",
  "nmap-os-db",
  "nmap-mac-prefixes",
  "nmap-payloads",
  "nmap-services",
  "nmap-protocols",
  "nmap-rpc",
] as const;

/** One of {@link DATA_FILE_NAMES}. */
export type DataFileName = typeof DATA_FILE_NAMES[number];

/** The environment variables read here (the porthole task's --allow-env must list them). */
export const DATA_ENV_VARS = ["PORTHOLE_DATADIR", "NMAPDIR", "HOME"] as const;

/** nmap's installed data directories, after the user's own. */
export const SYSTEM_DATA_DIRS = ["/usr/local/share/nmap", "/usr/share/nmap"] as const;

/** What the search depends on besides --datadir (tests give their own). */
export interface SearchEnvironment {
  /** An environment variable's value (default: the process environment, unset without permission). */
  env?(name: string): string | undefined;
  /** Directories after the user's (default {@link SYSTEM_DATA_DIRS}). */
  systemDirs?: readonly string[];
}

/** Each read spelled out, so the permission test sees which variables are read. */
function envGet(name: string): string | undefined {
  try {
    if (name === "PORTHOLE_DATADIR") return Deno.env.get("PORTHOLE_DATADIR");
    if (name === "NMAPDIR") return Deno.env.get("NMAPDIR");
    if (name === "HOME") return Deno.env.get("HOME");
  } catch {
    // no --allow-env for it: as if unset
  }
  return undefined;
}

/** The directories searched, in order (empty entries left out). */
export function dataDirs(datadir?: string, environment: SearchEnvironment = {}): string[] {
  const env = environment.env ?? envGet;
  const home = env("HOME");
  const dirs = [
    datadir,
    env("PORTHOLE_DATADIR"),
    home ? `${home}/.porthole` : undefined,
    env("NMAPDIR"),
    home ? `${home}/.nmap` : undefined,
    ...(environment.systemDirs ?? SYSTEM_DATA_DIRS),
  ];
  return dirs.filter((d): d is string => d !== undefined && d !== "");
}

/** nmap's file_is_readable(): a regular file this process may open. */
function isReadableFile(path: string): boolean {
  try {
    if (!Deno.statSync(path).isFile) return false;
    Deno.openSync(path).close();
    return true;
  } catch {
    return false;
  }
}

/** The first readable `DIR/name` in {@link dataDirs}' order, or undefined. */
export function findDataFile(
  name: DataFileName,
  datadir?: string,
  environment: SearchEnvironment = {},
): string | undefined {
  for (const dir of dataDirs(datadir, environment)) {
    const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
    if (isReadableFile(path)) return path;
  }
  return undefined;
}

/** Data files read from disk in this process: nmap's o.loaded_data_files. */
const loaded = new Map<string, string>();

/** Records that `name` was read from `path` (a later read of the same name replaces it). */
export function noteDataFileRead(name: string, path: string): void {
  loaded.set(name, path);
}

/** The files read so far, name → path. */
export function dataFilesRead(): Record<string, string> {
  return Object.fromEntries(loaded);
}

/** Forgets what was read (tests). */
export function resetDataFilesRead(): void {
  loaded.clear();
}
