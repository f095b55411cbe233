/**
 * Target specifications, as nmap's TargetGroup understands them: IPv4 and
 * IPv6 literals, CIDR blocks (v4 and v6), nmap's octet ranges
 * (`10.0.0-5.1,3`, `192.168.*.1`, `10.0.0.-`), host names (every address
 * kept; the first of the scan's family is scanned, the others reported), a
 * netmask on a name (`scanme.nmap.org/24`), `-iL` files or stdin, and
 * exclusions (--exclude, --excludefile).
 *
 * Everything streams: a /8 or a ::/64 is walked address by address and never
 * expanded in memory, and exclusions are checked per address.
 */

import type { Options } from "./options/types.ts";
import { fatal } from "./errors.ts";
import { type Resolver, SystemResolver } from "./dns.ts";
import { formatIpv6, parseIpv6, splitZone } from "../core-wasm/addr.ts";

/** One address to scan. */
export interface Target {
  /** Dotted quad, or IPv6 text as inet_ntop() writes it. */
  address: string;
  family: 4 | 6;
  /** The name the user gave, when this is the address it resolved to. */
  userHostname?: string;
  /** The name's other addresses, not scanned (nmap: "Other addresses for X"). */
  otherAddresses: string[];
}

/** An IPv4 range: the set of allowed values for each of the four octets. */
export interface Ipv4Ranges {
  kind: "ipv4";
  /** Four 256-entry membership tables. */
  octets: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
}

/** An IPv6 block, inclusive bounds. */
export interface Ipv6Block {
  kind: "ipv6";
  start: bigint;
  end: bigint;
  /** Zone (scope) of a link-local literal: "fe80::1%eth0". */
  zone?: string;
}

/** A name to resolve, with an optional netmask (`-1` = none). */
export interface NameSpec {
  kind: "name";
  name: string;
  bits: number;
}

/** A parsed target expression. */
export type TargetExpr = Ipv4Ranges | Ipv6Block | NameSpec;

// ---------------------------------------------------------------- IPv6 text

/**
 * IPv6 text (with an optional embedded IPv4 tail and %zone) as a 128-bit value: the core's parser
 * (core-wasm/addr.ts, inet_pton's answers), for the walks and exclusions' arithmetic.
 */
