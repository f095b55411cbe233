// Seeded random frames with the fields the parser must read back: the property tests
// (parse(build(x)) == x) and the fuzzers' seed corpus share this, and its PRNG.

import {
  type Address,
  encodeSctpChunks,
  encodeTcpOptions,
  type IpSpec,
  Kind,
  LinkType,
  type PacketCore,
  type ParsedRecords,
  RecordFlag,
  type SctpChunk,
  type TcpOption,
} from "./mod.ts";

/** Getter name → expected value (byte views compare as hex). */
export type Expect = Partial<Record<keyof ParsedRecords, number | boolean | string | undefined>>;

/** A built frame and what parsing it must give. */
export interface GenCase {
  what: string;
  link: number;
  frame: Uint8Array;
  expect: Expect;
  /** Offset of the transport header (for quoting probes). */
  l4?: number;
}

/** Compares record `i` against `c.expect`; returns the first mismatch or undefined. */
export function mismatch(r: ParsedRecords, i: number, c: GenCase): string | undefined {
  for (const [key, want] of Object.entries(c.expect)) {
    const getter = (r as unknown as Record<string, (i: number) => unknown>)[key];
    if (typeof getter !== "function") return `no getter ${key}`;
    let got = getter.call(r, i);
    if (got instanceof Uint8Array) got = hex(got);
    if (got !== want) return `${c.what}: ${key} = ${got}, expected ${want}`;
  }
  return undefined;
}

type Rand = () => number;

const V4_LINKS = [
  LinkType.EN10MB,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
  LinkType.NULL,
  LinkType.LOOP,
  LinkType.RAW,
  LinkType.LINKTYPE_RAW,
  LinkType.RAW_OPENBSD,
];

export class Gen {
  constructor(readonly core: PacketCore, readonly r: Rand) {}

  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  u8(): number {
    return this.int(256);
  }
  u16(): number {
    return this.int(65536);
  }
  u32(): number {
    return (this.int(65536) * 65536 + this.int(65536)) >>> 0;
  }
  bool(): boolean {
    return this.r() < 0.5;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u8();
    return b;
  }
  mac(): Uint8Array {
    return this.bytes(6);
  }
  v6(): Uint8Array {
    return this.bytes(16);
  }

  link(family: number, arp = false): number {
    if (arp) return this.pick([LinkType.EN10MB, LinkType.LINUX_SLL, LinkType.LINUX_SLL2]);
    const l = this.pick([...V4_LINKS, family === 4 ? LinkType.IPV4 : LinkType.IPV6]);
    return l;
  }

  /** Link, IP and addressing part of a spec, plus the matching expectations. */
  ipPart(family: number, link: number) {
    const srcMac = this.mac();
    const dstMac = this.mac();
    const vlan = link === LinkType.EN10MB && this.r() < 0.3 ? this.u16() : undefined;
    const packetType = link === LinkType.LINUX_SLL || link === LinkType.LINUX_SLL2
      ? this.int(5)
      : undefined;
    const ttl = 1 + this.int(255);
    const tos = this.u8();
    const spec: IpSpec = {
      src: 0,
      dst: 0,
      linkType: link,
      srcMac,
      dstMac,
      vlan,
      packetType,
      ttl,
      tos,
    };
    const expect: Expect = { family, ttl, tos, status: 0 };
    if (link === LinkType.EN10MB) {
      expect.srcMac = hex(srcMac);
      expect.dstMac = hex(dstMac);
      if (vlan !== undefined) expect.vlan = vlan;
    }
    if (link === LinkType.LINUX_SLL || link === LinkType.LINUX_SLL2) {
      expect.srcMac = hex(srcMac);
      expect.packetType = packetType;
    }
    let src: Address, dst: Address;
    if (family === 4) {
      src = this.u32();
      dst = this.u32();
      const ipId = this.u16();
      const df = this.bool();
      spec.ipId = ipId;
      spec.df = df;
      expect.srcV4 = src;
      expect.dstV4 = dst;
      expect.ipId = ipId;
      if (this.r() < 0.2) {
        // NOPs then a router alert (RFC 2113), padded by the builder.
        const opts = new Uint8Array([1, 1, 0x94, 4, 0, 0, 1].slice(this.int(3)));
        spec.ipOptions = opts;
      }
    } else {
      const s = this.v6();
      const d = this.v6();
      src = s;
      dst = d;
      const flowLabel = this.int(1 << 20);
      spec.flowLabel = flowLabel;
      expect.srcV6 = hex(s);
      expect.dstV6 = hex(d);
      expect.flowLabel = flowLabel;
      if (this.r() < 0.3) {
        spec.ipv6Extensions = this.extensions();
      }
    }
    spec.src = src;
    spec.dst = dst;
    return { spec, expect };
  }

