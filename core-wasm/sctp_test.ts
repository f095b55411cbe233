// SCTP golden bytes in both directions: nmap 7.93's INIT (captured with tcpdump on lo), the ICMP
// protocol-unreachable the kernel quoted it in, and an INIT ACK and an ABORT whose CRC32c a
// bit-at-a-time reference implementation (below, and Python's in the commit) computed.

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { referenceCrc32c } from "./_frame_gen.ts";
import { emitPrefilled, parseOne } from "../tests/testing/golden_frames.ts";
import { sctpFields } from "./_spec.ts";
import {
  decodeSctpChunks,
  encodeSctpChunks,
  Kind,
  LinkType,
  nmapInit,
  packetCore,
  ParseError,
  RecordFlag,
  type SctpChunk,
  SctpChunkType,
  type SctpSpec,
} from "./mod.ts";

const core = packetCore();

/** nmap -sY -p 80 127.0.0.1: IPv4 + SCTP INIT, 52 bytes (tcpdump -XX on lo). */
const NMAP_INIT = "45000034fa26000026849c1d7f0000017f000001" +
  "c7a6005000000000" + "38a19a8e" + "010000140ca36bcf00008000000a0800cdc01975";
const NMAP_INIT_SPEC: SctpSpec = {
  src: "127.0.0.1",
  dst: "127.0.0.1",
  ttl: 38,
  ipId: 0xfa26,
  srcPort: 51110,
  dstPort: 80,
  vtag: 0,
  chunks: [nmapInit(212036559, 3451918709)],
};

/** The kernel's answer to it (no SCTP there): ICMP protocol unreachable quoting the INIT. */
const PROTO_UNREACH = "45c0005028f20000400152f97f0000017f000001" + "03027910" + "00000000" +
  NMAP_INIT;

/** 10.0.0.2:80 → 10.0.0.1:51110: INIT ACK with a State Cookie, tagged with the INIT's tag. */
const INIT_ACK = "4500004000004000408426380a0000020a000001" + "0050c7a60ca36bcf" + "8cab6314" +
  "02000020112233440001a000000a0800556677880007000c6c61622d636f6f6b";
const INIT_ACK_CHUNK: SctpChunk = {
  type: "initAck",
  initiateTag: 0x11223344,
  aRwnd: 106496,
  outboundStreams: 10,
  inboundStreams: 2048,
  initialTsn: 0x55667788,
  params: unhex("0007000c6c61622d636f6f6b"),
};
const INIT_ACK_SPEC: SctpSpec = {
  src: "10.0.0.2",
  dst: "10.0.0.1",
  df: true,
  srcPort: 80,
  dstPort: 51110,
  vtag: 0x0ca36bcf,
  chunks: [INIT_ACK_CHUNK],
};

/** 10.0.0.2:81 → 10.0.0.1:51110: ABORT (T bit clear, so the INIT's tag). */
const ABORT = "4500002400004000408426540a0000020a000001" + "0051c7a60ca36bcf" + "4e285889" +
  "06000004";
const ABORT_SPEC: SctpSpec = {
  ...INIT_ACK_SPEC,
  srcPort: 81,
  chunks: [{ type: "abort", tBit: false }],
};

Deno.test("crc32c: the check value and RFC 3720's 32 zero bytes", () => {
  const digits = new TextEncoder().encode("123456789");
  assertEquals(core.crc32c(digits), 0xe3069283);
  assertEquals(referenceCrc32c(digits), 0xe3069283);
  assertEquals(core.crc32c(new Uint8Array(32)), 0x8a9136aa);
  const ff = new Uint8Array(32).fill(0xff);
  assertEquals(core.crc32c(ff), 0x62a8ab43);
  assertEquals(core.crc32c(ff), referenceCrc32c(ff));
});

Deno.test("sctp: nmap's INIT parses to its fields", () => {
  const r = parseOne(NMAP_INIT);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.kind(0), Kind.SCTP);
  assertEquals(r.ipProto(0), 132);
  assertEquals([r.srcPort(0), r.dstPort(0), r.sctpVtag(0)], [51110, 80, 0]);
  assertEquals(
    [r.sctpChunkType(0), r.sctpChunkFlags(0), r.sctpChunkLength(0)],
    [SctpChunkType.INIT, 0, 20],
  );
  assertEquals(r.sctpInitiateTag(0), 212036559);
  assert(r.flags(0) & RecordFlag.CSUM_VERIFIED, "CRC32c verified");
  assertEquals(decodeSctpChunks(r.payload(0)), [nmapInit(212036559, 3451918709)]);
});

Deno.test("sctp: nmap's INIT is emitted byte for byte (0xa5 pre-fill)", () => {
  assertEquals(hex(emitPrefilled(sctpFields(NMAP_INIT_SPEC), 52)), NMAP_INIT);
  assertEquals(hex(core.buildSctp({ ...NMAP_INIT_SPEC, linkType: LinkType.RAW })), NMAP_INIT);
});