export function parseIpv6Value(text: string): { value: bigint; zone?: string } | undefined {
  const { address, zone } = splitZone(text);
  if (zone !== undefined && !/^[A-Za-z0-9_.-]+$/.test(zone)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = parseIpv6(address);
  } catch {
    return undefined;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const v = (dv.getBigUint64(0) << 64n) | dv.getBigUint64(8);
  return zone === undefined ? { value: v } : { value: v, zone };
}

/** A 128-bit value as the core formats IPv6 (glibc's inet_ntop, as nmap prints it). */
export function formatIpv6Value(v: bigint): string {
  V6_VIEW.setBigUint64(0, v >> 64n);
  V6_VIEW.setBigUint64(8, BigInt.asUintN(64, v));
  return formatIpv6(V6_BYTES);
}

/** Scratch for {@link formatIpv6Value} (a /64 walk formats every address). */
const V6_BYTES = new Uint8Array(16);
const V6_VIEW = new DataView(V6_BYTES.buffer);

/** Parses a plain IPv4 dotted quad to a 32-bit number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  // By character codes: a long --excludefile is mostly these.
  let v = 0, octet = 0, digits = 0, dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      octet = octet * 10 + c - 48;
    } else if (c === 46 && digits > 0 && octet <= 255 && dots < 3) {
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 && octet <= 255 ? v * 256 + octet : undefined;
}

/** 32-bit number → dotted quad. */
export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

// ---------------------------------------------------------------- parsing

/** nmap's parse_ipv4_ranges(): each octet `*`, or a list of `#`, `#-#`, `-#`, `#-`, `-`. */
function parseIpv4Ranges(spec: string): Ipv4Ranges | undefined {
  const octets = [
    new Uint8Array(256),
    new Uint8Array(256),
    new Uint8Array(256),
    new Uint8Array(
      256,
    ),
  ] as Ipv4Ranges["octets"];
  let i = 0;
  const num = (): number | undefined => {
    let j = i;
    while (j < spec.length && spec[j]! >= "0" && spec[j]! <= "9") j++;
    if (j === i) return undefined;
    const n = Number(spec.slice(i, j));
    i = j;
    return n;
  };
  for (let oi = 0; oi < 4; oi++) {
    if (i >= spec.length) return undefined;
    const set = octets[oi]!;
    if (spec[i] === "*") {
      set.fill(1);
      i++;
    } else {
      for (;;) {
        let start = num();
        if (start === undefined) {
          if (spec[i] === "-") start = 0;
          else return undefined;
        }
        if (start > 255) return undefined;
        let end = start;
        if (spec[i] === "-") {
          i++;
          const e = num();
          end = e === undefined ? 255 : e;
          if (end > 255 || end < start) return undefined;
        }
        for (let v = start; v <= end; v++) set[v] = 1;
        if (spec[i] !== ",") break;
        i++;
      }
    }
    if (oi < 3) {
      if (spec[i] !== ".") return undefined;
      i++;
    }
  }
  return i === spec.length ? { kind: "ipv4", octets } : undefined;
}

/** nmap's apply_ipv4_netmask_octet(): widen an octet's set to whole blocks under the mask. */
function widenOctet(set: Uint8Array, mask: number): void {
  for (let chunk = 1; chunk < 256; chunk <<= 1) {
    if (mask & chunk) continue;
    for (let i = 0; i < 256; i += chunk * 2) {
      for (let j = 0; j < chunk; j++) {
        if (set[i + j]) set[i + j + chunk] = 1;
        else if (set[i + j + chunk]) set[i + j] = 1;
      }
    }
  }
}

function applyIpv4Mask(r: Ipv4Ranges, bits: number): void {
  if (bits < 0) return;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  for (let k = 0; k < 4; k++) widenOctet(r.octets[k]!, (mask >>> (24 - 8 * k)) & 255);
}

function applyIpv6Mask(b: Ipv6Block, bits: number): void {
  if (bits < 0) return;
  const host = bits >= 128 ? 0n : (1n << BigInt(128 - bits)) - 1n;
  b.start = b.start & ~host;
  b.end = b.start | host;
}

/**
 * Host names: letters, digits, `-`, `_`, dots between labels of 1..63; at
 * most 253 characters; the last label not all digits (RFC 3696 §2), so a
 * mistyped address such as 10.0.0.300 is refused rather than looked up.
 */
function isHostname(s: string): boolean {
  const t = s.endsWith(".") ? s.slice(0, -1) : s;
  if (t.length === 0 || t.length > 253) return false;
  const labels = t.split(".");
  return labels.every((l) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l)) &&
    /[A-Za-z_]/.test(labels[labels.length - 1]!);
}

/**
 * Parses one target expression for the given address family. Pure and
 * synchronous: names are not resolved. Throws UsageError (nmap's wording
 * where nmap has one) on anything malformed; `what` names the source in
 * messages ("target", "exclude").
 */
