/**
 * Typed, zero-copy reader over the fixed-layout records `PacketCore.parseBatch` writes into
 * wasm linear memory (layout: `_layout.ts`, mirrored from `assembly/layout.ts`).
 *
 * @module
 */

import * as L from "./_layout.ts";
import type { FrameBatch } from "./batch.ts";

/**
 * Parse results for one batch: getters take the record index `i` (0 ≤ i < count). Fields a
 * frame does not carry read as 0 (e.g. ports of ICMP). When `status(i)` is not `ParseError.OK`,
 * fields up to the failing layer are filled and later ones are 0.
 *
 * The object is reused by every `parseBatch` on the same batch: read what you need before the
 * next call.
 */
export class ParsedRecords {
  /** Records parsed by the last `parseBatch` call. */
  count = 0;
  /** How many of them have status OK. */
  okCount = 0;
  readonly #u8: Uint8Array;
  readonly #u16: Uint16Array;
  readonly #u32: Uint32Array;
  readonly #base: number;
  readonly #batch: FrameBatch;
  /** Records this object has room for. */
  readonly capacity: number;

  /** @internal Built by PacketCore. */
  constructor(memory: ArrayBuffer, base: number, capacity: number, batch: FrameBatch) {
    this.#u8 = new Uint8Array(memory);
    this.#u16 = new Uint16Array(memory);
    this.#u32 = new Uint32Array(memory);
    this.#base = base;
    this.capacity = capacity;
    this.#batch = batch;
  }

  /** Address of record `i` in linear memory (for the layout tests and raw readers). */
  recordAddress(i: number): number {
    return this.#base + i * L.REC_SIZE;
  }

