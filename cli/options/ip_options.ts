/**
 * --ip-options TEXT, read as nmap's parse_ip_options (libnetutil/netutil.cc) reads it, with its
 * refusals word for word:
 *
 * - `R`, `T`, `U`: record route (9 slots), timestamps, address + timestamp pairs;
 * - `L a.b.c.d …` / `S …`: loose / strict source route through up to 8 hops (spaces or commas);
 *   `R` takes hops too, written into its first slots;
 * - `\xHH` (hex) or `\DDD` (decimal) bytes, `*N` repeating the last byte N times in all.
 *
 * The letter forms become an {@link IpOptionsRequest} whose bytes the packet core builds; the
 * byte form is the user's bytes.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { IpOptionsRequest } from "./types.ts";

/** nmap's buffer: 4 × 10 + 1 bytes; the parser stops when it is full. */
const BUFFER = 41;
/** glibc inet_pton's dotted quad: four decimal octets, no leading zeros. */
const DOTTED_QUAD = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(?!$)|$)){4}$/;

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isXDigit = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** strtol(text + at, &end, base) for what nmap's strings hold: [value, end]. */
function strtol(text: string, at: number, base: 10 | 16): [number, number] {
  let i = at;
  while (/^[ \t\n\v\f\r]$/.test(text[i] ?? "")) i++;
  let sign = 1;
  if (text[i] === "+" || text[i] === "-") sign = text[i++] === "-" ? -1 : 1;
  if (base === 16 && text[i] === "0" && /[xX]/.test(text[i + 1] ?? "") && isXDigit(text[i + 2])) {
    i += 2;
  }
  const digit = base === 16 ? isXDigit : isDigit;
  const from = i;
  let v = 0;
  while (digit(text[i])) v = Math.min(v * base + parseInt(text[i++]!, base), 2 ** 53);
  // No digits: no conversion, the end is where the text started.
  return from === i ? [0, at] : [sign * v, i];
}

/**
 * The request of --ip-options `text` (undefined for an empty one, which nmap ignores), or
 * nmap's fatal message.
 */
export function parseIpOptions(text: string): IpOptionsRequest | undefined {
  const bytes: number[] = [];
  let state: "none" | "slash" | "mul" | "route" | "time" = "none";
  let letter = "";
  const hopBytes: number[] = [];
  let base: 10 | 16 = 10;
  for (let c = 0; c < text.length; c++) {
    const ch = text[c]!;
    if (state === "slash") {
      if (ch === "x") {
        base = 16;
        continue;
      }
      if (!isXDigit(ch)) fatal("not a digit after '\\'");
      const [v, end] = strtol(text, c, base);
      if (v < 0 || v > 255) fatal("invalid ipv4 address format");
      bytes.push(v);
      c = end - 1;
      state = "none";
    } else if (state === "mul") {
      if (bytes.length === 0) fatal("nothing before '*' char");
      const [times, end] = strtol(text, c, 10);
      if (times < 2) fatal("bad number after '*'");
      c = end - 1;
      const last = bytes[bytes.length - 1]!;
      for (let j = 1; j < times && bytes.length < BUFFER; j++) bytes.push(last);
      if (bytes.length === BUFFER) break;
      state = "none";
    } else if (state === "route") {
      if (ch === " " || ch === ",") continue;
      let quad = "";
      while ((text[c] === "." || isDigit(text[c])) && quad.length < 32) quad += text[c++];
      c--;
      // The hops so far (4 bytes each) fill the buffer from byte 4 on; nmap wants 4 bytes to spare.
      if (4 + hopBytes.length + 4 >= BUFFER) fatal("Buffer too small. Or input data too big :)");
      if (!DOTTED_QUAD.test(quad)) fatal(`Not a valid ipv4 address '${quad}'`);
      hopBytes.push(...quad.split(".").map(Number));
    } else if (state === "time") {
      fatal("No more arguments allowed!");
    } else if (ch === "\\") {
      state = "slash";
      base = 10;
    } else if (ch === "*") {
      state = "mul";
    } else if ("RSLTU".includes(ch)) {
      if (bytes.length !== 0) fatal("This option can't be used in that way");
      letter = ch;
      state = "RSL".includes(ch) ? "route" : "time";
    } else {
      fatal(`Bad character in ip option '${ch}'`);
    }
    if (bytes.length === BUFFER) break;
  }
  if ((letter === "L" || letter === "S") && hopBytes.length / 4 >= 9) {
    fatal("When using source routing you must leave at least one slot for target's ip.");
  }
  if (letter === "T" || letter === "U") return { kind: "timestamp", withAddresses: letter === "U" };
  if (letter !== "") {
    const route = letter === "R" ? "record" : letter === "L" ? "loose" : "strict";
    return { kind: "route", route, hops: Uint8Array.from(hopBytes) };
  }
  if (bytes.length > 40) fatal("Ip options can't be more than 40 bytes long");
  if (bytes.length % 4 !== 0) {
    fatal(`Ip options must be multiple of 4 (read length is ${bytes.length} bytes)`);
  }
  return bytes.length === 0 ? undefined : { kind: "bytes", bytes: Uint8Array.from(bytes) };
}