export function parseTargetExpression(
  expr: string,
  family: 4 | 6,
  what = "target",
): TargetExpr {
  let host = expr;
  let bits = -1;
  const slash = expr.lastIndexOf("/");
  if (slash >= 0) {
    const tail = expr.slice(slash + 1);
    if (!/^\d+$/.test(tail)) {
      fatal(`Unable to split netmask from ${what} expression: "${expr}"`);
    }
    bits = Number(tail);
    host = expr.slice(0, slash);
  }
  if (host === "") fatal(`Invalid ${what} specification: "${expr}"`);
  if (host === "-") {
    fatal(`Failed to resolve "-".\nBare '-': did you put a space between '--'?`);
  }

  const v4 = parseIpv4Ranges(host);
  if (v4) {
    if (family === 6) {
      fatal(
        `${expr} looks like an IPv4 target specification -- you cannot use it with -6.`,
      );
    }
    if (bits > 32) fatal(`Illegal netmask in "${expr}". Must be between 0 and 32.`);
    applyIpv4Mask(v4, bits);
    return v4;
  }
  const v6 = parseIpv6Value(host);
  if (v6) {
    if (family === 4) {
      fatal(`${expr} looks like an IPv6 target specification -- you have to use the -6 option.`);
    }
    if (bits > 128) fatal(`Illegal netmask in "${expr}". Must be between 0 and 128.`);
    const b: Ipv6Block = { kind: "ipv6", start: v6.value, end: v6.value };
    if (v6.zone !== undefined) b.zone = v6.zone;
    applyIpv6Mask(b, bits);
    return b;
  }
  if (!isHostname(host)) {
    if (/^[\d.,*-]+$/.test(host)) {
      fatal(
        `Invalid ${what} specification "${expr}": not an IPv4 address or range (each of the four octets is *, or numbers 0-255 with - and ,).`,
      );
    }
    fatal(`Invalid ${what} specification "${expr}": not an address, network or host name.`);
  }
  if (bits > (family === 4 ? 32 : 128)) {
    fatal(`Illegal netmask in "${expr}". Must be between 0 and ${family === 4 ? 32 : 128}.`);
  }
  return { kind: "name", name: host, bits };
}

/** Checks a target expression's syntax (for parseOptions); throws UsageError if malformed. */
export function checkTargetSyntax(expr: string, family: 4 | 6, what = "target"): void {
  parseTargetExpression(expr, family, what);
}

/** Number of addresses an address expression covers (bigint: ::/0 is 2^128). */
export function countAddresses(e: Ipv4Ranges | Ipv6Block): bigint {
  if (e.kind === "ipv6") return e.end - e.start + 1n;
  let n = 1n;
  for (const o of e.octets) n *= BigInt(o.reduce((a, b) => a + b, 0));
  return n;
}

/** Walks an IPv4 range or IPv6 block lazily, in nmap's order (ascending, last octet fastest). */
export function* walkAddresses(e: Ipv4Ranges | Ipv6Block): Generator<string> {
  if (e.kind === "ipv6") {
    const z = e.zone === undefined ? "" : `%${e.zone}`;
    for (let v = e.start; v <= e.end; v++) yield formatIpv6Value(v) + z;
    return;
  }
  const vals = e.octets.map((o) => {
    const a: number[] = [];
    for (let i = 0; i < 256; i++) if (o[i]) a.push(i);
    return a;
  });
  for (const a of vals[0]!) {
    for (const b of vals[1]!) {
      for (const c of vals[2]!) {
        for (const d of vals[3]!) yield `${a}.${b}.${c}.${d}`;
      }
    }
  }
}

/**
 * Expands target expressions lazily, without name resolution: yields each
 * address of each literal/range/CIDR expression. Names raise UsageError
 * (use {@link expandTargets} for those).
 */
export function* expandLiteralExpressions(
  exprs: Iterable<string>,
  family: 4 | 6,
): Generator<string> {
  for (const x of exprs) {
    const e = parseTargetExpression(x, family);
    if (e.kind === "name") fatal(`${x} is a name; it needs resolving`);
    yield* walkAddresses(e);
  }
}

// ---------------------------------------------------------------- host lists

/**
 * nmap's read_host_from_file(): whitespace-separated specifications, `#`
 * starts a comment to the end of the line. Streams, a batch per chunk read;
 * never holds the whole file.
 */
