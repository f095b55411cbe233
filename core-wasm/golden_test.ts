// Golden vectors: frames the Linux kernel (and nping) sent in tools/capture_golden.sh's
// namespaces, on Ethernet, Linux cooked v1 and v2. tcpdump's reading of each frame is the
// oracle for the parsed fields; then each frame is rebuilt from the parsed fields and must be
// byte-identical from the network header on (the whole frame on Ethernet), except a
// transport checksum the kernel left to offload (CHECKSUM_PARTIAL), which must be flagged.

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { captures } from "../tests/data/core/golden_frames.ts";
import {
  formatIpv6,
  formatMac,
  Kind,
  LinkType,
  packetCore,
  type ParsedRecords,
  RecordFlag,
  u32ToIpv4,
} from "./mod.ts";

const core = packetCore();
const batch = core.frameBatch(256, 256 * 2048);

const TCP_FLAG_CHARS: Record<string, number> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  ".": 0x10,
  U: 0x20,
  E: 0x40,
  W: 0x80,
};
const PACKET_TYPES: Record<string, number> = { In: 0, B: 1, M: 2, P: 3, Out: 4 };

type Check = [name: string, actual: unknown, expected: unknown];

/** What tcpdump says about frame i, paired with what the core parsed. */
function checks(text: string, r: ParsedRecords, i: number, link: number): Check[] {
  const out: Check[] = [];
  const add = (name: string, actual: unknown, expected: unknown) =>
    out.push([name, actual, expected]);
  const first = text.split("\n")[0]!;
  if (link === LinkType.EN10MB) {
    const m = /^\d+\.\d+ ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype \S+ \((0x[0-9a-f]{4})\)/
      .exec(first);
    assert(m, `no Ethernet header in ${first}`);
    add("srcMac", formatMac(r.srcMac(i)), m[1]);
    add("dstMac", formatMac(r.dstMac(i)), m[2]);
    add("ethertype", r.ethertype(i), parseInt(m[3]!, 16));
  } else {
    const m =
      /^\d+\.\d+\s+(?:\S+\s+)?(In|Out|B|M|P)\s+(?:ifindex \d+ )?([0-9a-f:]{17}) ethertype \S+ \((0x[0-9a-f]{4})\)/
        .exec(first);
    assert(m, `no cooked header in ${first}`);
    add("packetType", r.packetType(i), PACKET_TYPES[m[1]!]);
    add("srcMac", formatMac(r.srcMac(i)), m[2]);
    add("ethertype", r.ethertype(i), parseInt(m[3]!, 16));
  }

  // ARP.
  let m = /Request who-has (\S+) tell (\S+),/.exec(text);
  if (m) {
    add("kind", r.kind(i), Kind.ARP);
    add("arpOp", r.arpOp(i), 1);
    add("arpTargetIp", u32ToIpv4(r.arpTargetIp(i)), m[1]);
    add("arpSenderIp", u32ToIpv4(r.arpSenderIp(i)), m[2]);
    return out;
  }
  m = /Reply (\S+) is-at ([0-9a-f:]{17}),/.exec(text);
  if (m) {
    add("kind", r.kind(i), Kind.ARP);
    add("arpOp", r.arpOp(i), 2);
    add("arpSenderIp", u32ToIpv4(r.arpSenderIp(i)), m[1]);
    add("arpSenderMac", formatMac(r.arpSenderMac(i)), m[2]);
    return out;
  }

  // IP.
  let addrLine: string;
  let ipPayload: number;
  const v4 =
    /\(tos (0x[0-9a-f]+), ttl (\d+), id (\d+), offset (\d+), flags \[([^\]]*)\], proto \S+ \((\d+)\), length (\d+)\)/
      .exec(text);
  const v6 =
    /\((?:class (0x[0-9a-f]+), )?(?:flowlabel (0x[0-9a-f]+), )?hlim (\d+), next-header \S+ \((\d+)\) payload length: (\d+)\) /
      .exec(first);
  if (v6) {
    add("family", r.family(i), 6);
    add("tos", r.tos(i), parseInt(v6[1] ?? "0", 16));
    add("flowLabel", r.flowLabel(i), parseInt(v6[2] ?? "0", 16));
    add("ttl", r.ttl(i), Number(v6[3]));
    add("ipProto", r.ipProto(i), Number(v6[4]));
    add("ipLength", r.ipLength(i), Number(v6[5]) + 40);
    ipPayload = Number(v6[5]);
    addrLine = first.slice(v6.index + v6[0].length);
  } else {
    assert(v4, `no IP header in ${text}`);
    add("family", r.family(i), 4);
    add("tos", r.tos(i), parseInt(v4[1]!, 16));
    add("ttl", r.ttl(i), Number(v4[2]));
    add("ipId", r.ipId(i), Number(v4[3]));
    add("fragmentOffset", r.fragmentOffset(i) * 8, Number(v4[4]));
    add("df", (r.flags(i) & RecordFlag.DF) !== 0, v4[5]!.includes("DF"));
    add("ipProto", r.ipProto(i), Number(v4[6]));
    add("ipLength", r.ipLength(i), Number(v4[7]));
    ipPayload = Number(v4[7]) - 20;
    addrLine = text.split("\n")[1]!.trim();
  }
  const fam = r.family(i);
  const fmtSrc = fam === 4 ? u32ToIpv4(r.srcV4(i)) : formatIpv6(r.srcV6(i));
  const fmtDst = fam === 4 ? u32ToIpv4(r.dstV4(i)) : formatIpv6(r.dstV6(i));
  const addrs = /^(\S+) > (\S+): /.exec(addrLine);
  assert(addrs, `no addresses in ${addrLine}`);
  const proto = r.ipProto(i);
  if (proto === 6 || proto === 17) {
    const split = (
      s: string,
    ) => [s.slice(0, s.lastIndexOf(".")), Number(s.slice(s.lastIndexOf(".") + 1))];
    const [sa, sp] = split(addrs[1]!);
    const [da, dp] = split(addrs[2]!);
    add("src", fmtSrc, sa);
    add("dst", fmtDst, da);
    add("srcPort", r.srcPort(i), sp);
    add("dstPort", r.dstPort(i), dp);
  } else {
    add("src", fmtSrc, addrs[1]);
    add("dst", fmtDst, addrs[2]);
  }
  if (/incorrect|bad udp cksum/.test(text)) {
    add("CSUM_PARTIAL", (r.flags(i) & RecordFlag.CSUM_PARTIAL) !== 0, true);
  } else if (/\(correct\)|sum ok/.test(text)) {
    add("CSUM_VERIFIED", (r.flags(i) & RecordFlag.CSUM_VERIFIED) !== 0, true);
  }

  if (proto === 6) {
    add("kind", r.kind(i), Kind.TCP);
    const f = /Flags \[([^\]]+)\]/.exec(addrLine)![1]!;
    add("tcpFlags", r.tcpFlags(i), [...f].reduce((a, c) => a | (TCP_FLAG_CHARS[c] ?? 0), 0));
    const seq = /seq (\d+)/.exec(addrLine);
    if (seq) add("seq", r.seq(i), Number(seq[1]));
    const ack = /ack (\d+)/.exec(addrLine);
    if (ack) add("ack", r.ack(i), Number(ack[1]));
    add("window", r.window(i), Number(/win (\d+)/.exec(addrLine)![1]));
    const opts = /options \[([^\]]*)\]/.exec(addrLine)?.[1]?.split(",") ?? [];
    const mss = opts.find((o) => o.startsWith("mss "));
    add("mss", r.mss(i), mss ? Number(mss.slice(4)) : undefined);
    const ws = opts.find((o) => o.startsWith("wscale "));
    add("wscale", r.wscale(i), ws ? Number(ws.slice(7)) : undefined);
    add("sackOk", r.sackOk(i), opts.includes("sackOK"));
    const ts = opts.map((o) => /^TS val (\d+) ecr (\d+)$/.exec(o)).find((x) => x);
    add("tsval", r.tsval(i), ts ? Number(ts[1]) : undefined);
    add("tsecr", r.tsecr(i), ts ? Number(ts[2]) : undefined);
    const len = [...addrLine.matchAll(/length (\d+)/g)].at(-1);
    add("payloadLength", r.payloadLength(i), Number(len![1]));
  } else if (proto === 17) {
    add("kind", r.kind(i), Kind.UDP);
    add("payloadLength", r.payloadLength(i), ipPayload - 8);
  } else if (proto === 1) {
    add("kind", r.kind(i), Kind.ICMP4);
    icmp4(text, r, i, add);
  } else if (proto === 58) {
    icmp6(text, r, i, add);
  }
  return out;
}

