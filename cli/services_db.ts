/**
 * The services table: port → service name, and the open-frequency ratios that
 * choose nmap's "top N" ports. Built in from `cli/data/services.json` (generated
 * from nmap-services by tools/gen_services.ts), or read at run time from a file
 * in nmap-services format (--servicedb).
 */

import type { Protocol } from "./model/mod.ts";
import { fatal } from "./errors.ts";
import data from "./data/services.json" with { type: "json" };
import { SERVICES_SOURCE } from "./data/services_source.ts";
import { findDataFile, noteDataFileRead } from "./data_files.ts";
import { ipProtocolName } from "./ip_protocols.ts";

/** One row of an nmap-services file. */
export interface ServiceEntry {
  name: string;
  port: number;
  protocol: Protocol;
  /** Open frequency in [0, 1]; 0 when the file gives none. */
  ratio: number;
}

/**
 * One protocol's rows as columns, in file order (duplicates dropped). A name
 * may be "" for "unknown" (the built-in table's encoding).
 */
interface Table {
  /** Ascending for the built-in table; file order for files. */
  ports: number[];
  names: string[];
  /** port → row index + 1; 0 = not in the table. */
  index: Int32Array;
}

/** Where a table's rows come from; each part is decoded on first use, per protocol. */
interface Source {
  table(protocol: Protocol): Table;
  /** Open frequencies, one per row of table(protocol). */
  ratios(protocol: Protocol): number[];
  /** Every port by descending ratio, ties in file order (nmap's stable sort). */
  byFrequency(protocol: Protocol): number[];
}

/**
 * A loaded services table. Immutable once built. Each protocol's rows are
 * decoded on first use, and only the parts asked for: the built-in table has
 * ~27k rows, and a default scan needs just its (precomputed) top-1000 list
 * before the first probe, then a few names for the report.
 */
export class ServicesDb {
  /** Where the rows came from (a path, or the built-in table's provenance). */
  readonly source: string;
  /** False for /etc/services-style files without ratios: --top-ports is then refused. */
  readonly hasRatios: boolean;
  readonly #src: Source;
  readonly #tables: Partial<Record<Protocol, Table>> = {};
  readonly #order: Partial<Record<Protocol, number[]>> = {};
  readonly #rows: Partial<Record<Protocol, ServiceEntry[]>> = {};
  readonly #sorted: Partial<Record<Protocol, ServiceEntry[]>> = {};

  /** `entries` in file order; later duplicates of a port/protocol are dropped, as nmap does. */
  constructor(entries: Iterable<ServiceEntry>, source: string, hasRatios: boolean);
  /** A table decoded lazily from `source` (the built-in one). */
  constructor(entries: Source, source: string, hasRatios: boolean);
  constructor(entries: Iterable<ServiceEntry> | Source, source: string, hasRatios: boolean) {
    this.source = source;
    this.hasRatios = hasRatios;
    this.#src = isSource(entries) ? entries : entriesSource(entries);
  }

  #table(protocol: Protocol): Table {
    return this.#tables[protocol] ??= protocol === "ip"
      ? ipProtocolTable()
      : this.#src.table(protocol);
  }

  /** The service name for a port, or undefined when the table has none. */
  name(protocol: Protocol, port: number): string | undefined {
    const t = this.#table(protocol);
    const i = t.index[port] ?? 0;
    return i === 0 ? undefined : t.names[i - 1] || "unknown";
  }

  /** True when the table lists this port for this protocol. */
  has(protocol: Protocol, port: number): boolean {
    return (this.#table(protocol).index[port] ?? 0) !== 0;
  }

  /** Number of rows for a protocol. */
  count(protocol: Protocol): number {
    return this.#table(protocol).ports.length;
  }

  /** Rows in file order. */
  rows(protocol: Protocol): readonly ServiceEntry[] {
    if (!this.#rows[protocol]) {
      const t = this.#table(protocol);
      const ratios = protocol === "ip" ? t.ports.map(() => 0) : this.#src.ratios(protocol);
      this.#rows[protocol] = t.ports.map((port, i) => ({
        name: t.names[i] || "unknown",
        port,
        protocol,
        ratio: ratios[i]!,
      }));
    }
    return this.#rows[protocol];
  }

  /**
   * Rows by descending ratio. Ties keep file order: nmap sorts a std::list,
   * whose sort is stable, and Array.prototype.sort is stable too.
   */
  byRatio(protocol: Protocol): readonly ServiceEntry[] {
    return this.#sorted[protocol] ??= [...this.rows(protocol)].sort((a, b) => b.ratio - a.ratio);
  }

  /**
   * Every listed port in byRatio() order: --top-ports N takes the first N.
   * Cheap for the built-in table (precomputed).
   */
  portsByFrequency(protocol: Protocol): readonly number[] {
    if (protocol === "ip") return this.#order.ip ??= this.#table("ip").ports;
    return this.#order[protocol] ??= this.#src.byFrequency(protocol);
  }

  /** Ports whose service name matches an nmap wildcard mask (`*`, `?`, case-insensitive). */
  matchMask(mask: string, protocol: Protocol): number[] {
    const re = wildcardRegExp(mask);
    const t = this.#table(protocol);
    const out: number[] = [];
    for (let i = 0; i < t.ports.length; i++) {
      if (re.test(t.names[i] || "unknown")) out.push(t.ports[i]!);
    }
    return out;
  }
}

