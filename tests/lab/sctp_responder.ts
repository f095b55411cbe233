/**
 * An SCTP responder for the lab, whose kernel has no SCTP: a raw IPv4 socket for protocol 132 in
 * the target namespace answers each INIT as an SCTP stack would (RFC 9260 5.1, 8.4): INIT ACK with
 * a State Cookie on a listening port, ABORT otherwise, both tagged with the INIT's initiate tag.
 * An out-of-the-blue COOKIE ECHO (nmap's -sZ) is dropped by a listener (a cookie it never made,
 * 5.1.5) and answered elsewhere by an ABORT reflecting its tag (T bit, 8.4 rule 8).
 *
 * Checksums are verified as a receiver does: a packet whose checksum is neither its CRC32c nor
 * its Adler-32 is dropped, and one in Adler-32 (RFC 2960's, nmap's --adler32) is answered in
 * Adler-32, as an RFC 2960 stack would.
 *
 * Why the kernel stays quiet: it sends "protocol unreachable" only for a protocol that no handler
 * and no raw socket takes (ip_local_deliver_finish); while this socket is open, the raw socket
 * takes SCTP. nftables policies still act first (input hook), as on a real host.
 *
 * Built from the RFC by hand — its own CRC32c, its own byte layout — so that the scanner's packet
 * core is checked against something it did not write. IPv4 only.
 *
 * @module
 */

import { serveRawIpv4 } from "./raw_responder.ts";

const IPPROTO_SCTP = 132;

/** CRC32c bit by bit (RFC 9260 Appendix A). */
function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 (RFC 1950 8.2), RFC 2960 Appendix B's SCTP checksum. */
function adler32(bytes: Uint8Array): number {
  let s1 = 1, s2 = 0;
  for (const b of bytes) {
    s1 = (s1 + b) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/** Which checksum the SCTP packet `sctp` carries (CRC32c stored low byte first, Adler-32 not). */
function checksumKind(sctp: Uint8Array): "crc32c" | "adler32" | null {
  const dv = new DataView(sctp.buffer, sctp.byteOffset, sctp.byteLength);
  const zeroed = sctp.slice();
  zeroed.fill(0, 8, 12);
  if (dv.getUint32(8, true) === crc32c(zeroed)) return "crc32c";
  if (dv.getUint32(8, false) === adler32(zeroed)) return "adler32";
  return null;
}

/**
 * The answer to the IPv4 datagram `ip` (header included), as a whole IPv4 datagram for an
 * IP_HDRINCL socket, or null when it is not an INIT. `listening(port)`: a listener on `port`.
 */
export function sctpAnswer(
  ip: Uint8Array,
  listening: (port: number) => boolean,
  random: () => number = () => (Math.random() * 0x100000000) >>> 0,
): Uint8Array | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== IPPROTO_SCTP) return null;
  const ihl = (ip[0]! & 15) * 4;
  const dv = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const total = Math.min(dv.getUint16(2), ip.length);
  // Common header (12) + INIT chunk (20), a zero verification tag (RFC 9260 8.5.1).
  if (total < ihl + 16) return null;
  const s = ihl;
  const kind = checksumKind(ip.subarray(s, total));
  if (!kind) return null;
  const sport = dv.getUint16(s), dport = dv.getUint16(s + 2);
  const vtag = dv.getUint32(s + 4);
  let chunk: number[];
  let tag: number;
  if (ip[s + 12] === 10 && vtag !== 0) {
    // COOKIE ECHO out of the blue.
    if (listening(dport)) return null;
    chunk = [6, 1, 0, 4]; // ABORT, T bit: the tag reflected
    tag = vtag;
  } else {
    if (total < ihl + 32) return null;
    if (ip[s + 12] !== 1 || vtag !== 0) return null;
    tag = dv.getUint32(s + 16);
    chunk = initAnswer(listening(dport), dv.getUint16(s + 26), random);
  }
  const sctp = Uint8Array.from([
    ...be16(dport),
    ...be16(sport),
    ...be32(tag),
    0,
    0,
    0,
    0,
    ...chunk,
  ]);
  if (kind === "adler32") new DataView(sctp.buffer).setUint32(8, adler32(sctp));
  else new DataView(sctp.buffer).setUint32(8, crc32c(sctp), true);
  const out = new Uint8Array(20 + sctp.length);
  const o = new DataView(out.buffer);
  out[0] = 0x45;
  o.setUint16(2, out.length);
  o.setUint16(6, 0x4000); // DF
  out[8] = 64;
  out[9] = IPPROTO_SCTP;
  out.set(ip.subarray(16, 20), 12); // from the address the INIT was sent to
  out.set(ip.subarray(12, 16), 16);
  out.set(sctp, 20); // the kernel fills in the IP ID, checksum and total length (raw(7))
  return out;
}

/** The chunk answering an INIT: INIT ACK on a listening port, else ABORT. */
function initAnswer(listening: boolean, inStreams: number, random: () => number): number[] {
  let chunk: number[];
  if (listening) {
    // INIT ACK: our tag, a_rwnd, streams, TSN, and the mandatory State Cookie (type 7).
    const cookie = [0x6c, 0x61, 0x62, 0x2d, 0x63, 0x6f, 0x6f, 0x6b]; // "lab-cook"
    chunk = [
      2,
      0,
      0,
      32,
      ...be32(random()),
      ...be32(106496),
      ...be16(Math.min(10, inStreams)),
      ...be16(10),
      ...be32(random()),
      0,
      7,
      0,
      4 + cookie.length,
      ...cookie,
    ];
  } else {
    chunk = [6, 0, 0, 4]; // ABORT, T bit clear: tagged with the INIT's tag (RFC 9260 8.4)
  }
  return chunk;
}

function be16(v: number): number[] {
  return [(v >>> 8) & 255, v & 255];
}
function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Answers INITs until the process ends (needs --allow-ffi, root). */
export function serveSctp(listen: ReadonlySet<number>): void {
  serveRawIpv4("sctp responder", IPPROTO_SCTP, (ip) => sctpAnswer(ip, (p) => listen.has(p)));
}