type Add = (name: string, actual: unknown, expected: unknown) => void;

function icmp4(text: string, r: ParsedRecords, i: number, add: Add) {
  const lines = text.split("\n");
  const msg = lines[1]!;
  let m = /ICMP echo (request|reply), id (\d+), seq (\d+)/.exec(msg);
  if (m) {
    add("icmpType", r.icmpType(i), m[1] === "request" ? 8 : 0);
    add("icmpId", r.icmpId(i), Number(m[2]));
    add("icmpSeq", r.icmpSeq(i), Number(m[3]));
    return;
  }
  m = /ICMP time stamp (query|reply) id (\d+) seq (\d+)/.exec(msg);
  if (m) {
    add("icmpType", r.icmpType(i), m[1] === "query" ? 13 : 14);
    add("icmpId", r.icmpId(i), Number(m[2]));
    add("icmpSeq", r.icmpSeq(i), Number(m[3]));
    return;
  }
  if ((m = /udp port (\d+) unreachable/.exec(msg))) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [3, 3]);
    add("quotedDstPort", r.quotedDstPort(i), Number(m[1]));
  } else if ((m = /need to frag \(mtu (\d+)\)/.exec(msg))) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [3, 4]);
    add("icmpExtra (next-hop MTU)", r.icmpExtra(i) & 0xffff, Number(m[1]));
  } else if (/time exceeded in-transit/.test(msg)) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [11, 0]);
  } else {
    throw new Error(`unknown ICMP in ${text}`);
  }
  // The quoted datagram: tcpdump prints its header, then its addresses.
  const q = /ttl (\d+), id (\d+), offset \d+, flags \[[^\]]*\], proto \S+ \((\d+)\)/.exec(
    lines[2]!,
  );
  assert(q, `no quoted header in ${text}`);
  add("quotedTtl", r.quotedTtl(i), Number(q[1]));
  add("quotedIpId", r.quotedIpId(i), Number(q[2]));
  add("quotedProto", r.quotedProto(i), Number(q[3]));
  const qa = /^\s*(\S+) > (\S+): /.exec(lines[3]!)!;
  const host = (s: string) => Number(q[3]) === 1 ? s : s.slice(0, s.lastIndexOf("."));
  const port = (s: string) => Number(s.slice(s.lastIndexOf(".") + 1));
  add("quotedSrcV4", u32ToIpv4(r.quotedSrcV4(i)), host(qa[1]!));
  add("quotedDstV4", u32ToIpv4(r.quotedDstV4(i)), host(qa[2]!));
  if (Number(q[3]) !== 1) {
    add("quotedSrcPort", r.quotedSrcPort(i), port(qa[1]!));
    add("quotedDstPort", r.quotedDstPort(i), port(qa[2]!));
  } else {
    const e = /id (\d+), seq (\d+)/.exec(lines[3]!)!;
    add("quotedIcmpId", r.quotedIcmpId(i), Number(e[1]));
    add("quotedIcmpSeq", r.quotedIcmpSeq(i), Number(e[2]));
  }
}

