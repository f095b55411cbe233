/**
 * nmap's IP protocol probes (-sO, -PO): which header a probe for IP protocol N carries
 * (scan_engine_raw.cc, build_protoscan_packet). Six protocols get a header their stacks
 * answer — ICMP echo, IGMP membership query, TCP ACK to port 80, UDP to port 40125, SCTP INIT to
 * port 80 and ICMPv6 echo — and every other one an IP header alone (with --data's bytes). ICMP
 * and IGMP are IPv4's, ICMPv6 IPv6's; on the other family they too go out bare.
 *
 * @module
 */

import * as L from "./_layout.ts";
import {
  echoFields,
  ipFields,
  sctpFields,
  type SpecFields,
  tcpFields,
  udpFields,
} from "./_spec.ts";
import { nmapInit } from "./sctp_chunks.ts";
import type { IpSpec } from "./specs.ts";

/** nmap's DEFAULT_TCP_PROBE_PORT and DEFAULT_SCTP_PROBE_PORT. */
export const PROTOCOL_PROBE_TCP_PORT = 80;
/** nmap's DEFAULT_UDP_PROBE_PORT. */
export const PROTOCOL_PROBE_UDP_PORT = 40125;
/** IGMP's membership query (RFC 2236 2.1). */
export const IGMP_MEMBERSHIP_QUERY = 0x11;

/** One -sO / -PO probe. */
export interface ProtocolProbeSpec extends IpSpec {
  /** The IP protocol number (0..255) probed. */
  protocol: number;
  /** Source port of a TCP, UDP or SCTP probe. */
  srcPort: number;
  /**
   * 32 bits the probe carries where nmap puts random ones: the TCP sequence number, the SCTP
   * initiate tag, and (low 16 bits; 0 is sent as 1, which some hosts need) the ICMP/ICMPv6
   * echo identifier.
   */
  tag: number;
  /** A second 32 bits nmap draws at random: the TCP acknowledgement number and the SCTP initial
   * TSN (default: `tag`). */
  tag2?: number;
  /** Bytes after the header (nmap's --data). */
  payload?: Uint8Array;
  /** A checksum one off (nmap's --badsum), where the protocol has one. */
  badChecksum?: boolean;
}

/** The probe's header kind for `protocol` on IP `family`. */
export function protocolProbeKind(protocol: number, family: 4 | 6): number {
  if (protocol === 6) return L.KIND_TCP;
  if (protocol === 17) return L.KIND_UDP;
  if (protocol === 132) return L.KIND_SCTP;
  if (protocol === 1 && family === 4) return L.KIND_ICMP4;
  if (protocol === 2 && family === 4) return L.KIND_IGMP;
  if (protocol === 58 && family === 6) return L.KIND_ICMP6;
  return L.KIND_OTHER;
}

/** The build fields of `spec`'s probe (PacketCore.buildProtocolProbe builds them). */
export function protocolProbeFields(spec: ProtocolProbeSpec): SpecFields {
  if (!Number.isInteger(spec.protocol) || spec.protocol < 0 || spec.protocol > 255) {
    throw new RangeError(`IP protocol ${spec.protocol} is not in 0..255`);
  }
  const tag = spec.tag >>> 0;
  const family = ipFields(spec, L.KIND_OTHER).family as 4 | 6;
  let f: SpecFields;
  switch (protocolProbeKind(spec.protocol, family)) {
    case L.KIND_TCP:
      f = tcpFields({
        ...spec,
        dstPort: PROTOCOL_PROBE_TCP_PORT,
        seq: tag,
        ack: spec.tag2 ?? tag,
        flags: 0x10,
        window: 1024,
      });
      break;
    case L.KIND_UDP:
      f = udpFields({ ...spec, dstPort: PROTOCOL_PROBE_UDP_PORT });
      break;
    case L.KIND_SCTP:
      f = sctpFields({
        ...spec,
        dstPort: PROTOCOL_PROBE_TCP_PORT,
        vtag: 0,
        chunks: [nmapInit(tag, spec.tag2 ?? tag)],
      });
      // The INIT is the chunk; --data's bytes follow it, as nmap's build_sctp_raw appends them.
      if (spec.payload?.length) f.payload = concat(f.payload!, spec.payload);
      break;
    case L.KIND_ICMP4:
    case L.KIND_ICMP6:
      // nmap: echo request, sequence 0, a non-zero identifier; ICMPv6's code is 129 (sic).
      f = echoFields({ ...spec, id: (tag & 0xffff) || 1, seq: 0 });
      if (family === 6) f.icmpCode = 129;
      break;
    case L.KIND_IGMP:
      f = ipFields(spec, L.KIND_IGMP);
      f.icmpType = IGMP_MEMBERSHIP_QUERY;
      f.payload = spec.payload;
      f.badChecksum = spec.badChecksum;
      break;
    default:
      f = ipFields(spec, L.KIND_OTHER);
      f.ipProto = spec.protocol;
      f.payload = spec.payload;
  }
  // nmap writes the IP ID into an IPv6 probe's flow label.
  if (family === 6 && spec.flowLabel === undefined) f.flowLabel = (spec.ipId ?? 0) & 0xfffff;
  return f;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
