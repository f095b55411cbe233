import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { packetCore } from "../../core-wasm/mod.ts";
import {
  crc32,
  ecnTest,
  finishTtl,
  ieTest,
  internetChecksum,
  ipIdSequence16,
  readIpv4,
  readTcp,
  seqTest,
  tcpOptionString,
  tcpTimestamp,
  tTest,
  u1Test,
} from "./analyze.ts";
import type { FpTest } from "./match.ts";

const core = packetCore();
const ME = "10.0.0.1", TARGET = "10.0.0.2";

/** A raw IPv4 packet (no link header) as the target would send it. */
function tcpReply(o: {
  flags: number;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  options?: Uint8Array;
  payload?: Uint8Array;
  df?: boolean;
  ttl?: number;
}): Uint8Array {
  return core.buildTcp({
    linkType: 12,
    src: TARGET,
    dst: ME,
    srcPort: 22,
    dstPort: 40000,
    ...o,
  });
}

// SYN-ACK options as Linux sends them: MSS 1460, SACK-permitted, timestamps, NOP, WS 7.
const LINUX_OPTS = Uint8Array.from([
  2,
  4,
  5,
  180,
  4,
  2,
  8,
  10,
  0,
  0,
  1,
  2,
  0,
  0,
  0,
  0,
  1,
  3,
  3,
  7,
]);

Deno.test("tcpOptionString writes nmap's O= letters", () => {
  const pkt = tcpReply({ flags: 0x12, options: LINUX_OPTS });
  const ip = readIpv4(pkt)!, tcp = readTcp(pkt, ip)!;
  // TSval non-zero, TSecr zero.
  assertEquals(tcpOptionString(pkt, tcp), "M5B4ST10NW7");
  assertEquals(tcpTimestamp(pkt, tcp), 0x102);
  // EOL padding shows as L, one per byte.
  const eol = tcpReply({ flags: 0x12, options: Uint8Array.from([2, 4, 1, 9, 0, 0, 0, 0]) });
  assertEquals(tcpOptionString(eol, readTcp(eol, readIpv4(eol)!)!), "M109LLLL");
  // No options: "" and no timestamp.
  const none = tcpReply({ flags: 0x04 });
  const t = readTcp(none, readIpv4(none)!)!;
  assertEquals(tcpOptionString(none, t), "");
  assertEquals(tcpTimestamp(none, t), undefined);
});

Deno.test("T tests: flags, S/A against the probe's numbers, RD, Q, window and options", () => {
  const nums = { seqBase: 1000, ack: 5000 };
  const synack = tcpReply({
    flags: 0x12,
    seq: 777,
    ack: 1001,
    window: 0xfe88,
    options: LINUX_OPTS,
    df: true,
    ttl: 64,
  });
  const t1 = tTest(1, synack, nums)!;
  assertEquals(t1.attrs, [
    ["R", "Y"],
    ["DF", "Y"],
    ["T", "64"],
    ["S", "O"],
    ["A", "S+"],
    ["F", "AS"],
    ["RD", "0"],
    ["Q", ""],
  ]);
  const rst = tcpReply({ flags: 0x14, seq: 5000, ack: 1000, ttl: 63, window: 0 });
  assertEquals(Object.fromEntries(tTest(4, rst, nums)!.attrs), {
    R: "Y",
    DF: "N",
    T: "63",
    W: "0",
    S: "A",
    A: "S",
    F: "AR",
    O: "",
    RD: "0",
    Q: "",
  });
  // RST with data: RD is its CRC-32 in eight hex digits; urgent pointer without URG: Q=U.
  const data = new TextEncoder().encode("hello");
  const rstData = tcpReply({ flags: 0x04, seq: 0, ack: 0, payload: data, urgent: 7 });
  const t5 = Object.fromEntries(tTest(5, rstData, nums)!.attrs);
  assertEquals(t5.RD, crc32(data).toString(16).toUpperCase().padStart(8, "0"));
  assertEquals([t5.S, t5.A, t5.Q], ["Z", "Z", "U"]);
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  // A reserved bit after the data offset: Q=R.
  const r = rstData.slice();
  r[20 + 12] = r[20 + 12]! | 0x01;
  assertEquals(Object.fromEntries(tTest(5, r, nums)!.attrs).Q, "RU");
  // S = A+ when the target answers with our ack + 1.
  const ap = tcpReply({ flags: 0x04, seq: 5001, ack: 0 });
  assertEquals(Object.fromEntries(tTest(6, ap, nums)!.attrs).S, "A+");
});

