/**
 * OS detection of one host, as nmap's os_scan_ipv4 runs it: pick the ports, run rounds until
 * one matches the database perfectly or the tries run out (5 by default, 2 when the
 * fingerprint is not fit for submission), pausing 1 s between rounds (2.5 s before the
 * fourth) — 0.1 s when the last round got its ICMP answers, which is what nmap's pauses wait
 * for; keep the round whose best match is best; report distance, uptime and sequence figures.
 *
 * @module
 */

import type { HostResult, PortResult } from "../model/mod.ts";
import type { OsDb } from "./db.ts";
import { matchFingerprint, type MatchResult } from "./match.ts";
import { type OsIo, type RoundPorts, type RoundResult, runRound } from "./round.ts";
import type { DistanceMethod, OsResult } from "../model/os.ts";

/** What OS detection takes from the options and the run. */
export interface DetectOptions {
  /** --max-os-tries (default 5). */
  maxOsTries?: number;
  /** --scan-delay in ms. */
  scanDelayMs?: number;
  /** -T template (5 makes fingerprints unfit for submission). */
  timingTemplate?: number;
  /** A UDP scan ran (then a missing U1 answer does not spoil the fingerprint). */
  udpScanned?: boolean;
  /** -sV ran (tcpwrapped ports are then avoided). */
  versionDetection?: boolean;
  verbose?: number;
  debug?: number;
  signal?: AbortSignal;
  /** Where -v/-d lines go. */
  log?(line: string): void;
  /** Random 32-bit numbers (tests make them repeatable). */
  random?(): number;
  /** The pause between tries (tests pass a virtual one). */
  sleep?(ms: number): Promise<void>;
  /** Scanner version and platform for the SCAN line. */
  version: string;
  platform: string;
}

/** How the host is reached. */
export interface DetectTarget {
  host: HostResult;
  /** The target is this machine (loopback or one of our addresses). */
  localhost: boolean;
  /** The target's MAC is known (same link): distance 1. */
  directMac?: string;
  /** Probe timeout, ms (the host's RTT timeout). */
  timeoutMs: number;
}

/** nmap's choice of ports: the lowest open TCP port, closed TCP port and closed UDP port. */
export function choosePorts(
  ports: PortResult[],
  opts: { versionDetection?: boolean; random(): number },
): RoundPorts & { openKnown: boolean; closedUdpKnown: boolean; unreliable: boolean } {
  const sorted = [...ports].sort((a, b) => a.port - b.port);
  const pick = (proto: "tcp" | "udp", state: string) => {
    const list = sorted.filter((p) => p.protocol === proto && p.state === state);
    // Port zero only when nothing else is there.
    return list.find((p) => p.port !== 0) ?? list[0];
  };
  let open = pick("tcp", "open");
  if (open && opts.versionDetection && open.service?.name === "tcpwrapped") {
    const others = sorted.filter((p) =>
      p.protocol === "tcp" && p.state === "open" && p.port > open!.port
    );
    open = others.find((p) => p.service?.name !== "tcpwrapped") ?? others[others.length - 1] ??
      open;
  }
  const closed = pick("tcp", "closed");
  const unfiltered = closed ? undefined : pick("tcp", "unfiltered");
  const closedUdp = pick("udp", "closed");
  const rand = (n: number) => (opts.random() >>> 0) % n;
  return {
    open: open?.port,
    openKnown: open !== undefined,
    closedTcp: closed?.port ?? unfiltered?.port ?? 30000 + rand(14781),
    closedTcpKnown: closed !== undefined,
    closedUdp: closedUdp?.port ?? 30000 + rand(14781),
    closedUdpKnown: closedUdp !== undefined,
    unreliable: open === undefined || (closed === undefined && unfiltered === undefined),
  };
}

