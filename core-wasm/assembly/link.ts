// Link-layer dispatch: Ethernet, Linux cooked (SLL/SLL2), BSD loopback (NULL/LOOP), raw IP.

import { ld32 } from "./mem";
import { parseEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethernetLen, emitEthernet }
  from "./ethernet";
import { emitSll, emitSll2, parseSll, parseSll2, SLL2_LEN, SLL_LEN } from "./sll";
import {
  DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_LOOP, DLT_NULL, DLT_RAW, DLT_RAW_OPENBSD,
  LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_RAW, REC_ETHERTYPE,
} from "./layout";

export const LOOPBACK_LEN: u32 = 4;

// BSD address families seen in DLT_NULL / DLT_LOOP headers.
const AF_INET: u32 = 2;
const AF_INET6_LINUX: u32 = 10;
const AF_INET6_BSD: u32 = 24; // NetBSD, OpenBSD
const AF_INET6_FREEBSD: u32 = 28;
const AF_INET6_DARWIN: u32 = 30;

/** No link header applies to this link type. */
export const NO_LINK: u32 = 0xffffffff;

function familyToEthertype(af: u32): u32 {
  if (af == AF_INET) return ETHERTYPE_IPV4;
  if (af == AF_INET6_LINUX || af == AF_INET6_BSD || af == AF_INET6_FREEBSD ||
    af == AF_INET6_DARWIN) return ETHERTYPE_IPV6;
  return 0;
}

function versionToEthertype(p: usize, len: u32): u32 {
  if (len == 0) return ETHERTYPE_IPV4; // the IPv4 parser reports the truncation
  const v = <u32>load<u8>(p) >> 4;
  return v == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/**
 * Parses the link header. Returns the network header offset (and stores the ethertype in the
 * record), 0 when the frame is shorter than the header, NO_LINK for an unknown link type.
 * Raw-IP frames start at offset 0, so they return 0x80000000 | 0.
 */
export function parseLink(p: usize, len: u32, rec: usize, link: u32): u32 {
  if (link == DLT_EN10MB) return parseEthernet(p, len, rec);
  if (link == DLT_LINUX_SLL) return parseSll(p, len, rec);
  if (link == DLT_LINUX_SLL2) return parseSll2(p, len, rec);
  let type: u32;
  if (link == DLT_NULL || link == DLT_LOOP) {
    if (len < LOOPBACK_LEN) return 0;
    // DLT_NULL is in the capturing host's byte order; accept either.
    let af = link == DLT_LOOP ? ld32(p) : load<u32>(p);
    if (af > 0xffff) af = bswap<u32>(af);
    store<u16>(rec + REC_ETHERTYPE, <u16>familyToEthertype(af));
    return LOOPBACK_LEN;
  }
  if (link == DLT_RAW || link == LINKTYPE_RAW || link == DLT_RAW_OPENBSD) {
    type = versionToEthertype(p, len);
  } else if (link == LINKTYPE_IPV4) {
    type = ETHERTYPE_IPV4;
  } else if (link == LINKTYPE_IPV6) {
    type = ETHERTYPE_IPV6;
  } else {
    return NO_LINK;
  }
  store<u16>(rec + REC_ETHERTYPE, <u16>type);
  return 0x80000000;
}

/** Link header length for `spec` carrying `type`, or NO_LINK when the link cannot carry it. */
export function linkLen(link: u32, spec: usize, type: u32): u32 {
  if (link == DLT_EN10MB) return ethernetLen(spec);
  if (link == DLT_LINUX_SLL) return SLL_LEN;
  if (link == DLT_LINUX_SLL2) return SLL2_LEN;
  if (type == ETHERTYPE_ARP) return NO_LINK;
  if (link == DLT_NULL || link == DLT_LOOP) return LOOPBACK_LEN;
  if (link == DLT_RAW || link == LINKTYPE_RAW || link == DLT_RAW_OPENBSD) return 0;
  if (link == LINKTYPE_IPV4) return type == ETHERTYPE_IPV4 ? 0 : NO_LINK;
  if (link == LINKTYPE_IPV6) return type == ETHERTYPE_IPV6 ? 0 : NO_LINK;
  return NO_LINK;
}

export function emitLink(out: usize, link: u32, spec: usize, type: u32): u32 {
  if (link == DLT_EN10MB) return emitEthernet(out, spec, type);
  if (link == DLT_LINUX_SLL) return emitSll(out, spec, type);
  if (link == DLT_LINUX_SLL2) return emitSll2(out, spec, type);
  if (link == DLT_NULL) {
    // Host order, macOS's AF_INET6 (the common DLT_NULL writer today).
    store<u32>(out, type == ETHERTYPE_IPV6 ? AF_INET6_DARWIN : AF_INET);
    return LOOPBACK_LEN;
  }
  if (link == DLT_LOOP) {
    // Network order, OpenBSD's AF_INET6.
    store<u32>(out, bswap<u32>(type == ETHERTYPE_IPV6 ? AF_INET6_BSD : AF_INET));
    return LOOPBACK_LEN;
  }
  return 0;
}
