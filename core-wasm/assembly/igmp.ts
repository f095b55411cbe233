// IGMP (RFC 2236, RFC 3376 4.1): the 8-byte message nmap's -sO and -PO2 send (a membership
// query), its checksum over the whole IGMP message (no pseudo-header), and the parser.

import { ld32, st16, st32 } from "./mem";
import { checksumOf, sumBytes, sumIsValid, term16 } from "./checksum";
import { canVerifyL4, offsetOf } from "./context";
import {
  E_ICMP_BAD_CHECKSUM, E_ICMP_TRUNCATED, E_OK, FLAG_BAD_CSUM, FLAG_CSUM_VERIFIED, KIND_IGMP,
  REC_FLAGS, REC_ICMP_CODE, REC_ICMP_EXTRA, REC_ICMP_TYPE, REC_KIND, REC_PAYLOAD_LEN,
  REC_PAYLOAD_OFF, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

export const TYPE: u32 = 0;
export const MAX_RESP: u32 = 1; // "code" in nmap's words
export const CHECKSUM: u32 = 2;
export const GROUP: u32 = 4;
export const HEADER_LEN: u32 = 8;

export const MEMBERSHIP_QUERY: u32 = 0x11;

// IGMP shares ICMP's record fields (type, code, the 32 bits after the checksum) and its
// parse errors: both are "a type, a code and an Internet checksum over the message".
export function parseIgmp(p: usize, len: u32, rec: usize): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_IGMP);
  if (len < HEADER_LEN) return E_ICMP_TRUNCATED;
  store<u8>(rec + REC_ICMP_TYPE, load<u8>(p + TYPE));
  store<u8>(rec + REC_ICMP_CODE, load<u8>(p + MAX_RESP));
  store<u32>(rec + REC_ICMP_EXTRA, ld32(p + GROUP));
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + HEADER_LEN));
  store<u32>(rec + REC_PAYLOAD_LEN, len - HEADER_LEN);
  if (canVerifyL4) {
    if (!sumIsValid(sumBytes(p, len, 0))) return E_ICMP_BAD_CHECKSUM;
    store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_CSUM_VERIFIED);
  }
  return E_OK;
}

export function igmpLen(spec: usize): u32 {
  return HEADER_LEN + load<u32>(spec + SPEC_PAYLOAD_LEN);
}

/** Type, max response time and group from the spec's ICMP fields; --badsum: checksum one off. */
export function emitIgmp(out: usize, spec: usize): u32 {
  const len = igmpLen(spec);
  store<u8>(out + TYPE, load<u8>(spec + REC_ICMP_TYPE));
  store<u8>(out + MAX_RESP, load<u8>(spec + REC_ICMP_CODE));
  st16(out + CHECKSUM, 0);
  st32(out + GROUP, load<u32>(spec + REC_ICMP_EXTRA));
  if (len > HEADER_LEN) {
    memory.copy(out + HEADER_LEN, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), len - HEADER_LEN);
  }
  const bad: u64 = (load<u16>(spec + REC_FLAGS) & FLAG_BAD_CSUM) != 0 ? term16(1) : 0;
  st16(out + CHECKSUM, checksumOf(sumBytes(out, len, bad)));
  return len;
}
