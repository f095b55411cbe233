/**
 * Porthole's packet core: the typed face of `build/core.wasm`, an AssemblyScript module that
 * builds and parses Ethernet / Linux cooked / loopback / raw-IP frames carrying ARP, IPv4,
 * IPv6 (with extension headers), TCP, UDP, ICMP and ICMPv6 (echo, errors with the quoted probe,
 * neighbour discovery). The module is pure: no imports, so it runs with no Deno permission.
 *
 * Memory model: wasm linear memory is a fixed 64 MiB map that never grows. Batches, records
 * and templates are carved out of it once (`frameBatch`, `probeTemplate`), and the typed
 * arrays they expose are views into it that never detach. Allocate them at start-up and reuse
 * them; `freeBytes()` tells how much of the map is left.
 *
 * ```ts
 * import { LinkType, packetCore } from "./mod.ts";
 * const core = packetCore();
 * const batch = core.frameBatch(256, 256 * 2048); // ffi capture fills batch.data / index
 * const rec = core.parseBatch(batch, n, LinkType.EN10MB);
 * for (let i = 0; i < rec.count; i++) if (rec.status(i) === 0) rec.srcV4(i);
 * ```
 *
 * @module
 */

import * as wasm from "./build/core.wasm";
import * as L from "./_layout.ts";
import {
  type Address,
  addressOf,
  type Mac,
  macBytes,
  SPEC_DATA_BYTES,
  type SpecFields,
  writeSpec,
} from "./_spec.ts";
import { ipv6MulticastMac, solicitedNodeAddress } from "./addr.ts";
import type { FrameBatch } from "./batch.ts";
import { ParsedRecords } from "./records.ts";
import { encodeTcpOptions, type TcpOption } from "./tcp_options.ts";

export * from "./addr.ts";
export type { FrameBatch } from "./batch.ts";
export { INDEX_FIELDS } from "./batch.ts";
export { ParsedRecords } from "./records.ts";
export { decodeTcpOptions, encodeTcpOptions, type TcpOption } from "./tcp_options.ts";
export type { Address, Mac } from "./_spec.ts";

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

/** Link header fields. Defaults: Ethernet, all-zero MACs, no VLAN tag. */
export interface LinkSpec {
  linkType?: LinkType;
  srcMac?: Mac;
  dstMac?: Mac;
  /** 802.1Q TCI (priority << 13 | VLAN id); adds a tag. */
  vlan?: number;
  /** Linux cooked capture packet type (SLL/SLL2 only). */
  packetType?: number;
}

/** IP fields. The family follows the addresses (both v4 or both v6). */
export interface IpSpec extends LinkSpec {
  src: Address;
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
  /** Raw IPv4 options (padded with EOL to 4 bytes). */
  ipOptions?: Uint8Array;
  /** Raw IPv6 extension chain; its last next-header byte is set to the transport. */
  ipv6Extensions?: { first: number; bytes: Uint8Array };
}

/** A TCP segment. Defaults: SYN, window 1024, no options. */
export interface TcpSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Flags byte (`TcpFlag` bits), default SYN. */
  flags?: number;
  window?: number;
  urgent?: number;
  /** Options as a list or raw bytes (padded with EOL to 4 bytes). */
  options?: readonly TcpOption[] | Uint8Array;
  payload?: Uint8Array;
}

/** A UDP datagram. */
export interface UdpSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
}

/** ICMP / ICMPv6 echo request (or reply). */
export interface IcmpEchoSpec extends IpSpec {
  id: number;
  seq: number;
  payload?: Uint8Array;
  reply?: boolean;
}

/** ICMP timestamp request (RFC 792) or reply. */
export interface IcmpTimestampSpec extends IpSpec {
  id: number;
  seq: number;
  originate?: number;
  receive?: number;
  transmit?: number;
  reply?: boolean;
}

/** ICMP address mask request (RFC 950) or reply. */
export interface IcmpMaskSpec extends IpSpec {
  id: number;
  seq: number;
  mask?: number;
  reply?: boolean;
}

/** Any ICMP/ICMPv6 message by type: `extra` is bytes 4..8, `payload` the data or quote. */
export interface IcmpSpec extends IpSpec {
  type: number;
  code?: number;
  extra?: number;
  payload?: Uint8Array;
}

/** ARP over Ethernet/IPv4. Request by default, to ff:ff:ff:ff:ff:ff. */
export interface ArpSpec extends LinkSpec {
  op?: number;
  senderMac: Mac;
  senderIp: Address;
  targetMac?: Mac;
  targetIp: Address;
}

