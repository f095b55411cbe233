/**
 * What the builders and templates take: link, IP and transport fields of one frame.
 *
 * @module
 */

import type { Address, Mac } from "./_spec.ts";
import type { FrameBatch } from "./batch.ts";
import type { LinkType } from "./constants.ts";
import type { IpOptions } from "./ip_options.ts";
import type { SctpChunk } from "./sctp_chunks.ts";
import type { TcpOption } from "./tcp_options.ts";

/** Link header fields. Defaults: Ethernet, all-zero MACs, no VLAN tag. */
export interface LinkSpec {
  /** pcap link type of the frame (default Ethernet). */
  linkType?: LinkType;
  /** Source MAC (Ethernet; SLL/SLL2 link address). */
  srcMac?: Mac;
  /** Destination MAC (Ethernet). */
  dstMac?: Mac;
  /** 802.1Q TCI (priority << 13 | VLAN id); adds a tag. */
  vlan?: number;
  /** Linux cooked capture packet type (SLL/SLL2 only). */
  packetType?: number;
}

/** IP fields. The family follows the addresses (both v4 or both v6). */
export interface IpSpec extends LinkSpec {
  /** Source address (IPv4 text/number or IPv6 text/16 bytes). */
  src: Address;
  /** Destination address. */
  dst: Address;
  /** TTL / hop limit (default 64). */
  ttl?: number;
  /** IPv4 identification (default 0). */
  ipId?: number;
  /** IPv4 don't-fragment. */
  df?: boolean;
  /** TOS / traffic class byte. */
  tos?: number;
  /** IPv6 flow label. */
  flowLabel?: number;
  /**
   * IPv4 options (padded with EOL to 4 bytes): raw, or built (`PacketCore.buildIpOptions`); a
   * built source route sends the datagram to its first hop with `dst` in its last slot. IPv6
   * datagrams carry none (nmap's --ip-options are IPv4's).
   */
  ipOptions?: Uint8Array | IpOptions;
  /** Raw IPv6 extension chain; its last next-header byte is set to the transport. */
  ipv6Extensions?: { first: number; bytes: Uint8Array };
}

/** A TCP segment. Defaults: SYN, window 1024, no options. */
export interface TcpSpec extends IpSpec {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Sequence number. */
  seq?: number;
  /** Acknowledgement number. */
  ack?: number;
  /** Flags byte (`TcpFlag` bits), default SYN. */
  flags?: number;
  /** Window (default 1024). */
  window?: number;
  /** Urgent pointer. */
  urgent?: number;
  /** Options as a list or raw bytes (padded with EOL to 4 bytes). */
  options?: readonly TcpOption[] | Uint8Array;
  /** Bytes after the header. */
  payload?: Uint8Array;
  /** A checksum one off, that receivers reject (nmap's --badsum). */
  badChecksum?: boolean;
}

/** A UDP datagram. */
export interface UdpSpec extends IpSpec {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Bytes after the header. */
  payload?: Uint8Array;
  /** A checksum one off, that receivers reject (nmap's --badsum). */
  badChecksum?: boolean;
}

/** An SCTP packet (RFC 9260): the common header, then chunks. */
export interface SctpSpec extends IpSpec {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Verification tag (0 on a packet carrying INIT). */
  vtag?: number;
  /** Chunks as values or as their bytes (each padded to 4). */
  chunks: readonly SctpChunk[] | Uint8Array;
  /** A CRC32c one off, that receivers reject (nmap's --badsum). */
  badChecksum?: boolean;
  /** The checksum as Adler-32 (RFC 2960 Appendix B), not CRC32c (nmap's --adler32). */
  adler32?: boolean;
}

/** ICMP / ICMPv6 echo request (or reply). */
export interface IcmpEchoSpec extends IpSpec {
  /** ICMP identifier. */
  id: number;
  /** ICMP sequence number. */
  seq: number;
  /** Bytes after the header. */
  payload?: Uint8Array;
  /** Build the reply instead of the request. */
  reply?: boolean;
}

/** ICMP timestamp request (RFC 792) or reply. */
export interface IcmpTimestampSpec extends IpSpec {
  /** ICMP identifier. */
  id: number;
  /** ICMP sequence number. */
  seq: number;
  /** Originate timestamp (ms since midnight UT). */
  originate?: number;
  /** Receive timestamp. */
  receive?: number;
  /** Transmit timestamp. */
  transmit?: number;
  /** Build the reply instead of the request. */
  reply?: boolean;
}

/** ICMP address mask request (RFC 950) or reply. */
export interface IcmpMaskSpec extends IpSpec {
  /** ICMP identifier. */
  id: number;
  /** ICMP sequence number. */
  seq: number;
  /** Address mask (a number, 255.255.255.0 = 0xffffff00). */
  mask?: number;
  /** Build the reply instead of the request. */
  reply?: boolean;
}