Deno.test("ECN: CC from ECE/CWR, window and options", () => {
  const ece = tcpReply({ flags: 0x52, window: 0xfaf0, options: LINUX_OPTS, df: true });
  assertEquals(Object.fromEntries(ecnTest(ece)!.attrs), {
    R: "Y",
    DF: "Y",
    T: "64",
    W: "FAF0",
    O: "M5B4ST10NW7",
    CC: "Y",
    Q: "",
  });
  const cc = (flags: number) => Object.fromEntries(ecnTest(tcpReply({ flags }))!.attrs).CC;
  assertEquals([cc(0xd2), cc(0x12), cc(0x92)], ["S", "N", "O"]);
});

/** A U1 probe as we send it and the target's port unreachable quoting it. */
function u1Pair(mutate?: (quote: Uint8Array) => void) {
  const probe = core.buildUdp({
    linkType: 12,
    src: ME,
    dst: TARGET,
    srcPort: 40001,
    dstPort: 31000,
    ipId: 0x1042,
    ttl: 55,
    payload: new Uint8Array(300).fill(0x43),
  });
  const quote = probe.slice();
  mutate?.(quote);
  const reply = core.buildIcmp({
    linkType: 12,
    src: TARGET,
    dst: ME,
    type: 3,
    code: 3,
    payload: quote,
    ttl: 64,
  });
  const info = {
    srcPort: 40001,
    dstPort: 31000,
    ipId: 0x1042,
    udpChecksum: (probe[26]! << 8) | probe[27]!,
    patternByte: 0x43,
    ipLength: 328,
  };
  return { reply, info };
}

Deno.test("U1: a faithful quote is all G; changes show", () => {
  const { reply, info } = u1Pair();
  const r = u1Test(reply, info)!;
  assertEquals(r.quotedTtl, 55);
  assertEquals(Object.fromEntries(r.test.attrs), {
    R: "Y",
    DF: "N",
    T: "64",
    IPL: "164",
    UN: "0",
    RIPL: "G",
    RID: "G",
    RIPCK: "G",
    RUCK: "G",
    RUD: "G",
  });
  const bad = u1Pair((q) => {
    q[4] = 0x12; // IP ID 0x1242, checksum now wrong
    q[26] = 0; // UDP checksum zero
    q[27] = 0;
    q[100] = 0; // one data byte changed
  });
  const b = Object.fromEntries(u1Test(bad.reply, bad.info)!.test.attrs);
  assertEquals([b.RID, b.RIPCK, b.RUCK, b.RUD], ["1242", "I", "0", "I"]);
  const zero = u1Pair((q) => {
    q[10] = 0;
    q[11] = 0;
  });
  assertEquals(Object.fromEntries(u1Test(zero.reply, zero.info)!.test.attrs).RIPCK, "Z");
  // Another probe's quote is not ours.
  assertEquals(u1Test(reply, { ...info, srcPort: 1 }), undefined);
});

Deno.test("IE: DFI and CD", () => {
  const r = (df: boolean, code: number) => ({ df, code, ttl: 64, ipId: 0 });
  const ie = (a: ReturnType<typeof r>, b: ReturnType<typeof r>) =>
    Object.fromEntries(ieTest(a, b).attrs);
  assertEquals(ie(r(false, 0), r(false, 0)), { R: "Y", DFI: "N", T: "64", CD: "Z" });
  assertEquals(ie(r(true, 9), r(false, 0)).DFI, "S");
  assertEquals(ie(r(true, 9), r(false, 0)).CD, "S");
  assertEquals(ie(r(true, 0), r(true, 0)).DFI, "Y");
  assertEquals(ie(r(false, 0), r(true, 0)).DFI, "O");
  assertEquals(ie(r(false, 8), r(false, 8)).CD, "8");
  assertEquals(ie(r(false, 1), r(false, 0)).CD, "O");
});

