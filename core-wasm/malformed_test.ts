// Hand-made malformed frames, one per reason code, and the link-type headers byte by byte.

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { Kind, LinkType, packetCore, ParseError, RecordFlag } from "./mod.ts";

const core = packetCore();
const batch = core.frameBatch(1, 4096);

function parse(frame: Uint8Array, link: number = LinkType.EN10MB, verifyChecksums = true) {
  batch.data.set(frame, 0);
  batch.index.set([0, frame.length, 0, 0]);
  return core.parseBatch(batch, 1, link, { verifyChecksums });
}

function status(frame: Uint8Array, link: number = LinkType.EN10MB, verify = true): number {
  return parse(frame, link, verify).status(0);
}

const MACS = { srcMac: "02:00:00:00:00:01", dstMac: "02:00:00:00:00:02" };
const syn = () =>
  core.buildTcp({ ...MACS, src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2 });
const syn6 = () =>
  core.buildTcp({ ...MACS, src: "fd00::1", dst: "fd00::2", srcPort: 1, dstPort: 2 });
const udp = () =>
  core.buildUdp({ ...MACS, src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2 });
const set16 = (f: Uint8Array, o: number, v: number) => f.set([v >> 8, v & 255], o);

Deno.test("every ParseError from a hand-made frame", () => {
  const E = ParseError;
  // BAD_INDEX: the entry points past the data.
  batch.index.set([4000, 200, 0, 0]);
  assertEquals(core.parseBatch(batch, 1, LinkType.EN10MB).status(0), E.BAD_INDEX);

  assertEquals(status(syn(), 147), E.LINK_UNSUPPORTED);
  assertEquals(status(syn().slice(0, 13)), E.LINK_TRUNCATED);
  assertEquals(status(syn().slice(0, 4), LinkType.LINUX_SLL), E.LINK_TRUNCATED);
  assertEquals(status(syn().slice(0, 30)), E.IP_TRUNCATED);

  let f = syn();
  f[14] = 0x65; // version 6 under ethertype IPv4
  assertEquals(status(f), E.IP_BAD_VERSION);
  f = syn();
  f[14] = 0x44; // IHL 4
  assertEquals(status(f), E.IP_BAD_IHL);
  f = syn();
  f[14] = 0x4f; // IHL 15 = 60 bytes > total length 40
  assertEquals(status(f), E.IP_BAD_IHL);
  f = syn();
  set16(f, 16, 12); // total length 12
  assertEquals(status(f), E.IP_BAD_LENGTH);
  f = syn();
  set16(f, 16, 400); // total length beyond the frame (a lie, or a short snaplen)
  assertEquals(status(f), E.IP_TRUNCATED);

  f = core.buildTcp({
    src: 1,
    dst: 2,
    srcPort: 1,
    dstPort: 2,
    ipOptions: new Uint8Array([0x94, 9, 0, 0]), // option length 9 overruns the 4 bytes
  });
  assertEquals(status(f), E.IP_BAD_OPTIONS);

  f = syn();
  f[22]! ^= 1; // TTL changed, checksum not
  assertEquals(status(f), E.IP_BAD_CHECKSUM);
  assertEquals(status(f, LinkType.EN10MB, false), E.OK);

  f = core.buildUdp({ src: 1, dst: 2, srcPort: 1, dstPort: 2 });
  const frag = core.buildFields({
    kind: Kind.OTHER,
    family: 4,
    srcV4: 1,
    dstV4: 2,
    ttl: 9,
    ipProto: 17,
    fragmentOffset: 100,
    payload: new Uint8Array(16),
  });
  let r = parse(frag);
  assertEquals([r.status(0), r.fragmentOffset(0), r.ipProto(0)], [E.IP_FRAGMENT, 100, 17]);

  // IPv6: a fragment header with offset != 0.
  const ext = (first: number, bytes: number[]) => ({ first, bytes: new Uint8Array(bytes) });
  f = core.buildUdp({
    src: "::1",
    dst: "::2",
    srcPort: 1,
    dstPort: 2,
    ipv6Extensions: ext(44, [0, 0, 0x01, 0x01, 0, 0, 0x12, 0x34]),
  });
  r = parse(f);
  assertEquals([r.status(0), r.fragmentOffset(0), r.ipId(0)], [E.IP_FRAGMENT, 32, 0x1234]);
  assert(r.flags(0) & RecordFlag.MF);
  // Hop-by-hop after another header.
  f = core.buildUdp({
    src: "::1",
    dst: "::2",
    srcPort: 1,
    dstPort: 2,
    ipv6Extensions: ext(60, [0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0]),
  });
  assertEquals(status(f), E.IP6_BAD_EXT);
  // A header length running past the payload.
  f = core.buildUdp({
    src: "::1",
    dst: "::2",
    srcPort: 1,
    dstPort: 2,
    ipv6Extensions: ext(60, [17, 0, 1, 4, 0, 0, 0, 0]),
  });
  f[14 + 41] = 200;
  assertEquals(status(f), E.IP6_BAD_EXT);
  // Nine destination-options headers: the chain limit.
  const nine: number[] = [];
  for (let i = 0; i < 9; i++) nine.push(60, 0, 1, 4, 0, 0, 0, 0);
  f = core.buildUdp({
    src: "::1",
    dst: "::2",
    srcPort: 1,
    dstPort: 2,
    ipv6Extensions: ext(60, nine),
  });
  assertEquals(status(f), E.IP6_EXT_LIMIT);

  // TCP.
  f = syn();
  set16(f, 16, 20 + 12);
  assertEquals(status(f.slice(0, 14 + 32), LinkType.EN10MB, false), E.TCP_TRUNCATED);
  f = syn();
  f[14 + 20 + 12] = 0x40; // data offset 4
  assertEquals(status(f, LinkType.EN10MB, false), E.TCP_BAD_OFFSET);
  f = syn();
  f[14 + 20 + 12] = 0xf0; // data offset 15 = 60 > 20
  assertEquals(status(f, LinkType.EN10MB, false), E.TCP_BAD_OFFSET);
  f = core.buildTcp({ src: 1, dst: 2, srcPort: 1, dstPort: 2, options: unhex("02030000") });
  assertEquals(status(f), E.TCP_BAD_OPTIONS); // MSS with length 3
  f = syn();
  f[14 + 20 + 4]! ^= 0x80; // seq changed
  assertEquals(status(f), E.TCP_BAD_CHECKSUM);
  f = syn6();
  f[14 + 40 + 4]! ^= 0x80;
  assertEquals(status(f), E.TCP_BAD_CHECKSUM);

  // UDP.
  f = udp();
  set16(f, 16, 24);
  assertEquals(status(f.slice(0, 14 + 24), LinkType.EN10MB, false), E.UDP_TRUNCATED);
  f = udp();
  set16(f, 14 + 20 + 4, 7);
  assertEquals(status(f, LinkType.EN10MB, false), E.UDP_BAD_LENGTH);
  f = udp();
  set16(f, 14 + 20 + 4, 9); // longer than the datagram
  assertEquals(status(f, LinkType.EN10MB, false), E.UDP_BAD_LENGTH);
  f = udp();
  f[14 + 20]! ^= 1;
  assertEquals(status(f), E.UDP_BAD_CHECKSUM);
  f = udp();
  set16(f, 14 + 20 + 6, 0); // no checksum: fine over IPv4 ...
  assertEquals(status(f), E.OK);
  f = core.buildUdp({ src: "::1", dst: "::2", srcPort: 1, dstPort: 2 });
  set16(f, 14 + 40 + 6, 0); // ... invalid over IPv6 (RFC 8200 8.1)
  assertEquals(status(f), E.UDP_BAD_CHECKSUM);

  // ICMP.
  f = core.buildIcmpEcho({ src: 1, dst: 2, id: 1, seq: 2 });
  set16(f, 16, 20 + 6);
  assertEquals(status(f.slice(0, 14 + 26), LinkType.EN10MB, false), E.ICMP_TRUNCATED);
  f = core.buildIcmpTimestamp({ src: 1, dst: 2, id: 1, seq: 2 });
  set16(f, 16, 20 + 16);
  assertEquals(status(f.slice(0, 14 + 36), LinkType.EN10MB, false), E.ICMP_TRUNCATED);
  f = core.buildIcmpEcho({ src: 1, dst: 2, id: 1, seq: 2 });
  f[14 + 20 + 4]! ^= 1;
  assertEquals(status(f), E.ICMP_BAD_CHECKSUM);
  f = core.buildIcmp({ src: 1, dst: 2, type: 3, code: 3, payload: new Uint8Array(30).fill(0x99) });
  assertEquals(status(f), E.ICMP_BAD_QUOTE); // a quote that is no IPv4 header
  const probe = udp().slice(14, 14 + 28);
  f = core.buildIcmp({ src: 2, dst: 1, type: 3, code: 3, payload: probe.slice(0, 24) });
  assertEquals(status(f), E.ICMP_BAD_QUOTE); // header but only 4 of the 8 transport bytes

  // ARP.
  const arp = core.buildArpRequest({
    senderMac: "02:00:00:00:00:01",
    senderIp: "10.0.0.1",
    targetIp: "10.0.0.2",
  });
  assertEquals(status(arp.slice(0, 14 + 20)), E.ARP_TRUNCATED);
  f = arp.slice();
  f[14 + 5] = 16; // protocol address length 16
  assertEquals(status(f), E.ARP_UNSUPPORTED);

  // NDP.
  const ns = core.buildNeighborSolicitation({
    srcMac: "02:00:00:00:00:01",
    src: "fe80::1",
    target: "fe80::2",
  });
  f = ns.slice(0, 14 + 40 + 20);
  set16(f, 14 + 4, 20);
  assertEquals(status(f, LinkType.EN10MB, false), E.NDP_TRUNCATED);
  f = ns.slice();
  f[14 + 40 + 24 + 1] = 0; // option length 0 (RFC 4861 4.6: invalid)
  assertEquals(status(f, LinkType.EN10MB, false), E.NDP_BAD_OPTION);
  f = ns.slice();
  f[14 + 40 + 24 + 1] = 2; // option running past the message
  assertEquals(status(f, LinkType.EN10MB, false), E.NDP_BAD_OPTION);
});

