/**
 * The per-port probing state machine of version detection.
 *
 * Results are nmap's: probes are *resolved* strictly in nmap's order (NULL,
 * port-listed probes, then by rarity), with nmap's rules for soft matches,
 * fallbacks, tcpwrapped (the NULL probe's connection closed with no data
 * within tcpwrappedms), SSL tunnels and fingerprints. What differs is when
 * probes are *sent*: nmap runs one probe at a time per port and waits out
 * each probe's totalwaitms (6 s for NULL), while here later probes start on
 * their own connections once the NULL probe has been silent for a short
 * grace time, a few at a time per port. Their results wait for their turn,
 * with one exception: a hard match of a later probe wins early when the only
 * earlier probe still pending is the NULL probe and it has received nothing
 * for at least the grace time (earlier probes that finished without a match
 * are passed over, as nmap would after them). That is the case of an HTTP
 * server, silent on connect: nmap learns nothing from its 6 s NULL wait that
 * the GET reply does not show (every TCP probe's reply is also tried against
 * the NULL probe's match lines, so a banner sent late still names the
 * service). It differs from nmap only for a service that stays silent past
 * the grace time and then greets, or closes before tcpwrappedms, yet answers
 * a later probe with a hard match of something else. With grace >= the NULL
 * probe's totalwaitms the engine makes nmap's decisions in nmap's order (each
 * probe still has its own connection, where nmap sends the first probe after
 * NULL on the NULL probe's connection).
 *
 * A reply that is the probe sent back is "echo", judged before any match line
 * (see match.ts's echoOf). TCP connections to one host share a limit that
 * halves when the host refuses them (hostlimit.ts); a probe whose connection
 * was refused is sent again rather than ending the port.
 *
 * Silence beside other connections is not believed on a port that has not
 * shown it serves connections side by side, or whose listen queue overflowed
 * (port_activity.ts): such a probe is sent again alone, and the port is then
 * probed one connection at a time. Before going so, a port that answers gets a
 * side-by-side check: an idle connection held open while its quickest-answered
 * probe goes again. A port that answered nothing at all gets one probe again
 * alone (the canary): silent then too, its silence is its own. A probe the daemon closed
 * (without a hard match) while other connections of ours were open may have got a "busy"
 * answer (iperf3 serves one client and closes the rest): it is sent again alone, and such
 * closes prove no side-by-side service until a probe is closed the same way alone. A
 * connection refused, or reset before any byte, goes again after a growing wait.
 *
 * Speed without another answer: a port that has answered nothing sends its canary as soon as
 * a silence is in doubt, not after its last probe; a port whose silences stand as they come
 * (it served side by side, or stayed silent alone too) gets a wider window, started a window's
 * worth at a time. Each silence is still judged once every probe has ended, as before.
 */

import type { MatchDetails } from "./match.ts";
import {
  ECHO_MIN_PREFIX,
  ECHO_RULE,
  echoMatch,
  echoOf,
  keepFirstWords,
  matchResponse,
  MAX_MATCH_BYTES,
} from "./match.ts";
import type { Probe, ProbeDb } from "./probe_db.ts";
import { candidateProbes, isEligible, type PlanEntry } from "./plan.ts";
import {
  type Channel,
  type ChannelEvent,
  connectTcp,
  connectTls,
  type Endpoint,
  errorCode,
  openUdp,
} from "./conn.ts";
import { escapeForDisplay, FingerprintBuilder } from "./fingerprint.ts";
import { DescriptorLimitError } from "../engine/descriptors.ts";
import type { HostConnLimit } from "./hostlimit.ts";
import {
  PortActivity,
  type PortConnection,
  PROOF_MARGIN_MS,
  SLOW_CONNECT_MS,
} from "./port_activity.ts";
import type { LoopStalls } from "./loop_stalls.ts";
import { bytesEqual } from "../../core-wasm/addr.ts";

/** nmap's connect timeouts (service_scan.h). */
export const CONNECT_TIMEOUT_MS = 5000;
export const CONNECT_SSL_TIMEOUT_MS = 8000;
/** nmap stops reading a probe's reply once it holds this many bytes. */
export const READ_LIMIT = 4096;

/** Tuning and context of one service scan. */
export interface EngineConfig {
  db: ProbeDb;
  intensity: number;
  trace: boolean;
  debug: number;
  verbose: number;
  /** Where traces, warnings and verbose lines go. */
  log: (line: string) => void;
  /** Silence (ms) after which later probes may start, and may win over silent earlier ones. */
  graceMs: number;
  /** Probes in flight per TCP port. */
  window: number;
  /**
   * Probes in flight per TCP port once its silences stand as they come: it served connections
   * side by side, or it answered nothing and a probe sent again alone stayed silent too.
   */
  wideWindow: number;
  /** Probes in flight per UDP port. */
  udpWindow: number;
  sourceAddress?: string;
  /** Value of V= in fingerprints. */
  version: string;
  /** Value of P= in fingerprints. */
  platform: string;
  /** performance.now() value after which no new probe starts (host timeout). */
  deadline?: number;
  /** The target's limit on TCP connections at once, shared by its ports. */
  hostLimit?: HostConnLimit;
  /** When the scanner's event loop stood still (a slow connect then is not the target's). */
  stalls?: LoopStalls;
}

