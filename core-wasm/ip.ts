/**
 * IP address text ↔ bytes, prefix arithmetic. The OS edge reads addresses in
 * three spellings (dotted quads, kernel hex in /proc, raw netlink bytes) and
 * must print them the way nmap does (glibc inet_ntop), so this lives here
 * rather than depending on the CLI.
 *
 * @module
 */

/** An IP address as family plus network-order bytes (4 or 16). */
export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Parses a dotted quad; null when it is not exactly four decimal octets. */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (RFC 4291 §2.2, with an optional trailing dotted quad and
 * an optional `%zone` which is dropped); null when malformed. */
export function parseIPv6(text: string): Uint8Array | null {
  const pct = text.indexOf("%");
  if (pct >= 0) text = text.slice(0, pct);
  if (text.length === 0) return null;
  const out = new Uint8Array(16);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const res: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        res.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        res.push(parseInt(p, 16));
      }
    }
    return res;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Parses either family; null when the text is neither. */
export function parseIp(text: string): IpBytes | null {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, bytes: v6 };
  return null;
}

/** Dotted quad of 4 bytes. */
export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** IPv6 text exactly as glibc's inet_ntop prints it (which is what nmap
 * shows): the longest run of two or more zero groups becomes `::`, and
 * IPv4-mapped/compatible addresses end in a dotted quad. */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) (curBase = i), (curLen = 1);
      else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) (bestBase = curBase), (bestLen = curLen);
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    (bestBase = curBase), (bestLen = curLen);
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (
      i === 6 && bestBase === 0 &&
      (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))
    ) {
      out += formatIPv4(b.subarray(12, 16));
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}

/** Formats 4 or 16 bytes as text. */
export function formatIp(b: Uint8Array): string {
  return b.length === 4 ? formatIPv4(b) : formatIPv6(b);
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

/** Parses 32 hex digits (as in /proc/net/ipv6_route and if_inet6). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Parses `aa:bb:cc:dd:ee:ff` (any case, `-` also accepted); null if malformed. */
export function parseMac(text: string): Uint8Array | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i]!)) return null;
    out[i] = parseInt(parts[i]!, 16);
  }
  return out;
}

/** Formats 6 bytes as lower-case `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}
