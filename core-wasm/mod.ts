/**
 * Porthole's packet core: the typed face of `build/core.wasm`, an AssemblyScript module that
 * builds and parses Ethernet / Linux cooked / loopback / raw-IP frames carrying ARP, IPv4,
 * IPv6 (with extension headers), TCP, UDP, SCTP, ICMP and ICMPv6 (echo, errors with the quoted probe,
 * neighbour discovery). The module is pure: no imports, so it runs with no Deno permission.
 *
 * Memory model: wasm linear memory is a fixed 128 MiB map that never grows. Batches, records
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
  echoFields,
  ipFields,
  macBytes,
  sctpFields,
  SPEC_DATA_BYTES,
  type SpecFields,
  tcpFields,
  udpFields,
  v4Of,
  v6Of,
  writeSpec,
} from "./_spec.ts";
import { ipv6MulticastMac, solicitedNodeAddress } from "./addr.ts";
import type { FrameBatch } from "./batch.ts";
import { ParsedRecords } from "./records.ts";
import { protocolProbeFields, type ProtocolProbeSpec } from "./protocol_probe.ts";
import { LinkType } from "./constants.ts";
import { type IpOptions, type IpOptionsRequest, IpOptionType } from "./ip_options.ts";
import type {
  ArpSpec,
  IcmpEchoSpec,
  IcmpMaskSpec,
  IcmpSpec,
  IcmpTimestampSpec,
  NeighborAdvertisementSpec,
  NeighborSolicitationSpec,
  ParseOptions,
  ProbeTemplate,
  SctpSpec,
  TcpSpec,
  TemplateSpec,
  UdpSpec,
} from "./specs.ts";

export * from "./addr.ts";
export type { FrameBatch } from "./batch.ts";
export { INDEX_FIELDS } from "./batch.ts";
export { fragmentIpv4 } from "./fragment.ts";
export * from "./protocol_probe.ts";
export { ParsedRecords } from "./records.ts";
export { decodeTcpOptions, encodeTcpOptions, type TcpOption } from "./tcp_options.ts";
export * from "./sctp_chunks.ts";
export * from "./ip_options.ts";
export type { Address, Mac } from "./_spec.ts";
export * from "./constants.ts";
export type * from "./specs.ts";

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
  #stagedLength = 0;

  private constructor() {
    this.#spec = alloc(L.SPEC_SIZE, "the build spec");
    this.#specData = alloc(SPEC_DATA_BYTES, "the build spec data");
    this.#buildOut = alloc(PacketCore.MAX_FRAME, "the build output");
  }

  /** Largest frame the allocating builders produce. */
  static readonly MAX_FRAME: number = 65536 + 128;

  /** The core (async form, for symmetry with other loaders). */
  static create(): Promise<PacketCore> {
    return Promise.resolve(packetCore());
  }

  /** @internal */
  static get(): PacketCore {
    return (PacketCore.#instance ??= new PacketCore());
  }

  /** The wasm memory everything lives in (128 MiB, never grows). */
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
      target === batch ? target.data.length : this.#stagedLength,
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
    // Copy only the bytes the first `count` frames use.
    let extent = 0;
    for (let i = 0; i < count; i++) {
      const end = (batch.index[4 * i] ?? 0) + (batch.index[4 * i + 1] ?? 0);
      if (end > extent) extent = end;
    }
    extent = Math.min(extent, batch.data.length);
    this.#stagedLength = extent;
    if (
      this.#staging === undefined || this.#staging.capacity < count ||
      this.#staging.data.length < extent
    ) {
      this.#staging = this.frameBatch(Math.max(count, 64), Math.max(extent, 65536));
    }
    const s = this.#staging;
    s.data.set(batch.data.subarray(0, extent));
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

  /** An SCTP packet in a frame (CRC32c computed). */
  buildSctp(spec: SctpSpec): Uint8Array {
    return this.buildFields(sctpFields(spec), spec.linkType);
  }

  /** nmap's -sO / -PO probe for one IP protocol (protocol_probe.ts). */
  buildProtocolProbe(spec: ProtocolProbeSpec): Uint8Array {
    return this.buildFields(protocolProbeFields(spec), spec.linkType);
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
      : spec.protocol === "sctp"
      ? sctpFields(spec)
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

  /** CRC32c (Castagnoli, RFC 9260 Appendix A) of `bytes`; SCTP stores it low byte first. */
  crc32c(bytes: Uint8Array): number {
    if (bytes.length > PacketCore.MAX_FRAME) throw new RangeError("crc32c: too many bytes");
    u8.set(bytes, this.#buildOut);
    return (wasm.crc32c(this.#buildOut, bytes.length) as number) >>> 0;
  }

  /**
   * The bytes of IPv4 options as nmap's --ip-options makes them (assembly/ip_options.ts):
   * R/L/S with up to 9 hops (8 for a source route, which keeps a slot for the target), T, U;
   * hex bytes as given. Throws `RangeError` past those limits.
   */
  buildIpOptions(request: IpOptionsRequest): IpOptions {
    if (request.kind === "bytes") {
      if (request.bytes.length > 40) throw new RangeError("IPv4 options over 40 bytes");
      return { bytes: request.bytes.slice() };
    }
    const hops = request.kind === "route" ? request.hops : new Uint8Array();
    const type = request.kind === "timestamp"
      ? IpOptionType.TS
      : { record: IpOptionType.RR, loose: IpOptionType.LSRR, strict: IpOptionType.SSRR }[
        request.route
      ];
    const flag = request.kind === "timestamp" && request.withAddresses ? 1 : 0;
    if (hops.length % 4 !== 0) throw new RangeError("a hop is 4 bytes");
    const out = this.#buildOut, addrs = this.#buildOut + 64;
    u8.set(hops, addrs);
    const r = wasm.ipOptionsBuild(type, flag, addrs, hops.length / 4, out) as number;
    if (r < 0) {
      throw new RangeError(`cannot build IPv4 option ${type} with ${hops.length / 4} hops`);
    }
    const bytes = u8.slice(out, out + (r & 0xff));
    const firstHop = (r >> 8) & 0xff, lastHop = (r >> 16) & 0xff;
    return lastHop ? { bytes, firstHop, lastHop } : { bytes };
  }

  /** Adler-32 (RFC 1950 8.2) of `bytes`: RFC 2960's SCTP checksum (nmap's --adler32). */
  adler32(bytes: Uint8Array): number {
    if (bytes.length > PacketCore.MAX_FRAME) throw new RangeError("adler32: too many bytes");
    u8.set(bytes, this.#buildOut);
    return (wasm.adler32(this.#buildOut, bytes.length) as number) >>> 0;
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
