// Batch parser: one fixed-layout record per captured frame.

import { setFrame } from "./context";
import { parseLink, NO_LINK } from "./link";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./ethernet";
import { parseArp } from "./arp";
import { parseIpv4 } from "./ipv4";
import { parseIpv6 } from "./ipv6";
import {
  E_BAD_INDEX, E_IP_BAD_VERSION, E_LINK_TRUNCATED, E_LINK_UNSUPPORTED, E_OK, INDEX_STRIDE,
  KIND_ARP, KIND_OTHER, PARSE_VERIFY_CHECKSUMS, REC_ETHERTYPE, REC_FAMILY, REC_KIND, REC_L3_OFF,
  REC_L4_OFF, REC_PAYLOAD_OFF, REC_SIZE, REC_STATUS, REC_TS_SEC, REC_TS_USEC,
} from "./layout";

/** Parses one frame of `len` bytes at `p` into the (zeroed) record; returns the status. */
export function parseFrame(p: usize, len: u32, rec: usize, link: u32): u32 {
  const l3 = parseLink(p, len, rec, link);
  if (l3 == NO_LINK) return E_LINK_UNSUPPORTED;
  if (l3 == 0) return E_LINK_TRUNCATED;
  const off = l3 & 0x7fffffff;
  store<u16>(rec + REC_L3_OFF, <u16>off);
  const type = <u32>load<u16>(rec + REC_ETHERTYPE);
  const q = p + off;
  const rem = len - off;
  if (type == ETHERTYPE_IPV4) {
    if (rem != 0 && (<u32>load<u8>(q) >> 4) != 4) {
      store<u8>(rec + REC_FAMILY, 4);
      return E_IP_BAD_VERSION;
    }
    return parseIpv4(q, rem, rec);
  }
  if (type == ETHERTYPE_IPV6) {
    if (rem != 0 && (<u32>load<u8>(q) >> 4) != 6) {
      store<u8>(rec + REC_FAMILY, 6);
      return E_IP_BAD_VERSION;
    }
    return parseIpv6(q, rem, rec);
  }
  if (type == ETHERTYPE_ARP) {
    store<u8>(rec + REC_KIND, <u8>KIND_ARP);
    return parseArp(q, rem, rec);
  }
  store<u8>(rec + REC_KIND, <u8>KIND_OTHER);
  store<u32>(rec + REC_PAYLOAD_OFF, off);
  return E_OK;
}

/**
 * Parses `count` frames described by the index at `index` (4 u32 each: offset into the data
 * region, caplen, ts_sec, ts_usec) into consecutive records at `records`. Frames outside
 * [data, data + dataLen) get E_BAD_INDEX. Returns how many records have status E_OK.
 */
export function parseBatch(data: usize, dataLen: u32, index: usize, count: u32, records: usize,
  link: u32, flags: u32): u32 {
  const verify = (flags & PARSE_VERIFY_CHECKSUMS) != 0;
  let ok: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const e = index + i * INDEX_STRIDE;
    const rec = records + i * REC_SIZE;
    memory.fill(rec, 0, REC_SIZE);
    const off = load<u32>(e);
    const len = load<u32>(e, 4);
    store<u32>(rec + REC_TS_SEC, load<u32>(e, 8));
    store<u32>(rec + REC_TS_USEC, load<u32>(e, 12));
    let status: u32;
    if (off > dataLen || len > dataLen - off) {
      status = E_BAD_INDEX;
    } else {
      setFrame(data + off, verify);
      status = parseFrame(data + off, len, rec, link);
    }
    store<u16>(rec + REC_STATUS, <u16>status);
    if (status == E_OK) ok++;
  }
  return ok;
}