function icmp6(text: string, r: ParsedRecords, i: number, add: Add) {
  let m = /ICMP6, echo (request|reply), id (\d+), seq (\d+)/.exec(text);
  if (m) {
    add("kind", r.kind(i), Kind.ICMP6);
    add("icmpType", r.icmpType(i), m[1] === "request" ? 128 : 129);
    add("icmpId", r.icmpId(i), Number(m[2]));
    add("icmpSeq", r.icmpSeq(i), Number(m[3]));
  } else if ((m = /unreachable port, (\S+) udp port (\d+)/.exec(text))) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [1, 4]);
    add("quotedDstV6", formatIpv6(r.quotedDstV6(i)), m[1]);
    add("quotedDstPort", r.quotedDstPort(i), Number(m[2]));
    add("quotedProto", r.quotedProto(i), 17);
  } else if ((m = /packet too big, mtu (\d+)/.exec(text))) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [2, 0]);
    add("icmpExtra (MTU)", r.icmpExtra(i), Number(m[1]));
    add("quote", (r.flags(i) & RecordFlag.QUOTE_PORTS) !== 0, true);
  } else if ((m = /time exceeded in-transit for (\S+)/.exec(text))) {
    add("icmpType/Code", [r.icmpType(i), r.icmpCode(i)], [3, 0]);
    add("quotedDstV6", formatIpv6(r.quotedDstV6(i)), m[1]);
  } else if ((m = /neighbor solicitation, length \d+, who has (\S+)/.exec(text))) {
    add("kind", r.kind(i), Kind.NDP_NS);
    add("ndpTarget", formatIpv6(r.ndpTarget(i)), m[1]);
    const ll = /source link-address option \(1\), length 8 \(1\): ([0-9a-f:]{17})/.exec(text);
    add("ndpLinkAddr", r.ndpLinkAddr(i) && formatMac(r.ndpLinkAddr(i)!), ll?.[1]);
  } else if (
    (m = /neighbor advertisement, length \d+, tgt is (\S+), Flags \[([^\]]*)\]/.exec(text))
  ) {
    add("kind", r.kind(i), Kind.NDP_NA);
    add("ndpTarget", formatIpv6(r.ndpTarget(i)), m[1]);
    const f = m[2]!;
    const flags = (f.includes("router") ? 0x80 : 0) | (f.includes("solicited") ? 0x40 : 0) |
      (f.includes("override") ? 0x20 : 0);
    add("ndpFlags", r.ndpFlags(i), flags);
    const ll = /destination link-address option \(2\), length 8 \(1\): ([0-9a-f:]{17})/.exec(text);
    add("ndpLinkAddr", r.ndpLinkAddr(i) && formatMac(r.ndpLinkAddr(i)!), ll?.[1]);
  } else {
    throw new Error(`unknown ICMPv6 in ${text}`);
  }
}

