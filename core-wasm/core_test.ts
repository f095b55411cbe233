// Build and parse round trips and the template fast path (Ethernet / IPv4 / TCP first).

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import {
  fragmentIpv4,
  Kind,
  LinkType,
  packetCore,
  ParseError,
  RecordFlag,
  TcpFlag,
  u32ToIpv4,
} from "./mod.ts";

const core = packetCore();

// A SYN as nmap sends it, checked against tcpdump ("cksum 0x92f1 (correct)").
const SYN_HEX = "020000000002020000000001080045000" +
  "03c00004000400626ba0a0000010a0000029c4000500000007b00000000a002040092f10000020405b40402080a" +
  "000000010000000001030307";

Deno.test("buildTcp writes a SYN byte-identical to the reference", () => {
  const frame = core.buildTcp({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 40000,
    dstPort: 80,
    seq: 123,
    df: true,
    srcMac: "02:00:00:00:00:01",
    dstMac: "02:00:00:00:00:02",
    options: [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "timestamp", tsval: 1, tsecr: 0 },
      { kind: "nop" },
      { kind: "wscale", value: 7 },
    ],
  });
  assertEquals(hex(frame), SYN_HEX);
});

Deno.test("parseBatch reads the reference SYN in place", () => {
  const batch = core.frameBatch(4, 1024);
  const frame = unhex(SYN_HEX);
  batch.data.set(frame, 100);
  batch.index.set([100, frame.length, 1700000000, 42]);
  const r = core.parseBatch(batch, 1, LinkType.EN10MB);
  assertEquals(r.count, 1);
  assertEquals(r.okCount, 1);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.kind(0), Kind.TCP);
  assertEquals(r.family(0), 4);
  assertEquals(u32ToIpv4(r.srcV4(0)), "10.0.0.1");
  assertEquals(r.dstV4(0), 0x0a000002);
  assertEquals([r.srcPort(0), r.dstPort(0), r.seq(0), r.ack(0)], [40000, 80, 123, 0]);
  assertEquals(r.tcpFlags(0), TcpFlag.SYN);
  assertEquals([r.window(0), r.ttl(0), r.ipId(0)], [1024, 64, 0]);
  assertEquals([r.mss(0), r.wscale(0), r.sackOk(0), r.tsval(0), r.tsecr(0)], [1460, 7, true, 1, 0]);
  assertEquals(hex(r.tcpOptions(0)), "020405b40402080a000000010000000001030307");
  assertEquals([r.tsSec(0), r.tsUsec(0)], [1700000000, 42]);
  assert(r.flags(0) & RecordFlag.DF);
  assert(r.flags(0) & RecordFlag.CSUM_VERIFIED);
  assertEquals(r.frame(0), frame);
});

Deno.test("a batch outside wasm memory is staged and parsed", () => {
  const frame = unhex(SYN_HEX);
  const data = new Uint8Array(200);
  data.set(frame, 10);
  const batch = {
    data,
    index: new Uint32Array([10, frame.length, 0, 0, 190, 20, 0, 0]),
    capacity: 2,
  };
  const r = core.parseBatch(batch, 2, LinkType.EN10MB);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.dstPort(0), 80);
  assertEquals(r.frame(0), frame);
  // Past the caller's 200 bytes, even though the staging area is larger.
  assertEquals(r.status(1), ParseError.BAD_INDEX);
});

Deno.test("emitBatch patches destination, ports, seq and IP ID with valid checksums", () => {
  const t = core.probeTemplate({
    protocol: "tcp",
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 40000,
    dstPort: 80,
    capacity: 64,
  });
  for (let i = 0; i < 64; i++) {
    t.dstV4[i] = (0x0a010000 + i * 7919) >>> 0;
    t.dstPort[i] = (i * 31337) & 0xffff;
    t.srcPort[i] = 1024 + i;
    t.seq[i] = (i * 0x9e3779b9) >>> 0;
    t.ipId[i] = (i * 40503) & 0xffff;
  }
  const out = core.emitBatch(t, 64);
  const r = core.parseBatch(out, 64, LinkType.EN10MB);
  assertEquals(r.okCount, 64);
  for (let i = 0; i < 64; i++) {
    assertEquals(r.dstV4(i), t.dstV4[i]);
    assertEquals(r.srcV4(i), 0x0a000001);
    assertEquals([r.srcPort(i), r.dstPort(i), r.seq(i), r.ipId(i)], [
      t.srcPort[i],
      t.dstPort[i],
      t.seq[i],
      t.ipId[i],
    ]);
    assert(r.flags(i) & RecordFlag.CSUM_VERIFIED, `probe ${i} checksum not verified`);
    // Byte-identical to the allocating builder.
    const built = core.buildTcp({
      src: "10.0.0.1",
      dst: t.dstV4[i]!,
      srcPort: t.srcPort[i]!,
      dstPort: t.dstPort[i]!,
      seq: t.seq[i]!,
      ipId: t.ipId[i]!,
    });
    assertEquals(hex(r.frame(i)), hex(built));
  }
});

