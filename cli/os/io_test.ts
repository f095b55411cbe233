import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { Kind, LinkType, packetCore, RecordFlag } from "../../core-wasm/mod.ts";
import type { RawRoute } from "../engine/route.ts";
import { ProbeBuilder } from "./io.ts";
import { ecnProbe, PROBE_OPTIONS, seqProbe, tProbe } from "./probes.ts";

const core = packetCore();

function route(): RawRoute {
  return {
    family: 4,
    iface: "eth0",
    ifindex: 2,
    linkKind: "ethernet",
    loopback: false,
    source: "10.9.0.1",
    sourceBytes: Uint8Array.from([10, 9, 0, 1]),
    nextHop: "10.9.0.2",
    srcMac: Uint8Array.from([2, 0, 0, 0, 0, 1]),
    dstMac: Uint8Array.from([2, 0, 0, 0, 0, 2]),
    onLink: true,
  };
}

/** Parses one frame with checksum verification. */
function parse(frame: Uint8Array, linkType: number) {
  const batch = core.frameBatch(1, 4096);
  batch.data.set(frame);
  batch.index[0] = 0;
  batch.index[1] = frame.length;
  batch.index[2] = frame.length;
  return core.parseBatch(batch, 1, linkType);
}

Deno.test("ProbeBuilder: the ECN probe carries its reserved bit and a good checksum", () => {
  const b = new ProbeBuilder(core, route(), "10.9.0.2", LinkType.EN10MB);
  const spec = ecnProbe();
  const f = b.tcp({
    srcPort: 40012,
    dstPort: 22,
    seq: 0x11223344,
    ack: 0,
    flags: spec.flags,
    window: spec.window,
    urgent: spec.urgent,
    df: spec.df,
    reserved: spec.reserved,
    options: spec.options,
    ttl: 50,
    ipId: 0x4242,
  });
  const r = parse(f, LinkType.EN10MB);
  assertEquals(r.status(0), 0);
  assertEquals(r.kind(0), Kind.TCP);
  assert((r.flags(0) & RecordFlag.CSUM_VERIFIED) !== 0, "checksum verified");
  assertEquals(r.tcpFlags(0), 0xc2);
  assertEquals(r.urgent(0), 63477);
  assertEquals(r.window(0), 3);
  assertEquals(f[14 + 20 + 12]! & 0x0f, 8);
  assertEquals([...r.tcpOptions(0)], [...PROBE_OPTIONS[6]!]);
  assertEquals(r.ipId(0), 0x4242);
});

Deno.test("ProbeBuilder: SEQ/T probes, U1 with its checksum, echo with code and TOS", () => {
  const b = new ProbeBuilder(core, route(), "10.9.0.2", LinkType.RAW);
  for (const spec of [seqProbe(0), seqProbe(5, true), tProbe(2), tProbe(7)]) {
    const f = b.tcp({
      srcPort: 40000 + spec.portOffset,
      dstPort: 22,
      seq: 1,
      ack: 2,
      flags: spec.flags,
      window: spec.window,
      urgent: 0,
      df: spec.df,
      reserved: 0,
      options: spec.options,
      ttl: 40,
      ipId: 1,
    });
    const r = parse(f, LinkType.RAW);
    assertEquals(r.status(0), 0);
    assertEquals(r.window(0), spec.window);
    assertEquals(r.tcpFlags(0), spec.flags);
    assertEquals((r.flags(0) & RecordFlag.DF) !== 0, spec.df);
  }
  const u = b.udp({
    srcPort: 40100,
    dstPort: 31000,
    ttl: 55,
    ipId: 0x1042,
    payload: new Uint8Array(300).fill(0x43),
  });
  assertEquals(u.frame.length, 328);
  const ru = parse(u.frame, LinkType.RAW);
  assertEquals(ru.status(0), 0);
  assertEquals(u.checksum, (u.frame[26]! << 8) | u.frame[27]!);
  assert(u.checksum !== 0, "a real checksum");
  const e = b.echo({
    id: 0x1234,
    seq: 295,
    code: 9,
    tos: 0,
    df: true,
    dataLength: 120,
    ttl: 44,
    ipId: 7,
  });
  const re = parse(e, LinkType.RAW);
  assertEquals(re.status(0), 0);
  assertEquals([re.icmpType(0), re.icmpCode(0), re.icmpId(0), re.icmpSeq(0)], [8, 9, 0x1234, 295]);
  assertEquals(re.payloadLength(0), 120);
  const e2 = parse(
    b.echo({ id: 1, seq: 296, code: 0, tos: 4, df: false, dataLength: 150, ttl: 44, ipId: 8 }),
    LinkType.RAW,
  );
  assertEquals([e2.tos(0), e2.payloadLength(0)], [4, 150]);
});
