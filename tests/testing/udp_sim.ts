/**
 * A simulated Linux host for the UDP scan's unit tests: its ICMP error rate
 * limits as the kernel implements them, open, silent and rejecting ports,
 * path delay and loss, and a discrete-event loop that runs a
 * {@link UdpHostScan} against it on a simulated clock (so a 20-minute scan
 * of a rate-limited target takes milliseconds, and timing is exact).
 *
 * The limiters follow net/ipv4/icmp.c and net/ipv4/inetpeer.c:
 *
 * - per peer, `inet_peer_xrlim_allow(peer, timeout)`: tokens are jiffies;
 *   each call adds the jiffies since the last call, caps the sum at
 *   XRLIM_BURST_FACTOR (6) × timeout, and allows the message (taking
 *   `timeout` jiffies) when at least `timeout` are there. A new peer starts
 *   full (its `rate_last` is 60 s in the past).
 * - per namespace, `icmp_global_allow`: allowed while the credit is
 *   positive; when it is not, credit is added (msgs_per_sec × elapsed, at most
 *   the burst) only if 20 ms (HZ/50) have passed since the last top-up; each
 *   message sent takes a random 0, 1 or 2 credits (`icmp_global_consume`).
 *   Checked first; consumed only when the per-peer limit also allows.
 *
 * @module
 */

import { rng } from "./assert.ts";
import type { UdpHostScan, UdpReplyKind, UdpVerdict } from "../../cli/scans/udp_host_scan.ts";

export interface SimTargetOptions {
  /** Ports that answer with a UDP datagram. */
  open?: Iterable<number>;
  /** Ports whose probes are dropped (a firewall, or a service that never answers). */
  silent?: Iterable<number>;
  /** Ports rejected with ICMP admin-prohibited (through the same limiters). */
  prohibited?: Iterable<number>;
  /** net.ipv4.icmp_ratelimit (or net.ipv6.icmp.ratelimit), ms per token; 0 = off. */
  peerRatelimitMs: number;
  /** Tokens a peer's bucket holds (XRLIM_BURST_FACTOR). */
  peerBurst?: number;
  /** Kernel HZ (jiffies per second). */
  hz?: number;
  /** net.ipv4.icmp_msgs_per_sec; 0 = no global limit. */
  globalPerSec?: number;
  /** net.ipv4.icmp_msgs_burst. */
  globalBurst?: number;
  /** Probability a probe is lost on the way there, and a reply on the way back. */
  lossOut?: number;
  lossBack?: number;
  /** One-way delay and its random extra, ms. */
  oneWayMs?: number;
  jitterMs?: number;
  seed?: number;
}

/** What the target does with one probe: a reply, or nothing. */
export interface SimReply {
  kind: UdpReplyKind;
  verdict: UdpVerdict;
  ttl: number;
}

/** A Linux host's answers to UDP probes from one peer, limiters included. */
export class SimLinuxTarget {
  readonly #open: Set<number>;
  readonly #silent: Set<number>;
  readonly #prohibited: Set<number>;
  readonly #o: Required<Omit<SimTargetOptions, "open" | "silent" | "prohibited">>;
  readonly random: () => number;
  // Per-peer bucket, in jiffies.
  #peerTokens = 0;
  #peerLast: number | undefined;
  // Global credit.
  #credit = 0;
  #stamp = -Infinity;
  /** ICMP errors sent and refused, for the tests' own accounting. */
  icmpSent = 0;
  icmpSuppressed = 0;

  constructor(o: SimTargetOptions) {
    this.#open = new Set(o.open ?? []);
    this.#silent = new Set(o.silent ?? []);
    this.#prohibited = new Set(o.prohibited ?? []);
    this.#o = {
      peerBurst: 6,
      hz: 250,
      globalPerSec: 0,
      globalBurst: 50,
      lossOut: 0,
      lossBack: 0,
      oneWayMs: 0.05,
      jitterMs: 0.02,
      seed: 1,
      ...o,
    };
    this.random = rng(this.#o.seed);
  }

  get oneWayMs(): number {
    return this.#o.oneWayMs + this.random() * this.#o.jitterMs;
  }

  /** Whether a lost packet: `way` "out" (probe) or "back" (reply). */
  lost(way: "out" | "back"): boolean {
    const p = way === "out" ? this.#o.lossOut : this.#o.lossBack;
    return p > 0 && this.random() < p;
  }

