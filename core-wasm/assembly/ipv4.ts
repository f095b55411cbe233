// IPv4 header (RFC 791), including the copy quoted inside ICMP errors.

import { ld16, ld32, st16, st32 } from "./mem";
import { checksumOf, sumBytes, sumIsValid } from "./checksum";
import { setL4Context, verify } from "./context";
import {
  E_ICMP_BAD_QUOTE, E_IP_BAD_CHECKSUM, E_IP_BAD_IHL, E_IP_BAD_LENGTH, E_IP_BAD_OPTIONS,
  E_IP_BAD_VERSION, E_IP_FRAGMENT, E_IP_TRUNCATED, E_OK, FLAG_DF, FLAG_IP_OPTIONS, FLAG_MF,
  FLAG_QUOTE, REC_DST_V4, REC_FAMILY, REC_FLAGS, REC_FRAG_OFF, REC_IP_ID, REC_IP_LEN,
  REC_IP_PROTO, REC_QUOTED_DST_V4, REC_QUOTED_IP_ID, REC_QUOTED_PROTO, REC_QUOTED_SRC_V4,
  REC_QUOTED_TTL, REC_SRC_V4, REC_TOS, REC_TTL, SPEC_IPOPT_FIRST_HOP, SPEC_IPOPT_LAST_HOP,
  SPEC_IPOPT_LEN, SPEC_IPOPT_PTR,
} from "./layout";
import { parseQuotedTransport, parseTransport } from "./transport";

export const VER_IHL: u32 = 0;
export const TOS: u32 = 1;
export const LENGTH: u32 = 2;
export const IDENT: u32 = 4;
export const FLG_OFF: u32 = 6;
export const TTL: u32 = 8;
export const PROTOCOL: u32 = 9;
export const CHECKSUM: u32 = 10;
export const SRC_ADDR: u32 = 12;
export const DST_ADDR: u32 = 16;
export const HEADER_LEN: u32 = 20;

const DF: u32 = 0x4000;
const MF: u32 = 0x2000;
const FRAG_MASK: u32 = 0x1fff;

@inline function addFlags(rec: usize, f: u32): void {
  store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>f);
}

/** RFC 791 option list: single-byte EOL/NOP, else type, length (>= 2) within the header. */
function optionsValid(p: usize, len: u32): bool {
  let i: u32 = 0;
  while (i < len) {
    const t = <u32>load<u8>(p + i);
    if (t == 0) return true;
    if (t == 1) {
      i++;
      continue;
    }
    if (i + 1 >= len) return false;
    const l = <u32>load<u8>(p + i + 1);
    if (l < 2 || l > len - i) return false;
    i += l;
  }
  return true;
}

export function parseIpv4(p: usize, len: u32, rec: usize): u32 {
  if (len < HEADER_LEN) return E_IP_TRUNCATED;
  const vihl = <u32>load<u8>(p + VER_IHL);
  if ((vihl >> 4) != 4) return E_IP_BAD_VERSION;
  store<u8>(rec + REC_FAMILY, 4);
  const ihl = (vihl & 15) << 2;
  const total = ld16(p + LENGTH);
  const fo = ld16(p + FLG_OFF);
  const proto = <u32>load<u8>(p + PROTOCOL);
  store<u8>(rec + REC_TOS, load<u8>(p + TOS));
  store<u16>(rec + REC_IP_ID, <u16>ld16(p + IDENT));
  store<u8>(rec + REC_TTL, load<u8>(p + TTL));
  store<u8>(rec + REC_IP_PROTO, <u8>proto);
  store<u16>(rec + REC_IP_LEN, <u16>total);
  store<u16>(rec + REC_FRAG_OFF, <u16>(fo & FRAG_MASK));
  store<u32>(rec + REC_SRC_V4, ld32(p + SRC_ADDR));
  store<u32>(rec + REC_DST_V4, ld32(p + DST_ADDR));
  addFlags(rec, ((fo & DF) != 0 ? FLAG_DF : 0) | ((fo & MF) != 0 ? FLAG_MF : 0));
  if (ihl < HEADER_LEN) return E_IP_BAD_IHL;
  if (total < HEADER_LEN) return E_IP_BAD_LENGTH;
  if (ihl > total) return E_IP_BAD_IHL;
  if (total > len) return E_IP_TRUNCATED;
  if (ihl > HEADER_LEN) {
    addFlags(rec, FLAG_IP_OPTIONS);
    if (!optionsValid(p + HEADER_LEN, ihl - HEADER_LEN)) return E_IP_BAD_OPTIONS;
  }
  if (verify && !sumIsValid(sumBytes(p, ihl, 0))) return E_IP_BAD_CHECKSUM;
  if ((fo & FRAG_MASK) != 0) return E_IP_FRAGMENT;
  setL4Context(sumBytes(p + SRC_ADDR, 8, 0), (fo & MF) == 0, (fo & MF) != 0);
  return parseTransport(p + ihl, total - ihl, rec, proto, 4);
}

