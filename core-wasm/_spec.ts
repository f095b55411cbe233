// Encodes build specs into the wasm spec region (record layout + SPEC_* extension).

import * as L from "./_layout.ts";
import { ipv4ToU32, parseIpv6, parseMac } from "./addr.ts";
import type { IcmpEchoSpec, IpSpec, SctpSpec, TcpSpec, UdpSpec } from "./specs.ts";
import { encodeSctpChunks } from "./sctp_chunks.ts";
import { encodeTcpOptions } from "./tcp_options.ts";

/** An IPv4 address as text or number, or an IPv6 address as text or 16 bytes. */
export type Address = string | number | Uint8Array;
/** A MAC address as text (`aa:bb:cc:dd:ee:ff`) or 6 bytes. */
export type Mac = string | Uint8Array;

/**
 * Normalised fields for one frame (the layer under the `build*` methods); each field means what
 * the `ParsedRecords` getter of the same name returns. Everything optional defaults to 0 / empty.
 */
export interface SpecFields {
  kind: number;
  family: number;
  srcMac?: Mac;
  dstMac?: Mac;
  vlan?: number;
  packetType?: number;
  srcV4?: number;
  dstV4?: number;
  srcV6?: Uint8Array;
  dstV6?: Uint8Array;
  ttl?: number;
  tos?: number;
  ipId?: number;
  df?: boolean;
  mf?: boolean;
  fragmentOffset?: number;
  flowLabel?: number;
  ipProto?: number;
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  tcpFlags?: number;
  window?: number;
  urgent?: number;
  tcpOptions?: Uint8Array;
  payload?: Uint8Array;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  icmpExtra?: number;
  icmpOriginate?: number;
  icmpReceive?: number;
  icmpTransmit?: number;
  arpOp?: number;
  arpSenderMac?: Mac;
  arpSenderIp?: number;
  arpTargetMac?: Mac;
  arpTargetIp?: number;
  ndpTarget?: Uint8Array;
  ndpLinkAddr?: Mac;
  ndpFlags?: number;
  ipOptions?: Uint8Array;
  /** A source route in `ipOptions`: its first hop's offset and the target's slot. */
  ipOptionHops?: { first: number; last: number };
  /** TCP/UDP checksum (SCTP CRC32c) deliberately one off (nmap's --badsum). */
  badChecksum?: boolean;
  /** SCTP: the checksum as Adler-32 (RFC 2960's), not CRC32c (nmap's --adler32). */
  adler32?: boolean;
  /** IPv6 extension chain: `first` is its first header type; `bytes` a multiple of 8. */
  ipv6Extensions?: { first: number; bytes: Uint8Array };
}

/** Room for options, payload and IP options behind the spec. */
export const SPEC_DATA_BYTES = 65536 + 40 + 64;

export function macBytes(m: Mac | undefined): Uint8Array {
  if (m === undefined) return new Uint8Array(6);
  if (typeof m === "string") return parseMac(m);
  if (m.length !== 6) throw new TypeError("a MAC address is 6 bytes");
  return m;
}

/** Splits an address into its family and value. */
export function addressOf(a: Address, what: string): { v4: number } | { v6: Uint8Array } {
  if (typeof a === "number") {
    if (!Number.isInteger(a) || a < 0 || a > 0xffffffff) {
      throw new TypeError(`${what}: not an IPv4 number: ${a}`);
    }
    return { v4: a >>> 0 };
  }
  if (typeof a === "string") return a.includes(":") ? { v6: parseIpv6(a) } : { v4: ipv4ToU32(a) };
  if (a.length === 4) return { v4: ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0 };
  if (a.length === 16) return { v6: a };
  throw new TypeError(`${what}: an address is 4 or 16 bytes`);
}

