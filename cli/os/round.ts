/**
 * One round ("try") of OS detection against one host, as nmap's osscan2.cc runs it: the six
 * SEQ probes 100 ms apart, then the ICMP, UDP, OPS (for SEQ replies missed), ECN and T1–T7
 * probes 25 ms apart with retransmission after the RTT timeout (four sends at most), replies
 * read throughout; then the fingerprint of the round.
 *
 * The round talks to the network through {@link OsIo} (send a probe, poll raw IPv4 replies,
 * wait), so it runs the same against a capture session and against a simulated host.
 *
 * @module
 */

import { TcpFlag } from "../../core-wasm/mod.ts";
import {
  type EchoReply,
  ecnTest,
  finishTtl,
  ieTest,
  readEchoReply,
  readIpv4,
  readTcp,
  type SeqResult,
  type SeqSample,
  seqTest,
  tcpOptionString,
  tcpTimestamp,
  tTest,
  u1Test,
  type UdpProbeInfo,
} from "./analyze.ts";
import type { Fingerprint, FpTest } from "./match.ts";
import {
  ECHO_SEQ,
  echoProbe,
  ecnProbe,
  NUM_SEQ_SAMPLES,
  PROBE_DELAY_MS,
  probeForPort,
  SEQ_PROBE_DELAY_MS,
  seqProbe,
  type TcpProbeSpec,
  tProbe,
  U1_DATA_LENGTH,
  U1_IP_ID,
  U1_PATTERN,
} from "./probes.ts";
import { TEST_ORDER } from "./db.ts";

/** A TCP probe with every number filled in. */
export interface TcpProbe {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  df: boolean;
  reserved: number;
  options: Uint8Array;
  ttl: number;
  ipId: number;
}

/** The U1 probe. */
export interface UdpProbe {
  srcPort: number;
  dstPort: number;
  ttl: number;
  ipId: number;
  payload: Uint8Array;
}

/** An echo probe. */
export interface EchoProbe {
  id: number;
  seq: number;
  code: number;
  tos: number;
  df: boolean;
  dataLength: number;
  ttl: number;
  ipId: number;
}