  #a(i: number, off: number): number {
    return this.#base + i * L.REC_SIZE + off;
  }
  #b(i: number, off: number): number {
    return this.#u8[this.#a(i, off)] ?? 0;
  }
  #h(i: number, off: number): number {
    return this.#u16[this.#a(i, off) >>> 1] ?? 0;
  }
  #w(i: number, off: number): number {
    return this.#u32[this.#a(i, off) >>> 2] ?? 0;
  }
  #view(i: number, off: number, len: number): Uint8Array {
    const a = this.#a(i, off);
    return this.#u8.subarray(a, a + len);
  }

  /** `ParseError` reason code; 0 (OK) when every layer parsed. */
  status(i: number): number {
    return this.#h(i, L.REC_STATUS);
  }
  /** `Kind` of the frame (the deepest layer reached). */
  kind(i: number): number {
    return this.#b(i, L.REC_KIND);
  }
  /** 4 or 6 for IP frames, 0 otherwise. */
  family(i: number): number {
    return this.#b(i, L.REC_FAMILY);
  }
  /** `RecordFlag` bits (VLAN, DF, MF, checksum verified / partial, quote present, …). */
  flags(i: number): number {
    return this.#h(i, L.REC_FLAGS);
  }
  /** Capture timestamp seconds, copied from the batch index. */
  tsSec(i: number): number {
    return this.#w(i, L.REC_TS_SEC);
  }
  /** Capture timestamp microseconds, copied from the batch index. */
  tsUsec(i: number): number {
    return this.#w(i, L.REC_TS_USEC);
  }

  // Link layer.
  /** Ethernet source MAC (or the SLL/SLL2 link address). */
  srcMac(i: number): Uint8Array {
    return this.#view(i, L.REC_SRC_MAC, 6);
  }
  /** Ethernet destination MAC. */
  dstMac(i: number): Uint8Array {
    return this.#view(i, L.REC_DST_MAC, 6);
  }
  /** TCI of the outer 802.1Q tag (when `flags` has VLAN). */
  vlan(i: number): number {
    return this.#h(i, L.REC_VLAN);
  }
  /** Ethertype of the network layer (0x0800, 0x86dd, 0x0806, …). */
  ethertype(i: number): number {
    return this.#h(i, L.REC_ETHERTYPE);
  }
  /** Linux cooked capture packet type (0 to us, 1 broadcast, 2 multicast, 3 other, 4 outgoing). */
  packetType(i: number): number {
    return this.#b(i, L.REC_PKT_TYPE);
  }

  // Network layer.
  /** IPv4 source as a number (10.0.0.1 = 0x0a000001). */
  srcV4(i: number): number {
    return this.#w(i, L.REC_SRC_V4);
  }
  /** IPv4 destination as a number. */
  dstV4(i: number): number {
    return this.#w(i, L.REC_DST_V4);
  }
  /** IPv6 source: a 16-byte view into wasm memory. */
  srcV6(i: number): Uint8Array {
    return this.#view(i, L.REC_SRC_V6, 16);
  }
  /** IPv6 destination: a 16-byte view into wasm memory. */
  dstV6(i: number): Uint8Array {
    return this.#view(i, L.REC_DST_V6, 16);
  }
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl(i: number): number {
    return this.#b(i, L.REC_TTL);
  }
  /** IPv4 identification; for IPv6 the low 16 bits of a fragment header's identification. */
  ipId(i: number): number {
    return this.#h(i, L.REC_IP_ID);
  }
  /** TOS byte (IPv4) or traffic class (IPv6). */
  tos(i: number): number {
    return this.#b(i, L.REC_TOS);
  }
  /** IPv6 flow label. */
  flowLabel(i: number): number {
    return this.#w(i, L.REC_FLOW_LABEL);
  }
  /** Transport protocol number (IPv6: after the extension headers). */
  ipProto(i: number): number {
    return this.#b(i, L.REC_IP_PROTO);
  }
  /** IPv4 total length, or IPv6 payload length + 40. */
  ipLength(i: number): number {
    return this.#h(i, L.REC_IP_LEN);
  }
  /** Fragment offset in 8-byte units. */
  fragmentOffset(i: number): number {
    return this.#h(i, L.REC_FRAG_OFF);
  }
  /** Offset of the IP/ARP header in the frame. */
  l3Offset(i: number): number {
    return this.#h(i, L.REC_L3_OFF);
  }
  /** Offset of the transport header in the frame (0 when not reached). */
  l4Offset(i: number): number {
    return this.#h(i, L.REC_L4_OFF);
  }

  // Transport.
  /** TCP/UDP source port. */
  srcPort(i: number): number {
    return this.#h(i, L.REC_SRC_PORT);
  }
  /** TCP/UDP destination port. */
  dstPort(i: number): number {
    return this.#h(i, L.REC_DST_PORT);
  }
  /** TCP flags byte (`TcpFlag` bits). */
  tcpFlags(i: number): number {
    return this.#b(i, L.REC_TCP_FLAGS);
  }
  /** TCP sequence number. */
  seq(i: number): number {
    return this.#w(i, L.REC_SEQ);
  }
  /** TCP acknowledgement number. */
  ack(i: number): number {
    return this.#w(i, L.REC_ACK);
  }
  /** TCP window. */
  window(i: number): number {
    return this.#h(i, L.REC_WINDOW);
  }
  /** TCP urgent pointer. */
  urgent(i: number): number {
    return this.#h(i, L.REC_URGENT);
  }
  /** SCTP verification tag. */
  sctpVtag(i: number): number {
    return this.#w(i, L.REC_SCTP_VTAG);
  }
  /** Type of the SCTP packet's first chunk (`SctpChunkType`). */
  sctpChunkType(i: number): number {
    return this.#b(i, L.REC_SCTP_CHUNK_TYPE);
  }
  /** Flags of the first chunk (ABORT's T bit is 1). */
  sctpChunkFlags(i: number): number {
    return this.#b(i, L.REC_SCTP_CHUNK_FLAGS);
  }
  /** Length of the first chunk, header included, unpadded. */
  sctpChunkLength(i: number): number {
    return this.#h(i, L.REC_SCTP_CHUNK_LEN);
  }
  /** Initiate tag of a first INIT or INIT ACK chunk. */
  sctpInitiateTag(i: number): number {
    return this.#w(i, L.REC_SCTP_INIT_TAG);
  }
  /** Raw TCP option bytes: a view into the frame. */
  tcpOptions(i: number): Uint8Array {
    const off = this.#h(i, L.REC_TCP_OPT_OFF);
    const len = this.#b(i, L.REC_TCP_OPT_LEN);
    return this.frame(i).subarray(off, off + len);
  }
  /** `TcpOptionSeen` bits: which of MSS, window scale, SACK-permitted, timestamps, SACK, EOL. */
  tcpOptionFlags(i: number): number {
    return this.#b(i, L.REC_OPT_FLAGS);
  }
  /** MSS option value, or undefined. */
  mss(i: number): number | undefined {
    return this.#b(i, L.REC_OPT_FLAGS) & L.OPT_MSS ? this.#h(i, L.REC_MSS) : undefined;
  }
  /** Window scale shift, or undefined. */
  wscale(i: number): number | undefined {
    return this.#b(i, L.REC_OPT_FLAGS) & L.OPT_WSCALE ? this.#b(i, L.REC_WSCALE) : undefined;
  }
  /** SACK-permitted option present. */
  sackOk(i: number): boolean {
    return (this.#b(i, L.REC_OPT_FLAGS) & L.OPT_SACK_OK) !== 0;
  }
  /** Timestamp option TSval, or undefined. */
  tsval(i: number): number | undefined {
    return this.#b(i, L.REC_OPT_FLAGS) & L.OPT_TIMESTAMP ? this.#w(i, L.REC_TSVAL) : undefined;
  }
  /** Timestamp option TSecr, or undefined. */
  tsecr(i: number): number | undefined {
    return this.#b(i, L.REC_OPT_FLAGS) & L.OPT_TIMESTAMP ? this.#w(i, L.REC_TSECR) : undefined;
  }
  /** Offset in the frame of the payload: TCP/UDP data, ICMP data or quote, NDP options. */
  payloadOffset(i: number): number {
    return this.#w(i, L.REC_PAYLOAD_OFF);
  }
  /** Length of the payload. */
  payloadLength(i: number): number {
    return this.#w(i, L.REC_PAYLOAD_LEN);
  }
  /** The payload: a view into the frame. */
  payload(i: number): Uint8Array {
    const off = this.payloadOffset(i);
    return this.frame(i).subarray(off, off + this.payloadLength(i));
  }
  /** The captured frame: a view into the batch data. */
  frame(i: number): Uint8Array {
    const off = this.#batch.index[4 * i] ?? 0;
    const len = this.#batch.index[4 * i + 1] ?? 0;
    return this.#batch.data.subarray(off, off + len);
  }

  // ICMP / ICMPv6.
  /** ICMP or ICMPv6 type. */
  icmpType(i: number): number {
    return this.#b(i, L.REC_ICMP_TYPE);
  }
  /** ICMP or ICMPv6 code. */
  icmpCode(i: number): number {
    return this.#b(i, L.REC_ICMP_CODE);
  }
  /** Identifier of echo, timestamp, address mask (and info) messages. */
  icmpId(i: number): number {
    return this.#h(i, L.REC_ICMP_ID);
  }
  /** Sequence number of echo, timestamp, address mask (and info) messages. */
  icmpSeq(i: number): number {
    return this.#h(i, L.REC_ICMP_SEQ);
  }
  /**
   * ICMP bytes 4..8 as a number for messages without id/seq: next-hop MTU (frag needed, in the
   * low 16 bits), packet-too-big MTU, parameter-problem pointer, redirect gateway. For address
   * mask messages, the mask.
   */
  icmpExtra(i: number): number {
    return this.#w(i, L.REC_ICMP_EXTRA);
  }
  /** ICMP timestamp: originate timestamp. */
  icmpOriginate(i: number): number {
    return this.#w(i, L.REC_ICMP_TS_ORIG);
  }
  /** ICMP timestamp: receive timestamp. */
  icmpReceive(i: number): number {
    return this.#w(i, L.REC_ICMP_TS_RECV);
  }
  /** ICMP timestamp: transmit timestamp. */
  icmpTransmit(i: number): number {
    return this.#w(i, L.REC_ICMP_TS_XMIT);
  }
  /** Protocol of the datagram quoted in an ICMP error (0 when none). */
  quotedProto(i: number): number {
    return this.#b(i, L.REC_QUOTED_PROTO);
  }
  /** Quoted IPv4 source (our probe's source). */
  quotedSrcV4(i: number): number {
    return this.#w(i, L.REC_QUOTED_SRC_V4);
  }
  /** Quoted IPv4 destination (the probed target). */
  quotedDstV4(i: number): number {
    return this.#w(i, L.REC_QUOTED_DST_V4);
  }
  /** Quoted IPv6 source. */
  quotedSrcV6(i: number): Uint8Array {
    return this.#view(i, L.REC_QUOTED_SRC_V6, 16);
  }
  /** Quoted IPv6 destination. */
  quotedDstV6(i: number): Uint8Array {
    return this.#view(i, L.REC_QUOTED_DST_V6, 16);
  }
  /** Quoted TCP/UDP/SCTP source port. */
  quotedSrcPort(i: number): number {
    return this.#h(i, L.REC_QUOTED_SRC_PORT);
  }
  /** Quoted TCP/UDP/SCTP destination port. */
  quotedDstPort(i: number): number {
    return this.#h(i, L.REC_QUOTED_DST_PORT);
  }
  /** Quoted TCP sequence number, or SCTP verification tag. */
  quotedSeq(i: number): number {
    return this.#w(i, L.REC_QUOTED_SEQ);
  }
  /** Quoted ICMP/ICMPv6 identifier (echo probes). */
  quotedIcmpId(i: number): number {
    return this.#h(i, L.REC_QUOTED_ICMP_ID);
  }
  /** Quoted ICMP/ICMPv6 sequence number. */
  quotedIcmpSeq(i: number): number {
    return this.#h(i, L.REC_QUOTED_ICMP_SEQ);
  }
  /** Quoted IPv4 identification (IPv6: fragment identification low bits). */
  quotedIpId(i: number): number {
    return this.#h(i, L.REC_QUOTED_IP_ID);
  }
  /** Quoted TTL / hop limit as the probe arrived where the error was made. */
  quotedTtl(i: number): number {
    return this.#b(i, L.REC_QUOTED_TTL);
  }

  // ARP.
  /** ARP operation (1 request, 2 reply). */
  arpOp(i: number): number {
    return this.#h(i, L.REC_ARP_OP);
  }
  /** ARP sender hardware address. */
  arpSenderMac(i: number): Uint8Array {
    return this.#view(i, L.REC_ARP_SENDER_MAC, 6);
  }
  /** ARP sender protocol address (IPv4 number). */
  arpSenderIp(i: number): number {
    return this.#w(i, L.REC_ARP_SENDER_IP);
  }
  /** ARP target hardware address. */
  arpTargetMac(i: number): Uint8Array {
    return this.#view(i, L.REC_ARP_TARGET_MAC, 6);
  }
  /** ARP target protocol address (IPv4 number). */
  arpTargetIp(i: number): number {
    return this.#w(i, L.REC_ARP_TARGET_IP);
  }

  // Neighbor Discovery.
  /** NS/NA target address. */
  ndpTarget(i: number): Uint8Array {
    return this.#view(i, L.REC_NDP_TARGET, 16);
  }
  /** Source (NS) or target (NA) link-layer address option, or undefined when absent. */
  ndpLinkAddr(i: number): Uint8Array | undefined {
    return this.#h(i, L.REC_FLAGS) & L.FLAG_NDP_LL
      ? this.#view(i, L.REC_NDP_LL_ADDR, 6)
      : undefined;
  }
  /** NA flags byte: router 0x80, solicited 0x40, override 0x20. */
  ndpFlags(i: number): number {
    return this.#b(i, L.REC_NDP_FLAGS);
  }
}
