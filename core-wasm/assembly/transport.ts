// Dispatch from the network layer to the transport parsers, and the 8 bytes of transport
// header quoted in ICMP errors (RFC 792: ports and TCP seq / SCTP verification tag).

import { ld16, ld32 } from "./mem";
import { offsetOf } from "./context";
import { parseTcp } from "./tcp";
import { parseUdp } from "./udp";
import { parseSctp } from "./sctp";
import { parseIcmp4 } from "./icmpv4";
import { parseIcmp6 } from "./icmpv6";
import { parseIgmp } from "./igmp";
import {
  E_ICMP_BAD_QUOTE, E_OK, FLAG_QUOTE_PORTS, REC_FLAGS, REC_L4_OFF, REC_PAYLOAD_LEN, REC_PAYLOAD_OFF,
  REC_QUOTED_DST_PORT, REC_QUOTED_ICMP_ID, REC_QUOTED_ICMP_SEQ, REC_QUOTED_SEQ,
  REC_QUOTED_SRC_PORT,
} from "./layout";

export const PROTO_ICMP: u32 = 1;
export const PROTO_IGMP: u32 = 2;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const PROTO_ICMPV6: u32 = 58;
export const PROTO_SCTP: u32 = 132;

export function parseTransport(p: usize, len: u32, rec: usize, proto: u32, family: u32): u32 {
  store<u16>(rec + REC_L4_OFF, <u16>offsetOf(p));
  if (proto == PROTO_TCP) return parseTcp(p, len, rec);
  if (proto == PROTO_UDP) return parseUdp(p, len, rec, family);
  if (proto == PROTO_SCTP) return parseSctp(p, len, rec);
  if (proto == PROTO_ICMP && family == 4) return parseIcmp4(p, len, rec);
  if (proto == PROTO_IGMP && family == 4) return parseIgmp(p, len, rec);
  if (proto == PROTO_ICMPV6 && family == 6) return parseIcmp6(p, len, rec);
  store<u32>(rec + REC_PAYLOAD_OFF, offsetOf(p));
  store<u32>(rec + REC_PAYLOAD_LEN, len);
  return E_OK;
}

/**
 * RFC 792 / RFC 4443: at least the first 8 bytes of the original transport header. ICMP is
 * IPv4's and ICMPv6 IPv6's (`family`): on the other family it is an opaque protocol number, as
 * in an -sO probe that carried nothing after its IP header.
 */
export function parseQuotedTransport(p: usize, len: u32, rec: usize, proto: u32, family: u32): u32 {
  const icmp = (proto == PROTO_ICMP && family == 4) || (proto == PROTO_ICMPV6 && family == 6);
  if (proto != PROTO_TCP && proto != PROTO_UDP && proto != PROTO_SCTP && !icmp) return E_OK;
  if (len < 8) return E_ICMP_BAD_QUOTE;
  if (proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP) {
    store<u16>(rec + REC_QUOTED_SRC_PORT, <u16>ld16(p));
    store<u16>(rec + REC_QUOTED_DST_PORT, <u16>ld16(p + 2));
    // TCP's sequence number or SCTP's verification tag: both follow the ports.
    if (proto != PROTO_UDP) store<u32>(rec + REC_QUOTED_SEQ, ld32(p + 4));
  } else {
    store<u16>(rec + REC_QUOTED_ICMP_ID, <u16>ld16(p + 4));
    store<u16>(rec + REC_QUOTED_ICMP_SEQ, <u16>ld16(p + 6));
  }
  store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>FLAG_QUOTE_PORTS);
  return E_OK;
}