/** Writes `f` at `spec` (SPEC_SIZE bytes) with its byte fields at `data`. */
export function writeSpec(mem: ArrayBuffer, spec: number, data: number, f: SpecFields): void {
  const u8 = new Uint8Array(mem);
  const dv = new DataView(mem);
  u8.fill(0, spec, spec + L.SPEC_SIZE);
  const b = (off: number, v: number | undefined) => dv.setUint8(spec + off, (v ?? 0) & 0xff);
  const h = (off: number, v: number | undefined) =>
    dv.setUint16(spec + off, (v ?? 0) & 0xffff, true);
  const w = (off: number, v: number | undefined) => dv.setUint32(spec + off, (v ?? 0) >>> 0, true);
  const bytes = (off: number, v: Uint8Array | undefined, len: number) => {
    if (v === undefined) return;
    if (v.length !== len) throw new TypeError(`expected ${len} bytes, got ${v.length}`);
    u8.set(v, spec + off);
  };
  b(L.REC_KIND, f.kind);
  b(L.REC_FAMILY, f.family);
  bytes(L.REC_SRC_MAC, macBytes(f.srcMac), 6);
  bytes(L.REC_DST_MAC, macBytes(f.dstMac), 6);
  let flags = 0;
  if (f.vlan !== undefined) {
    flags |= L.FLAG_VLAN;
    h(L.REC_VLAN, f.vlan);
  }
  if (f.df) flags |= L.FLAG_DF;
  if (f.mf) flags |= L.FLAG_MF;
  if (f.ndpLinkAddr !== undefined) flags |= L.FLAG_NDP_LL;
  if (f.badChecksum) flags |= L.FLAG_BAD_CSUM;
  if (f.adler32) flags |= L.FLAG_ADLER32;
  h(L.REC_FLAGS, flags);
  b(L.REC_PKT_TYPE, f.packetType);
  w(L.REC_SRC_V4, f.srcV4);
  w(L.REC_DST_V4, f.dstV4);
  bytes(L.REC_SRC_V6, f.srcV6, 16);
  bytes(L.REC_DST_V6, f.dstV6, 16);
  b(L.REC_TTL, f.ttl);
  b(L.REC_TOS, f.tos);
  h(L.REC_IP_ID, f.ipId);
  h(L.REC_FRAG_OFF, f.fragmentOffset);
  w(L.REC_FLOW_LABEL, f.flowLabel);
  b(L.REC_IP_PROTO, f.ipProto);
  h(L.REC_SRC_PORT, f.srcPort);
  h(L.REC_DST_PORT, f.dstPort);
  w(L.REC_SEQ, f.seq);
  w(L.REC_ACK, f.ack);
  b(L.REC_TCP_FLAGS, f.tcpFlags);
  h(L.REC_WINDOW, f.window);
  h(L.REC_URGENT, f.urgent);
  b(L.REC_ICMP_TYPE, f.icmpType);
  b(L.REC_ICMP_CODE, f.icmpCode);
  h(L.REC_ICMP_ID, f.icmpId);
  h(L.REC_ICMP_SEQ, f.icmpSeq);
  w(L.REC_ICMP_EXTRA, f.icmpExtra);
  w(L.REC_ICMP_TS_ORIG, f.icmpOriginate);
  w(L.REC_ICMP_TS_RECV, f.icmpReceive);
  w(L.REC_ICMP_TS_XMIT, f.icmpTransmit);
  h(L.REC_ARP_OP, f.arpOp);
  if (f.arpSenderMac !== undefined) bytes(L.REC_ARP_SENDER_MAC, macBytes(f.arpSenderMac), 6);
  w(L.REC_ARP_SENDER_IP, f.arpSenderIp);
  if (f.arpTargetMac !== undefined) bytes(L.REC_ARP_TARGET_MAC, macBytes(f.arpTargetMac), 6);
  w(L.REC_ARP_TARGET_IP, f.arpTargetIp);
  bytes(L.REC_NDP_TARGET, f.ndpTarget, 16);
  if (f.ndpLinkAddr !== undefined) bytes(L.REC_NDP_LL_ADDR, macBytes(f.ndpLinkAddr), 6);
  b(L.REC_NDP_FLAGS, f.ndpFlags);

  let at = data;
  const put = (ptrOff: number, lenOff: number, v: Uint8Array | undefined) => {
    if (v === undefined || v.length === 0) return;
    if (at + v.length > data + SPEC_DATA_BYTES) throw new RangeError("frame too large");
    u8.set(v, at);
    w(ptrOff, at);
    w(lenOff, v.length);
    at += v.length;
  };
  if (f.tcpOptions !== undefined && f.tcpOptions.length > 40) {
    throw new RangeError(`TCP options take ${f.tcpOptions.length} bytes; 40 is the most`);
  }
  if (f.payload !== undefined && f.payload.length > 65535) {
    throw new RangeError("payload over 65535 bytes");
  }
  put(L.SPEC_OPT_PTR, L.SPEC_OPT_LEN, f.tcpOptions);
  put(L.SPEC_PAYLOAD_PTR, L.SPEC_PAYLOAD_LEN, f.payload);
  if (f.ipOptions !== undefined) {
    if (f.ipOptions.length > 40) throw new RangeError("IPv4 options over 40 bytes");
    put(L.SPEC_IPOPT_PTR, L.SPEC_IPOPT_LEN, f.ipOptions);
    b(L.SPEC_IPOPT_FIRST_HOP, f.ipOptionHops?.first);
    b(L.SPEC_IPOPT_LAST_HOP, f.ipOptionHops?.last);
  }
  if (f.ipv6Extensions !== undefined) {
    if (f.ipv6Extensions.bytes.length % 8 !== 0) {
      throw new RangeError("IPv6 extension headers are a multiple of 8 bytes");
    }
    put(L.SPEC_IPOPT_PTR, L.SPEC_IPOPT_LEN, f.ipv6Extensions.bytes);
    w(L.SPEC_EXT_FIRST, f.ipv6Extensions.first);
  }
}