/**
 * Parses the datagram quoted in an ICMP error (RFC 792: header + 64 bits of data). Only the
 * header must be whole; its length field describes the original, not the quote.
 */
export function parseQuotedIpv4(p: usize, len: u32, rec: usize): u32 {
  if (len < HEADER_LEN) return E_ICMP_BAD_QUOTE;
  const vihl = <u32>load<u8>(p + VER_IHL);
  const ihl = (vihl & 15) << 2;
  if ((vihl >> 4) != 4 || ihl < HEADER_LEN || ihl > len) return E_ICMP_BAD_QUOTE;
  if (ld16(p + LENGTH) < ihl) return E_ICMP_BAD_QUOTE;
  const proto = <u32>load<u8>(p + PROTOCOL);
  addFlags(rec, FLAG_QUOTE);
  store<u8>(rec + REC_QUOTED_PROTO, <u8>proto);
  store<u8>(rec + REC_QUOTED_TTL, load<u8>(p + TTL));
  store<u16>(rec + REC_QUOTED_IP_ID, <u16>ld16(p + IDENT));
  store<u32>(rec + REC_QUOTED_SRC_V4, ld32(p + SRC_ADDR));
  store<u32>(rec + REC_QUOTED_DST_V4, ld32(p + DST_ADDR));
  if ((ld16(p + FLG_OFF) & FRAG_MASK) != 0) return E_OK;
  return parseQuotedTransport(p + ihl, len - ihl, rec, proto, 4);
}

/** Header length the spec produces (options padded to 4 bytes). */
export function ipv4HeaderLen(spec: usize): u32 {
  return HEADER_LEN + ((load<u32>(spec + SPEC_IPOPT_LEN) + 3) & ~3);
}

/**
 * Where, in the header the spec produces, the destination address goes: DST_ADDR, or for a
 * source route (both hop offsets set and inside the options) the options' last slot. Returns 0
 * for DST_ADDR, else the slot's offset from the header's start.
 */
export function sourceRouteSlot(spec: usize): u32 {
  const first = <u32>load<u8>(spec + SPEC_IPOPT_FIRST_HOP);
  const last = <u32>load<u8>(spec + SPEC_IPOPT_LAST_HOP);
  const optLen = load<u32>(spec + SPEC_IPOPT_LEN);
  if (first == 0 || last == 0 || first + 4 > optLen || last + 4 > optLen) return 0;
  return HEADER_LEN + last;
}

/** Writes the header for a datagram of `total` bytes, with its checksum. */
export function emitIpv4(out: usize, spec: usize, proto: u32, total: u32): u32 {
  const hl = ipv4HeaderLen(spec);
  const optLen = load<u32>(spec + SPEC_IPOPT_LEN);
  store<u8>(out + VER_IHL, <u8>(0x40 | (hl >> 2)));
  store<u8>(out + TOS, load<u8>(spec + REC_TOS));
  st16(out + LENGTH, total);
  st16(out + IDENT, load<u16>(spec + REC_IP_ID));
  const flags = <u32>load<u16>(spec + REC_FLAGS);
  st16(out + FLG_OFF, ((flags & FLAG_DF) != 0 ? DF : 0) | ((flags & FLAG_MF) != 0 ? MF : 0) |
    (<u32>load<u16>(spec + REC_FRAG_OFF) & FRAG_MASK));
  store<u8>(out + TTL, load<u8>(spec + REC_TTL));
  store<u8>(out + PROTOCOL, <u8>proto);
  st16(out + CHECKSUM, 0);
  st32(out + SRC_ADDR, load<u32>(spec + REC_SRC_V4));
  st32(out + DST_ADDR, load<u32>(spec + REC_DST_V4));
  if (optLen != 0) {
    memory.copy(out + HEADER_LEN, <usize>load<u32>(spec + SPEC_IPOPT_PTR), optLen);
    memory.fill(out + HEADER_LEN + optLen, 0, hl - HEADER_LEN - optLen);
    const at = sourceRouteSlot(spec);
    if (at != 0) {
      // A source route (nmap's fill_ip_raw): sent to the first hop, the target in the last slot.
      const first = out + HEADER_LEN + <u32>load<u8>(spec + SPEC_IPOPT_FIRST_HOP);
      memory.copy(out + at, out + DST_ADDR, 4);
      memory.copy(out + DST_ADDR, first, 4);
    }
  }
  st16(out + CHECKSUM, checksumOf(sumBytes(out, hl, 0)));
  return hl;
}
