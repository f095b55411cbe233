// Linux cooked captures: LINKTYPE_LINUX_SLL (16 bytes) and LINKTYPE_LINUX_SLL2 (20 bytes),
// as written by libpcap for the "any" device (https://www.tcpdump.org/linktypes/).

import { ld16, st16, st32 } from "./mem";
import { REC_ETHERTYPE, REC_PKT_TYPE, REC_SRC_MAC } from "./layout";

// SLL
export const SLL_PKTTYPE: u32 = 0;
export const SLL_HATYPE: u32 = 2;
export const SLL_ADDRLEN: u32 = 4;
export const SLL_ADDR: u32 = 6; // 8 bytes
export const SLL_PROTOCOL: u32 = 14;
export const SLL_LEN: u32 = 16;

// SLL2
export const SLL2_PROTOCOL: u32 = 0;
export const SLL2_RESERVED: u32 = 2;
export const SLL2_IFINDEX: u32 = 4;
export const SLL2_HATYPE: u32 = 8;
export const SLL2_PKTTYPE: u32 = 10;
export const SLL2_ADDRLEN: u32 = 11;
export const SLL2_ADDR: u32 = 12; // 8 bytes
export const SLL2_LEN: u32 = 20;

const ARPHRD_ETHER: u32 = 1;

/** Returns the network header offset, or 0 when truncated. */
export function parseSll(p: usize, len: u32, rec: usize): u32 {
  if (len < SLL_LEN) return 0;
  store<u8>(rec + REC_PKT_TYPE, <u8>ld16(p + SLL_PKTTYPE));
  if (ld16(p + SLL_ADDRLEN) == 6) memory.copy(rec + REC_SRC_MAC, p + SLL_ADDR, 6);
  store<u16>(rec + REC_ETHERTYPE, <u16>ld16(p + SLL_PROTOCOL));
  return SLL_LEN;
}

/** Returns the network header offset, or 0 when truncated. */
export function parseSll2(p: usize, len: u32, rec: usize): u32 {
  if (len < SLL2_LEN) return 0;
  store<u8>(rec + REC_PKT_TYPE, load<u8>(p + SLL2_PKTTYPE));
  if (load<u8>(p + SLL2_ADDRLEN) == 6) memory.copy(rec + REC_SRC_MAC, p + SLL2_ADDR, 6);
  store<u16>(rec + REC_ETHERTYPE, <u16>ld16(p + SLL2_PROTOCOL));
  return SLL2_LEN;
}

export function emitSll(out: usize, spec: usize, type: u32): u32 {
  st16(out + SLL_PKTTYPE, load<u8>(spec + REC_PKT_TYPE));
  st16(out + SLL_HATYPE, ARPHRD_ETHER);
  st16(out + SLL_ADDRLEN, 6);
  memory.copy(out + SLL_ADDR, spec + REC_SRC_MAC, 6);
  st16(out + SLL_ADDR + 6, 0);
  st16(out + SLL_PROTOCOL, type);
  return SLL_LEN;
}

export function emitSll2(out: usize, spec: usize, type: u32): u32 {
  st16(out + SLL2_PROTOCOL, type);
  st16(out + SLL2_RESERVED, 0);
  st32(out + SLL2_IFINDEX, 0);
  st16(out + SLL2_HATYPE, ARPHRD_ETHER);
  store<u8>(out + SLL2_PKTTYPE, load<u8>(spec + REC_PKT_TYPE));
  store<u8>(out + SLL2_ADDRLEN, 6);
  memory.copy(out + SLL2_ADDR, spec + REC_SRC_MAC, 6);
  st16(out + SLL2_ADDR + 6, 0);
  return SLL2_LEN;
}
