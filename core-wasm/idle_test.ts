// nmap -sI's packets, byte for byte: frames nmap 7.93 sent (and the lab's zombie answered) in the
// "idle" lab scenario, as tcpdump -xx saw them (nmap -Pn -n -g 40000 -sI 10.202.0.10 -p 22
// 10.202.0.12). The core must build nmap's two probes from their fields and read the zombie's
// reset, IP ID included: the idle scan's only measurement.

import { assert, assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { LinkType, packetCore, ParseError, RecordFlag, TcpFlag } from "./mod.ts";

const core = packetCore();
const SCANNER_MAC = "02:70:68:ca:00:01";
const ZOMBIE_MAC = "02:70:68:ca:00:0a";
const TARGET_MAC = "02:70:68:ca:00:0c";

/** nmap's IP ID probe: SYN|ACK from its magic port + 1 to the zombie's port 80. */
const ZOMBIE_PROBE = "027068ca000a027068ca00010800450000" +
  "2c4da7000038061f870aca00010aca000a9c410050a9733dda68d3c416601204" +
  "00cdae0000020405b4";
/** A SYN spoofed from the zombie's port 80 to the target's port 22. */
const SPOOFED_SYN = "027068ca000c027068ca00010800450000" +
  "2c8123000039" + "06eaff0aca000a0aca000c00500016e3dd505800000000600204" +
  "0049e10000020405b4";
/** The zombie's reset to the probe: IP ID 0x46bf, one of its global counter. */
const ZOMBIE_RST = "027068ca0001027068ca000a08004500" +
  "002846bf000040061e730aca000a0aca000100509c4168d3c416000000005004" +
  "0000d0c60000";

const MSS_1460 = [{ kind: "mss" as const, value: 1460 }];

Deno.test("idle: nmap's zombie probe (SYN|ACK, window 1024, MSS 1460) built byte for byte", () => {
  const frame = core.buildTcp({
    srcMac: SCANNER_MAC,
    dstMac: ZOMBIE_MAC,
    src: "10.202.0.1",
    dst: "10.202.0.10",
    ttl: 0x38,
    ipId: 0x4da7,
    srcPort: 40001,
    dstPort: 80,
    seq: 2842901978,
    ack: 1758708758,
    flags: TcpFlag.SYN | TcpFlag.ACK,
    window: 1024,
    options: MSS_1460,
  });
  assertEquals(hex(frame), ZOMBIE_PROBE);
});

Deno.test("idle: the SYN spoofed from the zombie built byte for byte", () => {
  const frame = core.buildTcp({
    srcMac: SCANNER_MAC,
    dstMac: TARGET_MAC,
    src: "10.202.0.10",
    dst: "10.202.0.12",
    ttl: 0x39,
    ipId: 0x8123,
    srcPort: 80,
    dstPort: 22,
    seq: 3822932056,
    flags: TcpFlag.SYN,
    window: 1024,
    options: MSS_1460,
  });
  assertEquals(hex(frame), SPOOFED_SYN);
});

Deno.test("idle: the zombie's reset parsed: its IP ID, ports and flags", () => {
  const frame = unhex(ZOMBIE_RST);
  const batch = core.frameBatch(1, 256);
  batch.data.set(frame, 0);
  batch.index.set([0, frame.length, 0, 0]);
  const r = core.parseBatch(batch, 1, LinkType.EN10MB);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.ipId(0), r.srcPort(0), r.dstPort(0)], [0x46bf, 80, 40001]);
  assertEquals([r.tcpFlags(0), r.seq(0) >>> 0, r.ipProto(0)], [TcpFlag.RST, 1758708758, 6]);
  assert(r.flags(0) & RecordFlag.CSUM_VERIFIED);
});