/** IP protocols (-sO's "ports") are nmap-protocols' (ip_protocols.ts), whatever the services file. */
function ipProtocolTable(): Table {
  const ports: number[] = [], names: string[] = [];
  const index = new Int32Array(65536);
  for (let n = 0; n < 256; n++) {
    const name = ipProtocolName(n);
    if (name === undefined) continue;
    ports.push(n);
    names.push(name);
    index[n] = ports.length;
  }
  return { ports, names, index };
}

/** nmap's wildtest() as a RegExp: `*` any run, `?` exactly one character, no case. */
export function wildcardRegExp(mask: string): RegExp {
  let src = "";
  for (const ch of mask) {
    if (ch === "*") src += ".*";
    else if (ch === "?") src += ".";
    else src += ch.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  return new RegExp(`^${src}$`, "is");
}

function isSource(x: Iterable<ServiceEntry> | Source): x is Source {
  return typeof (x as Source).table === "function";
}

/** A Source over parsed rows (--servicedb files, tests). */
function entriesSource(entries: Iterable<ServiceEntry>): Source {
  const empty = () => ({ ports: [], names: [], index: new Int32Array(65536), ratios: [] });
  const tables: Record<Protocol, Table & { ratios: number[] }> = {
    tcp: empty(),
    udp: empty(),
    sctp: empty(),
    ip: empty(),
  };
  for (const e of entries) {
    const t = tables[e.protocol];
    if (t.index[e.port] !== 0) continue;
    t.ports.push(e.port);
    t.names.push(e.name);
    t.ratios.push(e.ratio);
    t.index[e.port] = t.ports.length;
  }
  return {
    table: (p) => tables[p],
    ratios: (p) => tables[p].ratios,
    byFrequency: (p) => {
      const t = tables[p];
      const rows = t.ports.map((_, i) => i);
      rows.sort((a, b) => t.ratios[b]! - t.ratios[a]!); // stable: ties keep file order
      return rows.map((i) => t.ports[i]!);
    },
  };
}

/**
 * A column of comma-separated decimals (see tools/gen_services.ts). JSON.parse
 * is native: Number() per item costs ~1 µs each in code not yet optimised.
 */
function numbers(column: string): number[] {
  return JSON.parse(`[${column}]`);
}

/** The built-in columns, decoded per protocol and per column on first use. */
const builtinSource: Source = {
  table(protocol) {
    if (protocol === "ip") return ipProtocolTable();
    const ports = numbers(data[`${protocol}Ports`]); // deltas
    const index = new Int32Array(65536);
    let port = 0;
    for (let i = 0; i < ports.length; i++) {
      ports[i] = port += ports[i]!;
      index[port] = i + 1;
    }
    return { ports, names: data[`${protocol}Names`].split(" "), index };
  },
  ratios(protocol) {
    if (protocol === "ip") return [];
    const micro = numbers(data[`${protocol}Ratios`]);
    return micro.map((m) => m / 1e6); // the same double as strtod("0.dddddd")
  },
  byFrequency(protocol) {
    if (protocol === "ip") return [];
    return numbers(data[`${protocol}Top`]);
  },
};

let builtin: ServicesDb | undefined;

/** The built-in table (nmap 7.93's nmap-services); decoded on first use. */
export function defaultServicesDb(): ServicesDb {
  builtin ??= new ServicesDb(builtinSource, SERVICES_SOURCE, true);
  return builtin;
}

/**
 * Parses text in nmap-services format (or /etc/services format, without
 * ratios), with nmap's checks on ratio fields. Rows for protocols other than
 * tcp, udp and sctp are skipped. Throws UsageError on a malformed ratio.
 */
export function parseServicesFile(text: string, filename: string): ServicesDb {
  const entries: ServiceEntry[] = [];
  let ratioFormat = false;
  let lineno = 0;
  for (const line of text.split("\n")) {
    lineno++;
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    // sscanf("%127s %hu/%15s %31s"): name, port/proto, optional ratio.
    const f = t.split(/\s+/);
    const m = /^(\d+)\/(\S+)$/.exec(f[1] ?? "");
    if (!m) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    const proto = m[2]!.toLowerCase();
    let ratio = 0;
    const r = f[2];
    if (r !== undefined) {
      if (r.includes("/")) {
        const q = /^(-?\d+)\/(-?\d+)/.exec(r);
        if (!q) fatal(`${filename}:${lineno} contains invalid port ratio string: ${r}`);
        const n = Number(q[1]), d = Number(q[2]);
        if (n < 0 || d < 0) fatal(`${filename}:${lineno} contains an invalid negative value`);
        if (d === 0) {
          fatal(`${filename}:${lineno} has a ratio denominator of 0 causing a division by 0 error`);
        }
        if (n > d) fatal(`${filename}:${lineno} has a ratio ${n / d}. All ratios must be < 1`);
        ratio = n / d;
        ratioFormat = true;
      } else if (r.startsWith("0.")) {
        ratio = parseFloat(r);
        ratioFormat = true;
      }
    }
    if (proto.startsWith("tcp")) entries.push({ name: f[0]!, port, protocol: "tcp", ratio });
    else if (proto.startsWith("udp")) entries.push({ name: f[0]!, port, protocol: "udp", ratio });
    else if (proto.startsWith("sctp")) entries.push({ name: f[0]!, port, protocol: "sctp", ratio });
  }
  return new ServicesDb(entries, filename, ratioFormat);
}

/**
 * The services table of a run: --servicedb's file; else nmap-services found in the data
 * directories (data_files.ts), which replaces the built-in copy; else the built-in table. A
 * found file with the built-in table's source's length and FNV-1a hash is not parsed again: the
 * built-in copy is the same data, decoded in a few milliseconds where parsing takes ~130 ms.
 * Every file read is noted for -v.
 */
export function servicesDbFor(servicedb?: string, datadir?: string): ServicesDb {
  const path = servicedb ?? findDataFile("nmap-services", datadir);
  if (path === undefined) return defaultServicesDb();
  let db = fileCache.get(path);
  if (!db) {
    if (servicedb === undefined && sameAsBuiltin(path)) db = defaultServicesDb();
    else db = loadServicesFileSync(path);
    fileCache.set(path, db);
  }
  noteDataFileRead("nmap-services", path);
  return db;
}

const fileCache = new Map<string, ServicesDb>();

/**
 * Whether the file at `path` is the one the built-in table was made from. Read in chunks through
 * one small buffer: read whole into fresh memory, nmap's 1 MB file cost a default scan ~5 ms
 * before its first probe on a busy host (page faults), more than hashing it.
 */
function sameAsBuiltin(path: string): boolean {
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(path);
    if (file.statSync().size !== data.size) return false;
    const chunk = new Uint8Array(1 << 16);
    let h = FNV_OFFSET, size = 0;
    for (let n; (n = file.readSync(chunk)) !== null;) {
      h = fnv1a32Update(h, chunk, n);
      size += n;
    }
    return size === data.size && h >>> 0 === data.fnv1a32;
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a's state `h` after the first `n` bytes of `bytes`. */
function fnv1a32Update(h: number, bytes: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

/** 32-bit FNV-1a of `bytes`: a fast "same file?" check (not a defence against forgery). */
export function fnv1a32(bytes: Uint8Array): number {
  return fnv1a32Update(FNV_OFFSET, bytes, bytes.length) >>> 0;
}

/** Reads a services file (--servicedb) synchronously; a missing file is a UsageError. */
export function loadServicesFileSync(path: string): ServicesDb {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    fatal(`Unable to open ${path} for reading service information: ${errText(e)}`);
  }
  return parseServicesFile(text, path);
}

function errText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return e instanceof Error ? e.message : String(e);
}
