/**
 * The services table: port → service name, and the open-frequency ratios that
 * choose nmap's "top N" ports. Built in from `cli/data/services.ts` (generated
 * from nmap-services by tools/gen_services.ts), or read at run time from a file
 * in nmap-services format (--servicedb).
 */

import type { Protocol } from "./model.ts";
import { fatal } from "./errors.ts";
import { SERVICES_SOURCE, SERVICES_TCP, SERVICES_UDP } from "./data/services.ts";

/** One row of an nmap-services file. */
export interface ServiceEntry {
  name: string;
  port: number;
  protocol: Protocol;
  /** Open frequency in [0, 1]; 0 when the file gives none. */
  ratio: number;
}

/** A loaded services table. Immutable once built. */
export class ServicesDb {
  /** Where the rows came from (a path, or the built-in table's provenance). */
  readonly source: string;
  /** False for /etc/services-style files without ratios: --top-ports is then refused. */
  readonly hasRatios: boolean;
  readonly #byPort: Record<Protocol, Map<number, ServiceEntry>> = {
    tcp: new Map(),
    udp: new Map(),
  };
  readonly #rows: Record<Protocol, ServiceEntry[]> = { tcp: [], udp: [] };
  #sorted?: Record<Protocol, ServiceEntry[]>;

  /** `entries` in file order; later duplicates of a port/protocol are dropped, as nmap does. */
  constructor(entries: Iterable<ServiceEntry>, source: string, hasRatios: boolean) {
    this.source = source;
    this.hasRatios = hasRatios;
    for (const e of entries) {
      const m = this.#byPort[e.protocol];
      if (m.has(e.port)) continue;
      m.set(e.port, e);
      this.#rows[e.protocol].push(e);
    }
  }

  /** The service name for a port, or undefined when the table has none. */
  name(protocol: Protocol, port: number): string | undefined {
    return this.#byPort[protocol].get(port)?.name;
  }

  /** True when the table lists this port for this protocol. */
  has(protocol: Protocol, port: number): boolean {
    return this.#byPort[protocol].has(port);
  }

  /** Number of rows for a protocol. */
  count(protocol: Protocol): number {
    return this.#rows[protocol].length;
  }

  /** Rows in file order. */
  rows(protocol: Protocol): readonly ServiceEntry[] {
    return this.#rows[protocol];
  }

  /**
   * Rows by descending ratio. Ties keep file order: nmap sorts a std::list,
   * whose sort is stable, and Array.prototype.sort is stable too.
   */
  byRatio(protocol: Protocol): readonly ServiceEntry[] {
    if (!this.#sorted) {
      this.#sorted = {
        tcp: [...this.#rows.tcp].sort((a, b) => b.ratio - a.ratio),
        udp: [...this.#rows.udp].sort((a, b) => b.ratio - a.ratio),
      };
    }
    return this.#sorted[protocol];
  }

  /** Ports whose service name matches an nmap wildcard mask (`*`, `?`, case-insensitive). */
  matchMask(mask: string, protocol: Protocol): number[] {
    const re = wildcardRegExp(mask);
    const out: number[] = [];
    for (const e of this.#rows[protocol]) if (re.test(e.name)) out.push(e.port);
    return out;
  }
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

function decode(data: string, protocol: Protocol): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  let port = 0;
  for (const item of data.split(" ")) {
    const [d, name, r] = item.split(",");
    port += d ? Number(d) : 1;
    out.push({ name: name!, port, protocol, ratio: r ? Number(r) / 1e6 : 0 });
  }
  return out;
}

let builtin: ServicesDb | undefined;

/** The built-in table (nmap 7.93's nmap-services), decoded on first use. */
export function defaultServicesDb(): ServicesDb {
  builtin ??= new ServicesDb(
    [...decode(SERVICES_TCP, "tcp"), ...decode(SERVICES_UDP, "udp")],
    SERVICES_SOURCE,
    true,
  );
  return builtin;
}

/**
 * Parses text in nmap-services format (or /etc/services format, without
 * ratios), with nmap's checks on ratio fields. Rows for protocols other than
 * tcp and udp are skipped. Throws UsageError on a malformed ratio.
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
  }
  return new ServicesDb(entries, filename, ratioFormat);
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