Deno.test("Linux CHECKSUM_PARTIAL frames are accepted and flagged", () => {
  const f = syn();
  // Replace the checksum by the folded pseudo-header sum, as Linux leaves it for offload.
  const ip = f.slice(14, 34);
  let s = 0;
  for (let i = 12; i < 20; i += 2) s += (ip[i]! << 8) | ip[i + 1]!;
  s += 6 + 20;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  set16(f, 14 + 20 + 16, s);
  const r = parse(f);
  assertEquals(r.status(0), ParseError.OK);
  assert(r.flags(0) & RecordFlag.CSUM_PARTIAL);
  assert(!(r.flags(0) & RecordFlag.CSUM_VERIFIED));
});

Deno.test("link headers: VLAN, SLL, SLL2, NULL in either byte order, LOOP", () => {
  const base = { src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, ...MACS };
  let f = core.buildTcp({ ...base, vlan: 0x2064 });
  assertEquals(hex(f.slice(12, 18)), "810020640800");
  let r = parse(f);
  assertEquals([r.status(0), r.vlan(0), r.l3Offset(0)], [0, 0x2064, 18]);
  // Q-in-Q: an 802.1ad tag outside the 802.1Q one.
  const qinq = new Uint8Array(f.length + 4);
  qinq.set(f.slice(0, 12));
  qinq.set([0x88, 0xa8, 0x00, 0x05], 12);
  qinq.set(f.slice(12), 16);
  r = parse(qinq);
  assertEquals([r.status(0), r.vlan(0), r.l3Offset(0), r.dstPort(0)], [0, 5, 22, 2]);

  f = core.buildTcp({ ...base, linkType: LinkType.LINUX_SLL, packetType: 4 });
  assertEquals(hex(f.slice(0, 16)), "00040001000602000000000100000800");
  r = parse(f, LinkType.LINUX_SLL);
  assertEquals([r.status(0), r.packetType(0), hex(r.srcMac(0))], [0, 4, "020000000001"]);

  f = core.buildTcp({ ...base, linkType: LinkType.LINUX_SLL2 });
  assertEquals(hex(f.slice(0, 20)), "0800000000000000000100060200000000010000");
  assertEquals(parse(f, LinkType.LINUX_SLL2).status(0), 0);

  f = core.buildTcp({ ...base, linkType: LinkType.NULL });
  assertEquals(hex(f.slice(0, 4)), "02000000"); // host (little-endian) order
  assertEquals(parse(f, LinkType.NULL).status(0), 0);
  f[0] = 0;
  f[3] = 2; // written by a big-endian host
  assertEquals(parse(f, LinkType.NULL).status(0), 0);
  f = core.buildTcp({ ...base, src: "::1", dst: "::2", linkType: LinkType.NULL });
  assertEquals(hex(f.slice(0, 4)), "1e000000"); // AF_INET6 = 30 (macOS)
  r = parse(f, LinkType.NULL);
  assertEquals([r.status(0), r.family(0)], [0, 6]);

  f = core.buildTcp({ ...base, src: "::1", dst: "::2", linkType: LinkType.LOOP });
  assertEquals(hex(f.slice(0, 4)), "00000018"); // network order, OpenBSD AF_INET6 = 24
  assertEquals(parse(f, LinkType.LOOP).family(0), 6);

  f = core.buildTcp({ ...base, linkType: LinkType.RAW });
  assertEquals(f[0], 0x45);
  assertEquals(parse(f, LinkType.LINKTYPE_RAW).status(0), 0);
  assertEquals(parse(f, LinkType.IPV6).status(0), ParseError.IP_BAD_VERSION);

  // Other ethertypes are not errors: kind OTHER.
  f = syn();
  set16(f, 12, 0x88cc);
  r = parse(f);
  assertEquals([r.status(0), r.kind(0), r.ethertype(0)], [0, Kind.OTHER, 0x88cc]);
});

