/**
 * Where probe databases come from: Porthole's own (cli/data/porthole-service-
 * probes, built into the program), merged after nmap's nmap-service-probes when
 * the data directories hold one (see ../data_files.ts), or exactly the file
 * --versiondb names. Files are parsed once per path and cached, in the process
 * and between runs (db_cache.ts); parsing nmap's (11,917 match lines) is the
 * price of -sV only, as nothing else loads this.
 */

import PORTHOLE_PROBES from "../data/porthole-service-probes" with { type: "text" };
import {
  compileAll,
  compileFallbacks,
  parseProbeDb,
  type Probe,
  type ProbeDb,
  ProbeDbError,
} from "./probe_db.ts";
import { UsageError } from "../errors.ts";
import { findDataFile, noteDataFileRead } from "../data_files.ts";
import { cachedProbeDb } from "./db_cache.ts";

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
  // windows-1252 is a single-byte encoding, one char per byte, and equals Latin-1 except for
  // bytes 0x80-0x9F, which are put back by hand (nmap's file has few high bytes). Ten times
  // faster than String.fromCharCode over chunks on nmap's 2.5 MB file.
  const s = new TextDecoder("windows-1252").decode(bytes);
  // Those bytes decode to characters above U+00FF (0x81, 0x8D, 0x8F, 0x90, 0x9D to themselves).
  return s.replace(/[\u0100-\uffff]/g, (_, at: number) => String.fromCharCode(bytes[at]!));
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
  const db = await cachedProbeDb(path, () => parseProbeFile(path));
  cache.set(path, db);
  return db;
}

/** Reads and parses a probe file (no cache). */
async function parseProbeFile(path: string): Promise<ProbeDb> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ServiceDbError(
      `Failed to open nmap-service-probes file ${path} for reading: ${strerror(e)}`,
    );
  }
  try {
    return parseProbeDb(latin1Decode(bytes), path);
  } catch (e) {
    if (e instanceof ProbeDbError) throw new ServiceDbError(`Parse error: ${e.message}`);
    throw e;
  }
}

/**
 * The database of a -sV run: --versiondb's file alone when given; else nmap's
 * nmap-service-probes from the data directories with Porthole's own merged in
 * ({@link mergeProbeDbs}); else Porthole's own. Notes the file read, for -v.
 */
export async function probeDbFor(
  opts: { versionDb?: string; datadir?: string },
): Promise<ProbeDb> {
  const path = opts.versionDb ?? findDataFile("nmap-service-probes", opts.datadir);
  if (path === undefined) return builtinProbeDb();
  const file = await loadProbeDb(path);
  noteDataFileRead("nmap-service-probes", path);
  if (opts.versionDb !== undefined) return file;
  const key = `merged:${path}`;
  let db = cache.get(key);
  if (!db) {
    db = mergeProbeDbs(file, builtinProbeDb());
    cache.set(key, db);
  }
  return db;
}

/**
 * One database from two, `first` (nmap's) ruling: every probe of `first`, then
 * the probes of `second` that `first` lacks, marked `secondary` so that a port
 * gets them only after every probe of `first` (plan.ts). A probe both have
 * (same protocol and name: NULL, GetRequest, …) is sent once, as `first`
 * defines it. A reply is matched against `first`'s lines of the whole fallback
 * chain (the probe, its fallbacks, NULL) before any of `second`'s, so
 * `first`'s names win wherever `first` names a reply, and `second`'s still name
 * what only it knows. Ports, sslports, the services a probe can name and the
 * Exclude lists are joined. Neither input is changed. Every probe and line of
 * `second` is marked `secondary`, so that its hard match after a softmatch of
 * `first` keeps `first`'s words (match.ts, keepFirstWords).
 */
export function mergeProbeDbs(first: ProbeDb, second: ProbeDb): ProbeDb {
  const copy = (p: Probe): Probe => ({
    ...p,
    ports: new Set(p.ports),
    sslPorts: new Set(p.sslPorts),
    fallbacks: [],
    matches: [...p.matches],
    services: new Set(p.services),
  });
  /** `second`'s version of a probe of the merged DB, whose lines are tried after `first`'s. */
  const seconds = new Map<Probe, Probe>();
  const join = (into: Probe, from: Probe) => {
    seconds.set(into, { ...from, secondary: true });
    for (const s of from.services) into.services.add(s);
    for (const n of from.ports) into.ports.add(n);
    for (const n of from.sslPorts) into.sslPorts.add(n);
  };
  const db: ProbeDb = {
    source: `${first.source} + ${second.source}`,
    excludeTcp: new Set([...first.excludeTcp, ...second.excludeTcp]),
    excludeUdp: new Set([...first.excludeUdp, ...second.excludeUdp]),
    nullProbe: first.nullProbe && copy(first.nullProbe),
    probes: first.probes.map(copy),
  };
  if (second.nullProbe) {
    if (db.nullProbe) join(db.nullProbe, second.nullProbe);
    else db.nullProbe = { ...copy(second.nullProbe), secondary: true };
  }
  const byKey = new Map(db.probes.map((p) => [`${p.protocol} ${p.name}`, p]));
  for (const p of second.probes) {
    const same = byKey.get(`${p.protocol} ${p.name}`);
    if (same) join(same, p);
    else db.probes.push({ ...copy(p), secondary: true });
  }
  compileFallbacks(db);
  // Each chain, then `second`'s lines of the same probes in the same order.
  for (const p of [...(db.nullProbe ? [db.nullProbe] : []), ...db.probes]) {
    const later = p.fallbacks.map((f) => seconds.get(f)).filter((f) => f !== undefined);
    p.fallbacks.push(...later);
  }
  return db;
}

/** Compiles every match line of a DB; returns "line N: reason" for those that fail. */
export function checkProbeDb(db: ProbeDb): string[] {
  return compileAll(db).map((r) => `line ${r.line}: ${r.error}`);
}
