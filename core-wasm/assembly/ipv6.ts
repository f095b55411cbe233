// IPv6 header and extension-header chain (RFC 8200), including the copy quoted in ICMPv6 errors.

import { ld16, ld32, st16, st32 } from "./mem";
import { sumBytes } from "./checksum";
import { setL4Context } from "./context";
import {
  E_ICMP_BAD_QUOTE, E_IP6_BAD_EXT, E_IP6_EXT_LIMIT, E_IP_BAD_VERSION, E_IP_FRAGMENT,
  E_IP_TRUNCATED, E_OK, FLAG_MF, FLAG_QUOTE, FLAG_V6_EXT, FLAG_V6_FRAGMENT, REC_DST_V6,
  REC_FAMILY, REC_FLAGS, REC_FLOW_LABEL, REC_FRAG_OFF, REC_IP_ID, REC_IP_LEN, REC_IP_PROTO,
  REC_QUOTED_DST_V6, REC_QUOTED_IP_ID, REC_QUOTED_PROTO, REC_QUOTED_SRC_V6, REC_QUOTED_TTL,
  REC_SRC_V6, REC_TOS, REC_TTL, SPEC_EXT_FIRST, SPEC_IPOPT_LEN, SPEC_IPOPT_PTR,
} from "./layout";
import { parseQuotedTransport, parseTransport } from "./transport";

export const VER_TC_FLOW: u32 = 0;
export const PAYLOAD_LEN: u32 = 4;
export const NEXT_HEADER: u32 = 6;
export const HOP_LIMIT: u32 = 7;
export const SRC_ADDR: u32 = 8; // 16 bytes
export const DST_ADDR: u32 = 24; // 16 bytes
export const HEADER_LEN: u32 = 40;

export const NH_HOP_BY_HOP: u32 = 0;
export const NH_ROUTING: u32 = 43;
export const NH_FRAGMENT: u32 = 44;
export const NH_AH: u32 = 51;
export const NH_NONE: u32 = 59;
export const NH_DEST_OPTS: u32 = 60;
export const NH_ICMPV6: u32 = 58;

/** More extension headers than this is treated as a loop / abuse (RFC 8200 4.1 order has 7). */
export const MAX_EXT_HEADERS: u32 = 8;

// Results of walkExtensions.
let extNext: u32 = 0;
let extOff: u32 = 0;
let extFragOff: u32 = 0;
let extFragMore: bool = false;
let extFragId: u32 = 0;
let extSeenFrag: bool = false;
let extRouted: bool = false;

@inline function isExtension(nh: u32): bool {
  return nh == NH_HOP_BY_HOP || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DEST_OPTS ||
    nh == NH_AH;
}

@inline function addFlags(rec: usize, f: u32): void {
  store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>f);
}

/**
 * Walks the extension headers at `p` (`len` bytes, first type `nh`). Stops at the first
 * non-extension header or at a non-first fragment. Hop-by-hop is only allowed first (4.3).
 */
function walkExtensions(p: usize, len: u32, nh: u32): u32 {
  let off: u32 = 0;
  let count: u32 = 0;
  extFragOff = 0;
  extFragMore = false;
  extFragId = 0;
  extSeenFrag = false;
  extRouted = false;
  while (isExtension(nh)) {
    if (nh == NH_HOP_BY_HOP && count != 0) return E_IP6_BAD_EXT;
    if (count == MAX_EXT_HEADERS) return E_IP6_EXT_LIMIT;
    if (len - off < 8) return E_IP6_BAD_EXT;
    const h = p + off;
    let hl: u32;
    if (nh == NH_FRAGMENT) {
      hl = 8;
      const fo = ld16(h + 2);
      extSeenFrag = true;
      extFragOff = fo >> 3;
      extFragMore = (fo & 1) != 0;
      extFragId = ld32(h + 4);
    } else if (nh == NH_AH) {
      hl = (<u32>load<u8>(h + 1) + 2) << 2;
    } else {
      hl = (<u32>load<u8>(h + 1) + 1) << 3;
      // A routing header with segments left makes the pseudo-header use another address.
      if (nh == NH_ROUTING && load<u8>(h + 3) != 0) extRouted = true;
    }
    if (hl > len - off) return E_IP6_BAD_EXT;
    nh = <u32>load<u8>(h);
    off += hl;
    count++;
    if (extSeenFrag && extFragOff != 0) break;
  }
  extNext = nh;
  extOff = off;
  return E_OK;
}