// ---- public specs to SpecFields ----

export function ipFields(spec: IpSpec, kind: number): SpecFields {
  const s = addressOf(spec.src, "src");
  const d = addressOf(spec.dst, "dst");
  const f: SpecFields = {
    kind,
    family: 0,
    srcMac: spec.srcMac,
    dstMac: spec.dstMac,
    vlan: spec.vlan,
    packetType: spec.packetType,
    ttl: spec.ttl ?? 64,
    tos: spec.tos,
    ipId: spec.ipId,
    df: spec.df,
    flowLabel: spec.flowLabel,
    ipv6Extensions: spec.ipv6Extensions,
  };
  if ("v4" in s && "v4" in d) {
    f.family = 4;
    f.srcV4 = s.v4;
    f.dstV4 = d.v4;
    const o = spec.ipOptions;
    if (o instanceof Uint8Array) f.ipOptions = o;
    else if (o !== undefined) {
      f.ipOptions = o.bytes;
      if (o.firstHop && o.lastHop) f.ipOptionHops = { first: o.firstHop, last: o.lastHop };
    }
  } else if ("v6" in s && "v6" in d) {
    f.family = 6;
    f.srcV6 = s.v6;
    f.dstV6 = d.v6;
  } else {
    throw new TypeError("src and dst must both be IPv4 or both IPv6");
  }
  return f;
}

export function v4Of(a: Address, what: string): number {
  const x = addressOf(a, what);
  if (!("v4" in x)) throw new TypeError(`${what} must be IPv4`);
  return x.v4;
}

export function v6Of(a: Address, what: string): Uint8Array {
  const x = addressOf(a, what);
  if (!("v6" in x)) throw new TypeError(`${what} must be IPv6`);
  return x.v6;
}

export function tcpFields(spec: TcpSpec): SpecFields {
  const f = ipFields(spec, L.KIND_TCP);
  f.srcPort = spec.srcPort;
  f.dstPort = spec.dstPort;
  f.seq = spec.seq;
  f.ack = spec.ack;
  f.tcpFlags = spec.flags ?? 0x02;
  f.window = spec.window ?? 1024;
  f.urgent = spec.urgent;
  f.tcpOptions = spec.options === undefined
    ? undefined
    : spec.options instanceof Uint8Array
    ? spec.options
    : encodeTcpOptions(spec.options);
  f.payload = spec.payload;
  f.badChecksum = spec.badChecksum;
  return f;
}

export function udpFields(spec: UdpSpec): SpecFields {
  const f = ipFields(spec, L.KIND_UDP);
  f.srcPort = spec.srcPort;
  f.dstPort = spec.dstPort;
  f.payload = spec.payload;
  f.badChecksum = spec.badChecksum;
  return f;
}

export function sctpFields(spec: SctpSpec): SpecFields {
  const f = ipFields(spec, L.KIND_SCTP);
  f.srcPort = spec.srcPort;
  f.dstPort = spec.dstPort;
  // The verification tag sits in the record's TCP seq slot (REC_SCTP_VTAG).
  f.seq = spec.vtag;
  f.payload = spec.chunks instanceof Uint8Array ? spec.chunks : encodeSctpChunks(spec.chunks);
  f.badChecksum = spec.badChecksum;
  f.adler32 = spec.adler32;
  return f;
}

export function echoFields(spec: IcmpEchoSpec, type?: number): SpecFields {
  const f = ipFields(spec, L.KIND_ICMP4);
  if (f.family === 6) {
    f.kind = L.KIND_ICMP6;
    f.icmpType = type ?? (spec.reply ? 129 : 128);
  } else {
    f.icmpType = type ?? (spec.reply ? 0 : 8);
  }
  f.icmpId = spec.id;
  f.icmpSeq = spec.seq;
  f.payload = spec.payload;
  return f;
}
