/**
 * nmap's UDP payload file, `nmap-payloads`, read as nmap 7.93 reads it (payload.cc before nmap
 * moved the payloads into nmap-service-probes):
 *
 * ```text
 * # comment to the end of the line
 * udp 53,5353,26198 "\x00\x00\x10\x00" "\x00\x00"   # strings are joined, across lines too
 *   "\x00\x00"
 * udp 500 "..." source 500                          # keywords after the strings
 * ```
 *
 * Tokens: `#` comments, newlines, C-escaped strings in double quotes (one line each, at most
 * 1023 characters as nmap's buffer holds; `\0`,
 * `\a\b\f\n\r\t\v`, `\xHH`, and a backslash before any other non-alphanumeric byte keeps that
 * byte; a letter or digit after a backslash is an error) and symbols (any byte, then letters,
 * digits, `,` and `-`). An entry is `udp`, a port list (nmap's getpts_simple grammar, parsed by
 * the caller's `portList`), one or more strings, then keywords; nmap 7.93 skips everything after
 * the strings up to the next `udp`, so `source PORT` is checked and kept here but sends nothing
 * differently. A port's payloads keep the file's order, the order nmap sends them in on each try.
 *
 * Where nmap warns and goes on (a missing string, a bad escape, a bad port list), this reader
 * stops at the first problem with one message naming its line: a file half understood is not
 * used at all (the caller falls back to Porthole's own payloads). The file is bytes, not text:
 * a string's unescaped bytes are sent as they are.
 *
 * @module
 */

/** The problem that stops reading a payload file; the message names the line. */
export class NmapPayloadsError extends Error {
  override name = "NmapPayloadsError";
}

/** One `udp` entry. */
export interface NmapPayloadEntry {
  /** Ascending destination ports. */
  ports: number[];
  /** The strings joined, unescaped. */
  payload: Uint8Array;
  /** `source PORT`, when given (nmap 7.93 does not use it). */
  source?: number;
  /** The line of `udp`, 1-based. */
  line: number;
}

/** Each port's payloads in file order (undefined: none). */
export interface PortPayloads {
  get(port: number): readonly Uint8Array[] | undefined;
}

/** The file read: its entries, and each port's payloads in file order. */
export interface NmapPayloads {
  entries: NmapPayloadEntry[];
  /** Port → payloads; ports with the same payloads share one list (32768 ports share RPC's). */
  byPort: PortPayloads;
}

/**
 * Port → payload list, built entry by entry: each port holds a list id, and an entry moves its
 * ports from a list to that list plus its payload, one new list per distinct old list.
 */
class PortPayloadTable implements PortPayloads {
  readonly #slot = new Int32Array(65536).fill(-1);
  readonly #lists: Uint8Array[][] = [];