  #jiffies(ms: number): number {
    return Math.floor((ms * this.#o.hz) / 1000);
  }

  /** icmp_global_allow: true while credit lasts, topping up at most every HZ/50 jiffies. */
  #globalAllow(now: number): boolean {
    if (this.#o.globalPerSec <= 0) return true;
    if (this.#credit > 0) return true;
    const hz = this.#o.hz;
    const j = this.#jiffies(now);
    const delta = Math.min(j - this.#stamp, hz);
    if (delta < hz / 50) return false;
    const incr = Math.floor((this.#o.globalPerSec * delta) / hz);
    if (incr === 0) return false;
    this.#stamp = j;
    this.#credit = Math.min(this.#credit + incr, this.#o.globalBurst);
    return true;
  }

  /** inet_peer_xrlim_allow with the sysctl's ms turned into jiffies. */
  #peerAllow(now: number): boolean {
    if (this.#o.peerRatelimitMs <= 0) return true;
    const timeout = Math.max(1, Math.round((this.#o.peerRatelimitMs * this.#o.hz) / 1000));
    const j = this.#jiffies(now);
    const last = this.#peerLast ?? j - 60 * this.#o.hz;
    let token = this.#peerTokens + (j - last);
    this.#peerLast = j;
    token = Math.min(token, this.#o.peerBurst * timeout);
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    this.#peerTokens = token;
    return ok;
  }

  /** May an ICMP error go out at `now` (ms)? Spends the tokens when it may. */
  icmpAllowed(now: number): boolean {
    if (!this.#globalAllow(now)) {
      this.icmpSuppressed++;
      return false;
    }
    if (!this.#peerAllow(now)) {
      this.icmpSuppressed++;
      return false;
    }
    if (this.#o.globalPerSec > 0) this.#credit -= Math.floor(this.random() * 3);
    this.icmpSent++;
    return true;
  }

  /** The target's answer to a probe for `port` arriving at `now`. */
  receive(port: number, now: number): SimReply | null {
    if (this.#silent.has(port)) return null;
    if (this.#open.has(port)) {
      return { kind: "udp", verdict: { state: "open", reason: "udp-response" }, ttl: 64 };
    }
    if (!this.icmpAllowed(now)) return null;
    if (this.#prohibited.has(port)) {
      return {
        kind: "icmp-target",
        verdict: { state: "filtered", reason: "admin-prohibited" },
        ttl: 64,
      };
    }
    return { kind: "icmp-target", verdict: { state: "closed", reason: "port-unreach" }, ttl: 64 };
  }
}

/** What a simulated run returns. */
export interface SimRun {
  /** Simulated time from the first probe to `done`, ms. */
  elapsedMs: number;
  probes: number;
  /** ICMP errors the target sent. */
  icmpSent: number;
}

interface Pending {
  at: number;
  index: number;
  tryNo: number;
  reply: SimReply;
}

/**
 * Run `scan` against `target` on a simulated clock starting at `start` ms.
 * Probes of one poll leave `sendGapMs` apart (back to back on a fast link)
 * and arrive in the order sent, each delayed by the path's jittered delay.
 * Stops at `limitMs` of simulated time (throws: the scan never finished).
 */
export function runSimulated(
  scan: UdpHostScan,
  target: SimLinuxTarget,
  opts: { start?: number; sendGapMs?: number; limitMs?: number } = {},
): SimRun {
  const start = opts.start ?? 0;
  const gap = opts.sendGapMs ?? 0.001;
  const limit = start + (opts.limitMs ?? 3_600_000);
  // Replies in flight, kept sorted by arrival (few at a time).
  const inFlight: Pending[] = [];
  let now = start;
  let probes = 0;
  let idle = 0;
  // One path, first in first out: jitter delays packets but never reorders them.
  let lastArrival = -Infinity;
  for (;;) {
    const sends = scan.poll(now);
    for (let k = 0; k < sends.length; k++) {
      const p = sends[k]!;
      probes++;
      if (target.lost("out")) continue;
      const arrive = Math.max(now + k * gap + target.oneWayMs, lastArrival + gap);
      lastArrival = arrive;
      const reply = target.receive(p.port, arrive);
      if (!reply || target.lost("back")) continue;
      const at = arrive + target.oneWayMs;
      let i = inFlight.length;
      while (i > 0 && inFlight[i - 1]!.at > at) i--;
      inFlight.splice(i, 0, { at, index: p.index, tryNo: p.tryNo, reply });
    }
    if (scan.done) break;
    let next = scan.nextWakeAt(now);
    if (inFlight.length > 0) next = Math.min(next, inFlight[0]!.at);
    if (next === Infinity) throw new Error("simulated scan stalled: nothing to wait for");
    if (next > limit) throw new Error(`simulated scan still running after ${limit - start} ms`);
    // A scan that keeps asking to be woken now without doing anything is stuck.
    idle = next <= now && sends.length === 0 ? idle + 1 : 0;
    if (idle > 10_000) throw new Error(`simulated scan spins at t=${now - start} ms`);
    now = Math.max(now, next);
    while (inFlight.length > 0 && inFlight[0]!.at <= now) {
      const r = inFlight.shift()!;
      scan.onReply(r.index, r.tryNo, r.reply.kind, r.reply.verdict, r.reply.ttl, r.at);
    }
  }
  return { elapsedMs: now - start, probes, icmpSent: target.icmpSent };
}