/** Rebuilds frame i from its parsed fields with the allocating builders. */
function rebuild(r: ParsedRecords, i: number, link: number): Uint8Array {
  const v4 = r.family(i) === 4;
  const link_ = {
    linkType: link,
    srcMac: r.srcMac(i).slice(),
    dstMac: r.dstMac(i).slice(),
    packetType: r.packetType(i),
  };
  if (r.kind(i) === Kind.ARP) {
    return core.buildArpRequest({
      ...link_,
      op: r.arpOp(i),
      senderMac: r.arpSenderMac(i).slice(),
      senderIp: r.arpSenderIp(i),
      targetMac: r.arpTargetMac(i).slice(),
      targetIp: r.arpTargetIp(i),
    });
  }
  const ip = {
    ...link_,
    src: v4 ? r.srcV4(i) : r.srcV6(i).slice(),
    dst: v4 ? r.dstV4(i) : r.dstV6(i).slice(),
    ttl: r.ttl(i),
    ipId: r.ipId(i),
    df: (r.flags(i) & RecordFlag.DF) !== 0,
    tos: r.tos(i),
    flowLabel: r.flowLabel(i),
  };
  switch (r.kind(i)) {
    case Kind.TCP:
      return core.buildTcp({
        ...ip,
        srcPort: r.srcPort(i),
        dstPort: r.dstPort(i),
        seq: r.seq(i),
        ack: r.ack(i),
        flags: r.tcpFlags(i),
        window: r.window(i),
        urgent: r.urgent(i),
        options: r.tcpOptions(i).slice(),
        payload: r.payload(i).slice(),
      });
    case Kind.UDP:
      return core.buildUdp({
        ...ip,
        srcPort: r.srcPort(i),
        dstPort: r.dstPort(i),
        payload: r.payload(i).slice(),
      });
    case Kind.ICMP4:
      if (r.icmpType(i) === 13 || r.icmpType(i) === 14) {
        return core.buildIcmpTimestamp({
          ...ip,
          id: r.icmpId(i),
          seq: r.icmpSeq(i),
          originate: r.icmpOriginate(i),
          receive: r.icmpReceive(i),
          transmit: r.icmpTransmit(i),
          reply: r.icmpType(i) === 14,
        });
      }
    // falls through
    case Kind.ICMP6: {
      const t = r.icmpType(i);
      const echo = t === 0 || t === 8 || t === 128 || t === 129;
      if (echo) {
        return core.buildIcmpEcho({
          ...ip,
          id: r.icmpId(i),
          seq: r.icmpSeq(i),
          reply: t === 0 || t === 129,
          payload: r.payload(i).slice(),
        });
      }
      return core.buildIcmp({
        ...ip,
        type: t,
        code: r.icmpCode(i),
        extra: r.icmpExtra(i),
        payload: r.payload(i).slice(),
      });
    }
    case Kind.NDP_NS:
      return core.buildNeighborSolicitation({
        ...link_,
        src: ip.src,
        dst: ip.dst,
        target: r.ndpTarget(i).slice(),
        linkAddr: r.ndpLinkAddr(i)?.slice() ?? null,
        hopLimit: r.ttl(i),
      });
    case Kind.NDP_NA:
      return core.buildNeighborAdvertisement({
        ...link_,
        src: ip.src,
        dst: ip.dst,
        target: r.ndpTarget(i).slice(),
        flags: r.ndpFlags(i),
        linkAddr: r.ndpLinkAddr(i)?.slice() ?? null,
        hopLimit: r.ttl(i),
      });
  }
  throw new Error(`cannot rebuild kind ${r.kind(i)}`);
}