export async function* readHostSpecBatches(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string[]> {
  const dec = new TextDecoder();
  let tok = "";
  let comment = false;
  const tooLong = () =>
    fatal("One of the host specifications from your input file is too long (>= 1024 chars)");
  const scan = (s: string, out: string[]) => {
    for (let i = 0; i < s.length;) {
      if (comment) {
        const nl = s.indexOf("\n", i);
        if (nl < 0) return;
        comment = false;
        i = nl + 1;
        continue;
      }
      let j = i;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        // space, \t, \r, \n, NUL and # end a specification
        if (c === 32 || c === 9 || c === 13 || c === 10 || c === 0 || c === 35) break;
      }
      if (j > i) tok += s.slice(i, j);
      if (tok.length >= 1024) tooLong();
      if (j === s.length) return;
      if (tok !== "") out.push(tok);
      tok = "";
      if (s.charCodeAt(j) === 35) comment = true;
      i = j + 1;
    }
  };
  for await (const chunk of stream) {
    const out: string[] = [];
    scan(dec.decode(chunk, { stream: true }), out);
    if (out.length > 0) yield out;
  }
  const out: string[] = [];
  scan(dec.decode(), out);
  if (tok !== "") out.push(tok);
  if (out.length > 0) yield out;
}

/** {@link readHostSpecBatches}, one specification at a time. */
export async function* readHostSpecs(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  for await (const batch of readHostSpecBatches(stream)) yield* batch;
}

/**
 * `-` is stdin, as in nmap; so are the names of stdin itself, which Deno would refuse to open
 * without --allow-all (it guards /dev/stdin and /proc/self) although they are only stdin.
 */
const STDIN_PATHS = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/** True when an -iL/--excludefile argument reads standard input. */
export function readsStdin(path: string | undefined): boolean {
  return path !== undefined && STDIN_PATHS.has(path);
}

async function* specBatchesFromFile(path: string): AsyncGenerator<string[]> {
  if (STDIN_PATHS.has(path)) {
    yield* readHostSpecBatches(Deno.stdin.readable);
    return;
  }
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path);
  } catch (e) {
    fatal(`Failed to open input file ${path} for reading: ${(e as Error).message}`);
  }
  yield* readHostSpecBatches(f.readable);
}

/** An -iL/--excludefile source in batches: the file, or `deps.readSpecs` (tests). */
async function* specBatches(path: string, deps: TargetDeps): AsyncGenerator<string[]> {
  if (!deps.readSpecs) {
    yield* specBatchesFromFile(path);
    return;
  }
  for await (const spec of deps.readSpecs(path)) yield [spec];
}

/**
 * True when `path` is a regular file, which can be read twice. Stdin, a pipe, a FIFO or a
 * `<(…)` (/dev/fd/N) can be read only once, so they are streamed once and never pre-read.
 * A path that cannot be stat'ed counts as a file: opening it then reports the error.
 */
async function isRegularFile(path: string): Promise<boolean> {
  if (STDIN_PATHS.has(path)) return false;
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------- exclusions

/**
 * An octet-range expression that would expand to more than this many
 * intervals (`*.*.*.1` is 2^24 of them) is kept as its four octet sets and
 * checked on its own, instead of being turned into ranges.
 */
const MAX_INTERVALS_PER_EXPRESSION = 4096;

/** An octet set as a 256-bit bitmap (8 words): 32 bytes instead of a 256-byte table. */
function octetBits(set: Uint8Array): Uint32Array {
  const bits = new Uint32Array(8);
  for (let i = 0; i < 256; i++) if (set[i]) bits[i >>> 5]! |= 1 << (i & 31);
  return bits;
}

/** The runs [lo, hi] of consecutive members of a 256-entry octet set. */
function octetRuns(set: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < 256; i++) {
    if (!set[i]) continue;
    let j = i;
    while (j < 255 && set[j + 1]) j++;
    runs.push([i, j]);
    i = j;
  }
  return runs;
}

/**
 * Addresses not to scan, as nmap's addrset does it: every expression becomes
 * inclusive [start, end] ranges (octet ranges such as 10.0.0-5.1-254 become
 * one range per run of the last octet that is not whole), sorted and merged
 * once, then looked up by binary search. A million exclusions cost a few
 * megabytes and a lookup about twenty comparisons.
 */