export function parseIpv6(p: usize, len: u32, rec: usize): u32 {
  if (len < HEADER_LEN) return E_IP_TRUNCATED;
  const vtf = ld32(p + VER_TC_FLOW);
  if ((vtf >> 28) != 6) return E_IP_BAD_VERSION;
  store<u8>(rec + REC_FAMILY, 6);
  const plen = ld16(p + PAYLOAD_LEN);
  store<u8>(rec + REC_TOS, <u8>(vtf >> 20));
  store<u32>(rec + REC_FLOW_LABEL, vtf & 0xfffff);
  store<u8>(rec + REC_TTL, load<u8>(p + HOP_LIMIT));
  store<u16>(rec + REC_IP_LEN, <u16>min<u32>(plen + HEADER_LEN, 0xffff));
  memory.copy(rec + REC_SRC_V6, p + SRC_ADDR, 16);
  memory.copy(rec + REC_DST_V6, p + DST_ADDR, 16);
  const first = <u32>load<u8>(p + NEXT_HEADER);
  store<u8>(rec + REC_IP_PROTO, <u8>first);
  if (plen > len - HEADER_LEN) return E_IP_TRUNCATED;
  const status = walkExtensions(p + HEADER_LEN, plen, first);
  if (status != E_OK) return status;
  if (extOff != 0) addFlags(rec, FLAG_V6_EXT);
  store<u8>(rec + REC_IP_PROTO, <u8>extNext);
  if (extSeenFrag) {
    addFlags(rec, FLAG_V6_FRAGMENT | (extFragMore ? FLAG_MF : 0));
    store<u16>(rec + REC_FRAG_OFF, <u16>extFragOff);
    store<u16>(rec + REC_IP_ID, <u16>extFragId);
    if (extFragOff != 0) return E_IP_FRAGMENT;
  }
  let acc = sumBytes(p + SRC_ADDR, 32, 0);
  setL4Context(acc, !extFragMore && !extRouted, extFragMore);
  return parseTransport(p + HEADER_LEN + extOff, plen - extOff, rec, extNext, 6);
}

/** Parses the packet quoted in an ICMPv6 error (RFC 4443 2.4: as much as fits in 1280). */
export function parseQuotedIpv6(p: usize, len: u32, rec: usize): u32 {
  if (len < HEADER_LEN) return E_ICMP_BAD_QUOTE;
  if ((load<u8>(p) >> 4) != 6) return E_ICMP_BAD_QUOTE;
  addFlags(rec, FLAG_QUOTE);
  store<u8>(rec + REC_QUOTED_TTL, load<u8>(p + HOP_LIMIT));
  memory.copy(rec + REC_QUOTED_SRC_V6, p + SRC_ADDR, 16);
  memory.copy(rec + REC_QUOTED_DST_V6, p + DST_ADDR, 16);
  const first = <u32>load<u8>(p + NEXT_HEADER);
  store<u8>(rec + REC_QUOTED_PROTO, <u8>first);
  const status = walkExtensions(p + HEADER_LEN, len - HEADER_LEN, first);
  // A chain cut short (an -sO probe of an extension header's number carries none) still
  // names the probe by its first next header; nothing further is read.
  if (status != E_OK) return E_OK;
  store<u8>(rec + REC_QUOTED_PROTO, <u8>extNext);
  if (extSeenFrag) store<u16>(rec + REC_QUOTED_IP_ID, <u16>extFragId);
  if (extSeenFrag && extFragOff != 0) return E_OK;
  return parseQuotedTransport(
    p + HEADER_LEN + extOff,
    len - HEADER_LEN - extOff,
    rec,
    extNext,
    6,
  );
}

/** Bytes of extension headers the spec carries (a pre-built chain, multiple of 8). */
export function ipv6ExtLen(spec: usize): u32 {
  return load<u32>(spec + SPEC_IPOPT_LEN);
}

/**
 * Writes the fixed header plus the spec's extension chain; the chain's last next-header byte
 * is set to `proto`. Returns the header length including extensions.
 */
export function emitIpv6(out: usize, spec: usize, proto: u32, payloadLen: u32): u32 {
  const extLen = ipv6ExtLen(spec);
  const tc = <u32>load<u8>(spec + REC_TOS);
  st32(out + VER_TC_FLOW, (6 << 28) | (tc << 20) | (load<u32>(spec + REC_FLOW_LABEL) & 0xfffff));
  st16(out + PAYLOAD_LEN, payloadLen + extLen);
  store<u8>(out + HOP_LIMIT, load<u8>(spec + REC_TTL));
  memory.copy(out + SRC_ADDR, spec + REC_SRC_V6, 16);
  memory.copy(out + DST_ADDR, spec + REC_DST_V6, 16);
  if (extLen == 0) {
    store<u8>(out + NEXT_HEADER, <u8>proto);
    return HEADER_LEN;
  }
  store<u8>(out + NEXT_HEADER, <u8>load<u32>(spec + SPEC_EXT_FIRST));
  const chain = out + HEADER_LEN;
  memory.copy(chain, <usize>load<u32>(spec + SPEC_IPOPT_PTR), extLen);
  // Follow the chain as written to find the last header and point it at the transport.
  let nh = load<u32>(spec + SPEC_EXT_FIRST);
  let off: u32 = 0;
  let last: u32 = 0xffffffff;
  while (isExtension(nh) && extLen - off >= 8) {
    const h = chain + off;
    const hl: u32 = nh == NH_FRAGMENT ? 8 : nh == NH_AH ? (<u32>load<u8>(h + 1) + 2) << 2 :
      (<u32>load<u8>(h + 1) + 1) << 3;
    if (hl > extLen - off) break;
    last = off;
    nh = <u32>load<u8>(h);
    off += hl;
  }
  if (last != 0xffffffff) store<u8>(chain + last, <u8>proto);
  return HEADER_LEN + extLen;
}