/** Neighbour solicitation (RFC 4861 4.3); by default to the target's solicited-node group. */
export interface NeighborSolicitationSpec extends LinkSpec {
  src: Address;
  target: Address;
  dst?: Address;
  /** Source link-layer address option (default `srcMac`; `null` to omit). */
  linkAddr?: Mac | null;
  /** Default 255 (RFC 4861 7.1.1 requires it). */
  hopLimit?: number;
}

/** Neighbour advertisement (RFC 4861 4.4). */
export interface NeighborAdvertisementSpec extends LinkSpec {
  src: Address;
  dst: Address;
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
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** TCP sequence numbers. */
  readonly seq: Uint32Array;
  /** TCP acknowledgement numbers. */
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
   * Verify IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums (default true). A transport
   * checksum holding only the pseudo-header sum (Linux CHECKSUM_PARTIAL, common on veth and
   * lo captures) is accepted and flagged `RecordFlag.CSUM_PARTIAL`.
   */
  verifyChecksums?: boolean;
}

const memory = wasm.memory as WebAssembly.Memory;
const memBuffer = memory.buffer as ArrayBuffer;
const u8 = new Uint8Array(memBuffer);
const u32 = new Uint32Array(memBuffer);

function alloc(bytes: number, what: string): number {
  const p = wasm.allocRegion(bytes) as number;
  if (p === 0) {
    throw new RangeError(
      `core-wasm: no room for ${what} (${bytes} bytes; ${wasm.freeBytes()} free of the fixed map)`,
    );
  }
  return p;
}

function isOurs(a: ArrayBufferView): boolean {
  return a.buffer === memBuffer;
}

function ipFields(spec: IpSpec, kind: number): SpecFields {
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
    ipOptions: spec.ipOptions,
    ipv6Extensions: spec.ipv6Extensions,
  };
  if ("v4" in s && "v4" in d) {
    f.family = 4;
    f.srcV4 = s.v4;
    f.dstV4 = d.v4;
  } else if ("v6" in s && "v6" in d) {
    f.family = 6;
    f.srcV6 = s.v6;
    f.dstV6 = d.v6;
  } else {
    throw new TypeError("src and dst must both be IPv4 or both IPv6");
  }
  return f;
}

function v4Of(a: Address, what: string): number {
  const x = addressOf(a, what);
  if (!("v4" in x)) throw new TypeError(`${what} must be IPv4`);
  return x.v4;
}

function v6Of(a: Address, what: string): Uint8Array {
  const x = addressOf(a, what);
  if (!("v6" in x)) throw new TypeError(`${what} must be IPv6`);
  return x.v6;
}

function tcpFields(spec: TcpSpec): SpecFields {
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
  return f;
}

function udpFields(spec: UdpSpec): SpecFields {
  const f = ipFields(spec, L.KIND_UDP);
  f.srcPort = spec.srcPort;
  f.dstPort = spec.dstPort;
  f.payload = spec.payload;
  return f;
}