export class ExcludeSet {
  // IPv4 ranges being collected, packed as start << 32 | end so a native sort orders them.
  #v4Pending = new BigUint64Array(64);
  #v4PendingLength = 0;
  #v4Start = new Uint32Array(0);
  #v4End = new Uint32Array(0);
  #v6Pending: [bigint, bigint][] = [];
  #v6Start: bigint[] = [];
  #v6End: bigint[] = [];
  /** Octet-range expressions too scattered to be ranges: four 256-bit octet bitmaps each. */
  readonly #v4Patterns: Uint32Array[][] = [];
  #dirty = false;

  /** Adds an address expression (names must be resolved first). */
  add(e: Ipv4Ranges | Ipv6Block): void {
    if (e.kind === "ipv6") {
      this.#v6Pending.push([e.start, e.end]);
      this.#dirty = true;
      return;
    }
    const o = e.octets;
    // The octets after `last` are all whole: each run of octet `last`, under each combination
    // of the octets before it, is one range.
    let last = 3;
    while (last > 0 && o[last]!.every((x) => x === 1)) last--;
    const heads: number[][] = [];
    let count = 1;
    for (let k = 0; k < last; k++) {
      const vals: number[] = [];
      for (let i = 0; i < 256; i++) if (o[k]![i]) vals.push(i);
      heads.push(vals);
      count *= vals.length;
    }
    const runs = octetRuns(o[last]!);
    count *= runs.length;
    if (count === 0) return;
    if (count > MAX_INTERVALS_PER_EXPRESSION) {
      this.#v4Patterns.push(o.map(octetBits));
      return;
    }
    const shift = 8 * (3 - last);
    const tail = shift === 0 ? 0 : 2 ** shift - 1;
    const walk = (k: number, prefix: number) => {
      if (k === last) {
        for (const [lo, hi] of runs) {
          const base = prefix * 2 ** (8 * (4 - last));
          this.addV4Range(base + lo * 2 ** shift, base + hi * 2 ** shift + tail);
        }
        return;
      }
      for (const v of heads[k]!) walk(k + 1, prefix * 256 + v);
    };
    walk(0, 0);
  }

