// nmap's -sO probes, golden bytes in both directions: nmap 7.93's `-sO -p 1,2,6,17,47,58,132`
// against 127.0.0.1 and ::1 (tcpdump -xx on lo, whose frames carry an all-zero Ethernet header),
// the kernel's answers (protocol unreachable, ICMPv6 parameter problem) quoting them.

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { emitPrefilled, parseOne as parseGolden } from "../tests/testing/golden_frames.ts";
import {
  Kind,
  LinkType,
  packetCore,
  ParseError,
  protocolProbeFields,
  protocolProbeKind,
  type ProtocolProbeSpec,
  RecordFlag,
} from "./mod.ts";

const core = packetCore();
const ETH = "000000000000000000000000";
const V4 = ETH + "0800";
const V6 = ETH + "86dd";
const LO6 = "00000000000000000000000000000001";

const v4 = (
  protocol: number,
  ipId: number,
  ttl: number,
  extra: Partial<ProtocolProbeSpec> = {},
) => ({
  src: "127.0.0.1",
  dst: "127.0.0.1",
  protocol,
  ipId,
  ttl,
  srcPort: 56728,
  tag: 0,
  ...extra,
});
const v6 = (
  protocol: number,
  ipId: number,
  ttl: number,
  extra: Partial<ProtocolProbeSpec> = {},
) => ({ src: "::1", dst: "::1", protocol, ipId, ttl, srcPort: 60203, tag: 0, ...extra });

/** nmap's probes and the spec that makes each. */
const PROBES: [string, ProtocolProbeSpec, string][] = [
  [
    "tcp ack to 80",
    v4(6, 0x2cd9, 0x2d, { tag: 0x854e288f, tag2: 0x32c4c42a }),
    V4 + "450000282cd900002d0662f57f0000017f000001dd980050854e288f32c4c42a501004002b1d0000",
  ],
  ["gre, bare", v4(47, 0x9336, 0x37), V4 + "4500001493360000372ff2827f0000017f000001"],
  [
    "igmp membership query",
    v4(2, 0xf804, 0x38),
    V4 + "4500001cf804000038028cd97f0000017f0000011100eeff00000000",
  ],
  [
    "sctp init to 80",
    v4(132, 0xcdc9, 0x2d, { tag: 0x4dc12a44, tag2: 0x79f596dc }),
    V4 + "45000034cdc900002d84c17a7f0000017f000001dd98005000000000deb6ec36" +
    "010000144dc12a4400008000000a080079f596dc",
  ],
  ["icmpv6 over ipv4, bare", v4(58, 0xba63, 0x34), V4 + "45000014ba630000343ace4a7f0000017f000001"],
  [
    "udp to 40125",
    v4(17, 0xfa72, 0x2d),
    V4 + "4500001cfa7200002d11955c7f0000017f000001dd989cbd00088785",
  ],
  [
    "icmp echo",
    v4(1, 0xdd2c, 0x39, { tag: 24784 }),
    V4 + "4500001cdd2c00003901a6b27f0000017f0000010800972f60d00000",
  ],
  [
    "v6 sctp init",
    v6(132, 0xea7c, 0xff, { tag: 0x495786a4, tag2: 0x8cbddf65 }),
    V6 + "6000ea7c002084ff" + LO6 + LO6 + "eb2b005000000000d4a04959" +
    "01000014495786a400008000000a08008cbddf65",
  ],
  ["v6 udp", v6(17, 0x1222, 0xff), V6 + "60001222000811ff" + LO6 + LO6 + "eb2b9cbd000877f3"],
  [
    "v6 icmpv6 echo (code 129, as nmap)",
    v6(58, 0x9d36, 0xff, { tag: 3028 }),
    V6 + "60009d3600083aff" + LO6 + LO6 + "808173660bd40000",
  ],
  ["v6 icmp, bare", v6(1, 0x87b2, 0x2b), V6 + "600087b20000012b" + LO6 + LO6],
  [
    "v6 tcp ack",
    v6(6, 0x5992, 0xff, { tag: 0x92abc9aa, tag2: 0xa08caa43 }),
    V6 + "60005992001406ff" + LO6 + LO6 + "eb2b005092abc9aaa08caa435010040019310000",
  ],
  ["v6 igmp, bare", v6(2, 0x13f6, 0x32), V6 + "600013f600000232" + LO6 + LO6],
  ["v6 gre, bare", v6(47, 0xdf57, 0x38), V6 + "6000df5700002f38" + LO6 + LO6],
];

