// SCTP (RFC 9260): the common header (3.1), the chunk header (3.2), the INIT / INIT ACK
// initiate tag (3.3.2, 3.3.3), and the CRC32c checksum (Appendix A; RFC 3309) or RFC 2960's
// Adler-32 (nmap's --adler32).
//
// The core knows the common header and the first chunk's header; the chunks themselves travel
// as bytes (SPEC_PAYLOAD when building, REC_PAYLOAD when parsing) and core-wasm/sctp_chunks.ts
// encodes and decodes them. A port scan needs nothing more: one INIT out, and the first chunk
// of the answer (INIT ACK, ABORT) back.

import { ld16, ld32, st16, st32 } from "./mem";
import { canVerifyL4, offsetOf } from "./context";
import {
  E_OK, E_SCTP_BAD_CHECKSUM, E_SCTP_BAD_CHUNK, E_SCTP_TRUNCATED, FLAG_ADLER32, FLAG_BAD_CSUM,
  FLAG_CSUM_VERIFIED, KIND_SCTP, REC_DST_PORT, REC_FLAGS, REC_KIND, REC_PAYLOAD_LEN,
  REC_PAYLOAD_OFF, REC_SCTP_CHUNK_FLAGS, REC_SCTP_CHUNK_LEN, REC_SCTP_CHUNK_TYPE,
  REC_SCTP_INIT_TAG, REC_SCTP_VTAG, REC_SRC_PORT, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

// Common header.
export const SRC_PORT: u32 = 0;
export const DST_PORT: u32 = 2;
export const VTAG: u32 = 4;
export const CHECKSUM: u32 = 8;
export const HEADER_LEN: u32 = 12;

// Chunk header, relative to the chunk.
export const CHUNK_TYPE: u32 = 0;
export const CHUNK_FLAGS: u32 = 1;
export const CHUNK_LENGTH: u32 = 2;
export const CHUNK_HEADER_LEN: u32 = 4;
/** INIT and INIT ACK: the initiate tag, then a_rwnd, streams and the initial TSN (20 bytes). */
export const INIT_TAG: u32 = 4;
export const INIT_FIXED_LEN: u32 = 20;

// Chunk types (RFC 9260 3.2).
export const CHUNK_INIT: u32 = 1;
export const CHUNK_INIT_ACK: u32 = 2;
export const CHUNK_ABORT: u32 = 6;

/** The reflected CRC32c polynomial (Castagnoli, 0x1EDC6F41 bit-reversed). */
const CRC32C_POLY: u32 = 0x82f63b78;
const crcTable = memory.data(256 * 4, 16);
let crcReady = false;

function fillCrcTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    store<u32>(crcTable + (n << 2), c);
  }
  crcReady = true;
}

/** Runs the CRC32c register `crc` (pre-inverted) over `len` bytes at `p`. */
function crcUpdate(crc: u32, p: usize, len: u32): u32 {
  if (!crcReady) fillCrcTable();
  for (let i: u32 = 0; i < len; i++) {
    crc = load<u32>(crcTable + (((crc ^ <u32>load<u8>(p + i)) & 0xff) << 2)) ^ (crc >>> 8);
  }
  return crc;
}

/** CRC32c of `len` bytes at `p` (the check value of "123456789" is 0xe3069283). */
export function crc32c(p: usize, len: u32): u32 {
  return ~crcUpdate(0xffffffff, p, len);
}

/**
 * The checksum of an SCTP packet of `len` bytes at `p`, as if its checksum field were zero. It
 * is stored least significant byte first (RFC 9260 Appendix A: the CRC's bit order puts its
 * low byte on the wire first), which is a little-endian store.
 */
export function sctpChecksum(p: usize, len: u32): u32 {
  let crc = crcUpdate(0xffffffff, p, CHECKSUM);
  crc = crcUpdate(crc, zeros, 4);
  return ~crcUpdate(crc, p + HEADER_LEN, len - HEADER_LEN);
}
const zeros = memory.data(4, 4);

/** Adler-32's modulus, the largest prime below 2^16 (RFC 1950 8.2). */
const ADLER_BASE: u32 = 65521;

function adlerUpdate(adler: u32, p: usize, len: u32): u32 {
  let s1 = adler & 0xffff, s2 = adler >>> 16;
  for (let i: u32 = 0; i < len; i++) {
    s1 = (s1 + <u32>load<u8>(p + i)) % ADLER_BASE;
    s2 = (s2 + s1) % ADLER_BASE;
  }
  return (s2 << 16) | s1;
}

