// nmap's --adler32 and -sZ packets, rebuilt byte for byte: an INIT checksummed with Adler-32
// (RFC 2960 Appendix B) and a COOKIE ECHO, both as nmap 7.93 sent them (tcpdump on lo).

import { assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { LinkType, nmapInit, packetCore, ParseError, SctpChunkType, type SctpSpec } from "./mod.ts";

const core = packetCore();

/** nmap --adler32 -sY -p 80 127.0.0.1. */
const NMAP_ADLER_INIT = "45000034f2b8000035849 48b7f0000017f000001".replace(" ", "") +
  "c9df005000000000" + "5e9f0594" + "010000146345 35b400008000000a0800a61c9e03".replace(" ", "");
const ADLER_SPEC: SctpSpec = {
  src: "127.0.0.1",
  dst: "127.0.0.1",
  ttl: 53,
  ipId: 0xf2b8,
  srcPort: 51679,
  dstPort: 80,
  vtag: 0,
  chunks: [nmapInit(1665480116, 2786893315)],
  adler32: true,
  linkType: LinkType.RAW,
};

/** nmap -sZ -p 81 127.0.0.1: a COOKIE ECHO with a 4-byte cookie and a random tag. */
const NMAP_COOKIE_ECHO = "4500002839520000 2b8457fe7f0000017f000001".replace(" ", "") +
  "f3be0051b1e124acb4a2e6b6" + "0a00000887a6223d";

Deno.test("adler32: the check value, and RFC 2960's checksum of nmap's INIT", () => {
  assertEquals(core.adler32(new TextEncoder().encode("Wikipedia")), 0x11e60398);
  assertEquals(hex(core.buildSctp(ADLER_SPEC)), NMAP_ADLER_INIT);
  // The checksum field is the packet's Adler-32 (field zeroed), most significant byte first.
  const sctp = unhex(NMAP_ADLER_INIT).slice(20);
  sctp.fill(0, 8, 12);
  assertEquals(NMAP_ADLER_INIT.slice(56, 64), core.adler32(sctp).toString(16).padStart(8, "0"));
});

Deno.test("adler32: a template patches per probe as the builder builds", () => {
  const t = core.probeTemplate({
    protocol: "sctp",
    ...ADLER_SPEC,
    chunks: [nmapInit(0, 2786893315)],
    capacity: 1,
  });
  t.ipId[0] = 0xf2b8;
  t.srcPort[0] = 51679;
  t.dstPort[0] = 80;
  t.seq[0] = 0;
  t.ack[0] = 1665480116;
  assertEquals(hex(core.emitBatch(t, 1).data.subarray(0, 52)), NMAP_ADLER_INIT);
});

Deno.test("adler32: a reply in Adler-32 parses (an RFC 2960 stack answers in kind)", () => {
  const parse = (f: Uint8Array) => {
    const b = core.frameBatch(1, 128);
    b.data.set(f);
    b.index[0] = 0;
    b.index[1] = f.length;
    return core.parseBatch(b, 1, LinkType.RAW).status(0);
  };
  assertEquals(parse(unhex(NMAP_ADLER_INIT)), 0);
  const damaged = unhex(NMAP_ADLER_INIT);
  damaged[50]! ^= 1;
  assertEquals(parse(damaged), ParseError.SCTP_BAD_CHECKSUM);
});

Deno.test("-sZ: nmap's COOKIE ECHO, byte for byte", () => {
  const spec: SctpSpec = {
    src: "127.0.0.1",
    dst: "127.0.0.1",
    ttl: 43,
    ipId: 14674,
    srcPort: 62398,
    dstPort: 81,
    vtag: 0xb1e124ac,
    chunks: [{
      type: "raw",
      chunkType: SctpChunkType.COOKIE_ECHO,
      flags: 0,
      value: unhex("87a6223d"),
    }],
    linkType: LinkType.RAW,
  };
  assertEquals(hex(core.buildSctp(spec)), NMAP_COOKIE_ECHO);
});