/** Beyond the window, no more than a window's worth of a port's connections start within this. */
export const WIDE_PACE_MS = 250;

/** Times a probe whose connection the host refused (or let time out) is sent again. */
export const CONNECT_RETRIES = 4;
/** The wait before the first of them (then 2×, 4×, 8×). */
export const REFUSED_RETRY_MS = 250;

/** How probing a port ended (nmap's serviceprobestate). */
export type ProbeState = "hard" | "soft" | "tcpwrapped" | "nomatch" | "incomplete";

/** The outcome of probing one port. */
export interface PortOutcome {
  state: ProbeState;
  /** The (last) match: hard, or the softmatch. */
  match?: MatchDetails;
  /** Service name from a match ("ssl/" removed when it set the tunnel). */
  service?: string;
  ssl: boolean;
  fingerprint?: string;
  /** True when a reply proved an open|filtered port open. */
  provedOpen: boolean;
  /** Replies as the fingerprint recorded them, by probe name. */
  recorded: ReadonlyMap<string, Uint8Array>;
}

type AttemptEnd =
  | "hard" // a hard match: stop reading
  | "timeout" // totalwaitms ran out
  | "full" // READ_LIMIT bytes without a hard match
  | "eof" // the server closed
  | "reset" // ECONNRESET / ECONNREFUSED / ECONNABORTED while reading
  | "retry" // EPIPE, EIO (TLS) and the like: try the next probe
  | "abort" // host unreachable and the like: give up on the port
  | "connect-failed"
  | "write-failed"
  | "cancelled";

/** One probe sent on its own connection. */
class Attempt implements PortConnection {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  /** When the connection was up and the probe sent (nmap's currentprobe_exec_time). */
  execAt = 0;
  endAt = 0;
  end?: AttemptEnd;
  firstSoft?: MatchDetails;
  hard?: MatchDetails;
  /** The reply so far is a long enough start of the probe: "echo" unless more comes that is not. */
  private echoing = false;
  connected = false;
  /** Set when the process could open nothing at all for long: the scan cannot go on. */
  fatal?: DescriptorLimitError;
  /** The host refused the connection or let it time out (or reset it before any byte). */
  refused = false;
  /** Attempts on the port that were open when this one connected: it queued behind them. */
  ahead: readonly PortConnection[] = [];
  /** When the first byte, close or reset came (0: none yet). */
  firstEventAt = 0;
  private chan?: Channel;
  private cancelled = false;
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(
    readonly probe: Probe,
    readonly isNull: boolean,
    private readonly ep: Endpoint,
    private readonly protocol: "tcp" | "udp",
    private readonly ssl: boolean,
    private readonly cfg: EngineConfig,
    private readonly label: string,
    private readonly onProgress: () => void,
    private readonly port: PortActivity<Attempt>,
  ) {
    this.done = this.run().finally(() => {
      // A wait that ran out ended at its deadline, however late a busy event loop noticed:
      // an answer seen meanwhile on another connection must not look as if this one was open.
      const now = performance.now();
      this.endAt = this.end === "timeout"
        ? Math.min(now, this.execAt + this.probe.totalWaitMs)
        : now;
      this.chan?.close();
      this.port.closed(this);
      this.onProgress();
    });
  }

  get finished(): boolean {
    return this.end !== undefined;
  }

  /** Whether the daemon ended the connection: it closed or reset it (also while we wrote). */
  get closedByServer(): boolean {
    return this.end === "eof" || this.end === "reset" || this.end === "write-failed";
  }

  /** Whether nothing at all has been received. */
  get silent(): boolean {
    return this.size === 0;
  }