/** The network as a round sees it. */
export interface OsIo {
  sendTcp(p: TcpProbe): void;
  /** Returns the UDP checksum as sent (the target quotes it back). */
  sendUdp(p: UdpProbe): number;
  sendEcho(p: EchoProbe): void;
  /** Hands over every IPv4 packet from the target received since the last call. */
  poll(handler: (packet: Uint8Array) => void): void;
  /** Resolves when packets wait or after `ms`. */
  wait(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

/** Where the probes go. */
export interface RoundPorts {
  /** The open TCP port, or undefined (then no SEQ/OPS/WIN/ECN/T1–T4). */
  open?: number;
  closedTcp: number;
  closedUdp: number;
  /** The closed TCP port came from the port scan (nmap writes T5–T7 R=N only then). */
  closedTcpKnown: boolean;
}

/** What stays constant across rounds of one host. */
export interface RoundSetup {
  ports: RoundPorts;
  /** Probe timeout in ms (the host's RTT timeout). */
  timeoutMs: number;
  /** Target is this machine (IP ID rules of nmap's identify_sequence). */
  localhost: boolean;
  scanDelayMs?: number;
  /** Random 32-bit numbers (injectable for tests). */
  random(): number;
  /** Stop early (Ctrl-C). */
  signal?: AbortSignal;
  /** -d tracing. */
  trace?(line: string): void;
}

/** What a round measured. */
export interface RoundResult {
  fingerprint: Fingerprint;
  seq: SeqResult;
  /** Hop distance from U1 (-1 when U1 got no reply). */
  udpDistance: number;
  /** nmap's distance_guess (initial TTL guess minus received TTL), -1 when no TTL seen. */
  distanceGuess: number;
  /** The closed UDP port answered U1 (nmap then records it as the closed UDP port). */
  udpAnswered: boolean;
  /** Both echo probes were answered. */
  echoAnswered: boolean;
  /** Time from the first to the last SEQ probe over the ideal 500 ms (nmap's timingRatio). */
  timingRatio: number;
  /** Probes sent in the round. */
  sent: number;
}

interface Pending {
  key: string;
  send: () => void;
  tries: number;
  sentAt: number;
  retransmitted: boolean;
}

const PRIME_32K = 32261;

/**
 * Runs one round. `distance` is the hop count known from earlier rounds (-1 if none): like
 * nmap, the first U1 answer fixes it for the host.
 */
export async function runRound(
  io: OsIo,
  setup: RoundSetup,
  tryNo: number,
  knownDistance: number,
): Promise<RoundResult> {
  const rnd = () => setup.random() >>> 0;
  // Source ports move on each round: the target may still hold the last round's SYN-RECEIVED.
  const tcpBase = 33000 + ((rnd() % PRIME_32K) + 256 * tryNo) % PRIME_32K;
  const udpBase = 33000 + ((rnd() % PRIME_32K) + 256 * tryNo) % PRIME_32K;
  const seqBase = rnd();
  const ackNum = rnd();
  const echoId = rnd() & 0xffff;
  const udpTtl = (Math.floor(Date.now() / 1000) % 14) + 51;
  const ports = setup.ports;
  const ttl = () => (rnd() % 23) + 37;
  const trace = setup.trace;

  // What the replies fill in.
  const samples: (SeqSample | undefined)[] = new Array(NUM_SEQ_SAMPLES).fill(undefined);
  const seqSentUs: number[] = new Array(NUM_SEQ_SAMPLES).fill(0);
  const opsVals: (string | undefined)[] = new Array(6).fill(undefined);
  const winVals: (string | undefined)[] = new Array(6).fill(undefined);
  const tTests: (FpTest | undefined)[] = new Array(8).fill(undefined);
  const closedIds: (number | undefined)[] = [undefined, undefined, undefined];
  const icmpIds: (number | undefined)[] = [undefined, undefined];
  const echo: (EchoReply | undefined)[] = [undefined, undefined];
  let ecn: FpTest | undefined;
  let ie: FpTest | undefined;
  let u1: FpTest | undefined;
  let distance = knownDistance;
  let udpAnswered = false;
  let lastIpId = 0;
  let sent = 0;
  let udpInfo: UdpProbeInfo | undefined;

  const active = new Map<string, Pending>();
  const hex = (n: number) => n.toString(16).toUpperCase();

  function tcp(spec: TcpProbeSpec): TcpProbe {
    return {
      srcPort: tcpBase + spec.portOffset,
      dstPort: spec.to === "open" ? ports.open! : ports.closedTcp,
      seq: (seqBase + spec.seqOffset) >>> 0,
      ack: spec.ack === "zero" ? 0 : ackNum,
      flags: spec.flags,
      window: spec.window,
      urgent: spec.urgent,
      df: spec.df,
      reserved: spec.reserved,
      options: spec.options,
      ttl: ttl(),
      ipId: rnd() & 0xffff,
    };
  }

  /** A reply settled probe `key`: it leaves the active list. */
  function answered(key: string) {
    if (active.delete(key)) trace?.(`Got a valid response for probe ${key}`);
  }

  function onPacket(pkt: Uint8Array) {
    const ip = readIpv4(pkt);
    if (!ip) return;
    if (ip.proto === 6) {
      const th = readTcp(pkt, ip);
      if (!th) return;
      const id = probeForPort(th.dstPort, tcpBase);
      if (!id) return;
      if (id.type === "seq") {
        const n = id.n;
        let useful = false;
        // nmap's processTSeqResp.
        if (!(lastIpId !== 0 && ip.id === lastIpId)) {
          lastIpId = ip.id;
          if (
            (th.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK) &&
            !(th.flags & TcpFlag.RST)
          ) {
            let k = (th.ack - seqBase - 1) >>> 0;
            if (k !== n) k = n;
            if (!samples[k]) {
              samples[k] = {
                seq: th.seq,
                ipId: ip.id,
                tsval: tcpTimestamp(pkt, th),
                sentUs: seqSentUs[k]!,
              };
              useful = true;
            }
          }
        }
        if (useful) answered(`seq${n}`);
        if (n === 0 && !tTests[1]) tTests[1] = tTest(1, pkt, { seqBase, ack: ackNum });
        if (!opsVals[n]) opsVals[n] = tcpOptionString(pkt, th);
        if (!winVals[n]) winVals[n] = hex(th.window);
      } else if (id.type === "ops") {
        const n = id.n;
        let useful = false;
        if (!opsVals[n]) {
          opsVals[n] = tcpOptionString(pkt, th);
          useful = true;
        }
        if (!winVals[n]) {
          winVals[n] = hex(th.window);
          useful = true;
        }
        if (useful) answered(`ops${n}`);
      } else if (id.type === "ecn") {
        if (!ecn) {
          ecn = ecnTest(pkt);
          answered("ecn");
        }
      } else if (id.type === "t") {
        const n = id.n;
        if (!tTests[n]) {
          tTests[n] = tTest(n, pkt, { seqBase, ack: ackNum });
          if (n >= 5) closedIds[n - 5] = ip.id;
          answered(`t${n}`);
        }
      }
      return;
    }
    if (ip.proto !== 1 || pkt.length < ip.hl + 8) return;
    const type = pkt[ip.hl]!, code = pkt[ip.hl + 1]!;
    if (type === 0) {
      const r = readEchoReply(pkt);
      if (!r) return;
      const n = (r.id - echoId) & 0xffff;
      if ((n !== 0 && n !== 1) || ie || echo[n]) return;
      echo[n] = r;
      const p = active.get(`icmp${n}`);
      if (p && !p.retransmitted) icmpIds[n] = r.ipId;
      if (echo[0] && echo[1]) ie = ieTest(echo[0], echo[1]);
      answered(`icmp${n}`);
    } else if (type === 3 && code === 3 && udpInfo && !u1) {
      const r = u1Test(pkt, udpInfo);
      if (!r) return;
      u1 = r.test;
      udpAnswered = true;
      if (distance === -1) distance = udpTtl - r.quotedTtl + 1;
      answered("udp");
    }
  }

  const drain = () => io.poll(onPacket);
  const aborted = () => setup.signal?.aborted === true;

  // --- SEQ: six SYNs 100 ms apart, not retransmitted ----------------------------------------
  let lastSent = -Infinity;
  if (ports.open !== undefined) {
    for (let i = 0; i < NUM_SEQ_SAMPLES && !aborted(); i++) {
      const due = lastSent + Math.max(SEQ_PROBE_DELAY_MS, setup.scanDelayMs ?? 0);
      for (;;) {
        drain();
        const left = due - io.now();
        if (left <= 0) break;
        await io.wait(left);
      }
      const p = tcp(seqProbe(i));
      io.sendTcp(p);
      sent++;
      lastSent = io.now();
      seqSentUs[i] = (performance.timeOrigin + lastSent) * 1000;
      active.set(`seq${i}`, {
        key: `seq${i}`,
        send: () => {},
        tries: 0,
        sentAt: lastSent,
        retransmitted: false,
      });
      trace?.(`Send probe (type: OFP_TSEQ, subid: ${i})`);
    }
    // Wait for the stragglers: each until its timeout.
    while (active.size && !aborted()) {
      drain();
      const now = io.now();
      for (const [k, p] of active) if (now - p.sentAt > setup.timeoutMs) active.delete(k);
      if (!active.size) break;
      const next = Math.min(...[...active.values()].map((p) => p.sentAt + setup.timeoutMs));
      await io.wait(Math.max(1, next - now));
    }
  }
  const timingRatio = ports.open === undefined
    ? 0
    : Math.trunc((seqSentUs[NUM_SEQ_SAMPLES - 1]! - seqSentUs[0]!) / 1000) /
      (SEQ_PROBE_DELAY_MS * (NUM_SEQ_SAMPLES - 1));

  // --- the other probes, in nmap's order (it matters to the IP ID tests) -------------------
  const queue: Pending[] = [];
  const add = (key: string, send: () => void) =>
    queue.push({ key, send, tries: 0, sentAt: 0, retransmitted: false });
  for (let n = 0; n < 2; n++) {
    add(`icmp${n}`, () => {
      const e = echoProbe(n);
      io.sendEcho({
        id: (echoId + n) & 0xffff,
        seq: ECHO_SEQ + n,
        code: e.code,
        tos: e.tos,
        df: e.df,
        dataLength: e.dataLength,
        ttl: ttl(),
        ipId: rnd() & 0xffff,
      });
    });
  }
  add("udp", () => {
    const payload = new Uint8Array(U1_DATA_LENGTH).fill(U1_PATTERN);
    const p: UdpProbe = {
      srcPort: udpBase,
      dstPort: ports.closedUdp,
      ttl: udpTtl,
      ipId: U1_IP_ID,
      payload,
    };
    const ck = io.sendUdp(p);
    udpInfo = {
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      ipId: U1_IP_ID,
      udpChecksum: ck,
      patternByte: U1_PATTERN,
      ipLength: 20 + 8 + U1_DATA_LENGTH,
    };
  });
  if (ports.open !== undefined) {
    for (let i = 0; i < 6; i++) {
      if (opsVals[i] === undefined || winVals[i] === undefined) {
        add(`ops${i}`, () => io.sendTcp(tcp(seqProbe(i, true))));
      }
    }
    add("ecn", () => io.sendTcp(tcp(ecnProbe())));
    for (let n = 1; n <= 4; n++) {
      if (!tTests[n]) add(`t${n}`, () => io.sendTcp(tcp(tProbe(n))));
    }
  }
  for (let n = 5; n <= 7; n++) if (!tTests[n]) add(`t${n}`, () => io.sendTcp(tcp(tProbe(n))));

  const delay = Math.max(PROBE_DELAY_MS, setup.scanDelayMs ?? 0);
  while ((queue.length || active.size) && !aborted()) {
    drain();
    let now = io.now();
    // Expire or requeue probes past their timeout (nmap: three retransmissions).
    for (const [k, p] of active) {
      if (now - p.sentAt > setup.timeoutMs) {
        active.delete(k);
        if (p.tries < 4) queue.push(p);
      }
    }
    if (queue.length && now - lastSent >= delay) {
      const p = queue.shift()!;
      if (p.tries > 0) p.retransmitted = true;
      p.tries++;
      p.send();
      sent++;
      lastSent = now = io.now();
      p.sentAt = now;
      active.set(p.key, p);
      trace?.(`Send probe ${p.key} (try ${p.tries})`);
      continue;
    }
    if (!queue.length && !active.size) break;
    let next = Infinity;
    if (queue.length) next = lastSent + delay;
    for (const p of active.values()) next = Math.min(next, p.sentAt + setup.timeoutMs + 1);
    await io.wait(Math.max(1, next - now));
  }
  drain();

  // --- the fingerprint ---------------------------------------------------------------------
  const seq = seqTest({
    samples,
    closedIpIds: closedIds,
    icmpIpIds: icmpIds,
    localhost: setup.localhost,
    scanDelayMs: setup.scanDelayMs,
  });
  const tests = new Map<string, FpTest>();
  if (seq.test) tests.set("SEQ", seq.test);
  if (opsVals.every((v) => v !== undefined)) {
    tests.set("OPS", { name: "OPS", attrs: opsVals.map((v, i) => [`O${i + 1}`, v!]) });
  }
  if (winVals.every((v) => v !== undefined)) {
    tests.set("WIN", { name: "WIN", attrs: winVals.map((v, i) => [`W${i + 1}`, v!]) });
  }
  const rn = (name: string): FpTest => ({ name, attrs: [["R", "N"]] });
  const open = ports.open !== undefined;
  if (ecn) tests.set("ECN", ecn);
  else if (open) tests.set("ECN", rn("ECN"));
  for (let n = 1; n <= 7; n++) {
    const t = tTests[n];
    if (t) tests.set(`T${n}`, t);
    else if ((n <= 4 && open) || (n >= 5 && ports.closedTcpKnown)) {
      tests.set(`T${n}`, rn(`T${n}`));
    }
  }
  tests.set("U1", u1 ?? rn("U1"));
  tests.set("IE", ie ?? rn("IE"));
  const fingerprint: Fingerprint = TEST_ORDER.filter((n) => tests.has(n)).map((n) => tests.get(n)!);
  const distanceGuess = finishTtl(fingerprint, distance);
  return {
    fingerprint,
    seq,
    udpDistance: distance,
    distanceGuess,
    udpAnswered,
    echoAnswered: ie !== undefined,
    timingRatio,
    sent,
  };
}
