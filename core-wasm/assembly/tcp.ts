// TCP header and the options nmap sends (RFC 9293, RFC 7323 window scale / timestamps,
// RFC 2018 SACK).

import { ld16, ld32, st16, st32 } from "./mem";
import { checksumOf, sumBytes, term16 } from "./checksum";
import { offsetOf } from "./context";
import { verifyTransport } from "./l4sum";
import {
  E_OK, E_TCP_BAD_CHECKSUM, E_TCP_BAD_OFFSET, E_TCP_BAD_OPTIONS, E_TCP_TRUNCATED, KIND_TCP,
  FLAG_BAD_CSUM, REC_FLAGS,
  OPT_EOL, OPT_MSS, OPT_SACK, OPT_SACK_OK, OPT_TIMESTAMP, OPT_WSCALE, REC_ACK, REC_DST_PORT,
  REC_KIND, REC_MSS, REC_OPT_FLAGS, REC_PAYLOAD_LEN, REC_PAYLOAD_OFF, REC_SEQ, REC_SRC_PORT,
  REC_TCP_FLAGS, REC_TCP_OPT_LEN, REC_TCP_OPT_OFF, REC_TSECR, REC_TSVAL, REC_URGENT,
  REC_WINDOW, REC_WSCALE, SPEC_OPT_LEN, SPEC_OPT_PTR, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

export const SRC_PORT: u32 = 0;
export const DST_PORT: u32 = 2;
export const SEQ_NUM: u32 = 4;
export const ACK_NUM: u32 = 8;
export const DATA_OFF: u32 = 12;
export const FLAGS: u32 = 13;
export const WIN_SIZE: u32 = 14;
export const CHECKSUM: u32 = 16;
export const URGENT: u32 = 18;
export const HEADER_LEN: u32 = 20;
export const MAX_OPTIONS_LEN: u32 = 40;

export const OPT_KIND_EOL: u32 = 0;
export const OPT_KIND_NOP: u32 = 1;
export const OPT_KIND_MSS: u32 = 2;
export const OPT_KIND_WSCALE: u32 = 3;
export const OPT_KIND_SACK_OK: u32 = 4;
export const OPT_KIND_SACK: u32 = 5;
export const OPT_KIND_TIMESTAMP: u32 = 8;

/** Parses options into the record; false when an option's length is wrong or overruns. */
function parseOptions(p: usize, len: u32, rec: usize): bool {
  let i: u32 = 0;
  let seen: u32 = 0;
  while (i < len) {
    const k = <u32>load<u8>(p + i);
    if (k == OPT_KIND_EOL) {
      seen |= OPT_EOL;
      break;
    }
    if (k == OPT_KIND_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= len) return false;
    const l = <u32>load<u8>(p + i + 1);
    if (l < 2 || l > len - i) return false;
    const v = p + i + 2;
    if (k == OPT_KIND_MSS) {
      if (l != 4) return false;
      store<u16>(rec + REC_MSS, <u16>ld16(v));
      seen |= OPT_MSS;
    } else if (k == OPT_KIND_WSCALE) {
      if (l != 3) return false;
      store<u8>(rec + REC_WSCALE, load<u8>(v));
      seen |= OPT_WSCALE;
    } else if (k == OPT_KIND_SACK_OK) {
      if (l != 2) return false;
      seen |= OPT_SACK_OK;
    } else if (k == OPT_KIND_SACK) {
      if (l < 10 || ((l - 2) & 7) != 0) return false;
      seen |= OPT_SACK;
    } else if (k == OPT_KIND_TIMESTAMP) {
      if (l != 10) return false;
      store<u32>(rec + REC_TSVAL, ld32(v));
      store<u32>(rec + REC_TSECR, ld32(v + 4));
      seen |= OPT_TIMESTAMP;
    }
    i += l;
  }
  store<u8>(rec + REC_OPT_FLAGS, <u8>seen);
  return true;
}

export function parseTcp(p: usize, len: u32, rec: usize): u32 {
  store<u8>(rec + REC_KIND, <u8>KIND_TCP);
  if (len < HEADER_LEN) return E_TCP_TRUNCATED;
  store<u16>(rec + REC_SRC_PORT, <u16>ld16(p + SRC_PORT));
  store<u16>(rec + REC_DST_PORT, <u16>ld16(p + DST_PORT));
  store<u32>(rec + REC_SEQ, ld32(p + SEQ_NUM));
  store<u32>(rec + REC_ACK, ld32(p + ACK_NUM));
  store<u8>(rec + REC_TCP_FLAGS, load<u8>(p + FLAGS));
  store<u16>(rec + REC_WINDOW, <u16>ld16(p + WIN_SIZE));
  store<u16>(rec + REC_URGENT, <u16>ld16(p + URGENT));
  const doff = (<u32>load<u8>(p + DATA_OFF) >> 4) << 2;
  if (doff < HEADER_LEN || doff > len) return E_TCP_BAD_OFFSET;
  store<u16>(rec + REC_TCP_OPT_OFF, <u16>offsetOf(p + HEADER_LEN));
  store<u8>(rec + REC_TCP_OPT_LEN, <u8>(doff - HEADER_LEN));
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p + doff));
  store<u32>(rec + REC_PAYLOAD_LEN, len - doff);
  if (!parseOptions(p + HEADER_LEN, doff - HEADER_LEN, rec)) return E_TCP_BAD_OPTIONS;
  if (!verifyTransport(p, len, CHECKSUM, 6, rec, true)) return E_TCP_BAD_CHECKSUM;
  return E_OK;
}

