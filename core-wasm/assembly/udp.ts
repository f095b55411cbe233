// UDP (RFC 768; RFC 8200 8.1: a zero checksum is invalid over IPv6).

import { ld16, st16 } from "./mem";
import { checksumOf, sumBytes, term16 } from "./checksum";
import { canVerifyL4, firstFragment, offsetOf } from "./context";
import { verifyTransport } from "./l4sum";
import {
  E_OK, E_UDP_BAD_CHECKSUM, E_UDP_BAD_LENGTH, E_UDP_TRUNCATED, KIND_UDP, REC_DST_PORT,
  FLAG_BAD_CSUM, REC_FLAGS,
  REC_KIND, REC_PAYLOAD_LEN, REC_PAYLOAD_OFF, REC_SRC_PORT, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

export const SRC_PORT: u32 = 0;
export const DST_PORT: u32 = 2;
export const LENGTH: u32 = 4;
export const CHECKSUM: u32 = 6;
export const HEADER_LEN: u32 = 8;

export function parseUdp(p: usize, len: u32, rec: usize, family: u32): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_UDP);
  if (len < HEADER_LEN) return E_UDP_TRUNCATED;
  store<u16>(rec + REC_SRC_PORT, <u16>ld16(p + SRC_PORT));
  store<u16>(rec + REC_DST_PORT, <u16>ld16(p + DST_PORT));
  const ulen = ld16(p + LENGTH);
  // A first fragment carries the whole header but only part of the data its length counts
  // (a reply larger than the path MTU): the header is the reply, as in nmap; the payload
  // record covers the bytes present.
  if (ulen < HEADER_LEN || (ulen > len && !firstFragment)) return E_UDP_BAD_LENGTH;
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + HEADER_LEN));
  store<u32>(rec + REC_PAYLOAD_LEN, min<u32>(ulen, len) - HEADER_LEN);
  if (ld16(p + CHECKSUM) == 0) {
    return family == 6 && canVerifyL4 ? E_UDP_BAD_CHECKSUM : E_OK;
  }
  if (!verifyTransport(p, ulen, CHECKSUM, 17, rec, true)) return E_UDP_BAD_CHECKSUM;
  return E_OK;
}

export function udpLen(spec: usize): u32 {
  return HEADER_LEN + load<u32>(spec + SPEC_PAYLOAD_LEN);
}

export function emitUdp(out: usize, spec: usize, pseudo: u64): u32 {
  const payLen = load<u32>(spec + SPEC_PAYLOAD_LEN);
  const len = HEADER_LEN + payLen;
  st16(out + SRC_PORT, load<u16>(spec + REC_SRC_PORT));
  st16(out + DST_PORT, load<u16>(spec + REC_DST_PORT));
  st16(out + LENGTH, len);
  st16(out + CHECKSUM, 0);
  if (payLen != 0) memory.copy(out + HEADER_LEN, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), payLen);
  const bad: u64 = (load<u16>(spec + REC_FLAGS) & FLAG_BAD_CSUM) != 0 ? term16(1) : 0;
  const c = checksumOf(sumBytes(out, len, pseudo + term16(17) + term16(len) + bad));
  st16(out + CHECKSUM, c == 0 ? 0xffff : c);
  return len;
}
