/**
 * The one address library: text ↔ bytes for IPv4 (also as numbers, 10.0.0.1 = 0x0a000001), IPv6
 * (16 bytes in network order) and MAC addresses, and prefix arithmetic. Everyone uses it: the
 * core's TypeScript face, the OS edge (which reads addresses as dotted quads, kernel hex in /proc
 * and netlink bytes) and the CLI.
 *
 * The answers are nmap's, which are glibc's: an address literal parses as inet_pton() parses it
 * (no leading zeros in a dotted quad: `01.2.3.4` is refused, as it is in `::01.2.3.4`), and IPv6
 * prints as inet_ntop() prints it (`::1.2.3.4` and `::ffff:1.2.3.4` keep their dotted tail).
 * Target expressions have a grammar of their own (cli/targets.ts, nmap's parse_ipv4_ranges),
 * where an octet may have leading zeros.
 *
 * @module
 */

/** An IP address as family plus network-order bytes (4 or 16). */
export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses dotted-quad IPv4 text to its 32-bit value; throws `TypeError` on bad input. */
export function ipv4ToU32(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: ${text}`);
  let n = 0;
  for (const part of parts) {
    if (!V4_PART.test(part)) throw new TypeError(`not an IPv4 address: ${text}`);
    n = n * 256 + Number(part);
  }
  return n >>> 0;
}

/** Formats a 32-bit value as dotted-quad IPv4 text. */
export function u32ToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** True when `text` is dotted-quad IPv4. */
export function isIpv4(text: string): boolean {
  try {
    ipv4ToU32(text);
    return true;
  } catch {
    return false;
  }
}

/** Parses a dotted quad to 4 bytes; null when {@link ipv4ToU32} refuses it. */
export function parseIpv4(text: string): Uint8Array | null {
  let n: number;
  try {
    n = ipv4ToU32(text);
  } catch {
    return null;
  }
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** Dotted quad of 4 bytes. */
export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** `fe80::1%eth0` → address and zone; text without a zone comes back whole. */
export function splitZone(text: string): { address: string; zone?: string } {
  const pct = text.indexOf("%");
  return pct < 0 ? { address: text } : { address: text.slice(0, pct), zone: text.slice(pct + 1) };
}

/**
 * Parses IPv6 text (RFC 4291 2.2: `::` compression, embedded dotted IPv4 tail) to 16 bytes.
 * A zone (`%eth0`) is not accepted. Throws `TypeError` on bad input.
 */
export function parseIpv6(text: string): Uint8Array {
  const bad = () => new TypeError(`not an IPv6 address: ${text}`);
  if (text.length < 2 || text.length > 45) throw bad();
  const out = new Uint8Array(16);
  let body = text;
  let tail: number | undefined;
  const lastColon = body.lastIndexOf(":");
  if (body.indexOf(".", lastColon) !== -1) {
    tail = ipv4ToU32(body.slice(lastColon + 1));
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) throw bad();
  const parseGroups = (s: string): number[] => {
    if (s === "") return [];
    return s.split(":").map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  };
  const head = parseGroups(halves[0] ?? "");
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (halves.length === 2 ? head.length + rest.length > 7 : head.length !== 8) throw bad();
  const groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  if (tail !== undefined) {
    out[12] = tail >>> 24;
    out[13] = (tail >>> 16) & 255;
    out[14] = (tail >>> 8) & 255;
    out[15] = tail & 255;
  }
  return out;
}

/** True when `text` is IPv6 text `parseIpv6` accepts. */
export function isIpv6(text: string): boolean {
  try {
    parseIpv6(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Formats 16 bytes as glibc's inet_ntop() does (what nmap prints): lower case, no leading zeros,
 * the longest run of two or more zero groups (the first on a tie) as `::` (RFC 5952), and a
 * dotted tail for IPv4-compatible `::a.b.c.d` and IPv4-mapped `::ffff:a.b.c.d` addresses.
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError("an IPv6 address is 16 bytes");
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  let bestBase = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += formatIpv4(bytes.subarray(12, 16));
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}

/** Parses either family (an IPv6 zone, `%eth0`, is dropped); null when the text is neither. */
export function parseIp(text: string): IpBytes | null {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  try {
    return { family: 6, bytes: parseIpv6(splitZone(text).address) };
  } catch {
    return null;
  }
}

/** Formats 4 or 16 bytes as text. */
export function formatIp(b: Uint8Array): string {
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}

/** Canonical text of an address in either family (e.g. `fd00:0::1` → `fd00::1`). */
export function canonicalIp(text: string): string | null {
  const p = parseIp(text);
  return p ? formatIp(p.bytes) : null;
}

/** True when the first `bits` bits of a and b agree (same length arrays). */
export function prefixMatch(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (a.length !== b.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole]! ^ b[whole]!) & mask) === 0;
}

/** Number of leading one bits of a contiguous netmask; -1 if not contiguous. */
export function maskBits(mask: Uint8Array): number {
  let bits = 0, seenZero = false;
  for (const byte of mask) {
    for (let k = 7; k >= 0; k--) {
      if (byte & (1 << k)) {
        if (seenZero) return -1;
        bits++;
      } else seenZero = true;
    }
  }
  return bits;
}

/** Bytes equal? */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** All-zero address? */
export function isZero(a: Uint8Array): boolean {
  for (const x of a) if (x !== 0) return false;
  return true;
}

/** Parses hex digits (32 for an IPv6 address in /proc/net/ipv6_route and if_inet6). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) to 6 bytes; throws `TypeError` on bad input. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${text}`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** Formats the first 6 bytes as lower-case `aa:bb:cc:dd:ee:ff` (a link address may be longer). */
export function formatMac(bytes: Uint8Array): string {
  if (bytes.length < 6) throw new TypeError("a MAC address is 6 bytes");
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of `target` (RFC 4291 2.7.1). */
export function solicitedNodeAddress(target: Uint8Array): Uint8Array {
  const out = parseIpv6("ff02::1:ff00:0");
  out[13] = target[13] ?? 0;
  out[14] = target[14] ?? 0;
  out[15] = target[15] ?? 0;
  return out;
}

/** The Ethernet multicast MAC 33:33:xx:xx:xx:xx of an IPv6 multicast address (RFC 2464 7). */
export function ipv6MulticastMac(group: Uint8Array): Uint8Array {
  return new Uint8Array([
    0x33,
    0x33,
    group[12] ?? 0,
    group[13] ?? 0,
    group[14] ?? 0,
    group[15] ?? 0,
  ]);
}
