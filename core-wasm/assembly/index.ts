// Porthole packet core: builds and parses Ethernet / SLL / loopback / raw IP, ARP, IPv4, IPv6,
// TCP, UDP, SCTP, ICMP and ICMPv6 over linear memory. Pure: no imports, no allocation after setup,
// no traps on any input. The TypeScript face is core-wasm/mod.ts.

export * from "./layout";
export { allocRegion, freeBytes } from "./mem";
export { parseBatch } from "./parse";
export { buildFrame, BUILD_BAD_SPEC, BUILD_NO_ROOM } from "./emit";
export {
  emitBatch, templateCreate, TEMPLATE_UNSUPPORTED, T_CAP, T_DST4, T_DST6, T_FRAME, T_ICMP_ID,
  T_ICMP_SEQ, T_IPID, T_LEN, T_OUT, T_OUT_INDEX, T_SEQ, T_ACK, T_SIZE, T_SPORT, T_DPORT, T_STRIDE,
} from "./template";
export { checksumAdjust, checksumAdjust32 } from "./checksum";
export { adler32, crc32c } from "./sctp";
export { ipOptionsBuild } from "./ip_options";

import { checksumOf, fold, sumBytes } from "./checksum";

/** Internet checksum (RFC 1071) of `len` bytes at `p`, as stored on the wire. */
export function internetChecksum(p: usize, len: u32): u32 {
  return checksumOf(sumBytes(p, len, 0));
}

/** One's complement sum (folded, not complemented) of `len` bytes at `p`. */
export function onesSum(p: usize, len: u32): u32 {
  return fold(sumBytes(p, len, 0));
}
