/**
 * The sixteen probes of nmap's second-generation OS detection (Nmap Network Scanning,
 * "TCP/IP Fingerprinting Methods Supported by Nmap"; osscan2.cc prbOpts / prbWindowSz):
 *
 * - SEQ 1–6: SYNs to the open port, 100 ms apart, each with its own option list and window;
 *   their replies also give OPS, WIN and T1. OPS 1–6 resend the same SYNs for replies missed;
 * - ECN: SYN with ECE, CWR and a reserved bit, urgent pointer 0xF7F5 without URG;
 * - T2: null flags, DF, to the open port; T3: SYN|FIN|URG|PSH; T4: ACK, DF;
 *   T5: SYN, T6: ACK with DF, T7: FIN|PSH|URG, to the closed port;
 * - U1: UDP to the closed port, 300 bytes of 'C', IP ID 0x1042;
 * - IE: two echo requests, the first with DF, TOS 0, code 9, 120 data bytes, the second with
 *   TOS 4 (reliability), code 0, 150 bytes, consecutive ids and sequence numbers 295/296.
 *
 * Probes are described as plain data ({@link OsProbe}); building frames is left to the caller's
 * packet core, so this module needs nothing but numbers.
 *
 * @module
 */

import { TcpFlag } from "../../core-wasm/mod.ts";