Deno.test("sctp: INIT ACK and ABORT, both directions", () => {
  for (
    const [bytes, spec, len] of [[INIT_ACK, INIT_ACK_SPEC, 64], [ABORT, ABORT_SPEC, 36]] as const
  ) {
    assertEquals(hex(emitPrefilled(sctpFields(spec), len)), bytes);
    const r = parseOne(bytes);
    assertEquals(r.status(0), ParseError.OK);
    assertEquals([r.srcPort(0), r.dstPort(0), r.sctpVtag(0)], [spec.srcPort, 51110, 0x0ca36bcf]);
    assertEquals(decodeSctpChunks(r.payload(0)), spec.chunks);
    // The stored checksum is the reference CRC of the packet with its checksum field zeroed.
    const sctp = unhex(bytes).slice(20);
    const stored = new DataView(sctp.buffer).getUint32(8, true);
    sctp.fill(0, 8, 12);
    assertEquals(stored, referenceCrc32c(sctp));
  }
  const ack = parseOne(INIT_ACK);
  assertEquals([ack.sctpChunkType(0), ack.sctpInitiateTag(0)], [
    SctpChunkType.INIT_ACK,
    0x11223344,
  ]);
  const abort = parseOne(ABORT);
  assertEquals([abort.sctpChunkType(0), abort.sctpChunkFlags(0)], [SctpChunkType.ABORT, 0]);
});

Deno.test("sctp: an ICMP protocol unreachable quotes ports and verification tag", () => {
  const r = parseOne(PROTO_UNREACH);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.kind(0), Kind.ICMP4);
  assertEquals([r.icmpType(0), r.icmpCode(0), r.quotedProto(0)], [3, 2, 132]);
  assert(r.flags(0) & RecordFlag.QUOTE_PORTS, "quote has ports");
  assertEquals([r.quotedSrcPort(0), r.quotedDstPort(0), r.quotedSeq(0)], [51110, 80, 0]);
});

Deno.test("sctp: a bad CRC, a short packet and an overrunning chunk are refused", () => {
  const bad = unhex(INIT_ACK);
  bad[30]! ^= 1;
  assertEquals(parseOne(hex(bad)).status(0), ParseError.SCTP_BAD_CHECKSUM);
  // Only the common header.
  const bare = core.buildSctp({ ...ABORT_SPEC, chunks: new Uint8Array(0), linkType: LinkType.RAW });
  assertEquals(parseOne(hex(bare)).status(0), ParseError.SCTP_TRUNCATED);
  // ABORT claiming 8 bytes in a 4-byte chunk area.
  const over = unhex(ABORT);
  over[35] = 8;
  const r = parseOne(hex(over));
  assertEquals(r.status(0), ParseError.SCTP_BAD_CHUNK);
  // --badsum: a CRC one off.
  const badsum = core.buildSctp({ ...ABORT_SPEC, badChecksum: true, linkType: LinkType.RAW });
  assertEquals(parseOne(hex(badsum)).status(0), ParseError.SCTP_BAD_CHECKSUM);
});

Deno.test("sctp: a template patches ports, tags and the CRC32c per probe", () => {
  const t = core.probeTemplate({
    protocol: "sctp",
    src: "127.0.0.1",
    dst: "127.0.0.1",
    ttl: 38,
    srcPort: 1,
    dstPort: 1,
    chunks: [nmapInit(0, 3451918709)],
    linkType: LinkType.RAW,
    capacity: 2,
  });
  t.ipId[0] = 0xfa26;
  t.srcPort[0] = 51110;
  t.dstPort[0] = 80;
  t.seq[0] = 0;
  t.ack[0] = 212036559;
  t.ipId[1] = 7;
  t.srcPort[1] = 40000;
  t.dstPort[1] = 443;
  t.seq[1] = 0;
  t.ack[1] = 0xdeadbeef;
  const out = core.emitBatch(t, 2);
  assertEquals(hex(out.data.subarray(0, 52)), NMAP_INIT);
  const second = out.data.slice(t.stride, t.stride + 52);
  const expected = core.buildSctp({
    ...NMAP_INIT_SPEC,
    ipId: 7,
    srcPort: 40000,
    dstPort: 443,
    chunks: [nmapInit(0xdeadbeef, 3451918709)],
    linkType: LinkType.RAW,
  });
  assertEquals(hex(second), hex(expected));
});

Deno.test("sctp chunks: encode and decode agree, padding to 4 bytes", () => {
  const chunks: SctpChunk[] = [
    { type: "abort", tBit: true, causes: unhex("000100080000002a") },
    { type: "raw", chunkType: SctpChunkType.COOKIE_ECHO, flags: 0, value: unhex("010203") },
  ];
  const bytes = encodeSctpChunks(chunks);
  assertEquals(hex(bytes), "0601000c000100080000002a" + "0a00000701020300");
  assertEquals(decodeSctpChunks(bytes), chunks);
});