for (const capture of captures) {
  Deno.test(`golden ${capture.file}: fields match tcpdump, rebuilt frames are identical`, () => {
    const frames = capture.frames;
    assert(frames.length >= 40, `only ${frames.length} frames`);
    let off = 0;
    frames.forEach((f, i) => {
      const bytes = unhex(f.hex);
      batch.data.set(bytes, off);
      batch.index.set([off, bytes.length, f.tsSec, f.tsUsec], 4 * i);
      off += bytes.length;
    });
    const r = core.parseBatch(batch, frames.length, capture.linkType);
    assertEquals(r.okCount, frames.length, "every frame parses cleanly");
    const kinds = new Set<number>();
    let identical = 0;
    frames.forEach((f, i) => {
      assertEquals([r.tsSec(i), r.tsUsec(i)], [f.tsSec, f.tsUsec]);
      kinds.add(r.kind(i));
      for (const [name, actual, expected] of checks(f.tcpdump, r, i, capture.linkType)) {
        assertEquals(actual, expected, `frame ${i} ${name}\n${f.tcpdump}`);
      }
      const captured = r.frame(i);
      const built = rebuild(r, i, capture.linkType);
      const from = capture.linkType === LinkType.EN10MB ? 0 : r.l3Offset(i);
      const want = captured.slice(from);
      const got = built.slice(
        capture.linkType === LinkType.EN10MB ? 0 : built.length - want.length,
      );
      if (r.flags(i) & RecordFlag.CSUM_PARTIAL) {
        // The kernel left the transport checksum to offload; ours is complete.
        const at = r.l4Offset(i) - from + (r.kind(i) === Kind.TCP ? 16 : 6);
        got[at] = want[at]!;
        got[at + 1] = want[at + 1]!;
      }
      assertEquals(hex(got), hex(want), `frame ${i} rebuilt\n${f.tcpdump}`);
      identical++;
    });
    assertEquals(identical, frames.length);
    // The capture covers every kind the core knows but OTHER.
    assertEquals(
      [...kinds].sort(),
      [Kind.TCP, Kind.UDP, Kind.ICMP4, Kind.ICMP6, Kind.ARP, Kind.NDP_NS, Kind.NDP_NA].sort(),
    );
  });
}
