/**
 * An SCTP responder for the lab, whose kernel has no SCTP: a raw IPv4 socket for protocol 132 in
 * the target namespace answers each INIT as an SCTP stack would (RFC 9260 5.1, 8.4): INIT ACK with
 * a State Cookie on a listening port, ABORT otherwise, both tagged with the INIT's initiate tag.
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
  if (total < ihl + 32) return null;
  const s = ihl;
  if (ip[s + 12] !== 1 || dv.getUint32(s + 4) !== 0) return null;
  const sport = dv.getUint16(s), dport = dv.getUint16(s + 2);
  const initiateTag = dv.getUint32(s + 16);
  const inStreams = dv.getUint16(s + 26);

  let chunk: number[];
  if (listening(dport)) {
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
  const sctp = Uint8Array.from([
    ...be16(dport),
    ...be16(sport),
    ...be32(initiateTag),
    0,
    0,
    0,
    0,
    ...chunk,
  ]);
  new DataView(sctp.buffer).setUint32(8, crc32c(sctp), true);
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
