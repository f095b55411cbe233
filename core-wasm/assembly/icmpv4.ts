// ICMPv4 (RFC 792, RFC 950 address mask), with the quoted datagram of error messages.

import { ld16, ld32, st16, st32 } from "./mem";
import { checksumOf, sumBytes, sumIsValid } from "./checksum";
import { canVerifyL4, offsetOf } from "./context";
import { parseQuotedIpv4 } from "./ipv4";
import {
  E_ICMP_BAD_CHECKSUM, E_ICMP_TRUNCATED, E_OK, FLAG_CSUM_VERIFIED, KIND_ICMP4, REC_FLAGS,
  REC_ICMP_CODE, REC_ICMP_EXTRA, REC_ICMP_ID, REC_ICMP_SEQ, REC_ICMP_TS_ORIG, REC_ICMP_TS_RECV,
  REC_ICMP_TS_XMIT, REC_ICMP_TYPE, REC_KIND, REC_PAYLOAD_LEN, REC_PAYLOAD_OFF,
  SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

export const TYPE: u32 = 0;
export const CODE: u32 = 1;
export const CHECKSUM: u32 = 2;
export const IDENT: u32 = 4;
export const SEQ_NO: u32 = 6;
export const REST: u32 = 4; // 32-bit rest of header of other messages
export const DATA: u32 = 8;
export const HEADER_LEN: u32 = 8;
export const TS_ORIGINATE: u32 = 8;
export const TS_RECEIVE: u32 = 12;
export const TS_TRANSMIT: u32 = 16;
export const TIMESTAMP_LEN: u32 = 20;
export const ADDRESS_MASK: u32 = 8;
export const MASK_LEN: u32 = 12;

export const ECHO_REPLY: u32 = 0;
export const DEST_UNREACHABLE: u32 = 3;
export const SOURCE_QUENCH: u32 = 4;
export const REDIRECT: u32 = 5;
export const ECHO_REQUEST: u32 = 8;
export const TIME_EXCEEDED: u32 = 11;
export const PARAMETER_PROBLEM: u32 = 12;
export const TIMESTAMP: u32 = 13;
export const TIMESTAMP_REPLY: u32 = 14;
export const INFO_REQUEST: u32 = 15;
export const INFO_REPLY: u32 = 16;
export const MASK_REQUEST: u32 = 17;
export const MASK_REPLY: u32 = 18;

@inline export function isError(t: u32): bool {
  return t == DEST_UNREACHABLE || t == SOURCE_QUENCH || t == REDIRECT || t == TIME_EXCEEDED ||
    t == PARAMETER_PROBLEM;
}

/** Messages whose bytes 4..8 are an identifier and a sequence number. */
@inline export function hasIdSeq(t: u32): bool {
  return t == ECHO_REPLY || t == ECHO_REQUEST || (t >= TIMESTAMP && t <= MASK_REPLY);
}

export function parseIcmp4(p: usize, len: u32, rec: usize): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_ICMP4);
  if (len < HEADER_LEN) return E_ICMP_TRUNCATED;
  const t = <u32>load<u8>(p + TYPE);
  store<u8>(rec + REC_ICMP_TYPE, <u8>t);
  store<u8>(rec + REC_ICMP_CODE, load<u8>(p + CODE));
  if (hasIdSeq(t)) {
    store<u16>(rec + REC_ICMP_ID, <u16>ld16(p + IDENT));
    store<u16>(rec + REC_ICMP_SEQ, <u16>ld16(p + SEQ_NO));
  } else {
    store<u32>(rec + REC_ICMP_EXTRA, ld32(p + REST));
  }
  let dataOff = DATA;
  if (t == TIMESTAMP || t == TIMESTAMP_REPLY) {
    if (len < TIMESTAMP_LEN) return E_ICMP_TRUNCATED;
    store<u32>(rec + REC_ICMP_TS_ORIG, ld32(p + TS_ORIGINATE));
    store<u32>(rec + REC_ICMP_TS_RECV, ld32(p + TS_RECEIVE));
    store<u32>(rec + REC_ICMP_TS_XMIT, ld32(p + TS_TRANSMIT));
    dataOff = TIMESTAMP_LEN;
  } else if (t == MASK_REQUEST || t == MASK_REPLY) {
    if (len < MASK_LEN) return E_ICMP_TRUNCATED;
    store<u32>(rec + REC_ICMP_EXTRA, ld32(p + ADDRESS_MASK));
    dataOff = MASK_LEN;
  }
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + dataOff));
  store<u32>(rec + REC_PAYLOAD_LEN, len - dataOff);
  if (canVerifyL4) {
    if (!sumIsValid(sumBytes(p, len, 0))) return E_ICMP_BAD_CHECKSUM;
    store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_CSUM_VERIFIED);
  }
  if (isError(t)) return parseQuotedIpv4(p + DATA, len - DATA, rec);
  return E_OK;
}

export function icmp4Len(spec: usize): u32 {
  const t = <u32>load<u8>(spec + REC_ICMP_TYPE);
  if (t == TIMESTAMP || t == TIMESTAMP_REPLY) return TIMESTAMP_LEN;
  if (t == MASK_REQUEST || t == MASK_REPLY) return MASK_LEN;
  return HEADER_LEN + load<u32>(spec + SPEC_PAYLOAD_LEN);
}

export function emitIcmp4(out: usize, spec: usize): u32 {
  const t = <u32>load<u8>(spec + REC_ICMP_TYPE);
  const len = icmp4Len(spec);
  store<u8>(out + TYPE, <u8>t);
  store<u8>(out + CODE, load<u8>(spec + REC_ICMP_CODE));
  st16(out + CHECKSUM, 0);
  if (hasIdSeq(t)) {
    st16(out + IDENT, load<u16>(spec + REC_ICMP_ID));
    st16(out + SEQ_NO, load<u16>(spec + REC_ICMP_SEQ));
  } else {
    st32(out + REST, load<u32>(spec + REC_ICMP_EXTRA));
  }
  if (t == TIMESTAMP || t == TIMESTAMP_REPLY) {
    st32(out + TS_ORIGINATE, load<u32>(spec + REC_ICMP_TS_ORIG));
    st32(out + TS_RECEIVE, load<u32>(spec + REC_ICMP_TS_RECV));
    st32(out + TS_TRANSMIT, load<u32>(spec + REC_ICMP_TS_XMIT));
  } else if (t == MASK_REQUEST || t == MASK_REPLY) {
    st32(out + ADDRESS_MASK, load<u32>(spec + REC_ICMP_EXTRA));
  } else if (len > HEADER_LEN) {
    memory.copy(out + DATA, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), len - HEADER_LEN);
  }
  st16(out + CHECKSUM, checksumOf(sumBytes(out, len, 0)));
  return len;
}
