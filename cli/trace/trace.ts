/**
 * nmap's traceroute (traceroute.cc) over an abstract probe channel: the probe a host's scan
 * found best, TTL-limited probes with nmap's timeout and resends, and a hop cache shared by the
 * hosts of a run so that a trace meeting a known router at the same TTL takes the hops below it
 * from the trace that found it.
 *
 * @module
 */

import type { HostResult, TraceHop, TraceResult } from "../model/mod.ts";
import { udpPayloads } from "../scans/udp_payloads.ts";

/** nmap's MAX_TTL, PROBE_TIMEOUT (ms), MAX_RESENDS, MAX_OUTSTANDING_PROBES. */
export const MAX_TTL = 30;
export const PROBE_TIMEOUT_MS = 1000;
export const MAX_RESENDS = 2;
export const MAX_OUTSTANDING = 10;

/** The probe a trace sends, TTL aside. */
export interface TraceProbe {
  proto: "tcp" | "udp" | "icmp";
  /** Destination port (TCP, UDP). */
  port?: number;
}

/** Ports whose answers nmap distrusts (often spoofed): pingprobe_score gives them 50, not 60. */
const SPOOFED_PORTS = new Set([25, 113, 135, 139, 445]);

/**
 * The best probe the scan found for `host`, by nmap's pingprobe_score: a TCP port that
 * answered a raw SYN with a reset (60; 50 for ports 25, 113, 135, 139, 445), an ICMP echo that
 * was answered in a ping scan (50), a port that answered a SYN (30), a UDP port that answered
 * (20, less by one per payload beyond the first); ICMP echo when nothing answered. Among equals, the lowest port (nmap keeps the first
 * to answer, an order Porthole does not record). `rawTcp` says the TCP results come from a raw
 * scan (a connect scan's answers are not probes traceroute can send).
 */
export function chooseProbe(host: HostResult, rawTcp: boolean, pingOnly: boolean): TraceProbe {
  let best: TraceProbe = { proto: "icmp" };
  let bestScore = 0;
  const offer = (p: TraceProbe, score: number) => {
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  };
  const ports = [...host.ports].sort((a, b) => a.port - b.port);
  for (const p of ports) {
    if (p.protocol === "tcp" && rawTcp) {
      if (p.reason === "reset") {
        offer({ proto: "tcp", port: p.port }, SPOOFED_PORTS.has(p.port) ? 50 : 60);
      } else if (p.reason === "syn-ack") offer({ proto: "tcp", port: p.port }, 30);
    } else if (p.protocol === "udp") {
      if (p.reason === "udp-response" || p.reason === "port-unreach") {
        // Ports with several payloads score less: which one was answered is unsure.
        const n = udpPayloads(p.port, { family: host.family }).length;
        offer({ proto: "udp", port: p.port }, n <= 1 ? 20 : 20 - n);
      }
    }
  }
  if (pingOnly && host.statusReason === "echo-reply") offer({ proto: "icmp" }, 50);
  return best;
}

/** What came back for a probe sent at `ttl`. */
export interface TraceReply {
  ttl: number;
  /** The reply's source. */
  from: string;
  /** Receive time, ms (the channel's clock). */
  at: number;
}

/** How a trace sends probes and reads replies (a raw session, or a simulation in tests). */
export interface TraceIo {
  /** Sends the probe at `ttl`; returns when it left (now()'s clock), taken once its frame is
   * built: building the first one can take milliseconds, which are no round trip. */
  send(ttl: number): number;
  /** Replies received since the last call, matched to the TTL of their probe. */
  poll(): TraceReply[];
  /** Waits up to `ms` for something to read. */
  wait(ms: number): Promise<void>;
  /** Milliseconds, monotonic. */
  now(): number;
}

interface CachedHop {
  hop: TraceHop;
  /** The trace the hop belongs to: its hops from TTL 1 up to this one. */
  chain: TraceHop[];
}