/** Any ICMP/ICMPv6 message by type: `extra` is bytes 4..8, `payload` the data or quote. */
export interface IcmpSpec extends IpSpec {
  /** ICMP / ICMPv6 type. */
  type: number;
  /** ICMP / ICMPv6 code. */
  code?: number;
  /** Bytes 4..8 of the message (MTU, pointer, gateway; id << 16 | seq for echo). */
  extra?: number;
  /** Bytes after the header. */
  payload?: Uint8Array;
}

/** ARP over Ethernet/IPv4. Request by default, to ff:ff:ff:ff:ff:ff. */
export interface ArpSpec extends LinkSpec {
  /** ARP operation: 1 request (default), 2 reply. */
  op?: number;
  /** Sender hardware address. */
  senderMac: Mac;
  /** Sender IPv4 address. */
  senderIp: Address;
  /** Target hardware address (zero in requests). */
  targetMac?: Mac;
  /** Target IPv4 address. */
  targetIp: Address;
}

/** Neighbour solicitation (RFC 4861 4.3); by default to the target's solicited-node group. */
export interface NeighborSolicitationSpec extends LinkSpec {
  /** Source address (IPv4 text/number or IPv6 text/16 bytes). */
  src: Address;
  /** The address being resolved / advertised. */
  target: Address;
  /** Destination address. */
  dst?: Address;
  /** Source link-layer address option (default `srcMac`; `null` to omit). */
  linkAddr?: Mac | null;
  /** Default 255 (RFC 4861 7.1.1 requires it). */
  hopLimit?: number;
}

/** Neighbour advertisement (RFC 4861 4.4). */
export interface NeighborAdvertisementSpec extends LinkSpec {
  /** Source address (IPv4 text/number or IPv6 text/16 bytes). */
  src: Address;
  /** Destination address. */
  dst: Address;
  /** The address being resolved / advertised. */
  target: Address;
  /** Router 0x80, solicited 0x40, override 0x20. */
  flags?: number;
  /** Target link-layer address option (default `srcMac`; `null` to omit). */
  linkAddr?: Mac | null;
  hopLimit?: number;
}

/** What `probeTemplate` builds: one of the specs plus the batch capacity. */
export type TemplateSpec =
  & (
    | ({ protocol: "tcp" } & TcpSpec)
    | ({ protocol: "udp" } & UdpSpec)
    | ({ protocol: "sctp" } & SctpSpec)
    | ({ protocol: "icmp" } & IcmpEchoSpec & { type?: number })
  )
  & {
    /** Probes per `emitBatch` (default 1024). */
    capacity?: number;
  };

/**
 * A masscan-style template: the frame is built once; `emitBatch` writes `n` probes to
 * `output`, patching per probe the values at index i of the input arrays (all views into wasm
 * memory, pre-filled with the template's own values): destination address, ports, seq/ack,
 * IP ID, ICMP id/seq — then fixing the checksums incrementally (RFC 1624).
 */
export interface ProbeTemplate {
  /** Address of the template in wasm memory. */
  readonly address: number;
  /** Probes per batch. */
  readonly capacity: number;
  /** Length of every probe frame. */
  readonly frameLength: number;
  /** Distance between probes in `output.data`. */
  readonly stride: number;
  /** 4 or 6. */
  readonly family: number;
  readonly linkType: LinkType;
  /** IPv4 destinations (numbers). */
  readonly dstV4: Uint32Array;
  /** IPv6 destinations, 16 bytes each. */
  readonly dstV6: Uint8Array;
  /** Source port. */
  readonly srcPort: Uint16Array;
  /** Destination port. */
  readonly dstPort: Uint16Array;
  /** TCP sequence numbers; SCTP verification tags. */
  readonly seq: Uint32Array;
  /** TCP acknowledgement numbers; SCTP: the initiate tag of a first INIT chunk. */
  readonly ack: Uint32Array;
  /** IPv4 identification. */
  readonly ipId: Uint16Array;
  readonly icmpId: Uint16Array;
  readonly icmpSeq: Uint16Array;
  /** Probes land here, in FrameBatch layout (offsets/lengths pre-filled, timestamps 0). */
  readonly output: FrameBatch;
}

/** Options for `parseBatch`. */
export interface ParseOptions {
  /**
   * Verify IPv4 header, TCP, UDP, SCTP (CRC32c), ICMP and ICMPv6 checksums (default true). A transport
   * checksum holding only the pseudo-header sum (Linux CHECKSUM_PARTIAL, common on veth and
   * lo captures) is accepted and flagged `RecordFlag.CSUM_PARTIAL`.
   */
  verifyChecksums?: boolean;
}
