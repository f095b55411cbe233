/**
 * The lab's idle zombie's answers, checked by the packet core (a second, independent reading:
 * the zombie builds its bytes and checksum by hand).
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LinkType, packetCore, ParseError, RecordFlag, TcpFlag } from "../../core-wasm/mod.ts";
import { ipIdSource, zombieAnswer } from "./idle_zombie.ts";
import { fromHex } from "./responders.ts";

/** nmap -sI's IP ID probe (core-wasm/idle_test.ts has it in its frame), from the IP header on. */
const NMAP_PROBE = fromHex(
  "4500002c4da7000038061f870aca00010aca000a9c410050a9733dda68d3c416601204" +
    "00cdae0000020405b4",
);
/** The SYN nmap spoofs from the zombie, as the target would send one (SYN to port 80). */
const SYN = fromHex(
  "4500002c8123000039" + "06eaff0aca000a0aca000c00500016e3dd505800000000600204" +
    "0049e10000020405b4",
);

const core = packetCore();

/** Parses an answer once its IP checksum is in (the kernel's part on an IP_HDRINCL socket). */
function parse(ip: Uint8Array) {
  const c = core.checksum(ip.subarray(0, 20));
  ip[10] = c >> 8;
  ip[11] = c & 255;
  const batch = core.frameBatch(1, 2048);
  batch.data.set(ip, 0);
  batch.index.set([0, ip.length, 0, 0]);
  return core.parseBatch(batch, 1, LinkType.RAW);
}

Deno.test("idle zombie: a RST to a SYN|ACK, with the IP ID it is given (RFC 9293 3.10.7.1)", () => {
  const r = parse(zombieAnswer(NMAP_PROBE, 0x1234)!);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.srcPort(0), r.dstPort(0), r.tcpFlags(0)], [80, 40001, TcpFlag.RST]);
  assertEquals([r.seq(0) >>> 0, r.ipId(0), r.srcV4(0), r.dstV4(0)], [
    1758708758,
    0x1234,
    0x0aca000a,
    0x0aca0001,
  ]);
  assertEquals(r.flags(0) & RecordFlag.CSUM_VERIFIED, RecordFlag.CSUM_VERIFIED);
});

Deno.test("idle zombie: RST|ACK to a SYN; nothing to a reset or to another protocol", () => {
  const r = parse(zombieAnswer(SYN, 7)!);
  assertEquals([r.tcpFlags(0), r.seq(0), r.ack(0) >>> 0], [
    TcpFlag.RST | TcpFlag.ACK,
    0,
    3822932057,
  ]);
  const rst = zombieAnswer(NMAP_PROBE, 1)!;
  assertEquals(zombieAnswer(rst, 2), null);
  const udp = Uint8Array.from(NMAP_PROBE);
  udp[9] = 17;
  assertEquals(zombieAnswer(udp, 3), null);
});

Deno.test("idle zombie: one counter for every peer, never 0 (the kernel would pick one)", () => {
  const next = ipIdSource("incremental", 65534);
  assertEquals([next(), next(), next()], [65534, 65535, 1]);
});
