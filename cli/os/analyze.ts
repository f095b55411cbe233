/**
 * The fingerprint tests from the target's replies (Nmap Network Scanning, "TCP/IP Fingerprinting
 * Methods Supported by Nmap"), computed as nmap 7.93's osscan2.cc computes them. Everything here
 * is pure: replies come in as raw IPv4 packets (from the IP header on, as captured), probes as
 * the few numbers the tests compare against.
 *
 * Test values are written as nmap writes them: hex numbers in upper case without leading zeros
 * (`%X`), RD as eight hex digits, TTLs first as the received value and then, once the hop
 * distance is known, as the initial TTL (T) or a guess of it (TG) — see {@link finishTtl}.
 *
 * @module
 */

import { TcpFlag } from "../../core-wasm/mod.ts";
import {
  type FpTest,
  type IpIdClass,
  ipIdSequence16,
  type OsSequence,
  type TsClass,
} from "../model/os.ts";

export {
  difficulty,
  IPID_CLASS_TEXT,
  type IpIdClass,
  ipIdSequence16,
  TS_CLASS_TEXT,
  type TsClass,
} from "../model/os.ts";

const hex = (n: number) => (n >>> 0).toString(16).toUpperCase();

// --- IPv4 / TCP / ICMP views over raw bytes --------------------------------------------------

/** The IPv4 header fields the tests read. */
export interface Ipv4Header {
  /** Header length in bytes. */
  hl: number;
  totalLength: number;
  id: number;
  df: boolean;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
}

/** Reads an IPv4 header; undefined when `pkt` is not one (too short, version, IHL < 5). */
export function readIpv4(pkt: Uint8Array): Ipv4Header | undefined {
  if (pkt.length < 20 || pkt[0]! >> 4 !== 4) return undefined;
  const hl = (pkt[0]! & 0x0f) * 4;
  if (hl < 20 || pkt.length < hl + 4) return undefined;
  return {
    hl,
    totalLength: (pkt[2]! << 8) | pkt[3]!,
    id: (pkt[4]! << 8) | pkt[5]!,
    df: (pkt[6]! & 0x40) !== 0,
    ttl: pkt[8]!,
    proto: pkt[9]!,
    src: ((pkt[12]! << 24) | (pkt[13]! << 16) | (pkt[14]! << 8) | pkt[15]!) >>> 0,
    dst: ((pkt[16]! << 24) | (pkt[17]! << 16) | (pkt[18]! << 8) | pkt[19]!) >>> 0,
  };
}