  /** Appends `payload` to `ports`' lists; returns the longest list touched. */
  add(ports: readonly number[], payload: Uint8Array): number {
    const moved = new Map<number, number>();
    let longest = 0;
    for (const p of ports) {
      const from = this.#slot[p]!;
      let to = moved.get(from);
      if (to === undefined) {
        to = this.#lists.push([...(from < 0 ? [] : this.#lists[from]!), payload]) - 1;
        moved.set(from, to);
        longest = Math.max(longest, this.#lists[to]!.length);
      }
      this.#slot[p] = to;
    }
    return longest;
  }

  get(port: number): readonly Uint8Array[] | undefined {
    const id = port >= 0 && port < 65536 ? this.#slot[port]! : -1;
    return id < 0 ? undefined : this.#lists[id];
  }
}

/**
 * A plain numeric list (`7`, `53,69`, `32768-65535`, ascending ranges) read here; anything else
 * (names, open ranges) is the caller's getpts. The same ports getpts gives, without its 64K-entry
 * table per list: nmap's file is all plain lists.
 */
function plainPortList(spec: string): number[] | undefined {
  if (!/^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/.test(spec)) return undefined;
  const seen = new Uint8Array(65536);
  for (const item of spec.split(",")) {
    const [a, b = a] = item.split("-").map(Number) as [number, number?];
    if (a > 65535 || b! > 65535 || a > b!) return undefined;
    seen.fill(1, a, b! + 1);
  }
  const out: number[] = [];
  for (let p = 0; p < 65536; p++) if (seen[p]) out.push(p);
  return out;
}

/** nmap's MAX_PAYLOADS_PER_PORT. */
export const MAX_PAYLOADS_PER_PORT = 255;
/**
 * The largest payload taken (--data-length's warning threshold): a datagram that does not fit a
 * 1500-byte link cannot be sent, and nmap's own file has none over 244 bytes.
 */
export const MAX_PAYLOAD_BYTES = 1400;
/** nmap reads a string token into a 1024-byte buffer: at most 1023 characters as written. */
export const MAX_STRING_CHARS = 1023;
/** Bounds on what a file may make us hold: bytes read, and (port, payload) pairs. */
export const MAX_FILE_BYTES = 4 << 20;
export const MAX_PORT_PAYLOADS = 1 << 20;

type Token =
  | { type: "eof"; at: number }
  | { type: "newline"; at: number }
  | { type: "symbol"; at: number; text: string }
  | { type: "string"; at: number; bytes: number[] }
  | { type: "error"; at: number; why: string };

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const hexValue = (c: number) =>
  isDigit(c) ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;

const SIMPLE_ESCAPES: Record<number, number> = {
  0x30: 0, // \0
  0x61: 7, // \a
  0x62: 8, // \b
  0x66: 12, // \f
  0x6e: 10, // \n
  0x72: 13, // \r
  0x74: 9, // \t
  0x76: 11, // \v
};

/** nmap's next_token() over `b` from `pos`; returns the token and where the next one starts. */
function nextToken(b: Uint8Array, pos: number): [Token, number] {
  let i = pos;
  while (i < b.length && isSpace(b[i]!) && b[i] !== 0x0a) i++;
  const at = i;
  if (i >= b.length) return [{ type: "eof", at }, i];
  const c = b[i]!;
  if (c === 0x0a) return [{ type: "newline", at }, i + 1];
  if (c === 0x23) { // '#': to the end of the line, which counts as its newline
    while (i < b.length && b[i] !== 0x0a) i++;
    return i < b.length ? [{ type: "newline", at: i }, i + 1] : [{ type: "eof", at: i }, i];
  }
  if (c === 0x22) return stringToken(b, i);
  i++;
  while (i < b.length && (isAlnum(b[i]!) || b[i] === 0x2c || b[i] === 0x2d)) i++;
  return [{ type: "symbol", at, text: latin1(b.subarray(at, i)) }, i];
}

/** A quoted string at `b[start]`, unescaped as nmap's cstring_unescape() does. */
function stringToken(b: Uint8Array, start: number): [Token, number] {
  const out: number[] = [];
  let i = start + 1;
  let bad: string | undefined;
  // nmap's C string ends at a NUL byte: what follows it in the quotes is dropped.
  let cut = false;
  while (i < b.length && b[i] !== 0x0a && b[i] !== 0x22) {
    if (i - start > MAX_STRING_CHARS) {
      bad ??= `a string over ${MAX_STRING_CHARS} characters`;
    }
    let c = b[i++]!;
    if (c === 0x5c) { // backslash: the next byte is taken raw, even a quote or newline
      if (i >= b.length) return [{ type: "error", at: start, why: "unterminated string" }, i];
      if (i - start > MAX_STRING_CHARS) bad ??= `a string over ${MAX_STRING_CHARS} characters`;
      const e = b[i++]!;
      if (e === 0x78) { // \xHH, exactly two hex digits
        const hi = i < b.length ? hexValue(b[i]!) : -1;
        const lo = i + 1 < b.length ? hexValue(b[i + 1]!) : -1;
        if (hi < 0 || lo < 0) {
          bad ??= "bad \\x escape (two hex digits needed)";
          continue;
        }
        i += 2;
        c = hi * 16 + lo;
      } else if (e in SIMPLE_ESCAPES) {
        c = SIMPLE_ESCAPES[e]!;
      } else if (isAlnum(e)) {
        bad ??= `unknown escape \\${String.fromCharCode(e)}`;
        continue;
      } else {
        c = e;
      }
      if (!cut) out.push(c);
      continue;
    }
    if (c === 0) cut = true;
    if (!cut) out.push(c);
  }
  if (i >= b.length || b[i] !== 0x22) {
    return [{ type: "error", at: start, why: "unterminated string" }, i];
  }
  if (bad) return [{ type: "error", at: start, why: bad }, i + 1];
  return [{ type: "string", at: start, bytes: out }, i + 1];
}

/** Bytes as text, one character each (no spread: a symbol may be megabytes long). */
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 4096)));
  }
  return s;
}

