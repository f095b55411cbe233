/**
 * The lab's SCTP responder's answers, checked by the packet core (a second, independent reading:
 * the responder builds its bytes and CRC32c by hand).
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  decodeSctpChunks,
  Kind,
  LinkType,
  packetCore,
  ParseError,
  SctpChunkType,
} from "../../core-wasm/mod.ts";
import { sctpAnswer } from "./sctp_responder.ts";
import { fromHex } from "./responders.ts";

/** nmap -sY -p 80 127.0.0.1's INIT (core-wasm/sctp_test.ts has it byte for byte). */
const NMAP_INIT = fromHex(
  "45000034fa26000026849c1d7f0000017f000001c7a600500000000038a19a8e" +
    "010000140ca36bcf00008000000a0800cdc01975",
);

function parse(frame: Uint8Array) {
  const core = packetCore();
  const batch = core.frameBatch(1, 2048);
  batch.data.set(frame, 0);
  batch.index.set([0, frame.length, 0, 0]);
  return core.parseBatch(batch, 1, LinkType.RAW);
}

Deno.test("sctp responder: INIT ACK on a listening port, tagged with the INIT's tag", () => {
  const answer = sctpAnswer(NMAP_INIT, (p) => p === 80, () => 0x11223344)!;
  // The kernel fills the IP checksum of an IP_HDRINCL datagram; the parser wants it right.
  answer.set(ipChecksum(answer), 10);
  const r = parse(answer);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals(r.kind(0), Kind.SCTP);
  assertEquals([r.srcPort(0), r.dstPort(0), r.sctpVtag(0)], [80, 51110, 212036559]);
  assertEquals(r.sctpChunkType(0), SctpChunkType.INIT_ACK);
  const [ack] = decodeSctpChunks(r.payload(0));
  assertEquals(ack?.type, "initAck");
});

Deno.test("sctp responder: ABORT elsewhere; nothing but INITs answered", () => {
  const answer = sctpAnswer(NMAP_INIT, () => false)!;
  answer.set(ipChecksum(answer), 10);
  const r = parse(answer);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.sctpChunkType(0), r.sctpChunkFlags(0), r.sctpVtag(0)], [6, 0, 212036559]);
  const notInit = NMAP_INIT.slice();
  notInit[32] = 10; // COOKIE ECHO
  assertEquals(sctpAnswer(notInit, () => true), null);
});

function ipChecksum(ip: Uint8Array): Uint8Array {
  let s = 0;
  for (let i = 0; i < 20; i += 2) if (i !== 10) s += (ip[i]! << 8) | ip[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  return Uint8Array.of(c >> 8, c & 255);
}

/** nmap -sZ -p 81's COOKIE ECHO and nmap --adler32 -sY -p 80's INIT (core-wasm/sctp_adler32_test.ts). */
const NMAP_COOKIE_ECHO = fromHex(
  "450000283952000 02b8457fe7f0000017f000001f3be0051b1e124acb4a2e6b60a00000887a6223d".replace(
    " ",
    "",
  ),
);
const NMAP_ADLER_INIT = fromHex(
  "45000034f2b80000358494 8b7f0000017f000001c9df0050000000005e9f0594010000146345 35b400008000000a0800a61c9e03"
    .replaceAll(" ", ""),
);

Deno.test("sctp responder: a COOKIE ECHO is dropped by a listener, ABORTed (T bit) elsewhere", () => {
  assertEquals(sctpAnswer(NMAP_COOKIE_ECHO, () => true), null);
  const answer = sctpAnswer(NMAP_COOKIE_ECHO, () => false)!;
  answer.set(ipChecksum(answer), 10);
  const r = parse(answer);
  assertEquals(r.status(0), ParseError.OK);
  assertEquals([r.sctpChunkType(0), r.sctpChunkFlags(0), r.sctpVtag(0)], [6, 1, 0xb1e124ac]);
});

Deno.test("sctp responder: Adler-32 answered in kind; a wrong checksum dropped", () => {
  const answer = sctpAnswer(NMAP_ADLER_INIT, () => false)!;
  answer.set(ipChecksum(answer), 10);
  const r = parse(answer);
  assertEquals(r.status(0), ParseError.OK); // the core takes either checksum
  const sctp = answer.slice(20);
  const sum = new DataView(sctp.buffer).getUint32(8);
  sctp.fill(0, 8, 12);
  assertEquals(sum, packetCore().adler32(sctp));
  const bad = NMAP_ADLER_INIT.slice();
  bad[51]! ^= 1;
  assertEquals(sctpAnswer(bad, () => true), null);
});