/** nmap's hop cache: hops by TTL and address, shared by the traces of a run. */
export class HopCache {
  readonly #hops = new Map<string, CachedHop>();

  lookup(ttl: number, addr: string): CachedHop | undefined {
    return this.#hops.get(`${ttl}/${addr}`);
  }

  insert(hops: readonly TraceHop[]): void {
    for (const h of hops) {
      if (!h.ipaddr) continue;
      const key = `${h.ttl}/${h.ipaddr}`;
      if (!this.#hops.has(key)) {
        this.#hops.set(key, { hop: h, chain: hops.filter((x) => x.ttl <= h.ttl) });
      }
    }
  }
}

/**
 * Traces `target` with `io`: probes TTL 1, 2, … (at most {@link MAX_OUTSTANDING} unanswered
 * at once, each resent up to {@link MAX_RESENDS} times after {@link PROBE_TIMEOUT_MS}) until the
 * target answers or TTL {@link MAX_TTL}; a hop that other traces of `cache` already met at the
 * same TTL ends the trace below it: the hops from 1 to it are that trace's. Hops past the target's
 * distance are dropped; TTLs nobody answered are hops without an address.
 */
export async function traceHost(
  target: string,
  io: TraceIo,
  cache: HopCache,
  signal?: AbortSignal,
): Promise<TraceHop[]> {
  const answers = new Map<number, { from: string; rtt: number }>();
  const sent = new Map<number, { at: number; tries: number }>();
  const gaveUp = new Set<number>();
  let reached = 0;
  let next = 1;
  let linked: CachedHop | undefined;
  const limit = () => reached || MAX_TTL + 1;
  const outstanding = () =>
    [...sent.keys()].filter((t) => t < limit() && !answers.has(t) && !gaveUp.has(t));

  while (!signal?.aborted) {
    const now = io.now();
    // Timeouts: resend, or give the TTL up.
    for (const t of outstanding()) {
      const s = sent.get(t)!;
      if (now - s.at <= PROBE_TIMEOUT_MS) continue;
      if (s.tries <= MAX_RESENDS) {
        s.tries++;
        s.at = io.send(t);
      } else gaveUp.add(t);
    }
    // New TTLs.
    while (next < limit() && next <= MAX_TTL && outstanding().length < MAX_OUTSTANDING) {
      sent.set(next, { at: io.send(next), tries: 1 });
      next++;
    }
    const pending = outstanding().filter((t) => !linked || t > linked.hop.ttl);
    if (pending.length === 0 && (next >= limit() || next > MAX_TTL)) break;
    await io.wait(50);
    for (const r of io.poll()) {
      const s = sent.get(r.ttl);
      if (!s || answers.has(r.ttl)) continue;
      answers.set(r.ttl, { from: r.from, rtt: r.at - s.at });
      if (r.from === target) {
        if (!reached || r.ttl < reached) reached = r.ttl;
      } else if (!linked || r.ttl > linked.hop.ttl) {
        const hit = cache.lookup(r.ttl, r.from);
        if (hit) linked = hit;
      }
    }
  }

  const top = reached || MAX_TTL;
  const hops: TraceHop[] = linked ? linked.chain.map((h) => ({ ...h })) : [];
  for (let t = (linked?.hop.ttl ?? 0) + 1; t <= top; t++) {
    const a = answers.get(t);
    hops.push(a ? { ttl: t, ipaddr: a.from, rttMs: a.rtt, tag: target } : { ttl: t, tag: target });
  }
  cache.insert(hops);
  return hops;
}

/** The trace of a directly connected target: one hop, the target, at its smoothed RTT. */
export function directTrace(host: HostResult): TraceResult {
  return {
    hops: [{
      ttl: 1,
      ipaddr: host.address,
      rttMs: host.times ? host.times.srtt / 1000 : undefined,
      host: host.ptrHostname,
      tag: host.address,
    }],
  };
}
