/**
 * A parsed probe file kept between runs: nmap's nmap-service-probes (2.5 MB, 11,917 match lines)
 * takes ~0.5 s to decode and parse on every `-sV`, its parsed form as JSON a tenth of that. The
 * cache is `$HOME/.cache/porthole/service-probes-<hash of path>.json`, valid while the file's
 * path, size and modification time and {@link CACHE_FORMAT} are the same; it is written after a
 * parse (to a temporary name, then renamed), and any failure to read or write it just means
 * parsing. Nothing else is written: no HOME, no cache.
 */

import { MatchRule, type Probe, type ProbeDb, type Templates } from "./probe_db.ts";
import { compileFallbacks } from "./probe_db.ts";

/** Bump when the parsed form (Probe, MatchRule) changes shape or meaning. */
export const CACHE_FORMAT = 1;

interface FileId {
  format: number;
  path: string;
  size: number;
  mtimeMs: number;
}

type RuleJson = [
  soft: 0 | 1,
  service: string,
  pattern: string,
  options: string,
  t: Templates,
  line: number,
];

interface ProbeJson {
  protocol: "tcp" | "udp";
  name: string;
  /** The payload, one character per byte. */
  payload: string;
  noPayload: boolean;
  ports: number[];
  sslPorts: number[];
  rarity: number;
  totalWaitMs: number;
  tcpWrappedMs: number;
  fallbackNames: string[];
  matches: RuleJson[];
  line: number;
}

interface DbJson {
  id: FileId;
  source: string;
  excludeTcp: number[];
  excludeUdp: number[];
  nullProbe?: ProbeJson;
  probes: ProbeJson[];
}

/** FNV-1a of a string, as hex: a file name for a path. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** Where the parsed form of `path` is kept, or undefined without HOME. */
export function cachePath(path: string): string | undefined {
  let home: string | undefined;
  try {
    home = Deno.env.get("HOME");
  } catch {
    return undefined; // no permission to read HOME: no cache
  }
  return home ? `${home}/.cache/porthole/service-probes-${fnv(path)}.json` : undefined;
}

async function fileId(path: string): Promise<FileId | undefined> {
  try {
    const st = await Deno.stat(path);
    if (!st.mtime) return undefined;
    return { format: CACHE_FORMAT, path, size: st.size, mtimeMs: st.mtime.getTime() };
  } catch {
    return undefined;
  }
}

const sameId = (a: FileId, b: FileId) =>
  a.format === b.format && a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;

function probeToJson(p: Probe): ProbeJson {
  return {
    protocol: p.protocol,
    name: p.name,
    payload: String.fromCharCode(...p.payload),
    noPayload: p.noPayload,
    ports: [...p.ports],
    sslPorts: [...p.sslPorts],
    rarity: p.rarity,
    totalWaitMs: p.totalWaitMs,
    tcpWrappedMs: p.tcpWrappedMs,
    fallbackNames: p.fallbackNames,
    matches: p.matches.map((m) => [
      m.soft ? 1 : 0,
      m.service,
      m.pattern,
      m.options,
      m.templates,
      m.line,
    ]),
    line: p.line,
  };
}

function probeFromJson(j: ProbeJson): Probe {
  const matches = j.matches.map(([soft, service, pattern, options, t, line]) =>
    new MatchRule(soft === 1, service, pattern, options, t, line)
  );
  return {
    protocol: j.protocol,
    name: j.name,
    payload: Uint8Array.from(j.payload, (c) => c.charCodeAt(0)),
    noPayload: j.noPayload,
    ports: new Set(j.ports),
    sslPorts: new Set(j.sslPorts),
    rarity: j.rarity,
    totalWaitMs: j.totalWaitMs,
    tcpWrappedMs: j.tcpWrappedMs,
    fallbackNames: j.fallbackNames,
    fallbacks: [],
    matches,
    services: new Set(matches.map((m) => m.service)),
    line: j.line,
  };
}

/** The parsed form as the cache keeps it. */
export function dbToJson(db: ProbeDb, id: FileId): string {
  const j: DbJson = {
    id,
    source: db.source,
    excludeTcp: [...db.excludeTcp],
    excludeUdp: [...db.excludeUdp],
    ...(db.nullProbe ? { nullProbe: probeToJson(db.nullProbe) } : {}),
    probes: db.probes.map(probeToJson),
  };
  return JSON.stringify(j);
}

/** A database back from {@link dbToJson}'s text, or undefined when it is not for `id`. */
export function dbFromJson(text: string, id?: FileId): ProbeDb | undefined {
  const j = JSON.parse(text) as DbJson;
  if (id && !sameId(j.id, id)) return undefined;
  const db: ProbeDb = {
    source: j.source,
    excludeTcp: new Set(j.excludeTcp),
    excludeUdp: new Set(j.excludeUdp),
    ...(j.nullProbe ? { nullProbe: probeFromJson(j.nullProbe) } : {}),
    probes: j.probes.map(probeFromJson),
  };
  compileFallbacks(db);
  return db;
}

/**
 * The database of the probe file at `path`: from the cache when it holds this very file, else
 * `parse()`'s, which is then cached.
 */
export async function cachedProbeDb(
  path: string,
  parse: () => Promise<ProbeDb>,
): Promise<ProbeDb> {
  const where = cachePath(path);
  const id = where ? await fileId(path) : undefined;
  if (!where || !id) return await parse();
  try {
    const db = dbFromJson(await Deno.readTextFile(where), id);
    if (db) return db;
  } catch { /* missing or unreadable: parse */ }
  const db = await parse();
  try {
    const dir = where.slice(0, where.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${where}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, dbToJson(db, id));
    await Deno.rename(tmp, where);
  } catch { /* read-only home and the like: parse next time too */ }
  return db;
}