Deno.test("builders reject what they cannot build, clearly", () => {
  const bad = (fn: () => unknown, re: RegExp) => {
    try {
      fn();
    } catch (e) {
      assert(re.test(String(e)), String(e));
      return;
    }
    throw new Error("no error");
  };
  bad(() => core.buildTcp({ src: "10.0.0.1", dst: "::1", srcPort: 1, dstPort: 2 }), /both be IPv4/);
  bad(() => core.buildTcp({ src: "10.0.0.300", dst: "1.2.3.4", srcPort: 1, dstPort: 2 }), /IPv4/);
  bad(
    () =>
      core.buildArpRequest({
        linkType: LinkType.RAW,
        senderMac: "02:00:00:00:00:01",
        senderIp: 1,
        targetIp: 2,
      }),
    /cannot build/,
  );
  bad(() => core.buildIcmpTimestamp({ src: "::1", dst: "::2", id: 1, seq: 1 }), /IPv4 only/);
  bad(
    () => core.buildUdp({ src: 1, dst: 2, srcPort: 1, dstPort: 2, payload: new Uint8Array(70000) }),
    /65535/,
  );
  bad(
    () => core.buildTcp({ src: 1, dst: 2, srcPort: 1, dstPort: 2, linkType: LinkType.IPV6 }),
    /cannot build/,
  );
});