/** nmap's OmitSubmissionFP: why a fingerprint is unfit for submission, or undefined. */
export function omitReason(f: {
  scanDelayMs?: number;
  timingTemplate?: number;
  openTcp?: number;
  closedTcp?: number;
  closedUdp?: number;
  distance: number;
  maxTimingRatio: number;
  udpScanned?: boolean;
}): string | undefined {
  if ((f.scanDelayMs ?? 0) > 500) return `Scan delay (${f.scanDelayMs}) is greater than 500`;
  if ((f.timingTemplate ?? 3) > 4) return "Timing level 5 (Insane) used";
  if (!(f.openTcp! > 0)) return "Missing an open TCP port so results incomplete";
  if (!(f.closedTcp! > 0)) return "Missing a closed TCP port so results incomplete";
  if (f.distance < -1) {
    return `Host distance (${f.distance} network hops) appears to be negative`;
  }
  if (f.distance > 5) return `Host distance (${f.distance} network hops) is greater than five`;
  if (f.maxTimingRatio > 1.4) {
    return `maxTimingRatio (${cExp(f.maxTimingRatio)}) is greater than 1.4`;
  }
  if (f.closedUdp === undefined && !f.udpScanned) {
    return "Didn't receive UDP response. Please try again with -sSU";
  }
  return undefined;
}