/** The TCP header fields the tests read (`at` is its offset in the packet). */
export interface TcpHeader {
  at: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  hl: number;
  /** The four bits after the data offset (nmap's th_x2): reserved bits and NS. */
  x2: number;
  flags: number;
  window: number;
  urgent: number;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** Reads the TCP header after `ip`; undefined when it is not all there. */
export function readTcp(pkt: Uint8Array, ip: Ipv4Header): TcpHeader | undefined {
  const at = ip.hl;
  if (ip.proto !== 6 || pkt.length < at + 20) return undefined;
  const hl = (pkt[at + 12]! >> 4) * 4;
  if (hl < 20 || pkt.length < at + hl) return undefined;
  return {
    at,
    srcPort: u16(pkt, at),
    dstPort: u16(pkt, at + 2),
    seq: u32(pkt, at + 4),
    ack: u32(pkt, at + 8),
    hl,
    x2: pkt[at + 12]! & 0x0f,
    flags: pkt[at + 13]!,
    window: u16(pkt, at + 14),
    urgent: u16(pkt, at + 18),
  };
}

/**
 * The O= string of a TCP header's options, as nmap 7.93 writes it: `M`+MSS, `W`+shift, `S`,
 * `T` + two digits saying whether TSval and TSecr are non-zero, `N` for NOP, `L` for each EOL
 * byte. Lengths are assumed (MSS 4, WS 3, SACK-permitted 2, timestamps 10), not read; other
 * options are skipped by their length. Bad or cut options give "".
 */
export function tcpOptionString(pkt: Uint8Array, tcp: TcpHeader): string {
  let q = tcp.at + 20;
  let length = tcp.hl - 20;
  let out = "";
  while (length > 0) {
    const op = pkt[q]!;
    if (op === 0) {
      out += "L";
      q++;
      length--;
    } else if (op === 1) {
      out += "N";
      q++;
      length--;
    } else if (op === 2) {
      if (length < 4) break;
      out += "M" + hex(u16(pkt, q + 2));
      q += 4;
      length -= 4;
    } else if (op === 3) {
      if (length < 3) break;
      out += "W" + hex(pkt[q + 2]!);
      q += 3;
      length -= 3;
    } else if (op === 4) {
      if (length < 2) break;
      out += "S";
      q += 2;
      length -= 2;
    } else if (op === 8) {
      if (length < 10) break;
      out += "T" + (u32(pkt, q + 2) ? "1" : "0") + (u32(pkt, q + 6) ? "1" : "0");
      q += 10;
      length -= 10;
    } else {
      // Options nmap 7.93 does not know; step over them by their length byte.
      const len = length >= 2 ? pkt[q + 1]! : 0;
      if (len < 2 || len > length) break;
      q += len;
      length -= len;
    }
  }
  return length > 0 ? "" : out;
}

/** TSval of the timestamp option: undefined when there is none (nmap's gettcpopt_ts). */
export function tcpTimestamp(pkt: Uint8Array, tcp: TcpHeader): number | undefined {
  let q = tcp.at + 20;
  const end = tcp.at + tcp.hl;
  while (q < end) {
    const op = pkt[q]!;
    if (op === 0) break;
    if (op === 1) {
      q++;
      continue;
    }
    if (q + 1 >= end) break;
    const len = pkt[q + 1]!;
    if (len < 2 || q + len > end) break;
    if (op === 8 && len === 10) return u32(pkt, q + 2);
    q += len;
  }
  return undefined;
}

/** IEEE CRC-32 (zlib's), for the RD test. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** RFC 1071 Internet checksum of `bytes` (as a number to store big-endian). */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// --- TCP tests ---------------------------------------------------------------------------------

/** The sequence numbers the probes carried: seq (the base) and ack. */
export interface TcpProbeNumbers {
  seqBase: number;
  ack: number;
}

function flagString(f: number): string {
  let s = "";
  if (f & TcpFlag.ECE) s += "E";
  if (f & TcpFlag.URG) s += "U";
  if (f & TcpFlag.ACK) s += "A";
  if (f & TcpFlag.PSH) s += "P";
  if (f & TcpFlag.RST) s += "R";
  if (f & TcpFlag.SYN) s += "S";
  if (f & TcpFlag.FIN) s += "F";
  return s;
}

function quirks(tcp: TcpHeader): string {
  let q = "";
  if (tcp.x2) q += "R";
  if (!(tcp.flags & TcpFlag.URG) && tcp.urgent) q += "U";
  return q;
}

/**
 * T1–T7 from the reply to probe `n` (1..7): R, DF, T, W (not T1), S, A, F, O (not T1), RD, Q.
 * T holds the received TTL in decimal until {@link finishTtl}.
 */
export function tTest(n: number, pkt: Uint8Array, nums: TcpProbeNumbers): FpTest | undefined {
  const ip = readIpv4(pkt);
  const tcp = ip && readTcp(pkt, ip);
  if (!ip || !tcp) return undefined;
  const attrs: [string, string][] = [["R", "Y"], ["DF", ip.df ? "Y" : "N"], ["T", String(ip.ttl)]];
  if (n !== 1) attrs.push(["W", hex(tcp.window)]);
  const ack1 = (nums.ack + 1) >>> 0, seq1 = (nums.seqBase + 1) >>> 0;
  attrs.push([
    "S",
    tcp.seq === 0 ? "Z" : tcp.seq === nums.ack >>> 0 ? "A" : tcp.seq === ack1 ? "A+" : "O",
  ]);
  attrs.push([
    "A",
    tcp.ack === 0 ? "Z" : tcp.ack === nums.seqBase >>> 0 ? "S" : tcp.ack === seq1 ? "S+" : "O",
  ]);
  attrs.push(["F", flagString(tcp.flags)]);
  if (n !== 1) attrs.push(["O", tcpOptionString(pkt, tcp)]);
  // RST data: nmap measures it from the IP total length.
  const dataLen = ip.totalLength - ip.hl - tcp.hl;
  if ((tcp.flags & TcpFlag.RST) && dataLen > 0) {
    const start = tcp.at + tcp.hl;
    const data = pkt.subarray(start, Math.min(pkt.length, start + dataLen));
    attrs.push(["RD", hex(crc32(data)).padStart(8, "0")]);
  } else attrs.push(["RD", "0"]);
  attrs.push(["Q", quirks(tcp)]);
  return { name: `T${n}`, attrs };
}

/** ECN from the reply to the ECN probe: R, DF, T, W, O, CC, Q. */
export function ecnTest(pkt: Uint8Array): FpTest | undefined {
  const ip = readIpv4(pkt);
  const tcp = ip && readTcp(pkt, ip);
  if (!ip || !tcp) return undefined;
  const f = tcp.flags;
  const cc = (f & TcpFlag.ECE) && (f & TcpFlag.CWR)
    ? "S"
    : f & TcpFlag.ECE
    ? "Y"
    : !(f & TcpFlag.CWR)
    ? "N"
    : "O";
  return {
    name: "ECN",
    attrs: [
      ["R", "Y"],
      ["DF", ip.df ? "Y" : "N"],
      ["T", String(ip.ttl)],
      ["W", hex(tcp.window)],
      ["O", tcpOptionString(pkt, tcp)],
      ["CC", cc],
      ["Q", quirks(tcp)],
    ],
  };
}

// --- U1 ----------------------------------------------------------------------------------------

/** What the U1 probe carried, to compare with what the target quotes back. */
export interface UdpProbeInfo {
  srcPort: number;
  dstPort: number;
  /** IP ID we sent (nmap: 0x1042). */
  ipId: number;
  /** Our UDP checksum as sent. */
  udpChecksum: number;
  /** The payload byte (nmap: 'C'). */
  patternByte: number;
  /** Our IP total length (nmap: 328). */
  ipLength: number;
}

/**
 * U1 from an ICMP port unreachable quoting the U1 probe: R, DF, T, IPL, UN, RIPL, RID, RIPCK,
 * RUCK, RUD; plus the TTL our probe arrived with (for the hop distance). Undefined when the quote
 * is not of our probe.
 */
export function u1Test(
  pkt: Uint8Array,
  probe: UdpProbeInfo,
): { test: FpTest; quotedTtl: number } | undefined {
  const ip = readIpv4(pkt);
  if (!ip || ip.proto !== 1) return undefined;
  const icmp = ip.hl;
  if (pkt.length < icmp + 8 + 28 || pkt[icmp] !== 3 || pkt[icmp + 1] !== 3) return undefined;
  const q = icmp + 8;
  const qhl = (pkt[q]! & 0x0f) * 4;
  if (qhl < 20 || pkt.length < q + qhl + 8) return undefined;
  const udp = q + qhl;
  if (u16(pkt, udp) !== probe.srcPort || u16(pkt, udp + 2) !== probe.dstPort) return undefined;
  const quotedLen = u16(pkt, q + 2);
  const quotedId = u16(pkt, q + 4);
  const ck = u16(pkt, q + 10);
  let ripck: string;
  if (ck === 0) ripck = "Z";
  else {
    const h = pkt.slice(q, q + 20);
    h[10] = 0;
    h[11] = 0;
    ripck = internetChecksum(h) === ck ? "G" : "I";
  }
  const uck = u16(pkt, udp + 6);
  // The data must be our pattern up to the end of the reply (its IP length).
  const end = Math.min(pkt.length, ip.totalLength);
  let rud = "G";
  for (let i = udp + 8; i < end; i++) {
    if (pkt[i] !== probe.patternByte) {
      rud = "I";
      break;
    }
  }
  return {
    test: {
      name: "U1",
      attrs: [
        ["R", "Y"],
        ["DF", ip.df ? "Y" : "N"],
        ["T", String(ip.ttl)],
        ["IPL", hex(ip.totalLength)],
        // nmap prints the unused word with %hX: its low 16 bits.
        ["UN", hex(u16(pkt, icmp + 6))],
        ["RIPL", quotedLen === probe.ipLength ? "G" : hex(quotedLen)],
        ["RID", quotedId === probe.ipId ? "G" : hex(quotedId)],
        ["RIPCK", ripck],
        ["RUCK", uck === probe.udpChecksum ? "G" : hex(uck)],
        ["RUD", rud],
      ],
    },
    quotedTtl: pkt[q + 8]!,
  };
}

// --- IE ----------------------------------------------------------------------------------------

/** What the tests keep of an echo reply. */
export interface EchoReply {
  df: boolean;
  code: number;
  ttl: number;
  ipId: number;
}

/** Reads an ICMP echo reply: its id and the fields IE needs. */
export function readEchoReply(pkt: Uint8Array): (EchoReply & { id: number }) | undefined {
  const ip = readIpv4(pkt);
  if (!ip || ip.proto !== 1 || pkt.length < ip.hl + 8 || pkt[ip.hl] !== 0) return undefined;
  return {
    df: ip.df,
    code: pkt[ip.hl + 1]!,
    ttl: ip.ttl,
    ipId: ip.id,
    id: u16(pkt, ip.hl + 4),
  };
}

/** IE from the replies to the two echo probes (the first sent DF and code 9, the second not). */
export function ieTest(r1: EchoReply, r2: EchoReply): FpTest {
  const dfi = r1.df && r2.df ? "Y" : r1.df && !r2.df ? "S" : !r1.df && !r2.df ? "N" : "O";
  const cd = r1.code === r2.code
    ? (r1.code === 0 ? "Z" : hex(r1.code))
    : r1.code === 9 && r2.code === 0
    ? "S"
    : "O";
  return { name: "IE", attrs: [["R", "Y"], ["DFI", dfi], ["T", String(r1.ttl)], ["CD", cd]] };
}

// --- TTL ---------------------------------------------------------------------------------------

/** nmap's get_initial_ttl_guess: 32, 64, 128 or 255. */
export function initialTtlGuess(ttl: number): number {
  return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/**
 * Replaces each test's received TTL (decimal T) by the initial TTL: T = received + distance − 1
 * when the hop distance is known, else TG = the guess (nmap's makeFP). Returns nmap's
 * distance_guess: initial guess − received TTL of the first test that had one.
 */
export function finishTtl(tests: FpTest[], distance: number): number {
  let guess = -1;
  for (const t of tests) {
    const i = t.attrs.findIndex(([a]) => a === "T");
    if (i < 0) continue;
    const ttl = parseInt(t.attrs[i]![1], 10);
    if (guess === -1) guess = initialTtlGuess(ttl) - ttl;
    t.attrs[i] = distance !== -1
      ? ["T", hex((ttl + distance - 1) & 0xffff)]
      : ["TG", hex(initialTtlGuess(ttl))];
  }
  return guess;
}

// --- SEQ ---------------------------------------------------------------------------------------

function ipIdValue(c: IpIdClass, first: number): string | undefined {
  switch (c) {
    case "constant":
      return hex(first);
    case "incr":
    case "incr-by-2":
      return "I";
    case "broken-incr":
      return "BI";
    case "rpi":
      return "RI";
    case "rd":
      return "RD";
    case "zero":
      return "Z";
    default:
      return undefined;
  }
}

/** One reply to a SEQ probe: the target's ISN, IP ID, TSval, and when the probe left (µs). */
export interface SeqSample {
  seq: number;
  ipId: number;
  /** TSval, or undefined when the reply had no timestamp option. */
  tsval?: number;
  sentUs: number;
}

/** What SEQ is computed from. */
export interface SeqInput {
  /** Replies to SEQ probes 1..6 (undefined: none). */
  samples: (SeqSample | undefined)[];
  /** IP IDs of the replies to T5, T6, T7 (closed port). */
  closedIpIds: (number | undefined)[];
  /** IP IDs of the replies to the two echo probes (first transmissions only). */
  icmpIpIds: (number | undefined)[];
  /** The target is this host. */
  localhost: boolean;
  /** --scan-delay in ms (nmap skips SP/GCD/ISR beyond 1000). */
  scanDelayMs?: number;
}

/** SEQ and what nmap keeps for the -v lines and the XML sequence elements. */
/** The SEQ test line, beside the sequence figures the report prints (nmap's seq analysis). */
export interface SeqResult extends OsSequence {
  /** Absent when no attribute could be computed. */
  test?: FpTest;
}

const MOD_DIFF = (a: number, b: number) => Math.min((a - b) >>> 0, (b - a) >>> 0);

function gcdN(vals: number[]): number {
  if (vals.length === 0) return 1;
  let a = vals[0]!;
  for (let i = 1; i < vals.length; i++) {
    let b = vals[i]!;
    if (a < b) [a, b] = [b, a];
    while (b) [a, b] = [b, a % b];
  }
  return a >>> 0;
}

/** nmap's makeTSeqFP: SP, GCD, ISR, TI, CI, II, SS, TS. */
export function seqTest(input: SeqInput): SeqResult {
  const attrs: [string, string][] = [];
  // Replies in probe order, gaps closed; the TS class is fixed by what came back.
  const good = input.samples.filter((s): s is SeqSample => s !== undefined && s.seq !== 0);
  let tsClass: TsClass = "unknown";
  for (const s of good) {
    if (s.tsval === undefined) tsClass = "unsupported";
    else if (s.tsval === 0) tsClass = "zero";
  }
  const n = good.length;
  const seqDiffs: number[] = [], tsDiffs: number[] = [], usDiffs: number[] = [];
  const rates: number[] = [];
  let avgRate = 0;
  for (let j = 1; j < n; j++) {
    seqDiffs.push(MOD_DIFF(good[j]!.seq, good[j - 1]!.seq));
    tsDiffs.push(MOD_DIFF(good[j]!.tsval ?? 0, good[j - 1]!.tsval ?? 0));
    const us = Math.max(1, Math.trunc(good[j]!.sentUs - good[j - 1]!.sentUs));
    usDiffs.push(us);
    // nmap keeps each rate in a C float.
    const r = Math.fround(seqDiffs[j - 1]! * 1000000.0 / us);
    rates.push(r);
    avgRate += r;
  }
  let index = 0;
  if (n >= 4 && (input.scanDelayMs ?? 0) <= 1000) {
    avgRate /= n - 1;
    let rate = avgRate;
    const gcd = gcdN(seqDiffs);
    if (!gcd) {
      rate = 0;
      index = 0;
    } else {
      rate = Math.trunc(Math.log(rate) / Math.log(2) * 8 + 0.5);
      const div = gcd > 9 ? gcd : 1;
      let sd = 0;
      for (const r of rates) {
        const t = Math.fround(r / div) - avgRate / div;
        sd += t * t;
      }
      sd /= n - 2;
      sd = Math.sqrt(sd);
      index = sd <= 1 ? 0 : Math.trunc(Math.log(sd) / Math.log(2) * 8 + 0.5);
    }
    attrs.push(["SP", hex(index)], ["GCD", hex(gcd)], ["ISR", hex(rate >>> 0)]);
  }

  const tcpIds = good.map((s) => s.ipId);
  const closedIds = input.closedIpIds.filter((x): x is number => x !== undefined);
  const icmpIds = input.icmpIpIds.filter((x): x is number => x !== undefined);
  const tcpClass = tcpIds.length >= 3 ? ipIdSequence16(tcpIds, input.localhost) : "unknown";
  const closedClass = closedIds.length >= 2
    ? ipIdSequence16(closedIds, input.localhost)
    : "unknown";
  const icmpClass = icmpIds.length >= 2 ? ipIdSequence16(icmpIds, input.localhost) : "unknown";
  const ti = ipIdValue(tcpClass, tcpIds[0] ?? 0);
  const ci = ipIdValue(closedClass, closedIds[0] ?? 0);
  const ii = ipIdValue(icmpClass, icmpIds[0] ?? 0);
  if (ti) attrs.push(["TI", ti]);
  if (ci) attrs.push(["CI", ci]);
  if (ii) attrs.push(["II", ii]);
  const incr = (c: IpIdClass) => c === "incr" || c === "broken-incr" || c === "rpi";
  if (incr(tcpClass) && incr(icmpClass)) {
    const last = tcpIds[tcpIds.length - 1]!;
    const avg = Math.trunc(((last - tcpIds[0]!) >>> 0) / (tcpIds.length - 1)) >>> 0;
    attrs.push(["SS", icmpIds[0]! < ((last + 3 * avg) >>> 0) ? "S" : "O"]);
  }

  let avgHz = 0;
  let lastBoot: number | undefined;
  if (tsClass === "unknown" && n >= 2) {
    for (let i = 0; i < n - 1; i++) avgHz += tsDiffs[i]! / (usDiffs[i]! / 1000000.0) / (n - 1);
    const ts0 = good[0]!.tsval ?? 0;
    let uptime = 0;
    if (avgHz > 0 && avgHz < 5.66) {
      tsClass = "2hz";
      uptime = Math.trunc(ts0 / 2);
    } else if (avgHz > 70 && avgHz < 150) {
      tsClass = "100hz";
      uptime = Math.trunc(ts0 / 100);
    } else if (avgHz > 724 && avgHz < 1448) {
      tsClass = "1000hz";
      uptime = Math.trunc(ts0 / 1000);
    } else if (avgHz > 0) {
      tsClass = "other";
      uptime = Math.trunc(ts0 / Math.trunc(0.5 + avgHz));
    }
    // Up two years? Perhaps, but probably lying.
    if (uptime > 63072000) uptime = 0;
    lastBoot = Math.trunc(good[0]!.sentUs / 1e6) - uptime;
  }
  switch (tsClass) {
    case "zero":
      attrs.push(["TS", "0"]);
      break;
    case "2hz":
    case "100hz":
    case "1000hz":
    case "other": {
      let v: number;
      if (avgHz <= 5.66) v = 1;
      else if (avgHz > 70 && avgHz <= 150) v = 7;
      else if (avgHz > 150 && avgHz <= 350) v = 8;
      else v = Math.trunc(0.5 + Math.log(avgHz) / Math.log(2));
      attrs.push(["TS", hex(v)]);
      break;
    }
    case "unsupported":
      attrs.push(["TS", "U"]);
      break;
  }
  const r: SeqResult = {
    responses: n,
    index,
    seqs: good.map((s) => s.seq),
    ipIds: tcpIds,
    timestamps: good.map((s) => s.tsval ?? 0),
    ipIdClass: tcpClass,
    tsClass,
  };
  if (attrs.length) r.test = { name: "SEQ", attrs };
  if (lastBoot !== undefined) r.lastBoot = lastBoot;
  return r;
}