  /** Adds the IPv4 range [start, end] (32-bit numbers, inclusive). */
  addV4Range(start: number, end: number): void {
    if (this.#v4PendingLength === this.#v4Pending.length) {
      const grown = new BigUint64Array(this.#v4Pending.length * 2);
      grown.set(this.#v4Pending);
      this.#v4Pending = grown;
    }
    this.#v4Pending[this.#v4PendingLength++] = (BigInt(start) << 32n) | BigInt(end);
    this.#dirty = true;
  }

  /** Sorts and merges what was added since the last lookup (overlapping and adjacent ranges). */
  #seal(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    if (this.#v4PendingLength > 0) {
      const all = new BigUint64Array(this.#v4Start.length + this.#v4PendingLength);
      for (let i = 0; i < this.#v4Start.length; i++) {
        all[i] = (BigInt(this.#v4Start[i]!) << 32n) | BigInt(this.#v4End[i]!);
      }
      all.set(this.#v4Pending.subarray(0, this.#v4PendingLength), this.#v4Start.length);
      all.sort();
      const starts = new Uint32Array(all.length), ends = new Uint32Array(all.length);
      let n = 0;
      for (const packed of all) {
        const s = Number(packed >> 32n), e = Number(packed & 0xffffffffn);
        if (n > 0 && s <= ends[n - 1]! + 1) {
          if (e > ends[n - 1]!) ends[n - 1] = e;
        } else {
          starts[n] = s;
          ends[n++] = e;
        }
      }
      this.#v4Start = starts.slice(0, n);
      this.#v4End = ends.slice(0, n);
      this.#v4Pending = new BigUint64Array(64);
      this.#v4PendingLength = 0;
    }
    if (this.#v6Pending.length > 0) {
      const all = this.#v6Start.map((s, i): [bigint, bigint] => [s, this.#v6End[i]!]);
      all.push(...this.#v6Pending);
      all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const starts: bigint[] = [], ends: bigint[] = [];
      for (const [s, e] of all) {
        const n = starts.length;
        if (n > 0 && s <= ends[n - 1]! + 1n) {
          if (e > ends[n - 1]!) ends[n - 1] = e;
        } else {
          starts.push(s);
          ends.push(e);
        }
      }
      this.#v6Start = starts;
      this.#v6End = ends;
      this.#v6Pending = [];
    }
  }

  /** Ranges held after merging (IPv4 and IPv6), plus scattered octet-range expressions. */
  get size(): number {
    this.#seal();
    return this.#v4Start.length + this.#v6Start.length + this.#v4Patterns.length;
  }

  /** True when the address falls in any exclusion. */
  has(address: string): boolean {
    if (address.includes(":")) {
      this.#seal();
      if (this.#v6Start.length === 0) return false;
      const v = parseIpv6Value(address);
      if (!v) return false;
      // Binary search: the last range starting at or before v.
      let lo = 0, hi = this.#v6Start.length - 1, at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (this.#v6Start[mid]! <= v.value) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return at >= 0 && v.value <= this.#v6End[at]!;
    }
    if (!this.hasAnyV4) return false;
    const p = address.split(".").map(Number);
    return this.hasV4(p[0]!, p[1]!, p[2]!, p[3]!);
  }

  /** True when the IPv4 address a.b.c.d falls in any exclusion (no string work). */
  hasV4(a: number, b: number, c: number, d: number): boolean {
    this.#seal();
    const x = a * 16777216 + b * 65536 + c * 256 + d;
    const starts = this.#v4Start;
    let lo = 0, hi = starts.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= x) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at >= 0 && x <= this.#v4End[at]!) return true;
    for (const [A, B, C, D] of this.#v4Patterns) {
      if (
        (A![a >>> 5]! >>> (a & 31)) & (B![b >>> 5]! >>> (b & 31)) &
        (C![c >>> 5]! >>> (c & 31)) & (D![d >>> 5]! >>> (d & 31)) & 1
      ) return true;
    }
    return false;
  }

  /** True when there are IPv4 exclusions at all. */
  get hasAnyV4(): boolean {
    return this.#v4PendingLength > 0 || this.#v4Start.length > 0 || this.#v4Patterns.length > 0;
  }
}

/** Where expansion gets names, files and warnings from (tests replace these). */
export interface TargetDeps {
  resolver?: Resolver;
  /** Non-fatal messages for stderr, nmap's error() lines. */
  warn?: (message: string) => void;
  /** Opens an -iL/--excludefile source as a stream of host specifications. */
  readSpecs?: (path: string) => AsyncIterable<string>;
  /** Whether an -iL source can be read twice (a regular file); default: stat it. */
  rereadable?: (path: string) => Promise<boolean>;
  /** Skip addresses up to and including this one (for --resume). */
  resumeAfter?: string;
}

/** Adds one exclusion; returns a promise only when a name has to be resolved. */
function addExclusion(
  set: ExcludeSet,
  spec: string,
  family: 4 | 6,
  resolver: Resolver,
): Promise<void> | undefined {
  // The common lines of a long exclude file, a plain address or a CIDR block, go straight in.
  const slash = spec.indexOf("/");
  const v4 = parseIpv4(slash < 0 ? spec : spec.slice(0, slash));
  if (v4 !== undefined) {
    const bits = slash < 0
      ? 32
      : /^\d{1,2}$/.test(spec.slice(slash + 1))
      ? Number(spec.slice(slash + 1))
      : -1;
    if (bits >= 0 && bits <= 32) {
      const size = 2 ** (32 - bits);
      const start = Math.floor(v4 / size) * size;
      set.addV4Range(start, start + size - 1);
      return;
    }
  }
  // Exclusions accept either family, whatever the scan's (nmap's addrset does too).
  let e: TargetExpr;
  try {
    e = parseTargetExpression(spec, family, "exclude");
  } catch (err) {
    try {
      e = parseTargetExpression(spec, family === 4 ? 6 : 4, "exclude");
    } catch {
      throw err;
    }
  }
  if (e.kind !== "name") {
    set.add(e);
    return;
  }
  const { name, bits } = e;
  return resolver.lookup(name).then((addrs) => {
    if (addrs.length === 0) fatal(`Invalid address specification: ${spec}`);
    for (const a of addrs) {
      const x = parseTargetExpression(
        bits >= 0 ? `${a}/${bits}` : a,
        a.includes(":") ? 6 : 4,
        "exclude",
      );
      if (x.kind !== "name") set.add(x);
    }
  });
}

/**
 * Builds the exclusion set from --exclude and --excludefile, resolving names.
 * Throws UsageError on a bad specification (nmap: "Invalid address specification").
 */
export async function buildExcludeSet(
  opts: Pick<Options, "exclude" | "excludeFile" | "ipv6">,
  deps: TargetDeps = {},
): Promise<ExcludeSet> {
  const resolver = deps.resolver ?? new SystemResolver();
  const family = opts.ipv6 ? 6 : 4;
  const set = new ExcludeSet();
  for (const spec of opts.exclude) await addExclusion(set, spec, family, resolver);
  if (opts.excludeFile !== undefined) {
    for await (const batch of specBatches(opts.excludeFile, deps)) {
      for (const spec of batch) {
        const pending = addExclusion(set, spec, family, resolver);
        if (pending) await pending;
      }
    }
  }
  return set;
}

/**
 * Checks everything about targets that can be checked before scanning: the
 * syntax of every -iL specification when -iL is a regular file (stdin, a
 * pipe or a FIFO can be read only once: {@link expandTargets} streams it) and
 * the exclusions, each source read once. Returns the exclusion set for
 * {@link expandTargets}. Throws UsageError.
 */
export async function preflightTargets(
  opts: Pick<Options, "exclude" | "excludeFile" | "ipv6" | "inputList">,
  deps: TargetDeps = {},
): Promise<ExcludeSet> {
  const family = opts.ipv6 ? 6 : 4;
  const rereadable = deps.rereadable ?? isRegularFile;
  if (opts.inputList !== undefined && await rereadable(opts.inputList)) {
    for await (const batch of specBatches(opts.inputList, deps)) {
      for (const spec of batch) parseTargetExpression(spec, family);
    }
  }
  return await buildExcludeSet(opts, deps);
}

async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

/**
 * Streams the targets to scan, in order: each expression of the command line
 * (or of the -iL source, which replaces the command line as in nmap), walked
 * lazily, minus exclusions. Names are resolved when reached; a name that does
 * not resolve is reported through `deps.warn` and skipped, as nmap does.
 * Malformed expressions throw UsageError.
 */
export async function* expandTargets(
  opts: Pick<
    Options,
    "targets" | "inputList" | "exclude" | "excludeFile" | "ipv6" | "resolveAll" | "unique"
  >,
  deps: TargetDeps & { excludes?: ExcludeSet } = {},
): AsyncGenerator<Target> {
  for await (const batch of expandTargetBatches(opts, deps)) yield* batch;
}

/**
 * {@link expandTargets} in batches of up to `batchSize` targets, for callers
 * that want millions of addresses a second (one await per batch, not per
 * address). Same order, same rules.
 */
export async function* expandTargetBatches(
  opts: Pick<
    Options,
    "targets" | "inputList" | "exclude" | "excludeFile" | "ipv6" | "resolveAll" | "unique"
  >,
  deps: TargetDeps & { excludes?: ExcludeSet } = {},
  batchSize = 4096,
): AsyncGenerator<Target[]> {
  const family: 4 | 6 = opts.ipv6 ? 6 : 4;
  const resolver = deps.resolver ?? new SystemResolver();
  const warn = deps.warn ?? ((m: string) => console.error(m));
  const excludes = deps.excludes ?? await buildExcludeSet(opts, { ...deps, resolver });
  let skipping = deps.resumeAfter !== undefined;

  let source: AsyncIterable<string> | Iterable<string>;
  if (opts.inputList !== undefined) {
    if (opts.targets.length > 0) {
      warn(
        `WARNING: With -iL, targets on the command line are ignored (${opts.targets.join(" ")}).`,
      );
    }
    source = flatten(specBatches(opts.inputList, deps));
  } else {
    source = opts.targets;
  }

  // --unique: every address once, the first time it comes.
  const seen = opts.unique ? new Set<string>() : undefined;
  let batch: Target[] = [];
  for await (const spec of source) {
    const e = parseTargetExpression(spec, family);
    // What this expression walks: one block, or (--resolve-all) one per address of a name.
    const blocks: { block: Ipv4Ranges | Ipv6Block; resolvedAddr?: string }[] = [];
    let name: string | undefined;
    let others: string[] = [];
    if (e.kind === "name") {
      const addrs = await resolver.lookup(e.name);
      const mine = addrs.filter((a) => (a.includes(":") ? 6 : 4) === family);
      if (mine.length === 0) {
        if (addrs.length > 0) {
          warn(
            family === 4
              ? `Warning: Hostname ${e.name} resolves, but not to any IPv4 address. Try scanning with -6`
              : `Warning: Hostname ${e.name} resolves, but not to any IPv6 address. Try scanning without -6`,
          );
        }
        warn(`Failed to resolve "${e.name}".`);
        continue;
      }
      const chosen = opts.resolveAll ? mine : [mine[0]!];
      others = addrs.filter((a) => !chosen.includes(a));
      name = e.name;
      for (const addr of chosen) {
        const x = parseTargetExpression(e.bits >= 0 ? `${addr}/${e.bits}` : addr, family);
        if (x.kind === "name") continue;
        const resolvedAddr = walkAddresses(
          parseTargetExpression(addr, family) as Ipv4Ranges | Ipv6Block,
        ).next().value as string;
        blocks.push({ block: x, resolvedAddr });
      }
    } else {
      blocks.push({ block: e });
    }
    for (const { block, resolvedAddr } of blocks) {
      const emit = (address: string): Target => {
        const t: Target = { address, family, otherAddresses: [] };
        if (name !== undefined && address === resolvedAddr) {
          t.userHostname = name;
          t.otherAddresses = others;
        }
        return t;
      };
      if (block.kind === "ipv4" && !skipping) {
        // The hot path for big IPv4 ranges: numbers and octet tables, no parsing.
        const [A, B, C, D] = block.octets.map((o) => {
          const v: number[] = [];
          for (let i = 0; i < 256; i++) if (o[i]) v.push(i);
          return v;
        }) as [number[], number[], number[], number[]];
        const checkEx = excludes.hasAnyV4;
        for (const a of A) {
          for (const b of B) {
            for (const c of C) {
              const prefix = `${a}.${b}.${c}.`;
              for (const d of D) {
                if (checkEx && excludes.hasV4(a, b, c, d)) continue;
                const address = prefix + d;
                if (seen) {
                  if (seen.has(address)) continue;
                  seen.add(address);
                }
                batch.push(emit(address));
                if (batch.length >= batchSize) {
                  yield batch;
                  batch = [];
                }
              }
            }
          }
        }
        continue;
      }
      for (const address of walkAddresses(block)) {
        if (skipping) {
          if (address === deps.resumeAfter) skipping = false;
          continue;
        }
        if (excludes.has(address)) continue;
        if (seen) {
          if (seen.has(address)) continue;
          seen.add(address);
        }
        batch.push(emit(address));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}