Deno.test("emitBatch rewrites the output index it owns", () => {
  const t = core.probeTemplate({
    protocol: "udp",
    src: "fd00::1",
    dst: "fd00::2",
    srcPort: 1,
    dstPort: 2,
    payload: new Uint8Array(5),
    capacity: 4,
  });
  assertEquals(t.frameLength, 14 + 40 + 8 + 5);
  assertEquals(t.stride % 16, 0);
  const out = core.emitBatch(t, 4);
  out.index.fill(0xdead); // a sender trimming or reordering the index
  core.emitBatch(t, 4);
  for (let i = 0; i < 4; i++) {
    assertEquals(Array.from(out.index.subarray(4 * i, 4 * i + 4)), [
      i * t.stride,
      t.frameLength,
      0,
      0,
    ]);
  }
  assertEquals(core.parseBatch(out, 4, LinkType.EN10MB).okCount, 4);
});

Deno.test("badChecksum (--badsum): the reference SYN one off in its checksum, built and parsed", () => {
  const spec = {
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 40000,
    dstPort: 80,
    seq: 123,
    df: true,
    srcMac: "02:00:00:00:00:01",
    dstMac: "02:00:00:00:00:02",
    options: [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "timestamp", tsval: 1, tsecr: 0 },
      { kind: "nop" },
      { kind: "wscale", value: 7 },
    ],
    badChecksum: true,
  } as const;
  const badHex = SYN_HEX.replace("a002040092f1", "a002040092f0");
  assert(badHex !== SYN_HEX);
  assertEquals(hex(core.buildTcp(spec)), badHex);
  const batch = core.frameBatch(2, 1024);
  batch.data.set(unhex(badHex), 0);
  batch.index.set([0, badHex.length / 2, 0, 0]);
  assertEquals(core.parseBatch(batch, 1, LinkType.EN10MB).status(0), ParseError.TCP_BAD_CHECKSUM);
  // A template gives every probe the same bad checksum the builder gives.
  const t = core.probeTemplate({ protocol: "tcp", ...spec, capacity: 8 });
  for (let i = 0; i < 8; i++) {
    t.dstPort[i] = 80 + i;
    t.srcPort[i] = 40000;
    t.seq[i] = 123;
    t.dstV4[i] = 0x0a000002;
  }
  const out = core.emitBatch(t, 8);
  const r = core.parseBatch(out, 8, LinkType.EN10MB);
  for (let i = 0; i < 8; i++) {
    assertEquals(r.status(i), ParseError.TCP_BAD_CHECKSUM);
    assertEquals(hex(r.frame(i)), hex(core.buildTcp({ ...spec, dstPort: 80 + i })));
  }
  const udp = { src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5353, dstPort: 53 };
  const good = core.buildUdp(udp);
  const bad = core.buildUdp({ ...udp, badChecksum: true });
  assertEquals(bad.length, good.length);
  batch.data.set(bad, 0);
  batch.index.set([0, bad.length, 0, 0]);
  assertEquals(core.parseBatch(batch, 1, LinkType.EN10MB).status(0), ParseError.UDP_BAD_CHECKSUM);
});

