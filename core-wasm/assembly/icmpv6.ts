// ICMPv6 (RFC 4443) and Neighbor Discovery solicitations/advertisements (RFC 4861 4.3, 4.4).

import { ld16, ld32, st16, st32 } from "./mem";
import { checksumOf, sumBytes, term16 } from "./checksum";
import { offsetOf } from "./context";
import { parseQuotedIpv6 } from "./ipv6";
import { verifyTransport } from "./l4sum";
import {
  E_ICMP_BAD_CHECKSUM, E_ICMP_TRUNCATED, E_NDP_BAD_OPTION, E_NDP_TRUNCATED, E_OK,
  FLAG_NDP_LL, KIND_ICMP6, KIND_NDP_NA, KIND_NDP_NS, REC_FLAGS, REC_ICMP_CODE, REC_ICMP_EXTRA,
  REC_ICMP_ID, REC_ICMP_SEQ, REC_ICMP_TYPE, REC_KIND, REC_NDP_FLAGS, REC_NDP_LL_ADDR,
  REC_NDP_TARGET, REC_PAYLOAD_LEN, REC_PAYLOAD_OFF, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

export const TYPE: u32 = 0;
export const CODE: u32 = 1;
export const CHECKSUM: u32 = 2;
export const IDENT: u32 = 4;
export const SEQ_NO: u32 = 6;
export const REST: u32 = 4;
export const DATA: u32 = 8;
export const HEADER_LEN: u32 = 8;
export const NA_FLAGS: u32 = 4;
export const ND_TARGET: u32 = 8; // 16 bytes
export const ND_OPTIONS: u32 = 24;

export const DEST_UNREACHABLE: u32 = 1;
export const PACKET_TOO_BIG: u32 = 2;
export const TIME_EXCEEDED: u32 = 3;
export const PARAMETER_PROBLEM: u32 = 4;
export const ECHO_REQUEST: u32 = 128;
export const ECHO_REPLY: u32 = 129;
export const NEIGHBOR_SOLICITATION: u32 = 135;
export const NEIGHBOR_ADVERTISEMENT: u32 = 136;

export const OPT_SOURCE_LL: u32 = 1;
export const OPT_TARGET_LL: u32 = 2;

/** NDP options (RFC 4861 4.6): 8-octet units, zero length is invalid. */
function parseNdOptions(p: usize, len: u32, rec: usize, want: u32): u32 {
  let i: u32 = 0;
  while (i < len) {
    if (len - i < 8) return E_NDP_BAD_OPTION;
    const t = <u32>load<u8>(p + i);
    const l = <u32>load<u8>(p + i + 1) << 3;
    if (l == 0 || l > len - i) return E_NDP_BAD_OPTION;
    if (t == want) {
      memory.copy(rec + REC_NDP_LL_ADDR, p + i + 2, 6);
      store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_NDP_LL);
    }
    i += l;
  }
  return E_OK;
}

export function parseIcmp6(p: usize, len: u32, rec: usize): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_ICMP6);
  if (len < HEADER_LEN) return E_ICMP_TRUNCATED;
  const t = <u32>load<u8>(p + TYPE);
  store<u8>(rec + REC_ICMP_TYPE, <u8>t);
  store<u8>(rec + REC_ICMP_CODE, load<u8>(p + CODE));
  if (!verifyTransport(p, len, CHECKSUM, 58, rec, false)) return E_ICMP_BAD_CHECKSUM;
  if (t == ECHO_REQUEST || t == ECHO_REPLY) {
    store<u16>(rec + REC_ICMP_ID, <u16>ld16(p + IDENT));
    store<u16>(rec + REC_ICMP_SEQ, <u16>ld16(p + SEQ_NO));
  } else if (t == NEIGHBOR_SOLICITATION || t == NEIGHBOR_ADVERTISEMENT) {
    store<u8>(rec + REC_KIND, <u8>(t == NEIGHBOR_SOLICITATION ? KIND_NDP_NS : KIND_NDP_NA));
    if (len < ND_OPTIONS) return E_NDP_TRUNCATED;
    if (t == NEIGHBOR_ADVERTISEMENT) store<u8>(rec + REC_NDP_FLAGS, load<u8>(p + NA_FLAGS));
    memory.copy(rec + REC_NDP_TARGET, p + ND_TARGET, 16);
    store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + ND_OPTIONS));
    store<u32>(rec + REC_PAYLOAD_LEN, len - ND_OPTIONS);
    return parseNdOptions(p + ND_OPTIONS, len - ND_OPTIONS, rec,
      t == NEIGHBOR_SOLICITATION ? OPT_SOURCE_LL : OPT_TARGET_LL);
  } else {
    store<u32>(rec + REC_ICMP_EXTRA, ld32(p + REST));
  }
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + DATA));
  store<u32>(rec + REC_PAYLOAD_LEN, len - DATA);
  if (t >= DEST_UNREACHABLE && t <= PARAMETER_PROBLEM) {
    return parseQuotedIpv6(p + DATA, len - DATA, rec);
  }
  return E_OK;
}

export function icmp6Len(spec: usize): u32 {
  const t = <u32>load<u8>(spec + REC_ICMP_TYPE);
  if (t == NEIGHBOR_SOLICITATION || t == NEIGHBOR_ADVERTISEMENT) {
    return ND_OPTIONS + ((load<u16>(spec + REC_FLAGS) & FLAG_NDP_LL) != 0 ? 8 : 0);
  }
  return HEADER_LEN + load<u32>(spec + SPEC_PAYLOAD_LEN);
}

/** Writes the message; `pseudo` is the address part of the pseudo-header. */
export function emitIcmp6(out: usize, spec: usize, pseudo: u64): u32 {
  const t = <u32>load<u8>(spec + REC_ICMP_TYPE);
  const len = icmp6Len(spec);
  store<u8>(out + TYPE, <u8>t);
  store<u8>(out + CODE, load<u8>(spec + REC_ICMP_CODE));
  st16(out + CHECKSUM, 0);
  if (t == ECHO_REQUEST || t == ECHO_REPLY) {
    st16(out + IDENT, load<u16>(spec + REC_ICMP_ID));
    st16(out + SEQ_NO, load<u16>(spec + REC_ICMP_SEQ));
  } else if (t == NEIGHBOR_SOLICITATION || t == NEIGHBOR_ADVERTISEMENT) {
    st32(out + REST, 0);
    if (t == NEIGHBOR_ADVERTISEMENT) store<u8>(out + NA_FLAGS, load<u8>(spec + REC_NDP_FLAGS));
    memory.copy(out + ND_TARGET, spec + REC_NDP_TARGET, 16);
    if (len > ND_OPTIONS) {
      store<u8>(out + ND_OPTIONS, <u8>(t == NEIGHBOR_SOLICITATION ? OPT_SOURCE_LL : OPT_TARGET_LL));
      store<u8>(out + ND_OPTIONS + 1, 1);
      memory.copy(out + ND_OPTIONS + 2, spec + REC_NDP_LL_ADDR, 6);
    }
  } else {
    st32(out + REST, load<u32>(spec + REC_ICMP_EXTRA));
  }
  if (t != NEIGHBOR_SOLICITATION && t != NEIGHBOR_ADVERTISEMENT && len > HEADER_LEN) {
    memory.copy(out + DATA, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), len - HEADER_LEN);
  }
  st16(out + CHECKSUM, checksumOf(sumBytes(out, len, pseudo + term16(58) + term16(len))));
  return len;
}
