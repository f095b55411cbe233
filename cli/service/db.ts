/**
 * Where probe databases come from: Porthole's own (cli/data/porthole-service-
 * probes, built into the program) or a file in nmap's format (--versiondb,
 * e.g. /usr/share/nmap/nmap-service-probes). Parsed once per path and cached.
 */

import PORTHOLE_PROBES from "../data/porthole-service-probes" with { type: "text" };
import { compileAll, parseProbeDb, type ProbeDb, ProbeDbError } from "./probe_db.ts";
import { UsageError } from "../errors.ts";

/** Name of the built-in database in messages. */
export const BUILTIN_DB_NAME = "porthole-service-probes";

const cache = new Map<string, ProbeDb>();

/**
 * A probe file that cannot be read or parsed. A fatal usage error, worded as
 * nmap's ("Failed to open nmap-service-probes file X for reading: ..."), so
 * the CLI prints it with QUITTING! and exits 1.
 */
export class ServiceDbError extends UsageError {
  constructor(message: string) {
    super(message, "fatal");
    this.name = "ServiceDbError";
  }
}

/** strerror()-style text for a file error. */
function strerror(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (e as Error).message;
}

/** Bytes as a Latin-1 string: probe files are bytes, and regexes match bytes. */
export function latin1Decode(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** The built-in database. */
export function builtinProbeDb(): ProbeDb {
  let db = cache.get("");
  if (!db) {
    db = parseProbeDb(PORTHOLE_PROBES, BUILTIN_DB_NAME);
    cache.set("", db);
  }
  return db;
}

/**
 * Loads a database: the built-in one when `path` is undefined, else the file.
 * Throws ServiceDbError with nmap-like wording when the file is missing or bad.
 */
export async function loadProbeDb(path?: string): Promise<ProbeDb> {
  if (path === undefined) return builtinProbeDb();
  const hit = cache.get(path);
  if (hit) return hit;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ServiceDbError(
      `Failed to open nmap-service-probes file ${path} for reading: ${strerror(e)}`,
    );
  }
  let db: ProbeDb;
  try {
    db = parseProbeDb(latin1Decode(bytes), path);
  } catch (e) {
    if (e instanceof ProbeDbError) throw new ServiceDbError(`Parse error: ${e.message}`);
    throw e;
  }
  cache.set(path, db);
  return db;
}

/** Compiles every match line of a DB; returns "line N: reason" for those that fail. */
export function checkProbeDb(db: ProbeDb): string[] {
  return compileAll(db).map((r) => `line ${r.line}: ${r.error}`);
}