/** C's %e: 1.500000e+00. */
function cExp(x: number): string {
  const [m, e] = x.toExponential(6).split("e");
  const n = Number(e);
  return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

/** The pause between tries when the last one got every ICMP answer. */
export const SETTLED_PAUSE_MS = 100;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

function nameIp(h: HostResult): string {
  const name = h.ptrHostname ?? h.userHostname;
  return name ? `${name} (${h.address})` : h.address;
}

/**
 * Runs OS detection against `target` over `io` and matches against `db`. Returns undefined
 * when --osscan-limit skips the host.
 */
export async function detectWithIo(
  io: OsIo,
  target: DetectTarget,
  db: OsDb,
  opts: DetectOptions & { osscanLimit?: boolean },
): Promise<OsResult | undefined> {
  const host = target.host;
  const random = opts.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);
  const ports = choosePorts(host.ports, { versionDetection: opts.versionDetection, random });
  const log = opts.log ?? (() => {});
  const verbose = opts.verbose ?? 0, debug = opts.debug ?? 0;
  if (ports.unreliable && opts.osscanLimit) {
    if (verbose) {
      log(
        `Skipping OS Scan against ${nameIp(host)} due to absence of open (or perhaps closed) ports`,
      );
    }
    return undefined;
  }
  const time = Date.now();
  const maxTries = Math.max(1, opts.maxOsTries ?? 5);
  const rounds: RoundResult[] = [];
  const results: MatchResult[] = [];
  let distance = -1;
  let distanceGuess = -1;
  let closedUdp = ports.closedUdpKnown ? ports.closedUdp : undefined;
  let maxRatio = 0;
  let reason: string | undefined;
  let perfectRound = -1;
  for (let t = 0;; t++) {
    if (opts.signal?.aborted) break;
    const pause = opts.sleep ?? ((ms: number) => sleep(ms, opts.signal));
    // nmap pauses 1 s between tries (2.5 s before the fourth) so that rate-limited ICMP
    // answers (U1, IE) come back. When the last try got both, a short pause does as well.
    const prev = rounds[rounds.length - 1];
    const settled = prev !== undefined && prev.udpAnswered && prev.echoAnswered;
    if (t > 0) await pause(settled ? SETTLED_PAUSE_MS : 1000);
    if (t === 3 && !settled) await pause(1500);
    if (opts.signal?.aborted) break;
    if (verbose) {
      log(
        `${t === 0 ? "Initiating" : "Retrying"} OS detection (try #${t + 1}) against ${
          nameIp(host)
        }`,
      );
    }
    const r = await runRound(
      io,
      {
        ports,
        timeoutMs: target.timeoutMs,
        localhost: target.localhost,
        scanDelayMs: opts.scanDelayMs,
        random,
        signal: opts.signal,
        trace: debug > 1 ? log : undefined,
      },
      t,
      distance,
    );
    rounds.push(r);
    maxRatio = Math.max(maxRatio, r.timingRatio);
    if (debug) {
      log(`OS detection timingRatio() == ${r.timingRatio.toFixed(3)}`);
    }
    if (distance === -1) distance = r.udpDistance;
    if (distanceGuess === -1) distanceGuess = r.distanceGuess;
    if (r.udpAnswered && closedUdp === undefined) closedUdp = ports.closedUdp;
    const m = matchFingerprint(r.fingerprint, db);
    results.push(m);
    if (m.outcome === "success" && m.perfect > 0) {
      if (t > 0 && verbose) log(`WARNING: OS didn't match until try #${t + 1}`);
      perfectRound = t;
      break;
    }
    const hostDistance = hostDistanceOf(target, distance);
    reason = omitReason({
      scanDelayMs: opts.scanDelayMs,
      timingTemplate: opts.timingTemplate,
      openTcp: ports.open,
      closedTcp: ports.closedTcpKnown ? ports.closedTcp : undefined,
      closedUdp,
      distance: hostDistance.distance,
      maxTimingRatio: maxRatio,
      udpScanned: opts.udpScanned,
    });
    if (rounds.length >= (reason ? Math.min(maxTries, 2) : maxTries)) break;
  }
  if (!rounds.length) return undefined;

  // The round to report: the perfect one, else the first with the best top match.
  let best = perfectRound;
  if (best < 0) {
    let acc = 0;
    best = 0;
    for (let i = 0; i < results.length; i++) {
      const m = results[i]!;
      if (m.outcome === "success" && m.matches.length && m.matches[0]!.accuracy > acc) {
        acc = m.matches[0]!.accuracy;
        best = i;
        if (m.perfect) break;
      }
    }
  }
  const match = results[best]!;
  const last = rounds[rounds.length - 1]!;
  const d = hostDistanceOf(target, distance);
  reason = omitReason({
    scanDelayMs: opts.scanDelayMs,
    timingTemplate: opts.timingTemplate,
    openTcp: ports.open,
    closedTcp: ports.closedTcpKnown ? ports.closedTcp : undefined,
    closedUdp,
    distance: d.distance,
    maxTimingRatio: maxRatio,
    udpScanned: opts.udpScanned,
  });
  const result: OsResult = {
    portsUsed: {},
    unreliable: ports.unreliable,
    outcome: match.outcome,
    matches: match.matches,
    perfect: match.perfect,
    rounds: rounds.map((r) => r.fingerprint),
    db: db.source,
    scan: { version: opts.version, platform: opts.platform, time },
    sequence: {
      responses: last.seq.responses,
      index: last.seq.index,
      seqs: last.seq.seqs,
      ipIds: last.seq.ipIds,
      timestamps: last.seq.timestamps,
      ipIdClass: last.seq.ipIdClass,
      tsClass: last.seq.tsClass,
    },
    tries: rounds.length,
  };
  if (last.seq.lastBoot !== undefined) result.sequence.lastBoot = last.seq.lastBoot;
  if (ports.open !== undefined) result.portsUsed.openTcp = ports.open;
  if (ports.closedTcpKnown) result.portsUsed.closedTcp = ports.closedTcp;
  if (closedUdp !== undefined) result.portsUsed.closedUdp = closedUdp;
  if (reason) result.omitReason = reason;
  if (d.distance !== -1) result.distance = d.distance;
  if (d.method) result.distanceMethod = d.method;
  if (distanceGuess !== -1) result.distanceGuess = distanceGuess;
  if (target.directMac) result.scan.mac = target.directMac;
  return result;
}

function hostDistanceOf(
  t: DetectTarget,
  udpDistance: number,
): { distance: number; method?: DistanceMethod } {
  if (t.localhost) return { distance: 0, method: "localhost" };
  if (t.directMac) return { distance: 1, method: "direct" };
  if (udpDistance !== -1) return { distance: udpDistance, method: "icmp" };
  return { distance: -1 };
}