const parseOne = (frameHex: string) => parseGolden(frameHex, LinkType.EN10MB);

for (const [name, spec, frame] of PROBES) {
  Deno.test(`protocol probe: nmap's ${name} is emitted byte for byte (0xa5 pre-fill)`, () => {
    assertEquals(
      hex(emitPrefilled(protocolProbeFields(spec), frame.length / 2, LinkType.EN10MB)),
      frame,
    );
    assertEquals(hex(core.buildProtocolProbe(spec)), frame);
  });
  Deno.test(`protocol probe: nmap's ${name} parses to its protocol`, () => {
    const r = parseOne(frame);
    assertEquals(r.status(0), ParseError.OK);
    assertEquals(r.ipProto(0), spec.protocol);
    const family = spec.src === "::1" ? 6 : 4;
    assertEquals(r.kind(0), protocolProbeKind(spec.protocol, family));
  });
}

Deno.test("protocol probe: nmap's IGMP query parses to type, max response time and group", () => {
  const r = parseOne(PROBES.find(([n]) => n.startsWith("igmp"))![2]);
  assertEquals(r.kind(0), Kind.IGMP);
  assertEquals([r.icmpType(0), r.icmpCode(0), r.icmpExtra(0)], [0x11, 0, 0]);
  assert(r.flags(0) & RecordFlag.CSUM_VERIFIED, "IGMP checksum verified");
  const bad = parseOne(V4 + "4500001cf804000038028cd97f0000017f0000011100eefe00000000");
  assertEquals(bad.status(0), ParseError.ICMP_BAD_CHECKSUM);
});

Deno.test("protocol probe: --data follows the header; --badsum puts IGMP's checksum one off", () => {
  const data = unhex("c0ffee");
  const gre = core.buildProtocolProbe(v4(47, 1, 64, { payload: data }));
  assertEquals(hex(gre.subarray(34)), "c0ffee");
  const igmp = core.buildProtocolProbe(v4(2, 1, 64, { badChecksum: true }));
  assertEquals(hex(igmp.subarray(34 + 2, 34 + 4)), "eefe");
});

Deno.test("protocol probe: the kernel's protocol unreachable quotes a bare GRE probe", () => {
  const r = parseOne(
    V4 + "45c0003035940000400146777f0000017f0000010302fcfd00000000" +
      "4500001493360000372ff2827f0000017f000001",
  );
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.kind(0), r.icmpType(0), r.icmpCode(0)], [Kind.ICMP4, 3, 2]);
  assert(r.flags(0) & RecordFlag.QUOTE, "quote parsed");
  assertEquals([r.quotedProto(0), r.quotedIpId(0)], [47, 0x9336]);
  assertEquals([r.quotedSrcV4(0), r.quotedDstV4(0)], [0x7f000001, 0x7f000001]);
});

Deno.test("protocol probe: ICMPv6 parameter problem (next header) quotes a bare IPv6 probe", () => {
  const r = parseOne(
    V6 + "600b527a00303a40" + LO6 + LO6 + "0401" + "8cfa" + "00000006" +
      "6000df5700002f38" + LO6 + LO6,
  );
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.kind(0), r.icmpType(0), r.icmpCode(0)], [Kind.ICMP6, 4, 1]);
  assert(r.flags(0) & RecordFlag.QUOTE, "quote parsed");
  assertEquals(r.quotedProto(0), 47);
});

Deno.test("protocol probe: a protocol outside 0..255 is refused", () => {
  let threw = false;
  try {
    protocolProbeFields(v4(256, 0, 64));
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw, "RangeError");
});

Deno.test("protocol probe: a quoted bare ICMPv6-over-IPv4 probe is a protocol number, not a short ICMP", () => {
  const r = parseOne(
    V4 + "45c0003035960000400146757f0000017f0000010302fcfd00000000" +
      "45000014ba630000343ace4a7f0000017f000001",
  );
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.quotedProto(0), 58);
  const v6 = parseOne(
    V6 + "600b527a00303a40" + LO6 + LO6 + "0401" + "12ad" + "00000006" +
      "600087b20000012b" + LO6 + LO6,
  );
  assertEquals(v6.status(0), ParseError.OK);
  assertEquals(v6.quotedProto(0), 1);
});
