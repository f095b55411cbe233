/**
 * Enumerations of the packet core: link types, reason codes, record kinds and flag bits.
 * Values come from `_layout.ts`, which mirrors the AssemblyScript layout.
 *
 * @module
 */

import * as L from "./_layout.ts";

/** pcap link types (DLT_* / LINKTYPE_* numbers) the core reads and writes. */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  /** Ethernet II, with optional 802.1Q tags. */
  EN10MB: 1,
  /** Raw IP (DLT_RAW on most systems): version nibble decides v4/v6. */
  RAW: 12,
  /** Raw IP as OpenBSD numbers DLT_RAW. */
  RAW_OPENBSD: 14,
  /** Raw IP, LINKTYPE_RAW (what pcap files store for DLT_RAW). */
  LINKTYPE_RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 (16-byte header, the "any" device). */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux cooked capture v2 (20-byte header). */
  LINUX_SLL2: 276,
} as const;
/** A pcap link type number. */
export type LinkType = number;

/** Reason codes in `ParsedRecords.status`. Only OK means every layer parsed cleanly. */
export const ParseError = {
  OK: L.E_OK,
  /** The index entry points outside the batch data. */
  BAD_INDEX: L.E_BAD_INDEX,
  /** The link type is not one of `LinkType`. */
  LINK_UNSUPPORTED: L.E_LINK_UNSUPPORTED,
  /** Frame shorter than its link header. */
  LINK_TRUNCATED: L.E_LINK_TRUNCATED,
  /** Fewer bytes than the IP header or its length field claim. */
  IP_TRUNCATED: L.E_IP_TRUNCATED,
  /** Version nibble does not match the ethertype (or is not 4/6 on raw links). */
  IP_BAD_VERSION: L.E_IP_BAD_VERSION,
  /** IHL below 5 or beyond the total length. */
  IP_BAD_IHL: L.E_IP_BAD_IHL,
  /** Total length below 20. */
  IP_BAD_LENGTH: L.E_IP_BAD_LENGTH,
  /** Malformed IPv4 option list. */
  IP_BAD_OPTIONS: L.E_IP_BAD_OPTIONS,
  /** IPv4 header checksum wrong (only with checksum verification). */
  IP_BAD_CHECKSUM: L.E_IP_BAD_CHECKSUM,
  /** A non-first fragment: IP fields only. */
  IP_FRAGMENT: L.E_IP_FRAGMENT,
  /** IPv6 extension header truncated, overrunning, or hop-by-hop not first. */
  IP6_BAD_EXT: L.E_IP6_BAD_EXT,
  /** More than 8 IPv6 extension headers (a loop or an attack). */
  IP6_EXT_LIMIT: L.E_IP6_EXT_LIMIT,
  TCP_TRUNCATED: L.E_TCP_TRUNCATED,
  /** TCP data offset below 5 or beyond the segment. */
  TCP_BAD_OFFSET: L.E_TCP_BAD_OFFSET,
  /** A TCP option with a wrong or overrunning length. */
  TCP_BAD_OPTIONS: L.E_TCP_BAD_OPTIONS,
  TCP_BAD_CHECKSUM: L.E_TCP_BAD_CHECKSUM,
  UDP_TRUNCATED: L.E_UDP_TRUNCATED,
  /** UDP length below 8 or beyond the datagram. */
  UDP_BAD_LENGTH: L.E_UDP_BAD_LENGTH,
  /** Wrong UDP checksum, or zero over IPv6. */
  UDP_BAD_CHECKSUM: L.E_UDP_BAD_CHECKSUM,
  /** ICMP/ICMPv6 message shorter than its type needs. */
  ICMP_TRUNCATED: L.E_ICMP_TRUNCATED,
  ICMP_BAD_CHECKSUM: L.E_ICMP_BAD_CHECKSUM,
  /** The datagram quoted in an ICMP error is not a plausible IP header + 8 bytes. */
  ICMP_BAD_QUOTE: L.E_ICMP_BAD_QUOTE,
  ARP_TRUNCATED: L.E_ARP_TRUNCATED,
  /** ARP for something other than Ethernet/IPv4. */
  ARP_UNSUPPORTED: L.E_ARP_UNSUPPORTED,
  /** Neighbour solicitation/advertisement shorter than 24 bytes. */
  NDP_TRUNCATED: L.E_NDP_TRUNCATED,
  /** NDP option of length zero or overrunning the message. */
  NDP_BAD_OPTION: L.E_NDP_BAD_OPTION,
  /** Fewer than 16 bytes: the common header and one chunk header. */
  SCTP_TRUNCATED: L.E_SCTP_TRUNCATED,
  /** The first chunk's length is below its header (INIT/INIT ACK: 20) or overruns. */
  SCTP_BAD_CHUNK: L.E_SCTP_BAD_CHUNK,
  /** Wrong CRC32c. */
  SCTP_BAD_CHECKSUM: L.E_SCTP_BAD_CHECKSUM,
} as const;
/** A `ParseError` value. */
export type ParseError = number;
/** Number of `ParseError` codes (0 .. PARSE_ERROR_COUNT-1). */
export const PARSE_ERROR_COUNT = L.E_COUNT;

/** What a record holds (the deepest layer reached). */
export const Kind = {
  OTHER: L.KIND_OTHER,
  TCP: L.KIND_TCP,
  UDP: L.KIND_UDP,
  ICMP4: L.KIND_ICMP4,
  /** ICMPv6 other than NS/NA. */
  ICMP6: L.KIND_ICMP6,
  ARP: L.KIND_ARP,
  NDP_NS: L.KIND_NDP_NS,
  NDP_NA: L.KIND_NDP_NA,
  SCTP: L.KIND_SCTP,
  /** IGMP (IPv4): type, max response time and group read as `icmpType`, `icmpCode`, `icmpExtra`. */
  IGMP: L.KIND_IGMP,
} as const;
/** A `Kind` value. */
export type Kind = number;

/** TCP flag bits as in the header's flags byte. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Bits of `ParsedRecords.flags`. */
export const RecordFlag = {
  VLAN: L.FLAG_VLAN,
  /** IPv4 don't-fragment. */
  DF: L.FLAG_DF,
  /** More fragments (IPv4 or IPv6 fragment header). */
  MF: L.FLAG_MF,
  IP_OPTIONS: L.FLAG_IP_OPTIONS,
  V6_FRAGMENT: L.FLAG_V6_FRAGMENT,
  /** The transport (or ICMP) checksum was verified correct. */
  CSUM_VERIFIED: L.FLAG_CSUM_VERIFIED,
  /** The transport checksum holds only the pseudo-header sum (Linux checksum offload). */
  CSUM_PARTIAL: L.FLAG_CSUM_PARTIAL,
  NDP_LINK_ADDR: L.FLAG_NDP_LL,
  /** An ICMP error quoted an IP header. */
  QUOTE: L.FLAG_QUOTE,
  /** … and 8 bytes of its transport header (ports / seq / id). */
  QUOTE_PORTS: L.FLAG_QUOTE_PORTS,
  V6_EXTENSIONS: L.FLAG_V6_EXT,
} as const;

/** Bits of `ParsedRecords.tcpOptionFlags`. */
export const TcpOptionSeen = {
  MSS: L.OPT_MSS,
  WSCALE: L.OPT_WSCALE,
  SACK_OK: L.OPT_SACK_OK,
  TIMESTAMP: L.OPT_TIMESTAMP,
  SACK: L.OPT_SACK,
  EOL: L.OPT_EOL,
} as const;