  /** A valid extension chain: optional hop-by-hop first, then up to 3 of the others. */
  extensions(): { first: number; bytes: Uint8Array } {
    const types: number[] = [];
    if (this.bool()) types.push(0);
    const n = 1 + this.int(3);
    for (let i = 0; i < n; i++) types.push(this.pick([43, 44, 60]));
    const parts: Uint8Array[] = [];
    types.forEach((t, i) => {
      const next = types[i + 1] ?? 59; // the builder points the last one at the transport
      if (t === 44) {
        const h = new Uint8Array(8);
        h[0] = next;
        h.set(this.bytes(4), 4); // identification; offset 0, M = 0 (atomic fragment)
        parts.push(h);
      } else if (t === 43) {
        const h = new Uint8Array(8);
        h[0] = next;
        h[2] = 4; // routing type; segments left 0
        parts.push(h);
      } else {
        const units = this.int(2);
        const h = new Uint8Array(8 + 8 * units);
        h[0] = next;
        h[1] = units;
        h[2] = 1; // PadN covering the rest
        h[3] = h.length - 4;
        parts.push(h);
      }
    });
    const total = parts.reduce((a, p) => a + p.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    return { first: types[0]!, bytes };
  }

  tcpOptions(): { options: TcpOption[]; expect: Expect } {
    const options: TcpOption[] = [];
    const expect: Expect = {};
    const all: TcpOption[] = [
      { kind: "mss", value: this.u16() },
      { kind: "sackOk" },
      { kind: "timestamp", tsval: this.u32(), tsecr: this.u32() },
      { kind: "nop" },
      { kind: "wscale", value: this.int(15) },
    ];
    for (const o of all) if (this.bool()) options.push(o);
    let len = 0;
    for (const o of options) {
      if (o.kind === "mss") {
        expect.mss = o.value;
        len += 4;
      } else if (o.kind === "wscale") {
        expect.wscale = o.value;
        len += 3;
      } else if (o.kind === "timestamp") {
        expect.tsval = o.tsval;
        expect.tsecr = o.tsecr;
        len += 10;
      } else if (o.kind === "sackOk") len += 2;
      else len += 1;
    }
    expect.sackOk = options.some((o) => o.kind === "sackOk");
    if (!options.some((o) => o.kind === "mss")) expect.mss = undefined;
    if (!options.some((o) => o.kind === "wscale")) expect.wscale = undefined;
    if (!options.some((o) => o.kind === "timestamp")) {
      expect.tsval = undefined;
      expect.tsecr = undefined;
    }
    expect.tcpOptions = hex(padded(encodeTcpOptions(options)));
    return { options, expect };
  }

  tcp(family: number, link = this.link(family)): GenCase {
    const { spec, expect } = this.ipPart(family, link);
    const o = this.tcpOptions();
    const payload = this.bytes(this.r() < 0.7 ? 0 : this.int(200));
    const t = {
      ...spec,
      srcPort: this.u16(),
      dstPort: this.u16(),
      seq: this.u32(),
      ack: this.u32(),
      flags: this.u8(),
      window: this.u16(),
      urgent: this.u16(),
      options: o.options,
      payload,
    };
    const frame = this.core.buildTcp(t);
    return {
      what: `tcp${family}`,
      link,
      frame,
      l4: frame.length - payload.length - 20 - padded(encodeTcpOptions(o.options)).length,
      expect: {
        ...expect,
        ...o.expect,
        kind: Kind.TCP,
        srcPort: t.srcPort,
        dstPort: t.dstPort,
        seq: t.seq,
        ack: t.ack,
        tcpFlags: t.flags,
        window: t.window,
        urgent: t.urgent,
        payload: hex(payload),
        ipProto: 6,
      },
    };
  }

  udp(family: number, link = this.link(family)): GenCase {
    const { spec, expect } = this.ipPart(family, link);
    const payload = this.bytes(this.int(300));
    const u = { ...spec, srcPort: this.u16(), dstPort: this.u16(), payload };
    const frame = this.core.buildUdp(u);
    return {
      what: `udp${family}`,
      link,
      frame,
      l4: frame.length - payload.length - 8,
      expect: {
        ...expect,
        kind: Kind.UDP,
        srcPort: u.srcPort,
        dstPort: u.dstPort,
        payload: hex(payload),
        payloadLength: payload.length,
        ipProto: 17,
      },
    };
  }

  sctp(family: number, link = this.link(family)): GenCase {
    const { spec, expect } = this.ipPart(family, link);
    const init = this.bool();
    const chunk: SctpChunk = init
      ? {
        type: this.bool() ? "init" : "initAck",
        initiateTag: this.u32(),
        aRwnd: this.u32(),
        outboundStreams: this.u16(),
        inboundStreams: this.u16(),
        initialTsn: this.u32(),
        params: padded(this.bytes(this.int(40))),
      }
      : { type: "abort", tBit: this.bool(), causes: padded(this.bytes(this.int(40))) };
    const chunks = encodeSctpChunks([chunk]);
    const s = { ...spec, srcPort: this.u16(), dstPort: this.u16(), vtag: this.u32(), chunks };
    const frame = this.core.buildSctp(s);
    return {
      what: `sctp${family}`,
      link,
      frame,
      l4: frame.length - chunks.length - 12,
      expect: {
        ...expect,
        kind: Kind.SCTP,
        srcPort: s.srcPort,
        dstPort: s.dstPort,
        sctpVtag: s.vtag,
        sctpChunkType: chunks[0],
        sctpChunkLength: (chunks[2]! << 8) | chunks[3]!,
        sctpInitiateTag: "initiateTag" in chunk ? chunk.initiateTag : 0,
        payload: hex(chunks),
        ipProto: 132,
      },
    };
  }

  echo(family: number, link = this.link(family)): GenCase {
    const { spec, expect } = this.ipPart(family, link);
    const payload = this.bytes(this.int(64));
    const reply = this.bool();
    const e = { ...spec, id: this.u16(), seq: this.u16(), payload, reply };
    const frame = this.core.buildIcmpEcho(e);
    return {
      what: `echo${family}`,
      link,
      frame,
      l4: frame.length - payload.length - 8,
      expect: {
        ...expect,
        kind: family === 4 ? Kind.ICMP4 : Kind.ICMP6,
        icmpType: family === 4 ? (reply ? 0 : 8) : reply ? 129 : 128,
        icmpCode: 0,
        icmpId: e.id,
        icmpSeq: e.seq,
        payload: hex(payload),
      },
    };
  }

  timestamp(link = this.link(4)): GenCase {
    const { spec, expect } = this.ipPart(4, link);
    const t = {
      ...spec,
      id: this.u16(),
      seq: this.u16(),
      originate: this.u32(),
      receive: this.u32(),
      transmit: this.u32(),
      reply: this.bool(),
    };
    return {
      what: "timestamp",
      link,
      frame: this.core.buildIcmpTimestamp(t),
      expect: {
        ...expect,
        kind: Kind.ICMP4,
        icmpType: t.reply ? 14 : 13,
        icmpId: t.id,
        icmpSeq: t.seq,
        icmpOriginate: t.originate,
        icmpReceive: t.receive,
        icmpTransmit: t.transmit,
      },
    };
  }

  mask(link = this.link(4)): GenCase {
    const { spec, expect } = this.ipPart(4, link);
    const m = { ...spec, id: this.u16(), seq: this.u16(), mask: this.u32(), reply: this.bool() };
    return {
      what: "mask",
      link,
      frame: this.core.buildIcmpMask(m),
      expect: {
        ...expect,
        kind: Kind.ICMP4,
        icmpType: m.reply ? 18 : 17,
        icmpId: m.id,
        icmpSeq: m.seq,
        icmpExtra: m.mask,
      },
    };
  }

  /** An ICMP error quoting a probe (TCP, UDP or echo) built by the core itself. */
  icmpError(family: number, link = this.link(family)): GenCase {
    const { spec, expect } = this.ipPart(family, link);
    const inner = this.pick(["tcp", "udp", "echo"] as const);
    const probe = inner === "tcp"
      ? this.tcp(family, LinkType.RAW)
      : inner === "udp"
      ? this.udp(family, LinkType.RAW)
      : this.echo(family, LinkType.RAW);
    // Quote the IP header + extension headers + 8 bytes, or more.
    const l4 = probe.l4!;
    const quoteLen = Math.min(probe.frame.length, l4 + 8 + this.int(40));
    const quote = probe.frame.slice(0, quoteLen);
    const type = family === 4 ? this.pick([3, 11, 12, 4, 5]) : this.pick([1, 2, 3, 4]);
    const code = this.int(16);
    const extra = this.u32();
    const frame = this.core.buildIcmp({
      ...spec,
      type,
      code,
      extra,
      payload: quote,
    });
    const pe = probe.expect;
    const q: Expect = {
      ...expect,
      kind: family === 4 ? Kind.ICMP4 : Kind.ICMP6,
      icmpType: type,
      icmpCode: code,
      icmpExtra: extra,
      quotedProto: family === 4 && inner === "echo"
        ? 1
        : inner === "echo"
        ? 58
        : inner === "tcp"
        ? 6
        : 17,
      quotedTtl: pe.ttl,
      payload: hex(quote),
    };
    if (family === 4) {
      q.quotedSrcV4 = pe.srcV4;
      q.quotedDstV4 = pe.dstV4;
      q.quotedIpId = pe.ipId;
    } else {
      q.quotedSrcV6 = pe.srcV6;
      q.quotedDstV6 = pe.dstV6;
    }
    if (inner === "echo") {
      q.quotedIcmpId = pe.icmpId;
      q.quotedIcmpSeq = pe.icmpSeq;
    } else {
      q.quotedSrcPort = pe.srcPort;
      q.quotedDstPort = pe.dstPort;
      if (inner === "tcp") q.quotedSeq = pe.seq;
    }
    return { what: `icmp-error${family}/${inner}`, link, frame, expect: q };
  }

  arp(link = this.link(4, true)): GenCase {
    const senderMac = this.mac();
    const targetMac = this.mac();
    const senderIp = this.u32();
    const targetIp = this.u32();
    const op = 1 + this.int(2);
    const frame = this.core.buildArpRequest({
      linkType: link,
      op,
      senderMac,
      senderIp,
      targetMac,
      targetIp,
      dstMac: this.mac(),
    });
    return {
      what: "arp",
      link,
      frame,
      expect: {
        status: 0,
        kind: Kind.ARP,
        arpOp: op,
        arpSenderMac: hex(senderMac),
        arpTargetMac: hex(targetMac),
        arpSenderIp: senderIp,
        arpTargetIp: targetIp,
      },
    };
  }

  ndp(link = this.link(6)): GenCase {
    const src = this.v6();
    const target = this.v6();
    const linkAddr = this.bool() ? this.mac() : null;
    const ns = this.bool();
    const base = { linkType: link, srcMac: this.mac(), src, target, linkAddr };
    const flags = this.pick([0, 0x20, 0x40, 0x60, 0xe0]);
    const frame = ns
      ? this.core.buildNeighborSolicitation(base)
      : this.core.buildNeighborAdvertisement({ ...base, dst: this.v6(), flags });
    return {
      what: ns ? "ns" : "na",
      link,
      frame,
      expect: {
        status: 0,
        family: 6,
        ttl: 255,
        kind: ns ? Kind.NDP_NS : Kind.NDP_NA,
        icmpType: ns ? 135 : 136,
        srcV6: hex(src),
        ndpTarget: hex(target),
        ndpLinkAddr: linkAddr === null ? undefined : hex(linkAddr),
        ndpFlags: ns ? 0 : flags,
      },
    };
  }

  /** Any of the above. */
  any(): GenCase {
    const fam = this.bool() ? 4 : 6;
    switch (this.int(10)) {
      case 0:
      case 1:
        return this.tcp(fam);
      case 2:
        return this.udp(fam);
      case 3:
        return this.echo(fam);
      case 4:
        return this.bool() ? this.timestamp() : this.mask();
      case 5:
      case 6:
        return this.icmpError(fam);
      case 7:
        return this.arp();
      case 8:
        return this.sctp(fam);
      default:
        return this.ndp();
    }
  }
}

/** Options as the builder lays them out: padded with EOL to 4 bytes. */
export function padded(b: Uint8Array): Uint8Array {
  const out = new Uint8Array((b.length + 3) & ~3);
  out.set(b);
  return out;
}

/** Flags every valid built frame must carry. */
export const VERIFIED = RecordFlag.CSUM_VERIFIED;

/** Hex of bytes, for readable byte comparisons. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Deterministic PRNG (mulberry32) for property and fuzz tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CRC32c one bit at a time (RFC 9260 Appendix A): the tests' reference, independent of the
 * core's table-driven one.
 */
export function referenceCrc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
