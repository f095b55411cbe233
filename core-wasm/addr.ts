/**
 * Address helpers shared by the core's TypeScript face and its users: IPv4 addresses as
 * numbers (10.0.0.1 = 0x0a000001), IPv6 addresses as 16 bytes in network order, MAC
 * addresses as 6 bytes.
 *
 * @module
 */

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
 * Formats 16 bytes as RFC 5952 text: lower case, no leading zeros, the longest run of two or
 * more zero groups (the first on a tie) as `::`, and `::ffff:a.b.c.d` for IPv4-mapped addresses.
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError("an IPv6 address is 16 bytes");
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) to 6 bytes; throws `TypeError` on bad input. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${text}`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes as lower-case `aa:bb:cc:dd:ee:ff`. */
export function formatMac(bytes: Uint8Array): string {
  if (bytes.length !== 6) throw new TypeError("a MAC address is 6 bytes");
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
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
