// ARP for Ethernet / IPv4 (RFC 826).

import { ld16, ld32, st16, st32 } from "./mem";
import {
  E_ARP_TRUNCATED, E_ARP_UNSUPPORTED, E_OK, REC_ARP_OP, REC_ARP_SENDER_IP, REC_ARP_SENDER_MAC,
  REC_ARP_TARGET_IP, REC_ARP_TARGET_MAC,
} from "./layout";

export const HTYPE: u32 = 0;
export const PTYPE: u32 = 2;
export const HLEN: u32 = 4;
export const PLEN: u32 = 5;
export const OPER: u32 = 6;
export const SHA: u32 = 8; // 6 bytes
export const SPA: u32 = 14;
export const THA: u32 = 18; // 6 bytes
export const TPA: u32 = 24;
export const LEN: u32 = 28;

const FIXED_LEN: u32 = 8;

export function parseArp(p: usize, len: u32, rec: usize): u32 {
  if (len < FIXED_LEN) return E_ARP_TRUNCATED;
  if (ld16(p + HTYPE) != 1 || ld16(p + PTYPE) != 0x0800 || load<u8>(p + HLEN) != 6 ||
    load<u8>(p + PLEN) != 4) return E_ARP_UNSUPPORTED;
  if (len < LEN) return E_ARP_TRUNCATED;
  store<u16>(rec + REC_ARP_OP, <u16>ld16(p + OPER));
  memory.copy(rec + REC_ARP_SENDER_MAC, p + SHA, 6);
  store<u32>(rec + REC_ARP_SENDER_IP, ld32(p + SPA));
  memory.copy(rec + REC_ARP_TARGET_MAC, p + THA, 6);
  store<u32>(rec + REC_ARP_TARGET_IP, ld32(p + TPA));
  return E_OK;
}

export function emitArp(out: usize, spec: usize): u32 {
  st16(out + HTYPE, 1);
  st16(out + PTYPE, 0x0800);
  store<u8>(out + HLEN, 6);
  store<u8>(out + PLEN, 4);
  st16(out + OPER, load<u16>(spec + REC_ARP_OP));
  memory.copy(out + SHA, spec + REC_ARP_SENDER_MAC, 6);
  st32(out + SPA, load<u32>(spec + REC_ARP_SENDER_IP));
  memory.copy(out + THA, spec + REC_ARP_TARGET_MAC, 6);
  st32(out + TPA, load<u32>(spec + REC_ARP_TARGET_IP));
  return LEN;
}