  data(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  cancel(): void {
    this.cancelled = true;
    this.abort.abort();
    this.chan?.close();
  }

  private async run(): Promise<void> {
    const limit = this.protocol === "tcp" ? this.cfg.hostLimit : undefined;
    let ticket: number;
    if (limit) {
      try {
        ticket = await limit.acquire(this.abort.signal);
      } catch {
        this.end = "cancelled";
        return;
      }
    }
    try {
      await this.probe1();
    } finally {
      if (limit) {
        // Only a connection the host would not set up tells of the host's load; one reset
        // after the probe went (git-daemon resets what it cannot parse) is the port's own.
        limit.release(ticket!, this.refused && this.end === "connect-failed", this.connected);
      }
    }
  }

  private async probe1(): Promise<void> {
    const cfg = this.cfg;
    const connectStart = performance.now();
    try {
      this.chan = this.protocol === "udp"
        ? await openUdp(this.ep, this.abort.signal)
        : this.ssl
        ? await connectTls(this.ep, CONNECT_SSL_TIMEOUT_MS, this.abort.signal)
        : await connectTcp(this.ep, CONNECT_TIMEOUT_MS, this.abort.signal);
    } catch (e) {
      if (this.cancelled) {
        this.end = "cancelled";
        return;
      }
      if (e instanceof DescriptorLimitError) this.fatal = e;
      else if (this.protocol === "tcp") {
        // Refused, or no SYN-ACK in time: an open port's backlog is full.
        const code = errorCode(e);
        const timedOut = code === "ETIMEDOUT" || (e as Error).name === "AbortError";
        this.refused = code === "ECONNREFUSED" || code === "ECONNRESET" || timedOut;
        if (timedOut) this.connectTook(connectStart);
      }
      if (cfg.debug || cfg.trace) {
        cfg.log(`Service scan: connect to ${this.label} failed: ${(e as Error).message}`);
      }
      this.end = "connect-failed";
      return;
    }
    this.connected = true;
    if (this.protocol === "tcp") this.cfg.hostLimit?.connected();
    this.ahead = this.port.opened(this);
    if (this.protocol === "tcp") this.connectTook(connectStart);
    this.execAt = performance.now();
    this.onProgress();
    if (this.cancelled) {
      this.end = "cancelled";
      return;
    }
    if (cfg.trace || cfg.debug > 1) {
      cfg.log(
        `Service scan sending probe ${this.probe.name} to ${this.label}` +
          (this.isNull ? "" : `: "${escapeForDisplay(this.probe.payload)}"`) +
          ` (connected in ${((this.execAt - connectStart) / 1000).toFixed(3)}s)`,
      );
    }
    if (!this.isNull && this.probe.payload.length > 0) {
      try {
        await this.chan.write(this.probe.payload);
      } catch (e) {
        if (cfg.debug || cfg.trace) {
          cfg.log(`Service scan: write to ${this.label} failed: ${(e as Error).message}`);
        }
        // Reset before the probe could go: the connection sat in a listen queue the daemon
        // dropped (iperf3 reopens its listener after each client). As refused: tried again.
        const code = errorCode(e);
        if (this.protocol === "tcp" && (code === "ECONNRESET" || code === "EPIPE")) {
          this.refused = true;
          this.end = "connect-failed";
          return;
        }
        this.end = "write-failed";
        return;
      }
    }
    const deadline = this.execAt + this.probe.totalWaitMs;
    for (;;) {
      const ev: ChannelEvent = await this.chan.next(deadline);
      if (this.cancelled) {
        this.end = "cancelled";
        return;
      }
      if (ev.kind === "timeout") {
        this.end = "timeout";
        this.endEcho();
        return;
      }
      if (this.firstEventAt === 0) this.firstEventAt = performance.now();
      if (ev.kind === "eof") {
        if (cfg.trace) {
          cfg.log(`Service scan: ${this.label} closed the connection (probe ${this.probe.name})`);
        }
        this.end = "eof";
        this.endEcho();
        return;
      }
      if (ev.kind === "error") {
        if (cfg.trace || cfg.debug) {
          cfg.log(`Service scan: ${ev.code} reading ${this.label} (probe ${this.probe.name})`);
        }
        this.end = ["ECONNRESET", "ECONNREFUSED", "ECONNABORTED"].includes(ev.code)
          ? "reset"
          : ["EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN", "ENONET"].includes(ev.code)
          ? "abort"
          : "retry";
        if (this.end === "reset") this.endEcho();
        if (this.end === "reset" && this.silent && !this.isNull) this.refused = true;
        return;
      }
      this.chunks.push(ev.data);
      this.size += ev.data.length;
      this.onProgress();
      if (cfg.trace) {
        cfg.log(
          `Service scan read ${ev.data.length} bytes from ${this.label} (probe ${this.probe.name}): "${
            escapeForDisplay(ev.data)
          }"`,
        );
      }
      const data = this.data();
      // A probe sent back is an echo service, never the probed protocol (nmap
      // matches its echo lines first); a long enough start of it waits for the rest.
      const echo = this.isNull ? null : echoOf(this.probe.payload, data);
      if (echo === "full") {
        this.hard = echoMatch(this.probe);
        this.end = "hard";
        return;
      }
      this.echoing = echo === "prefix" && data.length >= ECHO_MIN_PREFIX;
      if (this.echoing) {
        if (this.size < READ_LIMIT) continue;
        this.end = "full";
        this.endEcho();
        return;
      }
      const md = matchResponse(this.probe, data.subarray(0, MAX_MATCH_BYTES), cfg.log);
      if (md && !md.soft) {
        this.hard = md;
        this.end = "hard";
        return;
      }
      if (md && md.soft && !this.firstSoft) this.firstSoft = md;
      if (this.size >= READ_LIMIT) {
        this.end = "full";
        return;
      }
    }
  }

  /** Tells the port how long a TCP connect started at `connectStart` took (or ran until it failed). */
  private connectTook(connectStart: number): void {
    const cfg = this.cfg;
    const now = performance.now();
    const late = cfg.stalls?.lateBy(connectStart, now) ?? 0;
    // A TLS handshake or a proxy chain takes its own time: only a bare connect tells of the queue.
    if (!this.ssl && !this.ep.proxies?.length) this.port.connectTook(now - connectStart, late);
    if (cfg.trace && now - connectStart >= SLOW_CONNECT_MS) {
      cfg.log(
        `Service scan: connect to ${this.label} ${this.connected ? "took" : "gave up after"} ${
          Math.round(now - connectStart)
        } ms, noticed up to ${Math.round(late)} ms late with the scanner busy`,
      );
    }
  }

  /** At the end of reading: a reply that stopped partway through the probe is its echo. */
  private endEcho(): void {
    if (this.echoing) this.hard = echoMatch(this.probe);
  }
}

/** The side-by-side check of a port: an idle connection, and a probe sent again behind it. */
interface SideBySide {
  holder: Attempt;
  again?: Attempt;
  done: boolean;
}

/** One entry of a port's probe sequence. */
interface Step {
  probe: Probe;
  isNull: boolean;
  attempt?: Attempt;
  /** Times the probe was sent again after the host refused its connection. */
  retries?: number;
  /** Sent again alone, after a silence that other connections may have caused. */
  soloRun?: boolean;
  /** Sent again after a reset before any byte. */
  resetRetried?: boolean;
  /** Before going again alone after a close beside others: what that close brought. */
  closedBeside?: Uint8Array;
}

/**
 * Probes one port and returns nmap's verdict. `address` is the target,
 * `label` how traces name it ("10.0.0.1:80 (tcp)"). `onPastNull` is told once the NULL
 * probe's connection has ended (or the port needed none).
 */
export async function probePort(
  cfg: EngineConfig,
  ep: Endpoint,
  protocol: "tcp" | "udp",
  onPastNull?: () => void,
): Promise<PortOutcome> {
  const { db, intensity } = cfg;
  const label = `${
    ep.address.includes(":") ? `[${ep.address}]` : ep.address
  }:${ep.port} (${protocol})`;
  let ssl = false;
  let soft: MatchDetails | undefined;
  let tcpwrapPossible = true;
  let provedOpen = false;
  const fp = new FingerprintBuilder({
    port: ep.port,
    protocol,
    version: cfg.version,
    intensity,
    platform: cfg.platform,
    ssl: false,
    debug: cfg.debug > 0,
  });

  let wake: (() => void) | undefined;
  const progress = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  let steps: Step[] = [];
  let universe: PlanEntry[] = [];
  let head = 0;
  const activity = new PortActivity<Attempt>();
  /** One connection at a time from now on: the port may serve no more (port_activity.ts). */
  let solo = false;
  /** On a port that answered nothing, the one probe sent again alone to see whether it does. */
  let canary: Step | undefined;
  /**
   * A probe the daemon closed while other connections of ours to the port were open, to be
   * sent again alone: a daemon that serves one client at a time closes the others with a
   * "busy" reply (iperf3's ACCESS_DENIED) that one probe at a time never gets.
   */
  let alone: Step | undefined;
  /**
   * The side-by-side check, run once when silence is in doubt on a port that answers: an idle
   * connection held open while the probe that was answered soonest goes again beside it.
   * Answered then, the port serves side by side and its silences stand; else it goes solo.
   */
  let check: SideBySide | undefined;
  const pastDeadline = (now: number) => cfg.deadline !== undefined && now >= cfg.deadline;
  /**
   * Whether every silence in doubt is sent again alone: on a port that answers something, or
   * whose listen queue overflowed (kadmind answers RPC alone, and nothing at all beside others).
   */
  const resendAll = () => activity.answered || activity.overflowed;
  /** A probe the daemon closed, without a hard match, beside other connections of ours. */
  const busyEnd = (s: Step) => {
    const a = s.attempt;
    // Once a probe was closed alone as beside others, the port's closes are its own.
    return protocol === "tcp" && !s.soloRun && !s.isNull && a !== undefined && a.finished &&
      a.closedByServer && !a.hard && activity.hadCompany(a) && !activity.closesAlone;
  };
  /** A silent end of a probe that queued behind other connections, not yet sent again alone. */
  const needsSolo = (s: Step, now: number) => {
    const a = s.attempt;
    // A silent close or reset is in doubt too: a full queue or a busy daemon ends
    // connections it never read (kadmind's beside a probe it blocks on).
    if (protocol !== "tcp" || s.soloRun || a === undefined || !a.silent) return false;
    // A connection refused or never set up while others queued: a full queue's doing.
    if (a.end === "connect-failed") return a.refused && activity.silenceUnsure(a, now, true);
    return (a.end === "timeout" || a.end === "eof" || a.end === "reset") &&
      activity.silenceUnsure(a, now);
  };

  /** (Re)builds the sequence from scratch, e.g. at start and when going through SSL. */
  const restart = () => {
    for (const s of steps) s.attempt?.cancel();
    universe = candidateProbes(db, protocol, ep.port, ssl);
    canary = undefined;
    steps = [];
    if (protocol === "tcp" && db.nullProbe) steps.push({ probe: db.nullProbe, isNull: true });
    for (const e of universe) {
      if (isEligible(e, intensity, undefined)) steps.push({ probe: e.probe, isNull: false });
    }
    head = 0;
  };

  /** After a softmatch at `head`, keeps only later probes that can still tell the service. */
  const replanAfterSoft = (service: string) => {
    const done = steps.slice(0, head + 1);
    const current = steps[head]!.probe;
    const idx = universe.findIndex((e) => e.probe === current);
    const rest: Step[] = [];
    for (const e of universe.slice(idx + 1)) {
      if (!isEligible(e, intensity, service)) continue;
      const old = steps.find((s, i) => i > head && s.probe === e.probe);
      rest.push(old ?? { probe: e.probe, isNull: false });
    }
    for (const s of steps.slice(head + 1)) if (!rest.includes(s)) s.attempt?.cancel();
    steps = [...done, ...rest];
  };

  /** When each connection of the port was asked for (the last few matter). */
  const launchTimes: number[] = [];
  const launch = (s: Step) => {
    launchTimes.push(performance.now());
    if (launchTimes.length > 64) launchTimes.splice(0, 32);
    s.attempt = new Attempt(s.probe, s.isNull, ep, protocol, ssl, cfg, label, progress, activity);
  };

  const finish = (state: ProbeState, match?: MatchDetails): PortOutcome => {
    for (const s of steps) s.attempt?.cancel();
    check?.holder.cancel();
    check?.again?.cancel();
    // nmap's end_svcprobe: a port that never sent a byte nor let a probe time out is tcpwrapped.
    if (tcpwrapPossible && protocol === "tcp") state = "tcpwrapped";
    // Porthole's own line deciding after nmap's softmatch keeps nmap's words.
    if (state === "hard" && match) match = keepFirstWords(soft, match);
    let service = match?.service;
    if (service?.startsWith("ssl/") && state !== "tcpwrapped") {
      ssl = true;
      service = service.slice(4);
    }
    if (cfg.debug > 1) {
      cfg.log(`Service scan: ${label} ${state} at ${seconds(performance.now())}`);
    }
    const printFp = state === "nomatch" || (state !== "hard" && intensity >= 7);
    return {
      state,
      match: state === "tcpwrapped" ? undefined : match,
      service: state === "tcpwrapped" ? undefined : service,
      ssl,
      fingerprint: printFp ? fp.result() : undefined,
      provedOpen,
      recorded: fp.recorded,
    };
  };

  /** Switches to probing through TLS, as nmap's scanThroughTunnel does after an "ssl" match. */
  const goSsl = () => {
    if (cfg.trace) cfg.log(`Service scan: ${label} speaks SSL; probing again through it`);
    ssl = true;
    soft = undefined;
    fp.reset(true);
    restart();
  };
  const isTunnel = (md: MatchDetails) =>
    !ssl && protocol === "tcp" && (md.service === "ssl" || md.service === "dtls");

  /**
   * Sends the first probe closed beside others again, once every other connection of the
   * port has ended (those still silent are cancelled, to go again later); true meanwhile.
   */
  const aloneRun = (): boolean => {
    if (alone?.soloRun && alone.attempt?.finished) {
      const a = alone.attempt;
      // Closed alone as beside others, with the same bytes: the port's closes are its own.
      if (a.closedByServer && !a.hard && bytesEqual(a.data(), alone.closedBeside!)) {
        activity.closesAlone = true;
      }
      alone = undefined;
    }
    // The sequence was rebuilt, or the port goes one connection at a time anyway.
    if (alone && (!steps.includes(alone) || solo)) alone = undefined;
    if (solo) return false;
    alone ??= steps.slice(head).find(busyEnd);
    if (!alone) return false;
    if (alone.soloRun && alone.attempt) return true; // out, alone
    // The NULL probe is waited out (sent again, it would only hold the port anew).
    for (const x of steps) {
      if (x !== alone && !x.isNull && x.attempt && !x.attempt.finished && x.attempt.silent) {
        x.attempt.cancel();
        x.attempt = undefined;
      }
    }
    if (activity.openCount > 0) {
      return true;
    }
    if (!alone.soloRun) {
      if (cfg.trace) {
        cfg.log(
          `Service scan: ${label} closed probe ${alone.probe.name} beside others; again, alone`,
        );
      }
      alone.closedBeside = alone.attempt?.data() ?? new Uint8Array(0);
      alone.soloRun = true;
    }
    launch(alone);
    return true;
  };

  /**
   * On a port that has answered nothing, the canary goes as soon as a silence is in doubt rather
   * than once every probe has been sent: alone (probes still out beside others are cancelled, to
   * go again later; the NULL probe is waited out). Silent alone too, the port's silences are its
   * own and the rest go wide ({@link silencesStand}); what each silence decides is still settled
   * once every probe has ended, as before. True while it holds new probes.
   */
  const canaryRun = (now: number): boolean => {
    if (solo || protocol !== "tcp") return false;
    if (canary === undefined) {
      if (resendAll()) return false;
      canary = steps.slice(head).find((s) => needsSolo(s, now));
      if (!canary) return false;
      if (cfg.trace) {
        cfg.log(
          `Service scan: ${label} answers nothing so far; probe ${canary.probe.name} again, alone`,
        );
      }
      for (const x of steps) {
        if (x !== canary && !x.isNull && x.attempt && !x.attempt.finished && x.attempt.silent) {
          x.attempt.cancel();
          x.attempt = undefined;
        }
      }
    }
    if (!canary.soloRun) {
      if (resendAll()) return false; // the port answered meanwhile: every doubt goes alone anyway
      if (activity.openCount > 0) return true;
      canary.soloRun = true;
      launch(canary);
      return true;
    }
    if (!canary.attempt?.finished) return true;
    if (retryable(canary)) {
      // Refused even alone: tried again, still alone.
      if (!retryDue(canary, now)) return true;
      noteRetry(canary);
      launch(canary);
      return true;
    }
    return false;
  };

  /**
   * Whether the port's silences stand as they come, so that more of its probes may be out at
   * once: it serves connections side by side, or its canary stayed silent alone on a port that
   * has answered nothing (port_activity.ts); never once its listen queue overflowed.
   */
  const silencesStand = (now: number): boolean => {
    if (protocol !== "tcp" || activity.overflowed) return false;
    const c = canary?.soloRun ? canary.attempt : undefined;
    const canarySilent = c !== undefined && c.finished && c.silent && c.end === "timeout";
    return activity.servesSideBySide(now) || (canarySilent && !activity.answered);
  };

  /** Starts, advances and ends the side-by-side check; true while it runs. */
  const sideBySideCheck = (now: number): boolean => {
    if (check?.done) return false;
    if (!check) {
      // The probe the port answered soonest, to be sent again beside an idle connection.
      let best: Step | undefined;
      for (const st of steps) {
        const a = st.attempt;
        if (!a?.finished || a.firstEventAt === 0 || a.execAt === 0) continue;
        if (st.isNull && a.silent) continue; // closed for being idle: so would the idle one be
        if (!activity.answerCounts(a, now)) continue; // a close that may be a "busy" answer
        if (
          !best || a.firstEventAt - a.execAt < best.attempt!.firstEventAt - best.attempt!.execAt
        ) {
          best = st;
        }
      }
      if (!best) return false;
      const idle: Probe = {
        ...best.probe,
        name: "idle",
        payload: new Uint8Array(0),
        matches: [],
        totalWaitMs: best.probe.totalWaitMs + 1000,
      };
      if (cfg.trace) {
        cfg.log(`Service scan: does ${label} serve side by side? Probe ${best.probe.name} again`);
      }
      const { probe, isNull } = best;
      const c = { done: false } as SideBySide;
      check = c;
      // The probe goes once the idle connection is up: it must queue behind it.
      const onHolder = () => {
        if (!c.again && !c.done && (c.holder.connected || c.holder.finished)) {
          c.again = new Attempt(probe, isNull, ep, protocol, ssl, cfg, label, progress, activity);
        }
        progress();
      };
      c.holder = new Attempt(idle, true, ep, protocol, ssl, cfg, label, onHolder, activity);
      return true;
    }
    const again = check.again;
    if (!again?.finished) {
      if (check.holder.finished && !again) check.done = true;
      return !check.done;
    }
    // Held open a little past the answer, so that the answer counts as side by side.
    const holdUntil = again.firstEventAt + PROOF_MARGIN_MS + 50;
    if (again.firstEventAt > 0 && !check.holder.finished && now < holdUntil) {
      setTimeout(progress, holdUntil - now);
      return true;
    }
    check.holder.cancel();
    check.done = true;
    if (cfg.trace) {
      cfg.log(
        `Service scan: ${label} ${
          activity.servesSideBySide(now) ? "serves" : "may not serve"
        } side by side`,
      );
    }
    return false;
  };

  /**
   * Whether a probe's connection was refused (or reset before any byte: once) and may go again.
   * iperf3 drops its listen queue as each client ends: a probe that connected just then is reset.
   */
  const retryable = (s: Step): boolean => {
    const a = s.attempt;
    if (protocol !== "tcp" || !a?.refused || !cfg.hostLimit) return false;
    if (a.end === "connect-failed") return (s.retries ?? 0) < CONNECT_RETRIES;
    return a.end === "reset" && a.silent && !s.resetRetried && !activity.closesAlone;
  };
  const noteRetry = (s: Step) => {
    if (s.attempt!.end === "reset") s.resetRetried = true;
    else s.retries = (s.retries ?? 0) + 1;
  };

  /**
   * Whether a probe whose connection was refused may go again: after a wait that doubles
   * with each try (a daemon that serves one client reopens its listener after each: iperf3).
   * Not yet: the loop is woken when it may.
   */
  const retryDue = (s: Step, now: number): boolean => {
    const at = s.attempt!.endAt + REFUSED_RETRY_MS * 2 ** (s.retries ?? 0);
    if (now >= at) return true;
    setTimeout(progress, at - now + 1);
    return false;
  };

  /** Starts attempts: NULL first, later ones once NULL is done or silent for the grace time. */
  const launchSome = (now: number) => {
    const nullStep = steps[0]?.isNull ? steps[0] : undefined;
    if (nullStep && !nullStep.attempt) launch(nullStep);
    const nullA = nullStep?.attempt;
    const runAhead = !nullStep || head > 0 || nullA!.finished ||
      (nullA!.connected && now - nullA!.execAt >= cfg.graceMs);
    if (!runAhead || pastDeadline(now)) return;
    // Nothing new while the side-by-side check runs (advanced here too: the probe that
    // started it may since have been settled otherwise).
    if (check && !check.done && sideBySideCheck(now)) return;
    if (aloneRun()) return;
    if (canaryRun(now)) return;
    if (solo) {
      // In order, one connection at a time: the next probe not yet sent, or the first whose
      // silence came while queued behind others, sent again alone.
      if (activity.openCount > 0) return;
      for (let i = head; i < steps.length; i++) {
        const s = steps[i]!;
        if (s.attempt && !s.attempt.finished) return;
        const again = (needsSolo(s, now) && (resendAll() || s === canary)) || busyEnd(s);
        const refusedAgain = retryable(s);
        if (refusedAgain && !again && !retryDue(s, now)) return;
        if (refusedAgain && !again) noteRetry(s);
        if (!s.attempt || again || refusedAgain) {
          if (s.attempt && again) {
            s.soloRun = true;
            if (cfg.trace) {
              cfg.log(`Service scan: probe ${s.probe.name} of ${label} again, alone`);
            }
          }
          launch(s);
          return;
        }
      }
      return;
    }
    // A connection the host refused (its backlog full) is tried again, as
    // the host limit backs off, rather than ending the port.
    for (let i = head; i < steps.length; i++) {
      const s = steps[i]!;
      if (!retryable(s) || busyEnd(s) || !retryDue(s, now)) continue;
      noteRetry(s);
      if (cfg.trace) {
        cfg.log(`Service scan: ${label} refused probe ${s.probe.name}; sending it again`);
      }
      launch(s);
    }
    let inFlight = 0;
    for (let i = head; i < steps.length; i++) {
      const a = steps[i]!.attempt;
      // A probe waiting to go again holds its place (with one in flight, nmap's order).
      if (a && (!a.finished || retryable(steps[i]!))) inFlight++;
    }
    const w = silencesStand(now) ? cfg.wideWindow : window;
    // Beyond the window, a window's worth at a time: a burst of connects overflows a short
    // listen queue (git-daemon's), and an overflow sends the port one connection at a time.
    let recent = launchTimes.filter((t) => now - t < WIDE_PACE_MS).length;
    for (let i = head; i < steps.length && inFlight < w; i++) {
      if (steps[i]!.attempt) continue;
      if (inFlight >= window && recent >= window) {
        setTimeout(progress, WIDE_PACE_MS);
        break;
      }
      launch(steps[i]!);
      inFlight++;
      recent++;
    }
  };

  /**
   * Consumes finished attempts at the head, in order. Returns an outcome when
   * the port is decided, "restart" after switching to SSL, or null to wait.
   */
  const resolveInOrder = (): PortOutcome | "restart" | null => {
    while (head < steps.length) {
      const s = steps[head]!;
      const a = s.attempt;
      if (!a?.finished) return null;
      if (a.fatal) throw a.fatal;
      if (a.size > 0 || a.end === "timeout" || a.end === "full" || a.end === "abort") {
        tcpwrapPossible = false;
      }
      if (a.size > 0 || (protocol === "tcp" && a.connected)) provedOpen = true;
      const now = performance.now();
      if (busyEnd(s) && !pastDeadline(now)) return null; // aloneRun sends it again
      if (needsSolo(s, now) && !pastDeadline(now)) {
        // Silent while queued behind other connections, on a port that has not shown it
        // serves them side by side. If the port answers anything, the probe goes again
        // alone. A port that answered nothing to any probe gets one of them again alone,
        // once: silent then too, its silence is its own.
        if (!resendAll() && !steps.slice(head).every((x) => x.attempt?.finished)) {
          return null;
        }
        // The check, once started, is followed to its end whatever is learnt meanwhile.
        const checking = check !== undefined
          ? sideBySideCheck(now)
          : activity.answered && !solo && !activity.overflowed && sideBySideCheck(now);
        if (checking) return null;
        if (!needsSolo(s, now)) continue; // proven side by side: look at it again
        if (resendAll() || canary === undefined) {
          if (!solo && cfg.trace) {
            cfg.log(
              `Service scan: ${label} ${
                activity.overflowed
                  ? "had its listen queue full"
                  : "may serve one connection at a time"
              }; probing it one connection at a time`,
            );
          }
          if (!resendAll()) canary = s;
          solo = true;
          // Probes still out beside others could only be in doubt too: they go again alone,
          // in turn, rather than holding the port until they time out.
          for (const x of steps.slice(head + 1)) {
            if (x.attempt && !x.attempt.finished && x.attempt.silent) {
              x.attempt.cancel();
              x.attempt = undefined;
            }
          }
          return null;
        }
      }
      if (retryable(s) && !pastDeadline(performance.now())) {
        return null; // launchSome sends it again
      }
      if (a.end === "connect-failed" || a.end === "write-failed" || a.end === "abort") {
        return finish("incomplete", soft);
      }
      if (a.hard) {
        trace(cfg, label, s.probe, a.hard);
        if (isTunnel(a.hard)) {
          goSsl();
          return "restart";
        }
        return finish("hard", a.hard);
      }
      if (a.firstSoft) {
        if (!soft) {
          soft = a.firstSoft;
          trace(cfg, label, s.probe, soft);
          replanAfterSoft(soft.service);
        } else if (soft.service !== a.firstSoft.service) {
          cfg.log(
            `WARNING: Service ${label} had already soft-matched ${soft.service}, but now soft-matched ${a.firstSoft.service}; ignoring second value`,
          );
        }
      }
      if (a.size > 0) fp.addResponse(s.probe.name, a.data());
      if (
        s.isNull && tcpwrapPossible && a.size === 0 && (a.end === "eof" || a.end === "reset") &&
        a.endAt - a.execAt < s.probe.tcpWrappedMs
      ) {
        return finish("tcpwrapped");
      }
      if (cfg.debug > 1) {
        cfg.log(
          `Service scan: ${label} probe ${s.probe.name}: ${a.end}, ${a.size} bytes${
            a.ahead.length ? `, behind ${a.ahead.length}` : ""
          } (sent at ${seconds(a.execAt)}, ended at ${seconds(a.endAt)})`,
        );
      }
      head++;
    }
    return finish(soft ? "soft" : "nomatch", soft);
  };

  /**
   * A later probe's hard match wins early when nothing before it can still
   * decide the port: every earlier probe has finished without any match (and
   * without an error that would end the port), except perhaps the NULL probe,
   * connected and silent for at least the grace time. Returns the decision,
   * or when to look again (Infinity: on progress only).
   */
  const earlyWin = (now: number): PortOutcome | "restart" | number => {
    for (let j = head; j < steps.length; j++) {
      const a = steps[j]!.attempt;
      if (!a) return Infinity;
      if (a.finished) {
        if (a.hard && j > head) {
          const md = a.hard;
          if (cfg.trace) {
            cfg.log(
              `Service scan: earlier probes of ${label} cannot decide; probe ${a.probe.name} does`,
            );
          }
          trace(cfg, label, a.probe, md);
          tcpwrapPossible = false;
          provedOpen = true;
          if (isTunnel(md)) {
            goSsl();
            return "restart";
          }
          return finish("hard", md);
        }
        const passable = !a.hard && !a.firstSoft &&
          (a.end === "timeout" || a.end === "full" || a.end === "eof" || a.end === "reset" ||
            a.end === "retry") &&
          !(steps[j]!.isNull && a.silent) && // a silent NULL that closed may mean tcpwrapped
          !needsSolo(steps[j]!, now) && !busyEnd(steps[j]!);
        if (!passable) return Infinity;
        continue;
      }
      // Only the NULL probe may be passed over while pending: services that
      // greet do so at once, while a probe's reply may just be slow.
      if (!steps[j]!.isNull || !a.connected || !a.silent) return Infinity;
      if (now - a.execAt < cfg.graceMs) return a.execAt + cfg.graceMs;
    }
    return Infinity;
  };

  restart();
  const window = protocol === "udp" ? cfg.udpWindow : cfg.window;

  for (;;) {
    const now = performance.now();
    launchSome(now);
    if (onPastNull && (ssl || head > 0 || !steps[0]?.isNull || steps[0].attempt?.finished)) {
      onPastNull();
      onPastNull = undefined;
    }
    const r = resolveInOrder();
    if (r === "restart") continue;
    if (r) return r;
    if (cfg.deadline !== undefined && now >= cfg.deadline && !steps[head]!.attempt) {
      return finish(soft ? "soft" : "incomplete", soft);
    }
    const e = earlyWin(now);
    if (e === "restart") continue;
    if (typeof e !== "number") return e;
    let nextCheck = e;
    const nullA = steps[0]?.isNull ? steps[0].attempt : undefined;
    if (head === 0 && nullA?.connected && !nullA.finished) {
      const t = nullA.execAt + cfg.graceMs;
      if (t > now) nextCheck = Math.min(nextCheck, t);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      const wait = nextCheck === Infinity ? 1000 : Math.max(0, nextCheck - performance.now()) + 1;
      timer = setTimeout(resolve, wait);
    });
    clearTimeout(timer);
    wake = undefined;
  }
}

/** A performance.now() time as seconds since the process started ("12.345s"), for -dd. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function trace(cfg: EngineConfig, label: string, probe: Probe, md: MatchDetails): void {
  if (!(cfg.trace || cfg.debug > 1)) return;
  if (md.rule === ECHO_RULE) {
    cfg.log(`Service scan hard match (Probe ${probe.name} was sent back): ${label} is echo`);
    return;
  }
  cfg.log(
    `Service scan ${
      md.soft ? "soft" : "hard"
    } match (Probe ${probe.name} matched with ${md.fallbackName} line ${md.rule.line}): ${label} is ${md.service}.  Version: |${
      md.product ?? ""
    }|${md.version ?? ""}|${md.info ?? ""}|`,
  );
}