/** Line numbers (1-based) of byte offsets, from one pass over the newlines. */
function lineIndex(b: Uint8Array): (at: number) => number {
  const starts = [0];
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) starts.push(i + 1);
  return (at) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Reads an nmap-payloads file. `portList` parses one port list as nmap's getpts_simple() for
 * UDP (ascending ports; it throws on bad syntax). Throws {@link NmapPayloadsError} at the first
 * problem, with `name`'s line in the message.
 */
export function parseNmapPayloads(
  bytes: Uint8Array,
  portList: (expr: string) => number[],
  name = "nmap-payloads",
): NmapPayloads {
  if (bytes.length > MAX_FILE_BYTES) {
    throw new NmapPayloadsError(`${name} is ${bytes.length} bytes (at most ${MAX_FILE_BYTES})`);
  }
  const lineOf = lineIndex(bytes);
  const fail = (at: number, what: string): never => {
    throw new NmapPayloadsError(`${what} at line ${lineOf(at)} of ${name}`);
  };
  const entries: NmapPayloadEntry[] = [];
  const byPort = new PortPayloadTable();
  const unique = new Map<string, Uint8Array>();
  let pairs = 0;
  let pos = 0;
  const next = (): Token => {
    const [t, p] = nextToken(bytes, pos);
    pos = p;
    return t;
  };
  const nextSignificant = (): Token => {
    let t = next();
    while (t.type === "newline") t = next();
    return t;
  };
  let tok = next();
  for (;;) {
    // Up to the next entry: nmap skips whatever else a file holds (keywords it does not know).
    while (tok.type !== "eof" && !(tok.type === "symbol" && tok.text === "udp")) tok = next();
    if (tok.type === "eof") break;
    const udpAt = tok.at;
    const list = next();
    if (list.type !== "symbol") fail(list.at, "Expected a port list");
    const spec = (list as { text: string }).text;
    let ports: number[];
    try {
      ports = plainPortList(spec) ?? portList(spec);
    } catch {
      ports = [];
    }
    // A hostile list may be megabytes long: the message quotes its start.
    const quoted = spec.length > 40 ? `${spec.slice(0, 40)}…` : spec;
    if (ports.length === 0) fail(list.at, `Can't parse port list "${quoted}"`);
    const data: number[] = [];
    tok = nextSignificant();
    if (tok.type !== "string") {
      fail(
        tok.at,
        tok.type === "error" ? `Bad payload string (${tok.why})` : "Payload missing data",
      );
    }
    while (tok.type === "string") {
      for (const c of tok.bytes) data.push(c);
      if (data.length > MAX_PAYLOAD_BYTES) fail(tok.at, `Payload over ${MAX_PAYLOAD_BYTES} bytes`);
      tok = nextSignificant();
    }
    if (tok.type === "error") fail(tok.at, `Bad payload string (${tok.why})`);
    const entry: NmapPayloadEntry = { ports, payload: Uint8Array.from(data), line: lineOf(udpAt) };
    if (tok.type === "symbol" && tok.text === "source") {
      const port = next();
      if (port.type !== "symbol" || !/^\d{1,5}$/.test(port.text) || Number(port.text) > 65535) {
        fail(port.at, 'Expected a source port after "source"');
      }
      entry.source = Number((port as { text: string }).text);
      tok = next();
    }
    // Equal payloads are one object, as nmap keeps one copy.
    const key = data.join(",");
    const shared = unique.get(key) ?? entry.payload;
    unique.set(key, shared);
    entry.payload = shared;
    if (byPort.add(ports, shared) > MAX_PAYLOADS_PER_PORT) {
      const p = ports.find((p) => byPort.get(p)!.length > MAX_PAYLOADS_PER_PORT);
      fail(udpAt, `Number of UDP payloads for port ${p} exceeds the limit of 255`);
    }
    pairs += ports.length;
    if (pairs > MAX_PORT_PAYLOADS) fail(udpAt, `More than ${MAX_PORT_PAYLOADS} port payloads`);
    entries.push(entry);
  }
  return { entries, byPort };
}
