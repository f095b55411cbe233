// Frame builder: a build spec (record layout + SPEC_* extension) to wire bytes.

import { sumBytes } from "./checksum";
import { emitLink, linkLen, NO_LINK } from "./link";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./ethernet";
import { emitArp, LEN as ARP_LEN } from "./arp";
import { DST_ADDR, emitIpv4, ipv4HeaderLen, SRC_ADDR, sourceRouteSlot } from "./ipv4";
import { emitIpv6, ipv6ExtLen, HEADER_LEN as IPV6_HEADER_LEN } from "./ipv6";
import { emitTcp, tcpLen } from "./tcp";
import { emitUdp, udpLen } from "./udp";
import { emitSctp, sctpLen } from "./sctp";
import { emitIcmp4, icmp4Len } from "./icmpv4";
import { emitIcmp6, icmp6Len } from "./icmpv6";
import { emitIgmp, igmpLen } from "./igmp";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_IGMP, PROTO_SCTP, PROTO_TCP, PROTO_UDP } from "./transport";
import {
  KIND_ARP, KIND_ICMP4, KIND_ICMP6, KIND_IGMP, KIND_NDP_NA, KIND_NDP_NS, KIND_OTHER, KIND_SCTP, KIND_TCP,
  KIND_UDP,
  REC_FAMILY, REC_IP_PROTO, REC_KIND, SPEC_PAYLOAD_LEN, SPEC_PAYLOAD_PTR,
} from "./layout";

/** Build errors (negative results of buildFrame). */
export const BUILD_NO_ROOM: i32 = -1;
export const BUILD_BAD_SPEC: i32 = -2;

function transportProto(kind: u32, spec: usize): u32 {
  if (kind == KIND_TCP) return PROTO_TCP;
  if (kind == KIND_UDP) return PROTO_UDP;
  if (kind == KIND_SCTP) return PROTO_SCTP;
  if (kind == KIND_ICMP4) return PROTO_ICMP;
  if (kind == KIND_IGMP) return PROTO_IGMP;
  if (kind == KIND_ICMP6 || kind == KIND_NDP_NS || kind == KIND_NDP_NA) return PROTO_ICMPV6;
  return <u32>load<u8>(spec + REC_IP_PROTO);
}

function transportLen(kind: u32, spec: usize): u32 {
  if (kind == KIND_TCP) return tcpLen(spec);
  if (kind == KIND_UDP) return udpLen(spec);
  if (kind == KIND_SCTP) return sctpLen(spec);
  if (kind == KIND_ICMP4) return icmp4Len(spec);
  if (kind == KIND_IGMP) return igmpLen(spec);
  if (kind == KIND_ICMP6 || kind == KIND_NDP_NS || kind == KIND_NDP_NA) return icmp6Len(spec);
  return load<u32>(spec + SPEC_PAYLOAD_LEN);
}

/**
 * Writes the frame described by `spec` for link type `link` at `out` (room for `cap` bytes).
 * Returns its length, BUILD_NO_ROOM, or BUILD_BAD_SPEC (unknown kind, family mismatch, a
 * link type that cannot carry it, or an IP datagram over 65535 bytes).
 */
export function buildFrame(spec: usize, link: u32, out: usize, cap: u32): i32 {
  const kind = <u32>load<u8>(spec + REC_KIND);
  const family = <u32>load<u8>(spec + REC_FAMILY);
  if (kind > KIND_IGMP) return BUILD_BAD_SPEC;
  if (kind == KIND_ARP) {
    const ll = linkLen(link, spec, ETHERTYPE_ARP);
    if (ll == NO_LINK) return BUILD_BAD_SPEC;
    if (<u64>ll + ARP_LEN > <u64>cap) return BUILD_NO_ROOM;
    const o = emitLink(out, link, spec, ETHERTYPE_ARP);
    return <i32>(o + emitArp(out + o, spec));
  }
  if (family != 4 && family != 6) return BUILD_BAD_SPEC;
  if ((kind == KIND_ICMP4 || kind == KIND_IGMP) && family != 4) return BUILD_BAD_SPEC;
  if ((kind == KIND_ICMP6 || kind == KIND_NDP_NS || kind == KIND_NDP_NA) && family != 6) {
    return BUILD_BAD_SPEC;
  }
  const type = family == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  const ll = linkLen(link, spec, type);
  if (ll == NO_LINK) return BUILD_BAD_SPEC;
  const hl = family == 4 ? ipv4HeaderLen(spec) : IPV6_HEADER_LEN + ipv6ExtLen(spec);
  const tl = transportLen(kind, spec);
  if (<u64>hl + <u64>tl > 0xffff) return BUILD_BAD_SPEC;
  const total = ll + hl + tl;
  if (<u64>total > <u64>cap) return BUILD_NO_ROOM;
  const proto = transportProto(kind, spec);
  let o = emitLink(out, link, spec, type);
  const ip = out + o;
  let pseudo: u64;
  if (family == 4) {
    o += emitIpv4(ip, spec, proto, hl + tl);
    // The pseudo-header names the final destination, also behind a source route (RFC 9293
    // 3.1: the last address of the route).
    const at = sourceRouteSlot(spec);
    pseudo = sumBytes(ip + SRC_ADDR, 4, sumBytes(ip + (at != 0 ? at : DST_ADDR), 4, 0));
  } else {
    o += emitIpv6(ip, spec, proto, tl);
    pseudo = sumBytes(ip + 8, 32, 0);
  }
  const t = out + o;
  if (kind == KIND_TCP) emitTcp(t, spec, pseudo);
  else if (kind == KIND_UDP) emitUdp(t, spec, pseudo);
  else if (kind == KIND_SCTP) emitSctp(t, spec);
  else if (kind == KIND_ICMP4) emitIcmp4(t, spec);
  else if (kind == KIND_IGMP) emitIgmp(t, spec);
  else if (kind == KIND_ICMP6 || kind == KIND_NDP_NS || kind == KIND_NDP_NA) {
    emitIcmp6(t, spec, pseudo);
  } else if (kind == KIND_OTHER && tl != 0) {
    memory.copy(t, <usize>load<u32>(spec + SPEC_PAYLOAD_PTR), tl);
  }
  return <i32>total;
}