/** Options are padded with EOL to a multiple of 4 bytes. */
export function tcpLen(spec: usize): u32 {
  return HEADER_LEN + ((min<u32>(load<u32>(spec + SPEC_OPT_LEN), MAX_OPTIONS_LEN) + 3) & ~3) +
    load<u32>(spec + SPEC_PAYLOAD_LEN);
}

/** Writes header, options and payload; `pseudo` is the address part of the pseudo-header. */
export function emitTcp(out: usize, spec: usize, pseudo: u64): u32 {
  const optLen = min<u32>(load<u32>(spec + SPEC_OPT_LEN), MAX_OPTIONS_LEN);
  const hl = HEADER_LEN + ((optLen + 3) & ~3);
  const payLen = load<u32>(spec + SPEC_PAYLOAD_LEN);
  st16(out + SRC_PORT, load<u16>(spec + REC_SRC_PORT));
  st16(out + DST_PORT, load<u16>(spec + REC_DST_PORT));
  st32(out + SEQ_NUM, load<u32>(spec + REC_SEQ));
  st32(out + ACK_NUM, load<u32>(spec + REC_ACK));
  store<u8>(out + DATA_OFF, <u8>((hl >> 2) << 4));
  store<u8>(out + FLAGS, load<u8>(spec + REC_TCP_FLAGS));
  st16(out + WIN_SIZE, load<u16>(spec + REC_WINDOW));
  st16(out + CHECKSUM, 0);
  st16(out + URGENT, load<u16>(spec + REC_URGENT));
  if (optLen != 0) memory.copy(out + HEADER_LEN, <usize>load<u32>(spec + SPEC_OPT_PTR), optLen);
  memory.fill(out + HEADER_LEN + optLen, 0, hl - HEADER_LEN - optLen);
  if (payLen != 0) memory.copy(out + hl, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), payLen);
  const len = hl + payLen;
  // --badsum: one more in the sum makes the checksum one off (template.ts does the same).
  const bad: u64 = (load<u16>(spec + REC_FLAGS) & FLAG_BAD_CSUM) != 0 ? term16(1) : 0;
  st16(out + CHECKSUM, checksumOf(sumBytes(out, len, pseudo + term16(6) + term16(len) + bad)));
  return len;
}
