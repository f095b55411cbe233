// Ethernet II with up to two 802.1Q / 802.1ad tags (IEEE 802.3 clause 3, 802.1Q 9.6).

import { ld16, st16 } from "./mem";
import { FLAG_VLAN, REC_DST_MAC, REC_ETHERTYPE, REC_FLAGS, REC_SRC_MAC, REC_VLAN } from "./layout";

export const DST: u32 = 0; // 6 bytes
export const SRC: u32 = 6; // 6 bytes
export const ETHERTYPE: u32 = 12;
export const HEADER_LEN: u32 = 14;
export const TAG_LEN: u32 = 4;

export const ETHERTYPE_IPV4: u32 = 0x0800;
export const ETHERTYPE_ARP: u32 = 0x0806;
export const ETHERTYPE_IPV6: u32 = 0x86dd;
export const ETHERTYPE_VLAN: u32 = 0x8100;
export const ETHERTYPE_QINQ: u32 = 0x88a8;
export const ETHERTYPE_QINQ_OLD: u32 = 0x9100;

@inline function isTag(t: u32): bool {
  return t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ || t == ETHERTYPE_QINQ_OLD;
}

/**
 * Parses the Ethernet header into `rec`; returns the network header offset, or 0 when the
 * frame is too short (the caller reports E_LINK_TRUNCATED).
 */
export function parseEthernet(p: usize, len: u32, rec: usize): u32 {
  if (len < HEADER_LEN) return 0;
  memory.copy(rec + REC_DST_MAC, p + DST, 6);
  memory.copy(rec + REC_SRC_MAC, p + SRC, 6);
  let type = ld16(p + ETHERTYPE);
  let off = HEADER_LEN;
  let tags = 0;
  while (isTag(type) && tags < 2) {
    if (len < off + TAG_LEN) return 0;
    if (tags == 0) {
      store<u16>(rec + REC_VLAN, <u16>ld16(p + off));
      store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_VLAN);
    }
    type = ld16(p + off + 2);
    off += TAG_LEN;
    tags++;
  }
  store<u16>(rec + REC_ETHERTYPE, <u16>type);
  return off;
}

/** Header length for `spec` (with a tag when FLAG_VLAN is set). */
export function ethernetLen(spec: usize): u32 {
  return (load<u16>(spec + REC_FLAGS) & FLAG_VLAN) != 0 ? HEADER_LEN + TAG_LEN : HEADER_LEN;
}

/** Writes the Ethernet header; returns its length. */
export function emitEthernet(out: usize, spec: usize, type: u32): u32 {
  memory.copy(out + DST, spec + REC_DST_MAC, 6);
  memory.copy(out + SRC, spec + REC_SRC_MAC, 6);
  if ((load<u16>(spec + REC_FLAGS) & FLAG_VLAN) != 0) {
    st16(out + ETHERTYPE, ETHERTYPE_VLAN);
    st16(out + HEADER_LEN, load<u16>(spec + REC_VLAN));
    st16(out + HEADER_LEN + 2, type);
    return HEADER_LEN + TAG_LEN;
  }
  st16(out + ETHERTYPE, type);
  return HEADER_LEN;
}