Deno.test("finishTtl: T becomes the initial TTL with a known distance, else TG", () => {
  const mk = (): FpTest[] => [
    { name: "SEQ", attrs: [["TI", "Z"]] },
    { name: "T1", attrs: [["R", "Y"], ["T", "62"]] },
    { name: "IE", attrs: [["R", "Y"], ["T", "120"]] },
  ];
  const a = mk();
  assertEquals(finishTtl(a, 3), 2);
  assertEquals(a[1]!.attrs, [["R", "Y"], ["T", "40"]]);
  assertEquals(a[2]!.attrs, [["R", "Y"], ["T", "7A"]]);
  const b = mk();
  finishTtl(b, -1);
  assertEquals(b[1]!.attrs, [["R", "Y"], ["TG", "40"]]);
  assertEquals(b[2]!.attrs, [["R", "Y"], ["TG", "80"]]);
});

Deno.test("IP ID classes", () => {
  assertEquals(ipIdSequence16([0, 0, 0], false), "zero");
  assertEquals(ipIdSequence16([5, 6, 7, 8], false), "incr");
  assertEquals(ipIdSequence16([5, 7, 9, 11], false), "incr-by-2");
  assertEquals(ipIdSequence16([256, 512, 768], false), "broken-incr");
  assertEquals(ipIdSequence16([100, 2100, 5000], false), "rpi");
  assertEquals(ipIdSequence16([5000, 100, 30000], false), "rd");
  assertEquals(ipIdSequence16([7, 7, 7], false), "constant");
  // nmap looks for random IDs before folding differences to 16 bits: a wrap reads as RD.
  assertEquals(ipIdSequence16([65534, 65535, 0, 1], false), "rd");
  assertEquals(ipIdSequence16([65534, 65535], false), "incr");
  // On localhost our RSTs take an ID between replies.
  assertEquals(ipIdSequence16([10, 12, 14], true), "incr");
});

Deno.test("SEQ: GCD, ISR, SP, TI/CI/II, SS and TS from the samples", () => {
  const t0 = 1_700_000_000_000_000; // µs
  const samples = [0, 1, 2, 3, 4, 5].map((i) => ({
    seq: 1000 + i * 64000,
    ipId: 300 + i,
    tsval: 5000 + i * 100, // 1000 Hz at 100 ms spacing
    sentUs: t0 + i * 100_000,
  }));
  const r = seqTest({
    samples,
    closedIpIds: [306, 307, 308],
    // SS: the ICMP IDs continue the TCP sequence (below last + 3 × average step).
    icmpIpIds: [307, 308],
    localhost: false,
  });
  const a = Object.fromEntries(r.test!.attrs);
  // 64000 per 100 ms = 640000/s: log2 × 8 = 154.0… → 0x9A; no variance → SP 0.
  assertEquals(a.GCD, "FA00");
  assertEquals(a.ISR, "9A");
  assertEquals(a.SP, "0");
  assertEquals([a.TI, a.CI, a.II, a.SS], ["I", "I", "I", "S"]);
  assertEquals(a.TS, "A");
  assertEquals(r.tsClass, "1000hz");
  assertEquals(r.lastBoot, Math.trunc(t0 / 1e6) - 5);
  assertEquals(r.test!.attrs.map(([k]) => k), ["SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS"]);
  // Too few replies: no SP/GCD/ISR; no timestamps: TS=U; one reply: TI unknown.
  const few = seqTest({
    samples: [samples[0]!, undefined, { ...samples[2]!, tsval: undefined }],
    closedIpIds: [],
    icmpIpIds: [],
    localhost: false,
  });
  assertEquals(few.test?.attrs, [["TS", "U"]]);
  assertEquals(few.responses, 2);
  // Nothing at all: no SEQ test.
  assertEquals(
    seqTest({ samples: [], closedIpIds: [], icmpIpIds: [], localhost: false }).test,
    undefined,
  );
});

Deno.test("internetChecksum agrees with the core's", () => {
  const b = Uint8Array.from({ length: 41 }, (_, i) => (i * 37) & 0xff);
  assertEquals(internetChecksum(b), core.checksum(b));
  assert(internetChecksum(new Uint8Array(0)) === 0xffff, "empty");
});