/** TCP options of the 13 TCP probes, byte for byte (SEQ/OPS 1–6, ECN, T2–T7). */
export const PROBE_OPTIONS: readonly Uint8Array[] = [
  // WScale 10, NOP, MSS 1460, timestamp, SACK permitted
  [3, 3, 10, 1, 2, 4, 5, 180, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  // MSS 1400, WScale 0, SACK permitted, timestamp, EOL
  [2, 4, 5, 120, 3, 3, 0, 4, 2, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 0],
  // timestamp, NOP, NOP, WScale 5, NOP, MSS 640
  [8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 1, 1, 3, 3, 5, 1, 2, 4, 2, 128],
  // SACK permitted, timestamp, WScale 10, EOL
  [4, 2, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 3, 3, 10, 0],
  // MSS 536, SACK permitted, timestamp, WScale 10, EOL
  [2, 4, 2, 24, 4, 2, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 3, 3, 10, 0],
  // MSS 265, SACK permitted, timestamp
  [2, 4, 1, 9, 4, 2, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0],
  // ECN: WScale 10, NOP, MSS 1460, SACK permitted, NOP, NOP
  [3, 3, 10, 1, 2, 4, 5, 180, 4, 2, 1, 1],
  // T2–T6: WScale 10, NOP, MSS 265, timestamp, SACK permitted
  [3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  [3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  [3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  [3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  [3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
  // T7: WScale 15, NOP, MSS 265, timestamp, SACK permitted
  [3, 3, 15, 1, 2, 4, 1, 9, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2],
].map((a) => Uint8Array.from(a));

/** Windows of the 13 TCP probes, numbered as {@link PROBE_OPTIONS}. */
export const PROBE_WINDOWS: readonly number[] = [
  1,
  63,
  4,
  4,
  16,
  512,
  3,
  128,
  256,
  1024,
  31337,
  32768,
  65535,
];

/** SEQ probes and the spacing nmap keeps between them (OS_SEQ_PROBE_DELAY). */
export const NUM_SEQ_SAMPLES = 6;
export const SEQ_PROBE_DELAY_MS = 100;
/** Least spacing of the other probes (OS_PROBE_DELAY). */
export const PROBE_DELAY_MS = 25;

/** U1's fixed contents. */
export const U1_IP_ID = 0x1042;
export const U1_PATTERN = 0x43; // 'C'
export const U1_DATA_LENGTH = 300;

const { FIN, SYN, PSH, ACK, URG, ECE, CWR } = TcpFlag;

/** One TCP probe as the tests need it built. */
export interface TcpProbeSpec {
  kind: "tcp";
  /** Offset from the round's TCP source-port base (nmap numbers probes this way). */
  portOffset: number;
  /** "open" or "closed": which of the target's ports it goes to. */
  to: "open" | "closed";
  /** Added to the round's sequence base. */
  seqOffset: number;
  /** The round's ack number, or zero (ECN). */
  ack: "base" | "zero";
  flags: number;
  window: number;
  urgent: number;
  df: boolean;
  /** The 4 bits after the data offset (ECN sets 8). */
  reserved: number;
  options: Uint8Array;
}

/** Which test a probe feeds. */
export type ProbeId =
  | { type: "seq"; n: number }
  | { type: "ops"; n: number }
  | { type: "ecn" }
  | { type: "t"; n: number }
  | { type: "udp" }
  | { type: "icmp"; n: number };

/** SEQ probe `i` (0..5); OPS probe `i` is the same SYN from another source port. */
export function seqProbe(i: number, ops = false): TcpProbeSpec {
  return {
    kind: "tcp",
    portOffset: ops ? NUM_SEQ_SAMPLES + i : i,
    to: "open",
    seqOffset: ops ? 0 : i,
    ack: "base",
    flags: SYN,
    window: PROBE_WINDOWS[i]!,
    urgent: 0,
    df: false,
    reserved: 0,
    options: PROBE_OPTIONS[i]!,
  };
}

/** The ECN probe. */
export function ecnProbe(): TcpProbeSpec {
  return {
    kind: "tcp",
    portOffset: NUM_SEQ_SAMPLES + 6,
    to: "open",
    seqOffset: 0,
    ack: "zero",
    flags: CWR | ECE | SYN,
    window: PROBE_WINDOWS[6]!,
    urgent: 63477,
    df: false,
    reserved: 8,
    options: PROBE_OPTIONS[6]!,
  };
}

/** T1..T7 (`n` 1..7). T1 is normally the first SEQ reply; it is sent only when that is lost. */
export function tProbe(n: number): TcpProbeSpec {
  const flags = [SYN, 0, SYN | FIN | URG | PSH, ACK, SYN, ACK, FIN | PSH | URG][n - 1]!;
  const opt = n === 1 ? 0 : n + 5;
  return {
    kind: "tcp",
    portOffset: NUM_SEQ_SAMPLES + 7 + (n - 1),
    to: n <= 4 ? "open" : "closed",
    seqOffset: 0,
    ack: "base",
    flags,
    window: PROBE_WINDOWS[opt]!,
    urgent: 0,
    df: n === 2 || n === 4 || n === 6,
    reserved: 0,
    options: PROBE_OPTIONS[opt]!,
  };
}

/** Which probe a TCP reply to destination port `port` answers, given the round's port base. */
export function probeForPort(port: number, base: number): ProbeId | undefined {
  const off = port - base;
  if (off >= 0 && off < NUM_SEQ_SAMPLES) return { type: "seq", n: off };
  if (off >= NUM_SEQ_SAMPLES && off < NUM_SEQ_SAMPLES + 6) {
    return { type: "ops", n: off - NUM_SEQ_SAMPLES };
  }
  if (off === NUM_SEQ_SAMPLES + 6) return { type: "ecn" };
  if (off >= NUM_SEQ_SAMPLES + 7 && off < NUM_SEQ_SAMPLES + 14) {
    return { type: "t", n: off - NUM_SEQ_SAMPLES - 7 + 1 };
  }
  return undefined;
}

/** The echo probes: `n` 0 or 1. */
export function echoProbe(
  n: number,
): { tos: number; df: boolean; code: number; dataLength: number } {
  return n === 0
    ? { tos: 0, df: true, code: 9, dataLength: 120 }
    : { tos: 4, df: false, code: 0, dataLength: 150 };
}

/** ICMP sequence number of the first echo probe (nmap: 295). */
export const ECHO_SEQ = 295;