/** Adler-32 of `len` bytes at `p` (RFC 1950 8.2; "Wikipedia" is 0x11e60398). */
export function adler32(p: usize, len: u32): u32 {
  return adlerUpdate(1, p, len);
}

/**
 * RFC 2960 Appendix B's checksum of an SCTP packet, its checksum field as zero, as the u32 to
 * store little-endian: Adler-32 goes on the wire most significant byte first (nmap: htonl).
 */
export function sctpAdler32(p: usize, len: u32): u32 {
  let a = adlerUpdate(1, p, CHECKSUM);
  a = adlerUpdate(a, zeros, 4);
  return bswap<u32>(adlerUpdate(a, p + HEADER_LEN, len - HEADER_LEN));
}

export function parseSctp(p: usize, len: u32, rec: usize): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_SCTP);
  if (len < HEADER_LEN) return E_SCTP_TRUNCATED;
  store<u16>(rec + REC_SRC_PORT, <u16>ld16(p + SRC_PORT));
  store<u16>(rec + REC_DST_PORT, <u16>ld16(p + DST_PORT));
  store<u32>(rec + REC_SCTP_VTAG, ld32(p + VTAG));
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + HEADER_LEN));
  store<u32>(rec + REC_PAYLOAD_LEN, len - HEADER_LEN);
  // A packet carries at least one chunk (RFC 9260 3), whose length covers its header and stays
  // inside the packet; INIT and INIT ACK carry at least their fixed part.
  if (len < HEADER_LEN + CHUNK_HEADER_LEN) return E_SCTP_TRUNCATED;
  const c = p + HEADER_LEN;
  const type = <u32>load<u8>(c + CHUNK_TYPE);
  const clen = ld16(c + CHUNK_LENGTH);
  store<u8>(rec + REC_SCTP_CHUNK_TYPE, <u8>type);
  store<u8>(rec + REC_SCTP_CHUNK_FLAGS, load<u8>(c + CHUNK_FLAGS));
  store<u16>(rec + REC_SCTP_CHUNK_LEN, <u16>clen);
  if (clen < CHUNK_HEADER_LEN || clen > len - HEADER_LEN) return E_SCTP_BAD_CHUNK;
  if (type == CHUNK_INIT || type == CHUNK_INIT_ACK) {
    if (clen < INIT_FIXED_LEN) return E_SCTP_BAD_CHUNK;
    store<u32>(rec + REC_SCTP_INIT_TAG, ld32(c + INIT_TAG));
  }
  if (canVerifyL4) {
    // Either checksum: an RFC 2960 stack answers an --adler32 probe in kind, and nmap reads it.
    const sum = load<u32>(p + CHECKSUM);
    if (sum != sctpChecksum(p, len) && sum != sctpAdler32(p, len)) return E_SCTP_BAD_CHECKSUM;
    store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_CSUM_VERIFIED);
  }
  return E_OK;
}

/** Common header plus the chunks (SPEC_PAYLOAD), which the caller pads to 4 bytes each. */
export function sctpLen(spec: usize): u32 {
  return HEADER_LEN + load<u32>(spec + SPEC_PAYLOAD_LEN);
}

/** Writes the common header, the chunks and the CRC32c (or Adler-32); returns the length. */
export function emitSctp(out: usize, spec: usize): u32 {
  const chunksLen = load<u32>(spec + SPEC_PAYLOAD_LEN);
  const len = HEADER_LEN + chunksLen;
  st16(out + SRC_PORT, load<u16>(spec + REC_SRC_PORT));
  st16(out + DST_PORT, load<u16>(spec + REC_DST_PORT));
  st32(out + VTAG, load<u32>(spec + REC_SCTP_VTAG));
  if (chunksLen != 0) {
    memory.copy(out + HEADER_LEN, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), chunksLen);
  }
  // --badsum: a CRC one off, which receivers reject as they do a bad TCP/UDP sum.
  const flags = <u32>load<u16>(spec + REC_FLAGS);
  const bad: u32 = (flags & FLAG_BAD_CSUM) != 0 ? 1 : 0;
  const sum = (flags & FLAG_ADLER32) != 0 ? sctpAdler32(out, len) : sctpChecksum(out, len);
  store<u32>(out + CHECKSUM, sum ^ bad);
  return len;
}