/** Parses Ethernet frames laid end to end in one batch. */
function parseFrames(frames: Uint8Array[], options?: { verifyChecksums: boolean }) {
  const batch = core.frameBatch(frames.length, frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  frames.forEach((f, i) => {
    batch.data.set(f, at);
    batch.index.set([at, f.length, 0, 0], i * 4);
    at += f.length;
  });
  return core.parseBatch(batch, frames.length, LinkType.EN10MB, options);
}

Deno.test("fragmentIpv4 (-f): a SYN in 8-byte fragments, golden and parsed back", () => {
  const syn = core.buildTcp({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 40000,
    dstPort: 80,
    seq: 123,
    srcMac: "02:00:00:00:00:01",
    dstMac: "02:00:00:00:00:02",
    options: [{ kind: "mss", value: 1460 }],
  });
  const frags = fragmentIpv4(syn, 14, 8);
  assertEquals(frags.length, 3); // 24 bytes of TCP
  // Length 28, MF, offset 0, checksum 0x46da (by hand), then the first 8 bytes of the TCP header.
  assertEquals(
    hex(frags[0]!),
    "0200000000020200000000010800" + "4500001c00002000400646da0a0000010a000002" +
      "9c4000500000007b",
  );
  const r = parseFrames(frags);
  const payload: number[] = [];
  for (let i = 0; i < 3; i++) {
    assertEquals(r.fragmentOffset(i), i); // in 8-byte units
    assertEquals((r.flags(i) & RecordFlag.MF) !== 0, i < 2);
    payload.push(...frags[i]!.subarray(34));
  }
  assertEquals(hex(new Uint8Array(payload)), hex(syn.subarray(34)));
  // Small enough: left whole.
  assertEquals(fragmentIpv4(syn, 14, 24), [syn]);
});

Deno.test("a reply's first fragment (offset 0, MF) with a whole UDP or TCP header is the reply", () => {
  // A UDP echo of a 3000-byte probe: 3028 bytes over a 1500-byte MTU, so 1480 bytes a fragment.
  const ends = {
    src: "10.0.0.2",
    dst: "10.0.0.1",
    srcMac: "02:00:00:00:00:02",
    dstMac: "02:00:00:00:00:01",
  };
  const echo = core.buildUdp({
    ...ends,
    srcPort: 1004,
    dstPort: 40000,
    payload: new Uint8Array(3000).fill(0x5a),
  });
  const rst = core.buildTcp({
    ...ends,
    srcPort: 1005,
    dstPort: 40000,
    flags: TcpFlag.RST | TcpFlag.ACK,
    payload: new Uint8Array(40),
  });
  const frames = [
    ...fragmentIpv4(echo, 14, 1480), // 3 fragments
    fragmentIpv4(rst, 14, 24)[0]!, // the whole 20-byte TCP header and 4 data bytes
    fragmentIpv4(rst, 14, 16)[0]!, // only 16 bytes of the TCP header
  ];
  const r = parseFrames(frames); // checksums verified
  // The first UDP fragment: ports and the 1472 data bytes present; its checksum covers bytes
  // still to come, so it is neither checked nor reported bad.
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.kind(0), r.srcPort(0), r.dstPort(0)], [Kind.UDP, 1004, 40000]);
  assert(r.flags(0) & RecordFlag.MF);
  assertEquals(r.payloadLength(0), 1472);
  assertEquals(r.payload(0), new Uint8Array(1472).fill(0x5a));
  // The later ones carry no header.
  assertEquals([r.status(1), r.status(2)], [ParseError.IP_FRAGMENT, ParseError.IP_FRAGMENT]);
  assertEquals(r.status(3), ParseError.OK);
  assertEquals([r.kind(3), r.srcPort(3), r.tcpFlags(3)], [
    Kind.TCP,
    1005,
    TcpFlag.RST | TcpFlag.ACK,
  ]);
  assertEquals(r.status(4), ParseError.TCP_TRUNCATED);
  // IPv6: a Fragment header with offset 0 and M set, the UDP length counting 2900 more bytes.
  const v6 = core.buildUdp({
    src: "fd00::2",
    dst: "fd00::1",
    srcPort: 1004,
    dstPort: 40000,
    payload: new Uint8Array(100),
    ipv6Extensions: { first: 44, bytes: new Uint8Array([0, 0, 0x00, 0x01, 0, 0, 0, 7]) },
  });
  v6.set([0x0b, 0xc0], 14 + 40 + 8 + 4); // UDP length 3008
  const r6 = parseFrames([v6]);
  assertEquals([r6.status(0), r6.srcPort(0), r6.payloadLength(0)], [ParseError.OK, 1004, 100]);
  assert(r6.flags(0) & RecordFlag.MF);
  // Whole (MF clear), a UDP length beyond the datagram is still malformed.
  const whole = echo.slice(0, 14 + 1500);
  whole.set([0x05, 0xdc], 16); // IP total length 1500; UDP length still 3008
  whole.set([0, 0], 24); // IP checksum not verified below
  const w = parseFrames([whole], { verifyChecksums: false });
  assertEquals(w.status(0), ParseError.UDP_BAD_LENGTH);
});