function echoFields(spec: IcmpEchoSpec, type?: number): SpecFields {
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

/**
 * The packet core. There is one wasm instance per process, so this is a singleton:
 * `packetCore()` (sync) or `await PacketCore.create()`.
 */
export class PacketCore {
  static #instance: PacketCore | undefined;
  readonly #spec: number;
  readonly #specData: number;
  readonly #buildOut: number;
  readonly #records = new WeakMap<FrameBatch, { records: ParsedRecords; address: number }>();
  #staging: FrameBatch | undefined;

  private constructor() {
    this.#spec = alloc(L.SPEC_SIZE, "the build spec");
    this.#specData = alloc(SPEC_DATA_BYTES, "the build spec data");
    this.#buildOut = alloc(PacketCore.MAX_FRAME, "the build output");
  }

  /** Largest frame the allocating builders produce. */
  static readonly MAX_FRAME = 65536 + 128;

  /** The core (async form, for symmetry with other loaders). */
  static create(): Promise<PacketCore> {
    return Promise.resolve(packetCore());
  }

  /** @internal */
  static get(): PacketCore {
    return (PacketCore.#instance ??= new PacketCore());
  }

  /** The wasm memory everything lives in (64 MiB, never grows). */
  get memory(): WebAssembly.Memory {
    return memory;
  }

  /** Bytes left in the fixed memory map. */
  freeBytes(): number {
    return wasm.freeBytes() as number;
  }

  /**
   * A frame batch of `maxFrames` frames and `dataBytes` bytes of frame data, plus its result
   * records, carved from wasm memory (never freed: make batches at start-up and reuse them).
   * Throws `RangeError` when the memory map has no room.
   */
  frameBatch(maxFrames: number, dataBytes: number): FrameBatch {
    if (
      !Number.isInteger(maxFrames) || maxFrames <= 0 || !Number.isInteger(dataBytes) ||
      dataBytes <= 0
    ) {
      throw new RangeError("frameBatch: maxFrames and dataBytes must be positive integers");
    }
    const index = alloc(maxFrames * 16, "a batch index");
    const data = alloc(dataBytes, "batch data");
    const batch: FrameBatch = {
      data: u8.subarray(data, data + dataBytes),
      index: u32.subarray(index >>> 2, (index >>> 2) + maxFrames * 4),
      capacity: maxFrames,
    };
    this.#recordsFor(batch);
    return batch;
  }

  #recordsFor(batch: FrameBatch): { records: ParsedRecords; address: number } {
    let r = this.#records.get(batch);
    if (r === undefined) {
      const address = alloc(batch.capacity * L.REC_SIZE, "parse records");
      r = { records: new ParsedRecords(memBuffer, address, batch.capacity, batch), address };
      this.#records.set(batch, r);
    }
    return r;
  }

  /**
   * Parses frames 0..count-1 of `batch` (link type `linkType`) into fixed-layout records and
   * returns the reader (the same object for every call on this batch). Batches from
   * `frameBatch` or a template's `output` are parsed in place; others are copied into a
   * staging batch first. Never throws for bad frames: each record has a `status`.
   */
  parseBatch(
    batch: FrameBatch,
    count: number,
    linkType: LinkType,
    options?: ParseOptions,
  ): ParsedRecords {
    if (
      !Number.isInteger(count) || count < 0 || count > batch.capacity ||
      count * 4 > batch.index.length
    ) {
      throw new RangeError(`parseBatch: count ${count} outside 0..${batch.capacity}`);
    }
    let target = batch;
    if (!isOurs(batch.data) || !isOurs(batch.index)) target = this.#stage(batch, count);
    const { records, address } = this.#recordsFor(target);
    const flags = options?.verifyChecksums === false ? 0 : L.PARSE_VERIFY_CHECKSUMS;
    records.okCount = wasm.parseBatch(
      target.data.byteOffset,
      target.data.length,
      target.index.byteOffset,
      count,
      address,
      linkType,
      flags,
    ) as number;
    records.count = count;
    return records;
  }

  #stage(batch: FrameBatch, count: number): FrameBatch {
    const need = batch.data.length;
    if (
      this.#staging === undefined || this.#staging.capacity < count ||
      this.#staging.data.length < need
    ) {
      this.#staging = this.frameBatch(Math.max(count, 64), Math.max(need, 65536));
    }
    const s = this.#staging;
    s.data.set(batch.data);
    s.index.set(batch.index.subarray(0, count * 4));
    return s;
  }

  /** Builds one frame from normalised fields (the layer under every `build*`). */
  buildFields(fields: SpecFields, linkType: LinkType = LinkType.EN10MB): Uint8Array {
    writeSpec(memBuffer, this.#spec, this.#specData, fields);
    const n = wasm.buildFrame(this.#spec, linkType, this.#buildOut, PacketCore.MAX_FRAME) as number;
    if (n === L.BUILD_NO_ROOM) throw new RangeError("frame too large");
    if (n < 0) {
      throw new TypeError(
        `cannot build kind ${fields.kind} (family ${fields.family}) on link type ${linkType}`,
      );
    }
    return u8.slice(this.#buildOut, this.#buildOut + n);
  }

  /** A TCP segment in a frame (allocates; for probes at rate use `probeTemplate`). */
  buildTcp(spec: TcpSpec): Uint8Array {
    return this.buildFields(tcpFields(spec), spec.linkType);
  }

  /** A UDP datagram in a frame. */
  buildUdp(spec: UdpSpec): Uint8Array {
    return this.buildFields(udpFields(spec), spec.linkType);
  }

  /** ICMP echo request/reply (ICMPv6 when the addresses are IPv6). */
  buildIcmpEcho(spec: IcmpEchoSpec): Uint8Array {
    return this.buildFields(echoFields(spec), spec.linkType);
  }

  /** ICMPv6 echo request/reply (addresses must be IPv6). */
  buildIcmp6Echo(spec: IcmpEchoSpec): Uint8Array {
    const f = echoFields(spec);
    if (f.family !== 6) throw new TypeError("buildIcmp6Echo needs IPv6 addresses");
    return this.buildFields(f, spec.linkType);
  }

  /** ICMP timestamp request (13) or reply (14). */
  buildIcmpTimestamp(spec: IcmpTimestampSpec): Uint8Array {
    const f = ipFields(spec, L.KIND_ICMP4);
    if (f.family !== 4) throw new TypeError("ICMP timestamp is IPv4 only");
    f.icmpType = spec.reply ? 14 : 13;
    f.icmpId = spec.id;
    f.icmpSeq = spec.seq;
    f.icmpOriginate = spec.originate;
    f.icmpReceive = spec.receive;
    f.icmpTransmit = spec.transmit;
    return this.buildFields(f, spec.linkType);
  }

  /** ICMP address mask request (17) or reply (18). */
  buildIcmpMask(spec: IcmpMaskSpec): Uint8Array {
    const f = ipFields(spec, L.KIND_ICMP4);
    if (f.family !== 4) throw new TypeError("ICMP address mask is IPv4 only");
    f.icmpType = spec.reply ? 18 : 17;
    f.icmpId = spec.id;
    f.icmpSeq = spec.seq;
    f.icmpExtra = spec.mask;
    return this.buildFields(f, spec.linkType);
  }

  /** Any ICMP / ICMPv6 message (errors with a quote, echo, …) by type and code. */
  buildIcmp(spec: IcmpSpec): Uint8Array {
    const f = ipFields(spec, L.KIND_ICMP4);
    if (f.family === 6) f.kind = L.KIND_ICMP6;
    f.icmpType = spec.type;
    f.icmpCode = spec.code;
    f.icmpExtra = spec.extra;
    f.payload = spec.payload;
    const t = spec.type;
    if (f.family === 4 && (t === 0 || t === 8 || (t >= 13 && t <= 18))) {
      f.icmpId = (spec.extra ?? 0) >>> 16;
      f.icmpSeq = (spec.extra ?? 0) & 0xffff;
    }
    if (f.family === 6 && (t === 128 || t === 129)) {
      f.icmpId = (spec.extra ?? 0) >>> 16;
      f.icmpSeq = (spec.extra ?? 0) & 0xffff;
    }
    return this.buildFields(f, spec.linkType);
  }

  /** ARP request (default) or reply; a request goes to the broadcast MAC by default. */
  buildArpRequest(spec: ArpSpec): Uint8Array {
    const op = spec.op ?? 1;
    return this.buildFields({
      kind: L.KIND_ARP,
      family: 0,
      srcMac: spec.srcMac ?? spec.senderMac,
      dstMac: spec.dstMac ?? (op === 1 ? "ff:ff:ff:ff:ff:ff" : spec.targetMac),
      vlan: spec.vlan,
      packetType: spec.packetType,
      arpOp: op,
      arpSenderMac: spec.senderMac,
      arpSenderIp: v4Of(spec.senderIp, "senderIp"),
      arpTargetMac: spec.targetMac,
      arpTargetIp: v4Of(spec.targetIp, "targetIp"),
    }, spec.linkType);
  }

  /** Neighbour solicitation with a source link-layer address option. */
  buildNeighborSolicitation(spec: NeighborSolicitationSpec): Uint8Array {
    const target = v6Of(spec.target, "target");
    const dst = spec.dst === undefined ? solicitedNodeAddress(target) : v6Of(spec.dst, "dst");
    return this.buildFields({
      kind: L.KIND_NDP_NS,
      family: 6,
      srcMac: spec.srcMac,
      dstMac: spec.dstMac ?? (dst[0] === 0xff ? ipv6MulticastMac(dst) : undefined),
      vlan: spec.vlan,
      packetType: spec.packetType,
      srcV6: v6Of(spec.src, "src"),
      dstV6: dst,
      ttl: spec.hopLimit ?? 255,
      icmpType: 135,
      ndpTarget: target,
      ndpLinkAddr: spec.linkAddr === null ? undefined : spec.linkAddr ?? macBytes(spec.srcMac),
    }, spec.linkType);
  }

  /** Neighbour advertisement with a target link-layer address option. */
  buildNeighborAdvertisement(spec: NeighborAdvertisementSpec): Uint8Array {
    return this.buildFields({
      kind: L.KIND_NDP_NA,
      family: 6,
      srcMac: spec.srcMac,
      dstMac: spec.dstMac,
      vlan: spec.vlan,
      packetType: spec.packetType,
      srcV6: v6Of(spec.src, "src"),
      dstV6: v6Of(spec.dst, "dst"),
      ttl: spec.hopLimit ?? 255,
      icmpType: 136,
      ndpFlags: spec.flags,
      ndpTarget: v6Of(spec.target, "target"),
      ndpLinkAddr: spec.linkAddr === null ? undefined : spec.linkAddr ?? macBytes(spec.srcMac),
    }, spec.linkType);
  }

  /**
   * Builds a template once (TCP, UDP, or ICMP/ICMPv6 echo — or ICMP timestamp/mask via
   * `type` — over any link type) with room for `capacity` probes per batch. Its memory is
   * never freed: make templates at start-up.
   */
  probeTemplate(spec: TemplateSpec): ProbeTemplate {
    const capacity = spec.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError("probeTemplate: capacity must be a positive integer");
    }
    const linkType = spec.linkType ?? LinkType.EN10MB;
    const fields = spec.protocol === "tcp"
      ? tcpFields(spec)
      : spec.protocol === "udp"
      ? udpFields(spec)
      : echoFields(spec, spec.type);
    writeSpec(memBuffer, this.#spec, this.#specData, fields);
    const t = wasm.templateCreate(this.#spec, linkType, capacity) as number;
    if (t === L.BUILD_NO_ROOM) {
      throw new RangeError(
        `probeTemplate: no room for ${capacity} probes (${this.freeBytes()} bytes free)`,
      );
    }
    if (t < 0) throw new TypeError(`probeTemplate: cannot template this ${spec.protocol} spec`);
    const f = (off: number) => u32[(t + off) >>> 2] ?? 0;
    const stride = f(L.T_STRIDE);
    const out = f(L.T_OUT);
    const index = f(L.T_OUT_INDEX);
    const u16 = (p: number) => new Uint16Array(memBuffer, p, capacity);
    const w32 = (p: number) => new Uint32Array(memBuffer, p, capacity);
    return {
      address: t,
      capacity,
      frameLength: f(L.T_LEN),
      stride,
      family: fields.family,
      linkType,
      dstV4: w32(f(L.T_DST4)),
      dstV6: new Uint8Array(memBuffer, f(L.T_DST6), capacity * 16),
      srcPort: u16(f(L.T_SPORT)),
      dstPort: u16(f(L.T_DPORT)),
      seq: w32(f(L.T_SEQ)),
      ack: w32(f(L.T_ACK)),
      ipId: u16(f(L.T_IPID)),
      icmpId: u16(f(L.T_ICMP_ID)),
      icmpSeq: u16(f(L.T_ICMP_SEQ)),
      output: {
        data: new Uint8Array(memBuffer, out, stride * capacity),
        index: new Uint32Array(memBuffer, index, capacity * 4),
        capacity,
      },
    };
  }

  /**
   * Writes probes 0..n-1 of `template` (n ≤ capacity) into `template.output` and returns it:
   * frame i at `output.data[i * stride]`, and index entry i rewritten to
   * `[i * stride, frameLength, 0, 0]` (so callers may edit the index between calls).
   * Zero allocation: only per-probe fields and checksums are written.
   */
  emitBatch(template: ProbeTemplate, n: number): FrameBatch {
    if (!(n >= 0 && n <= template.capacity)) {
      throw new RangeError(`emitBatch: n ${n} outside 0..${template.capacity}`);
    }
    wasm.emitBatch(template.address, n);
    return template.output;
  }

  /** Internet checksum (RFC 1071) of `bytes` as stored on the wire. */
  checksum(bytes: Uint8Array): number {
    if (bytes.length > PacketCore.MAX_FRAME) throw new RangeError("checksum: too many bytes");
    u8.set(bytes, this.#buildOut);
    return wasm.internetChecksum(this.#buildOut, bytes.length) as number;
  }

  /** RFC 1624 eqn. 3: checksum after one 16-bit word changes from `oldWord` to `newWord`. */
  checksumAdjust(checksum: number, oldWord: number, newWord: number): number {
    return wasm.checksumAdjust(checksum, oldWord, newWord) as number;
  }

  /** RFC 1624 for a 32-bit field (an IPv4 address, a sequence number). */
  checksumAdjust32(checksum: number, oldValue: number, newValue: number): number {
    return wasm.checksumAdjust32(checksum, oldValue >>> 0, newValue >>> 0) as number;
  }
}

/** The process-wide packet core (synchronous). */
export function packetCore(): PacketCore {
  return PacketCore.get();
}

export type { SpecFields } from "./_spec.ts";
