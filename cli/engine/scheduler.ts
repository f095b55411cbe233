/**
 * The probe scheduler every scan shares (raw TCP, connect, discovery, UDP):
 * nmap's ultra_scan reduced to flat typed arrays.
 *
 * A group of `hosts` × `perHost` probes is numbered idx = p · hosts + h and
 * sent in the order of a permutation of [0, N) (random unless -r), so ports
 * and hosts interleave and memory stays a few bytes per probe. The scheduler
 * decides *when*: how many probes may be in flight (congestion window), how
 * fast (--min/max-rate, --scan-delay), when silence means a timeout (per-host
 * RTT estimate), and how often to retry (per-host retry policy). What a
 * probe *is* belongs to the caller, through {@link ProbeIo}: `emit` builds
 * and queues try t of probe (h, p), `flush` sends, `poll` reads replies and
 * calls {@link Scheduler.answer} for each one it can attribute, `wait`
 * sleeps until replies may be there.
 *
 * All times are milliseconds from `performance.now()`.
 *
 * @module
 */

import {
  binomialTail,
  CongestionWindow,
  RateLimiter,
  RetryPolicy,
  RttEstimator,
} from "../timing/mod.ts";
import type { TimingPlan } from "../timing/mod.ts";
import { type Permutation, probeOrder } from "./permutation.ts";
import type { SendSpan } from "./raw_session.ts";

/** The transport side of a scan: builds, sends and receives probes. */
export interface ProbeIo {
  /**
   * Queue try `tryNo` (0-based) of probe `p` to host `h`. Returns false when
   * the send buffer is full; the scheduler then calls `flush` and retries.
   */
  emit(h: number, p: number, tryNo: number): boolean;
  /**
   * Send everything `emit` queued. A transport that knows when the frames went out returns that
   * span (see RawSession.lastSend): the probes' send times are spread over it in emit order, so
   * an RTT sample counts neither the building of frames nor the frames sent before its own.
   */
  flush(): void | SendSpan;
  /** Read what has arrived and call `answer` for each attributable reply. */
  poll(): void;
  /** Resolve when replies may be waiting, or after `ms`. */
  wait(ms: number): Promise<void>;
  /**
   * How many probes the transport can take now (e.g. file descriptors left
   * for connects); unbounded when absent. `wait` must return when it grows.
   */
  room?(): number;
}

/** What the scheduler tells the scan module. */
export interface SchedulerEvents {
  /** Probe `p` of host `h` drew no answer after its last try. */
  silent(h: number, p: number): void;
  /** Every probe of host `h` is settled, or the host timed out or was finished. */
  hostDone(h: number, timedOut: boolean): void;
}

/** Timing state of one host; outlives a scan so discovery can seed the port scan. */
export interface HostTiming {
  rtt: RttEstimator;
  retry: RetryPolicy;
}

export interface SchedulerOptions {
  hosts: number;
  perHost: number;
  plan: TimingPlan;
  /** Random probe order (false for nmap's -r). */
  randomize: boolean;
  /** Stop early (Ctrl-C); the run resolves with hosts left unfinished. */
  signal?: AbortSignal;
  /** Per-host timing carried over (e.g. from discovery). */
  timings?: HostTiming[];
  /** Discovery: the first answer from a host settles all its probes. */
  firstAnswerFinishesHost?: boolean;
  /** Cap on the window (e.g. file descriptors for connect scans). */
  maxInFlight?: number;
  /** Time-based loss detection (RACK, RFC 8985) besides the RTO; default on. */
  rack?: boolean;
  /** Progress feed (settled probes of all), called about every 250 ms. */
  onProgress?: (done: number, total: number) => void;
  /**
   * nmap's rate-limit detection wait (scan_engine.cc, RLD_TIME_MS): the first time a host is due
   * a new try number, its retransmissions wait this long after the timeout, and late answers to
   * earlier tries still count meanwhile. nmap's ARP/ND ping does this (1000 ms): a segment just
   * brought up holds its first frames until the link is up (Linux's linkwatch takes up to 1 s).
   */
  retryHoldMs?: number;
  /**
   * A first contact (discovery): a probe's first try to a host without an RTT sample is tried
   * again after this long (ms) when that is sooner than its timeout (nmap's initial second).
   */
  firstRetryMs?: number;
}

const DONE = 1;
const OUTSTANDING = 2;
const QUEUED = 4;
/** Settled by an answer to a retransmission (a later answer to its first try makes that
 * retransmission spurious). */
const RETRANSMIT_ANSWERED = 64;
/** Counted in #lostOnce: its first try was given up for lost. */
const LOST_ONCE = 128;
/** The latest try's send time is exact: the first frame of its send call. */
const EXACT = 16;
/** PORTHOLE_DEBUG_SCHED=1 traces the scheduler once a second on stderr. */
const DEBUG = (() => {
  try {
    return Deno.env.get("PORTHOLE_DEBUG_SCHED") === "1";
  } catch {
    return false;
  }
})();
const FINAL_WAIT = 8;
/** Out of tries but not yet silent: the host has answered nothing sent since (see #witnessed). */
const HELD = 32;
/**
 * How long a host may answer nothing at all and its silence still need a witness (ms): longer
 * than an overloaded host's bursts of drops, short enough for a host that went away.
 */
export const STALL_MS = 1000;
/** A quiet host's held probes get their late try this far into the quiet (ms), and its silence
 * settles them: past a path dark for a while longer than STALL_MS (see #stallSettles). */
const LATE_TRY_MS = STALL_MS * 1.5;
/** From this try on, on an overloaded path, a probe is retransmitted after its timeout only. */
const RACK_TRIES = 8;
/**
 * A probe whose try was lost waits BACKOFF_MS more before its next one (RFC 6298 §5.5 backs the
 * timer off for the same reason). Tries that follow each other within a few ms all fall into
 * the same burst of drops, or into the same empty token bucket of a rate-limiting firewall (a
 * LAN's 10 ms timeouts and RACK spend forty tries in a fraction of a second, before the pace can
 * be cut); spaced out, they outlast the burst and the slowing down. Constant, so that the
 * waiting probes stay in time order. After BACKOFF_TRIES spaced tries (a quarter second) the
 * tries come at the timeout's pace again, unless the loss looks rate-dependent: the pace was
 * cut, or most tries are lost.
 */
const BACKOFF_MS = 50;
const BACKOFF_TRIES = 5;
/**
 * Past BACKOFF_TRIES, while more than a handful of probes compete and most tries are lost to a
 * loss that our pace causes or may cause (a cut of the pace delivered better, or one is being
 * tried: a firewall or host that rate-limits SYNs or RSTs), a probe waits LONG_BACKOFF_MS before
 * each further try: every probe still waits its turn well within that (the pace is the limit),
 * but a filtered port's forty tries at the timeout's pace took a third of the pace, or of a
 * SYN-limiting firewall's budget, from the ports an answer can settle.
 */
const LONG_BACKOFF_MS = 250;
/**
 * A try's silence is witnessed by an answer to a try sent right after it: within the next slot
 * of WITNESS_SLOT_MS (so 0-8 ms later). An answer to a try sent much later proves nothing: a
 * burst of drops may have ended between them (the lab's bursty path: a port's two tries lost in
 * two bursts, while the host answered tries sent after each). Per host, which of the last
 * WITNESS_SLOTS slots of send times drew an answer is one bit each; a try older than that is
 * judged by the newest answer on a path whose timeout outlasts the horizon, and held otherwise.
 */
const WITNESS_SLOT_MS = 4;
const WITNESS_SLOTS = 32;
/** How many of a host's latest witness tries have their send times kept (see #witness): a tail
 * sends one behind each batch of last tries, a few dozen per round trip on a jittery path. */
const WITNESSES_KEPT = 32;
/**
 * On a host whose loss depends on our rate (a firewall or host that rate-limits its SYNs or
 * RSTs), a probe is silent after CLEAN_TRIES tries that a witness right behind saw answered, as
 * nmap's two tries on a host that shows no loss: the path delivered when they were sent. That
 * the loss is rate-dependent is shown by the tail's witnesses: nearly all answered, more of them
 * than the host's delivery rate q explains (a binomial tail of at most RATE_DEPENDENT_P). Random
 * loss is not (a witness there says nothing of the try before it), and keeps the tries its rate
 * calls for.
 */
const CLEAN_TRIES = 2;
const CLEAN_TAIL_PROBES = 8;
const RATE_DEPENDENT_P = 1e-3;

/** Probes that wait a constant delay before their next try: in time order, as it is constant. */
class DelayRing {
  readonly #probes = new IndexRing();
  /** When each may go (ms since the scheduler's start, rounded up). */
  readonly #until = new IndexRing();
  constructor(readonly delayMs: number) {}
  get length(): number {
    return this.#probes.length;
  }
  push(idx: number, fromMs: number): void {
    this.#probes.push(idx);
    this.#until.push(Math.ceil(fromMs + this.delayMs));
  }
  /** When the first may go (ms since the start). */
  peekUntil(): number {
    return this.#until.peek();
  }
  shift(): number {
    this.#until.shift();
    return this.#probes.shift();
  }
}

/** A growable ring of probe indices. */
class IndexRing {
  #buf = new Int32Array(1024);
  #head = 0;
  #len = 0;
  get length(): number {
    return this.#len;
  }
  push(v: number): void {
    if (this.#len === this.#buf.length) {
      const next = new Int32Array(this.#buf.length * 2);
      for (let i = 0; i < this.#len; i++) next[i] = this.#buf[(this.#head + i) % this.#buf.length]!;
      this.#buf = next;
      this.#head = 0;
    }
    this.#buf[(this.#head + this.#len) % this.#buf.length] = v;
    this.#len++;
  }
  peek(): number {
    return this.#buf[this.#head]!;
  }
  shift(): number {
    const v = this.#buf[this.#head]!;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#len--;
    return v;
  }
}

/** Counters for -d output, --stats and the bench. */
export interface SchedulerStats {
  sent: number;
  retransmitted: number;
  answered: number;
  timedOut: number;
}

export class Scheduler {
  readonly hostCount: number;
  readonly perHost: number;
  readonly size: number;
  readonly timings: HostTiming[];
  readonly window: CongestionWindow;
  /** Every host's samples together: the timeout for hosts without their own. */
  readonly #groupRtt: RttEstimator;
  readonly rate: RateLimiter;
  readonly stats: SchedulerStats = { sent: 0, retransmitted: 0, answered: 0, timedOut: 0 };

  readonly #plan: TimingPlan;
  readonly #order: Permutation;
  readonly #tries: Uint8Array;
  readonly #flags: Uint8Array;
  /** Send time of each probe's latest try, ms after #start (float32; 10 bytes a probe in all). */
  readonly #sentAt: Float32Array;
  readonly #remaining: Int32Array;
  readonly #hostDone: Uint8Array;
  readonly #outstanding = new IndexRing();
  readonly #retransmit = new IndexRing();
  readonly #finalWait = new IndexRing();
  /** Retransmissions waiting for their host's hold to end (see retryHoldMs). */
  readonly #held = new IndexRing();
  /** Retransmissions backed off (see BACKOFF_MS, LONG_BACKOFF_MS). */
  readonly #backoffs = [new DelayRing(BACKOFF_MS), new DelayRing(LONG_BACKOFF_MS)] as const;
  readonly #retryHoldMs: number;
  readonly #firstRetryMs: number;
  /** Per host: highest try number a hold was started for, and when that hold ends. */
  readonly #holdTry: Uint8Array;
  readonly #holdUntil: Float64Array;
  /** Probes out of tries waiting for a witness of their silence (see #witnessed). */
  readonly #silentHeld = new IndexRing();
  /** When a held probe may next be resent, and the interval after that (ms). */
  #persistAt = 0;
  #persistMs = 0;
  /** Per host: when it last answered (the start if never), and when the newest try it
   * answered was sent (ms). */
  readonly #lastAnswerAt: Float64Array;
  readonly #lastAnsweredSentAt: Float64Array;
  /** Per host: bit k set when a try sent in slot (#answeredTop - k) drew an answer (see
   * WITNESS_SLOT_MS). */
  readonly #answeredSlots: Uint32Array;
  readonly #answeredTop: Int32Array;
  /** Per host: the probe that last drew an answer (-1: none). */
  readonly #lastAnsweredIdx: Int32Array;
  /** Per host: the answered probe resent as its witness (-1: none yet; see #witness), kept
   * while it has try numbers left, so that an answer to an earlier witness is still known for
   * one when other answers came meanwhile (a long or jittery path); and how many witness tries
   * it was sent (numbered after its own tries, which they leave alone). */
  readonly #witnessIdx: Int32Array;
  readonly #witnessTry: Uint8Array;
  /** Per host: when its latest WITNESSES_KEPT witness tries left (ms after #start; slot
   * try % WITNESSES_KEPT; Infinity until it has left). */
  readonly #witnessSentAt: Float32Array;
  /** Per host: bit (try % WITNESSES_KEPT) set when that kept witness try drew an answer. */
  readonly #witnessAnswered: Uint32Array;
  /** Per probe: its tries that a witness right behind saw answered (see CLEAN_TRIES); made at
   * the first such try. */
  #cleanTries: Uint8Array | undefined;
  /** Witnesses to send at the next #send (probe indices). */
  readonly #witnessQueue: number[] = [];
  /** Hosts of the last tries in the batch being sent (see #witnessLastTries). */
  readonly #lastTries: number[] = [];
  /** Per host: probes whose first try was lost and that are still unanswered (settled silent,
   * held, or being retransmitted). */
  readonly #lostOnce: Int32Array;
  readonly #firstFinishes: boolean;
  readonly #signal?: AbortSignal;
  readonly #maxInFlight: number;
  readonly #doneQueue: number[] = [];
  #lastTrace = 0;
  #lastProgress = 0;
  readonly #onProgress?: (done: number, total: number) => void;
  #waits = 0;
  #waited = 0;
  /** Per probe: send serial number of its latest try (for RACK). */
  readonly #serial: Uint32Array;
  /** Per host: highest send serial it answered (for RACK). */
  readonly #ackedSerial: Uint32Array;
  #nextSerial = 1;
  readonly #rack: boolean;
  readonly #batch: number[] = [];
  #cursor = 0;
  /** PORTHOLE_DEBUG_SCHED: when the last fresh probe left (the tail's start). */
  #tailFrom = 0;
  /** When the latest #flush's frames had all left (ms, performance.now()). */
  #flushedAt = 0;
  #inFlight = 0;
  #hostsLeft: number;
  #events: SchedulerEvents | undefined;
  readonly #start: number;
  /** When the replies were last read (performance.now()): see #expire. */
  #repliesReadAt = -Infinity;

  constructor(opts: SchedulerOptions) {
    const { hosts, perHost, plan } = opts;
    this.hostCount = hosts;
    this.perHost = perHost;
    this.size = hosts * perHost;
    this.#plan = plan;
    this.#order = probeOrder(this.size, opts.randomize);
    this.#tries = new Uint8Array(this.size);
    this.#flags = new Uint8Array(this.size);
    this.#sentAt = new Float32Array(this.size);
    this.#remaining = new Int32Array(hosts).fill(perHost);
    this.#hostDone = new Uint8Array(hosts);
    this.#serial = new Uint32Array(this.size);
    this.#ackedSerial = new Uint32Array(hosts);
    this.#lastAnswerAt = new Float64Array(hosts);
    this.#lostOnce = new Int32Array(hosts);
    this.#lastAnsweredSentAt = new Float64Array(hosts).fill(-Infinity);
    this.#answeredSlots = new Uint32Array(hosts);
    this.#answeredTop = new Int32Array(hosts);
    this.#lastAnsweredIdx = new Int32Array(hosts).fill(-1);
    this.#witnessIdx = new Int32Array(hosts).fill(-1);
    this.#witnessTry = new Uint8Array(hosts);
    this.#witnessSentAt = new Float32Array(hosts * WITNESSES_KEPT).fill(NaN);
    this.#witnessAnswered = new Uint32Array(hosts);
    this.#rack = opts.rack ?? true;
    this.#onProgress = opts.onProgress;
    this.#hostsLeft = hosts;
    this.#firstFinishes = opts.firstAnswerFinishesHost ?? false;
    this.#signal = opts.signal;
    this.#maxInFlight = opts.maxInFlight ?? Infinity;
    this.#retryHoldMs = opts.retryHoldMs ?? 0;
    this.#firstRetryMs = opts.firstRetryMs ?? 0;
    this.#holdTry = new Uint8Array(this.#retryHoldMs > 0 ? hosts : 0);
    this.#holdUntil = new Float64Array(this.#retryHoldMs > 0 ? hosts : 0);
    this.timings = opts.timings ??
      Array.from({ length: hosts }, () => newHostTiming(plan, perHost));
    this.window = new CongestionWindow(plan.congestion);
    this.#groupRtt = new RttEstimator(plan.rtt);
    this.#start = performance.now();
    // A host known to be up (discovery timed it) that has not answered here yet counts as quiet
    // since the start: silence from a host that drops everything from the first probe on is no
    // answer before STALL_MS. A host never heard from (down, or -Pn) is not waited for.
    for (let h = 0; h < hosts; h++) {
      this.#lastAnswerAt[h] = this.timings[h]!.rtt.samples > 0 ? this.#start : -Infinity;
    }
    // --scan-delay is a gap between probes to one host; with probes spread
    // over the group's hosts it amounts to a rate cap of hosts / delay.
    let maxRate = plan.maxRate;
    if (plan.scanDelayMs > 0) {
      const delayRate = (1000 * Math.max(1, hosts)) / plan.scanDelayMs;
      maxRate = maxRate > 0 ? Math.min(maxRate, delayRate) : delayRate;
    }
    this.rate = new RateLimiter(plan.minRate, maxRate, this.#start);
    for (let h = 0; h < hosts; h++) if (perHost === 0) this.#finish(h, false);
  }

  /** Probes currently awaiting an answer. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Hosts not yet settled. */
  get hostsLeft(): number {
    return this.#hostsLeft;
  }

  /** Whether host `h` is settled. */
  isHostDone(h: number): boolean {
    return this.#hostDone[h] === 1;
  }

  /** Tries sent so far for probe (h, p). */
  triesSent(h: number, p: number): number {
    return this.#tries[p * this.hostCount + h]!;
  }

  /** Whether probe (h, p) is settled (answered, silent, or its host finished). */
  isDone(h: number, p: number): boolean {
    return (this.#flags[p * this.hostCount + h]! & DONE) !== 0;
  }

  /**
   * When the reply being attributed arrived (performance.now() time). Set it
   * and call {@link answer} without `now`: a double passed as an argument is
   * boxed on every call, a field update is not.
   */
  replyAt = 0;

  /**
   * Set before {@link answer} when the reply says nothing of congestion: nmap's
   * --defeat-rst-ratelimit takes a closed port's RST that way, since a host that rate-limits
   * its RSTs drops them whatever our pace. Its answer to a retransmission is then no drop, no
   * growth, and no reason to allow more tries (nmap's adjust_timing = false, which also leaves
   * max_successful_tryno alone): closed ports whose RSTs were all dropped end up "filtered".
   */
  quietReply = false;

  /**
   * A reply attributed to try `tryNo` of probe (h, p) arrived at `now`
   * (default: {@link replyAt}).
   * Returns true when it is the first answer (the caller records the port
   * state then); false for duplicates, late answers to settled probes, and
   * answers to tries never sent (forged).
   */
  answer(h: number, p: number, tryNo: number, now?: number): boolean {
    if (h < 0 || h >= this.hostCount || p < 0 || p >= this.perHost) return false;
    const idx = p * this.hostCount + h;
    const f = this.#flags[idx]!;
    if (f & DONE) {
      const k = tryNo - this.#tries[idx]!;
      if (this.#witnessIdx[h] === idx && k >= 0 && k < this.#witnessTry[h]!) {
        // A witness: the host answers something sent after the probes it holds. No port state,
        // no timing, and not a sign of life for STALL_MS (a host that answers its witnesses
        // but whose held probes cannot be witnessed keeps the old bound). One whose send time
        // is no longer kept proves nothing.
        if (this.#witnessTry[h]! - k > WITNESSES_KEPT) return false;
        // (Its answer may be read in the send call's own poll, before its send time is set.)
        const sentAt = Math.min(
          this.#witnessSentAt[h * WITNESSES_KEPT + k % WITNESSES_KEPT]! + this.#start,
          now ?? this.replyAt,
        );
        if (sentAt > this.#lastAnsweredSentAt[h]!) this.#lastAnsweredSentAt[h] = sentAt;
        this.#markAnswered(h, sentAt);
        this.#witnessAnswered[h]! |= 1 << (k % WITNESSES_KEPT);
        return false;
      }
      if (f & RETRANSMIT_ANSWERED && tryNo === 0) {
        // The first try was answered after all, later than its retransmission: reordering.
        this.#flags[idx] = f & ~RETRANSMIT_ANSWERED;
        this.timings[h]!.retry.onSpurious();
      }
      return false;
    }
    const tries = this.#tries[idx]!;
    if (tryNo < 0 || tryNo >= tries) return false;
    this.#flags[idx] = (f | DONE | (tryNo > 0 ? RETRANSMIT_ANSWERED : 0)) &
      ~(OUTSTANDING | FINAL_WAIT | HELD);
    if (f & OUTSTANDING) this.#inFlight--;
    // Counted by the flag, not by tries > 1: a first try given up for lost can be answered
    // late before its retransmission leaves (while that waits in the backoff); counting by
    // tries leaked it, and the host never looked loss-free again (its silent ports were held
    // for STALL_MS).
    if (f & LOST_ONCE) this.#lostOnce[h]!--;
    this.stats.answered++;
    const t = this.timings[h]!;
    const sentAt = this.#sentAt[idx]! + this.#start;
    // Karn's rule: only a reply known to answer the latest try times the path.
    // Past the first samples, one answer in eight is timed (RFC 6298 asks for
    // at least one sample per RTT; a scan answers thousands per RTT).
    if (tryNo === tries - 1) {
      if (f & EXACT) t.rtt.sampleLatency((now ?? this.replyAt) - sentAt);
      if (t.rtt.samples < 16 || (this.stats.answered & 7) === 0) {
        const rtt = (now ?? this.replyAt) - sentAt;
        t.rtt.sample(rtt);
        if (this.#groupRtt.samples < 64 || (this.stats.answered & 63) === 0) {
          this.#groupRtt.sample(rtt);
        }
      }
      if (this.#serial[idx]! > this.#ackedSerial[h]!) this.#ackedSerial[h] = this.#serial[idx]!;
      if (sentAt > this.#lastAnsweredSentAt[h]!) this.#lastAnsweredSentAt[h] = sentAt;
      this.#markAnswered(h, sentAt);
      this.#lastAnsweredIdx[h] = idx;
    }
    this.#lastAnswerAt[h] = now ?? this.replyAt;
    this.#persistMs = 0;
    if (tryNo === 0 || !this.quietReply) {
      t.retry.onReply(tryNo);
      if (tryNo > 0) this.window.onDrop(sentAt, now ?? this.replyAt, this.#inFlight);
      this.window.grow(this.stats.sent, this.stats.answered);
    }
    this.window.answered(now ?? this.replyAt);
    if (this.#firstFinishes) this.#finish(h, false);
    else if (--this.#remaining[h]! === 0) this.#finish(h, false);
    return true;
  }

  /**
   * Try `tryNo` of probe (h, p) never left this host: a local resource ran
   * out (file descriptors, buffers). It is withdrawn as if never sent (no
   * timeout, no retry used up, no congestion signal) and sent again later.
   * Returns false when the probe is settled or a later try has been sent.
   */
  requeue(h: number, p: number, tryNo: number): boolean {
    if (h < 0 || h >= this.hostCount || p < 0 || p >= this.perHost) return false;
    const idx = p * this.hostCount + h;
    const f = this.#flags[idx]!;
    if (f & DONE || tryNo !== this.#tries[idx]! - 1) return false;
    this.#tries[idx] = tryNo;
    if (f & OUTSTANDING) this.#inFlight--;
    this.#flags[idx] = (f & ~(OUTSTANDING | FINAL_WAIT)) | QUEUED;
    if (!(f & QUEUED)) this.#retransmit.push(idx);
    this.stats.sent--;
    if (tryNo > 0) this.stats.retransmitted--;
    return true;
  }

  /** Whether probe (h, p) timed out and waits in the queue for its next try. */
  awaitingResend(h: number, p: number): boolean {
    return (this.#flags[p * this.hostCount + h]! & (QUEUED | DONE)) === QUEUED;
  }

  /** Settle every probe of host `h` now (its answer is known, or it timed out). */
  finishHost(h: number, timedOut = false): void {
    this.#finish(h, timedOut);
  }

  #finish(h: number, timedOut: boolean): void {
    if (this.#hostDone[h]) return;
    this.#hostDone[h] = 1;
    this.#hostsLeft--;
    for (let p = 0; p < this.perHost; p++) {
      const idx = p * this.hostCount + h;
      const f = this.#flags[idx]!;
      if (f & OUTSTANDING) this.#inFlight--;
      this.#flags[idx] = (f | DONE) & ~(OUTSTANDING | FINAL_WAIT | HELD);
    }
    this.#remaining[h] = 0;
    // Reported after the current poll/expiry step, so the caller has
    // recorded the answer that finished the host before it hears of it.
    this.#doneQueue.push(h, timedOut ? 1 : 0);
  }

  #drainDone(): void {
    const q = this.#doneQueue;
    for (let i = 0; i < q.length; i += 2) this.#events?.hostDone(q[i]!, q[i + 1] === 1);
    q.length = 0;
  }

  #settleSilent(idx: number): void {
    const p = (idx / this.hostCount) | 0;
    const h = idx - p * this.hostCount;
    this.#flags[idx] = (this.#flags[idx]! | DONE) & ~OUTSTANDING;
    this.stats.timedOut++;
    this.#events?.silent(h, p);
    if (--this.#remaining[h]! === 0) this.#finish(h, false);
  }

  /** Read the replies that have arrived, noting up to when they are known (see #expire). */
  #poll(io: ProbeIo): void {
    this.#repliesReadAt = performance.now();
    io.poll();
  }

  /**
   * Expire timed-out probes at the head of the outstanding queue. Silence is measured up to the
   * last read of the replies, not to `now`: if this process stalled since (descheduled on a busy
   * host), the answers that came meanwhile wait unread in the capture ring, and our own pause says
   * nothing of the target (nmap, too, times out probes against the replies it has read).
   */
  #expire(now: number): number {
    now = Math.min(now, this.#repliesReadAt);
    const ring = this.#outstanding;
    let wait = Infinity;
    while (ring.length > 0) {
      const idx = ring.peek();
      const f = this.#flags[idx]!;
      if (!(f & OUTSTANDING)) {
        ring.shift();
        continue;
      }
      const h = idx % this.hostCount;
      const t = this.timings[h]!;
      const sent = this.#sentAt[idx]! + this.#start;
      let due = sent + this.#timeoutOf(t);
      if (this.#firstRetryMs > 0 && this.#tries[idx] === 1 && t.rtt.samples === 0) {
        due = Math.min(due, sent + this.#firstRetryMs);
      }
      // RACK (RFC 8985): a probe sent before one the host has since answered,
      // and older than an RTT plus a reorder window, was lost: retransmit it
      // now instead of after a whole RTO. Send order is the serial number, as
      // a batch shares one send time.
      let rackAt = Infinity;
      // On an overloaded path, a probe lost many times over waits its whole timeout again, so
      // that its tries outlast a burst of drops.
      if (
        this.#rack && this.#ackedSerial[h]! > 0 &&
        (this.#tries[idx]! < RACK_TRIES || this.window.overloads === 0)
      ) {
        const srtt = t.rtt.srtt ?? 0;
        rackAt = this.#serial[idx]! < this.#ackedSerial[h]!
          ? sent + srtt + this.#reorderWindow(t)
          // Nothing sent later has been answered yet (the probe is at the
          // tail): a tail loss probe after two RTTs (RFC 8985 §7).
          : sent + 2 * srtt + this.#reorderWindow(t);
      }
      if (due > now && rackAt > now) {
        wait = Math.min(due, rackAt) - now;
        break;
      }
      ring.shift();
      this.#inFlight--;
      this.#flags[idx] = f & ~OUTSTANDING;
      this.window.lost(sent, now);
      if (this.#tries[idx] === 1 && !(f & LOST_ONCE)) {
        this.#lostOnce[h]!++;
        this.#flags[idx] |= LOST_ONCE;
      }
      if (this.#witnessAnsweredAfter(h, this.#sentAt[idx]!)) {
        (this.#cleanTries ??= new Uint8Array(this.size))[idx]!++;
      }
      if (this.#moreTries(idx, h, now)) {
        this.#flags[idx] |= QUEUED;
        const backoff = this.#backoffFor(h, this.#tries[idx]!);
        if (backoff) backoff.push(idx, now - this.#start);
        else if (this.#hold(h, this.#tries[idx]!, now)) this.#held.push(idx);
        else this.#retransmit.push(idx);
      } else if (due > now) {
        // The last try still waits its full timeout before silence counts,
        // but off the window: it is most likely lost.
        this.#flags[idx] |= FINAL_WAIT;
        this.#finalWait.push(idx);
      } else {
        this.#silenceOrHold(idx, now);
      }
    }
    const fw = this.#finalWait;
    while (fw.length > 0) {
      const idx = fw.peek();
      const f = this.#flags[idx]!;
      if (!(f & FINAL_WAIT)) {
        fw.shift();
        continue;
      }
      const due = this.#sentAt[idx]! + this.#start +
        this.#timeoutOf(this.timings[idx % this.hostCount]!);
      if (due > now) {
        wait = Math.min(wait, due - now);
        break;
      }
      fw.shift();
      this.#flags[idx] = f & ~FINAL_WAIT;
      if (this.#moreTries(idx, idx % this.hostCount, now)) {
        // While it waited, retransmissions elsewhere were answered: the host drops probes, and
        // this one gets the tries that loss calls for.
        this.#flags[idx] |= QUEUED;
        this.#requeue(idx, idx % this.hostCount, now);
      } else {
        this.#silenceOrHold(idx, now);
      }
    }
    // Backed-off retransmissions whose wait is over join the queue.
    for (const ring of this.#backoffs) {
      while (ring.length > 0) {
        const until = ring.peekUntil() + this.#start;
        if (until > now) {
          wait = Math.min(wait, until - now);
          break;
        }
        const idx = ring.shift();
        if (!(this.#flags[idx]! & DONE)) this.#requeue(idx, idx % this.hostCount, now);
      }
    }
    // Held retransmissions whose host's hold is over join the queue (few: only pings hold).
    for (let n = this.#held.length; n > 0; n--) {
      const idx = this.#held.shift();
      if (this.#flags[idx]! & DONE) continue;
      const until = this.#holdUntil[idx % this.hostCount]!;
      if (until <= now) this.#retransmit.push(idx);
      else {
        this.#held.push(idx);
        wait = Math.min(wait, until - now);
      }
    }
    const held = this.#silentHeld;
    // With nothing else going out, one held probe at a time asks whether the host is back,
    // at growing intervals (TCP's persist timer, RFC 9293 §3.8.6.1).
    const persist = this.#inFlight === 0 && !this.#hasWork() && this.#held.length === 0 &&
      this.#backedOff() === 0 && now >= this.#persistAt;
    let persisted = false;
    let witnessFor = -1;
    for (let n = held.length; n > 0; n--) {
      const idx = held.shift();
      const f = this.#flags[idx]!;
      if (!(f & HELD)) continue;
      const h = idx % this.hostCount;
      const t = this.timings[h]!;
      if (this.#moreTries(idx, h, now)) {
        this.#flags[idx] = (f & ~HELD) | QUEUED;
        this.#requeue(idx, h, now);
      } else if (this.#witnessed(idx, h, now)) {
        this.#flags[idx] = f & ~HELD;
        this.#settleSilent(idx);
      } else if (now - this.#lastAnswerAt[h]! >= LATE_TRY_MS && !this.#triedLate(idx, h)) {
        // The host has been quiet for LATE_TRY_MS: every held probe gets its late try at once.
        this.#flags[idx] = (f & ~HELD) | QUEUED;
        this.#requeue(idx, h, now);
      } else if (
        persist && this.#tries[idx]! < (t.retry.opts.adaptiveCap ?? 40) &&
        (witnessFor === h || (!persisted && this.#witness(h)))
      ) {
        // Every held probe of the host gets one more try, and a witness follows them: if it is
        // answered and they are not, they were sent while the host answered (a try swallowed
        // by a burst of drops is not).
        if (!persisted) {
          this.#persistMs = Math.min(250, Math.max(this.#persistMs * 2, this.#timeoutOf(t)));
          this.#persistAt = now + this.#persistMs;
        }
        persisted = true;
        witnessFor = h;
        this.#flags[idx] = (f & ~HELD) | QUEUED;
        this.#requeue(idx, h, now);
      } else if (persist && !persisted && this.#tries[idx]! < (t.retry.opts.adaptiveCap ?? 40)) {
        persisted = true;
        this.#flags[idx] = (f & ~HELD) | QUEUED;
        this.#requeue(idx, h, now);
        this.#persistMs = Math.min(250, Math.max(this.#persistMs * 2, this.#timeoutOf(t)));
        this.#persistAt = now + this.#persistMs;
      } else {
        held.push(idx);
        wait = Math.min(wait, Math.max(1, this.#stallDue(h) - now));
      }
    }
    if (held.length > 0 && this.#inFlight === 0) {
      wait = Math.min(wait, Math.max(1, this.#persistAt - now));
    }
    return wait;
  }

  /**
   * Queue a witness for host `h`, if that can settle its held probes: the probe that last drew
   * an answer, sent again. Held probes wait for the host to answer something sent after them;
   * when they are all that is left (filtered ports after a burst of drops), nothing else would,
   * and only STALL_MS of quiet would settle them. Not for a host whose silence needs more than
   * a witness (no loss seen, yet too few answers to look loss-free: see #witnessed), unless it
   * goes `ahead` of that judgment: behind last tries, whose silence is judged a timeout later,
   * when the host may look loss-free (a jittery path's reordering has many first tries given up
   * for lost that are answered meanwhile); a witness missing then costs a persist round.
   */
  #witness(h: number, ahead = false): boolean {
    const retry = this.timings[h]!.retry;
    if (!ahead && !retry.lossSeen && !this.#looksLossFree(h)) return false;
    const cap = retry.opts.adaptiveCap ?? 40;
    let idx = this.#witnessIdx[h]!;
    if (idx < 0 || this.#tries[idx]! + this.#witnessTry[h]! >= cap) {
      // The first witness, or the last one's try numbers are used up: the newest answered probe.
      idx = this.#lastAnsweredIdx[h]!;
      if (idx < 0 || idx === this.#witnessIdx[h]) return false;
      this.#witnessIdx[h] = idx;
      this.#witnessTry[h] = 0;
    }
    if (!(this.#flags[idx]! & DONE) || this.#tries[idx]! >= cap) return false;
    this.#witnessQueue.push(idx);
    return true;
  }

  /** Where a probe of host `h` lost at try `tries` waits for its next one, if anywhere: not on
   * a host that looks loss-free (nmap's two quick tries for its silent ports), nor with a
   * --max-retries the user gave (nmap's timing), nor in discovery. */
  #backoffFor(h: number, tries: number): DelayRing | undefined {
    const retry = this.timings[h]!.retry;
    if (retry.opts.explicit || this.#firstFinishes || this.#looksLossFree(h)) return undefined;
    if (tries <= BACKOFF_TRIES) return this.#backoffs[0];
    // Past them, the pace matters while the scan's first tries still go out; the tail's few
    // probes (filtered ports after a burst, with the many tries its loss estimate asks for) are
    // no load whatever their pace, unless the loss is ours: then they would take the budget
    // from their witnesses (a SYN-limiting firewall's), and from each other before the tail.
    const q = retry.deliveryRate ?? 1;
    const rateDependent = (this.window.overloads > 0 || this.window.pace < Infinity) && q < 0.5;
    if (rateDependent && this.#remaining[h]! > CLEAN_TAIL_PROBES) return this.#backoffs[1];
    const spaced = ((this.window.cuts > 0 || q < 0.5) && this.#cursor < this.size) ||
      rateDependent;
    return spaced ? this.#backoffs[0] : undefined;
  }

  /** Retransmissions backed off, in all. */
  #backedOff(): number {
    return this.#backoffs[0].length + this.#backoffs[1].length;
  }

  /** No retransmission ever answered, and four answers for every probe whose first try went
   * unanswered (silent, held or still being retried): a host that shows no loss. */
  #looksLossFree(h: number): boolean {
    const retry = this.timings[h]!.retry;
    return !retry.lossSeen && retry.answered >= 4 * (this.#lostOnce[h]! + 1);
  }

  /** Queue probe `idx` (of host `h`) for its next try, behind its host's hold if one is on. */
  #requeue(idx: number, h: number, now: number): void {
    if (this.#hold(h, this.#tries[idx]!, now)) this.#held.push(idx);
    else this.#retransmit.push(idx);
  }

  /** Whether the retransmission of try `tryNo` to host `h` must wait (starting a hold when
   * the host is due a try number it never had). */
  #hold(h: number, tryNo: number, now: number): boolean {
    if (this.#retryHoldMs <= 0) return false;
    if (tryNo > this.#holdTry[h]!) {
      this.#holdTry[h] = tryNo;
      this.#holdUntil[h] = now + this.#retryHoldMs;
    }
    return this.#holdUntil[h]! > now;
  }

  /**
   * Silence is an answer only when the host was answering meanwhile: it answered a try sent
   * after this probe's latest one (a witness follows held probes' persist tries for that), or
   * it went quiet and this probe was asked again well into the quiet (see #stallSettles).
   * Otherwise the host is dropping everything for now (an overloaded host's burst, a bursty
   * path): the probe is held, and gets the tries the loss calls for once the host answers again.
   * An answer to a try sent between this probe's first and latest tries proves nothing: its
   * latest try may have met the next burst of drops (tries spread over two bursts; a path's
   * bursts come every few hundred ms).
   */
  #witnessed(idx: number, h: number, now: number): boolean {
    if (!this.#silenceWantsWitness(h)) return true;
    if (this.#stallSettles(idx, h, now)) return true;
    // A host that shows no loss (no retransmission ever answered, and four answers for every
    // probe whose first try went unanswered: silent, held or still being retried) gets nmap's
    // tries, but it too must answer something sent after the probe: a burst of drops that
    // swallows a port's tries near the end of a scan looks like no loss (the answers before it
    // outnumber it). One that answers few of its probes and no retransmission yet may be
    // dropping them all (a rate-limiting firewall's empty bucket): it is waited for.
    if (!this.timings[h]!.retry.lossSeen && !this.#looksLossFree(h)) return false;
    return this.#answeredRightAfter(h, this.#sentAt[idx]!, this.#timeoutOf(this.timings[h]!));
  }

  /** Whether host `h`'s silence needs a witness at all: a --max-retries the user gave is a hard
   * cap, as in nmap, and discovery's silence means down. */
  #silenceWantsWitness(h: number): boolean {
    return !this.timings[h]!.retry.opts.explicit && !this.#firstFinishes;
  }

  /** Record that a try to host `h` sent at `sentAt` (performance.now() time) drew an answer. */
  #markAnswered(h: number, sentAt: number): void {
    const slot = Math.floor((sentAt - this.#start) / WITNESS_SLOT_MS);
    const top = this.#answeredTop[h]!;
    if (slot > top) {
      const shift = slot - top;
      this.#answeredSlots[h] = shift >= WITNESS_SLOTS ? 0 : this.#answeredSlots[h]! << shift;
      this.#answeredTop[h] = slot;
    }
    const k = this.#answeredTop[h]! - slot;
    if (k < WITNESS_SLOTS) this.#answeredSlots[h]! |= 1 << k;
  }

  /** Whether host `h` answered a try sent right after `sent` (ms after the start): the newest
   * answered try (a persist round's witness) left within a slot of it, or a try of the next slot
   * drew an answer. A try older than the slots' horizon is judged by the newest answer only on a
   * path whose timeout outlasts the horizon (its tries could not be judged in time); otherwise it
   * stays held, for a persist round and its witness. */
  #answeredRightAfter(h: number, sent: number, timeout: number): boolean {
    const newest = this.#lastAnsweredSentAt[h]! - this.#start;
    if (!(newest > sent)) return false;
    if (newest - sent <= WITNESS_SLOT_MS) return true;
    if (this.#witnessAnsweredAfter(h, sent)) return true;
    const k = this.#answeredTop[h]! - (Math.floor(sent / WITNESS_SLOT_MS) + 1);
    if (k >= WITNESS_SLOTS) return timeout >= (WITNESS_SLOTS - 2) * WITNESS_SLOT_MS;
    return k >= 0 && ((this.#answeredSlots[h]! >>> k) & 1) === 1;
  }

  /** Whether one of host `h`'s kept witnesses, sent within WITNESS_SLOT_MS after `sent` (ms
   * after the start), was answered: exact where the slots' bits cannot tell a witness that left
   * right behind a try in the same slot from a try sent before it. */
  #witnessAnsweredAfter(h: number, sent: number): boolean {
    const bits = this.#witnessAnswered[h]!;
    if (bits === 0) return false;
    for (let k = 0; k < WITNESSES_KEPT; k++) {
      if (!((bits >>> k) & 1)) continue;
      const w = this.#witnessSentAt[h * WITNESSES_KEPT + k]!;
      if (w >= sent && w - sent <= WITNESS_SLOT_MS) return true;
    }
    return false;
  }

  /** Whether probe `idx` of host `h` is due another try: it has tries left, and not CLEAN_TRIES
   * tries witnessed on a host whose loss is rate-dependent. */
  #moreTries(idx: number, h: number, now: number): boolean {
    if (this.#tries[idx]! >= this.timings[h]!.retry.allowedTries()) return false;
    return (this.#cleanTries?.[idx] ?? 0) < CLEAN_TRIES || !this.#lossRateDependent(h, now);
  }

  /** Whether host `h`'s kept witnesses that are due by `now` were answered, seven in eight at
   * least, and more of them than its delivery rate explains (see CLEAN_TRIES). */
  #lossRateDependent(h: number, now: number): boolean {
    const t = this.timings[h]!;
    const q = t.retry.deliveryRate ?? 1;
    const bits = this.#witnessAnswered[h]!;
    const dueBy = now - this.#start - this.#timeoutOf(t);
    let n = 0, answered = 0;
    for (let k = 0; k < WITNESSES_KEPT; k++) {
      const w = this.#witnessSentAt[h * WITNESSES_KEPT + k]!;
      if (!(w <= dueBy)) continue; // never sent, not left, or not due yet
      n++;
      answered += (bits >>> k) & 1;
    }
    // Both: a path whose random loss comes on top of a rate limit delivers the witnesses of its
    // tail better than q too, but not all of them (there a witness says nothing of the try).
    return answered > 0 && answered * 8 >= n * 7 &&
      binomialTail(n, answered, q) <= RATE_DEPENDENT_P;
  }

  /**
   * Whether a host that answers nothing makes probe `idx` silent: the probe had a late try, sent
   * LATE_TRY_MS into the host's quiet, and it drew nothing in its whole timeout. Tries sent only
   * at the quiet's start prove nothing (a path whose queue stalled for a second under load, or a
   * long burst, swallows them all), and neither does the clock alone: a late try sent earlier and
   * judged at LATE_TRY_MS missed a path back in between (the persist rounds are 250 ms apart), or
   * a stall of our own after it (a loaded machine's wait returning a second late, nothing asked
   * meanwhile) counted as the host's. A host that went away costs one late try per held probe and
   * LATE_TRY_MS and a timeout, no more.
   */
  #stallSettles(idx: number, h: number, now: number): boolean {
    const quietFrom = this.#lastAnswerAt[h]!;
    // Never heard from (down, or -Pn): not waited for, but not judged while the scan still asks
    // anything either. A host whose first answers come after its first ports' tries met bursts
    // of drops (or after our own process stalled and sent them all in one instant) must not have
    // them silent for want of an answer that was still to come.
    if (quietFrom === -Infinity) return this.#idle();
    if (now - quietFrom < LATE_TRY_MS) return false;
    // Held, a probe's latest try has had its whole timeout, and the replies were read since.
    return this.#triedLate(idx, h) || !this.#lateTryFits(idx, h);
  }

  /** Whether probe `idx`'s latest try was sent LATE_TRY_MS into its host's quiet. */
  #triedLate(idx: number, h: number): boolean {
    return this.#sentAt[idx]! + this.#start >= this.#lastAnswerAt[h]! + LATE_TRY_MS;
  }

  /** Whether probe `idx` of a quiet host may still be sent its late try (see #stallSettles):
   * the cookie's try numbers are bounded. */
  #lateTryFits(idx: number, h: number): boolean {
    const cap = this.timings[h]!.retry.opts.adaptiveCap ?? 40;
    return this.#tries[idx]! + (this.#witnessIdx[h] === idx ? this.#witnessTry[h]! : 0) < cap;
  }

  /** Nothing in flight, queued, backed off or waiting its last timeout: only held probes left. */
  #idle(): boolean {
    return this.#inFlight === 0 && !this.#hasWork() && this.#backedOff() === 0 &&
      this.#held.length === 0 && this.#finalWait.length === 0;
  }

  /** When the held probes of host `h` are due their late try (ms, performance.now()). */
  #stallDue(h: number): number {
    if (this.#lastAnswerAt[h] === -Infinity) return Infinity; // when the scan is idle (#idle)
    return this.#lastAnswerAt[h]! + LATE_TRY_MS;
  }

  #silenceOrHold(idx: number, now: number): void {
    if (this.#witnessed(idx, idx % this.hostCount, now)) {
      this.#settleSilent(idx);
    } else {
      this.#flags[idx]! |= HELD;
      this.#silentHeld.push(idx);
    }
  }

  /**
   * A host's retransmission timeout; a host with no RTT sample of its own
   * borrows the group's (nmap's group timing), so a silent host among
   * answering ones is given up on at LAN speed, not after the 1 s initial RTO.
   */
  #timeoutOf(t: HostTiming): number {
    if (t.rtt.samples > 0 || this.#groupRtt.samples === 0) return t.rtt.timeout;
    return Math.max(this.#groupRtt.timeout, t.rtt.limits.minRttTimeoutMs);
  }

  /** RACK's reorder window: a quarter RTT, at least 1 ms, under half an RTO. */
  #reorderWindow(t: HostTiming): number {
    const srtt = t.rtt.srtt ?? t.rtt.timeout / 4;
    return Math.min(t.rtt.timeout / 2, Math.max(1, srtt / 4));
  }

  #nextProbe(): number {
    while (this.#retransmit.length > 0) {
      const idx = this.#retransmit.shift();
      const f = this.#flags[idx]!;
      this.#flags[idx] = f & ~QUEUED;
      if (!(f & DONE)) return idx;
    }
    while (this.#cursor < this.size) {
      const idx = this.#order.at(this.#cursor++);
      if (!(this.#flags[idx]! & DONE)) return idx;
    }
    return -1;
  }

  /** Stamp the probes emitted since the last flush, then send them. */
  #flush(io: ProbeIo): void {
    // The send time is taken right before the frames go out (after they were built), or comes
    // from the transport's own span around the send call.
    const t = performance.now();
    const b = this.#batch;
    const rel = t - this.#start;
    for (let i = 0; i < b.length; i++) this.#sentAt[b[i]!] = rel;
    const span = io.flush();
    if (span && span.start >= t && span.end >= span.start && b.length > 0) {
      const first = span.start - this.#start, step = (span.end - span.start) / b.length;
      for (let i = 0; i < b.length; i++) this.#sentAt[b[i]!] = first + step * i;
      // The kernel's stamps of the first frames, when the transport has them, are on the
      // replies' clock; the runtime's time before the call is only a fallback for the first.
      const k = span.stamps;
      if (!k) this.#flags[b[0]!]! |= EXACT;
      for (let i = 0; k && i < span.stamped && i < b.length; i++) {
        if (!(k[i]! >= t - 1 && k[i]! <= span.end + 1)) break; // another clock: not ours
        this.#sentAt[b[i]!] = k[i]! - this.#start;
        this.#flags[b[i]!]! |= EXACT;
      }
    }
    b.length = 0;
    // When the batch's last frame left: before the replies are drained (which may take ms).
    this.#flushedAt = span && span.end >= t ? span.end : performance.now();
    // Drain replies between send batches: on a fast link the answers to a
    // window of thousands of probes arrive while it is being sent, and the
    // capture ring must not overflow (a dropped reply costs a retransmission).
    this.#poll(io);
  }

  #send(io: ProbeIo, now: number): void {
    const room = Math.min(
      this.window.room(this.#inFlight),
      this.#maxInFlight - this.#inFlight,
      this.window.allowance(now),
    );
    // --min-rate overrides congestion control, as in nmap.
    let n = Math.max(room, this.rate.owed(now));
    n = Math.min(n, this.rate.allowance(now), io.room?.() ?? Infinity);
    let sent = 0;
    while (sent < n) {
      const idx = this.#nextProbe();
      if (idx < 0) break;
      // Integer arithmetic: h and p stay small integers (no boxing on calls).
      const p = (idx / this.hostCount) | 0;
      const h = idx - p * this.hostCount;
      const tryNo = this.#tries[idx]!;
      if (!io.emit(h, p, tryNo)) {
        this.#flush(io);
        if (!io.emit(h, p, tryNo)) throw new Error("probe does not fit an empty send buffer");
      }
      this.#tries[idx] = tryNo + 1;
      this.#sentAt[idx] = now - this.#start;
      this.#serial[idx] = this.#nextSerial++;
      this.#batch.push(idx);
      this.#flags[idx] = (this.#flags[idx]! | OUTSTANDING) & ~EXACT;
      this.#outstanding.push(idx);
      this.#inFlight++;
      if (tryNo > 0) {
        this.stats.retransmitted++;
        // A witness follows last tries, and any try to a lossy host with only a handful of
        // probes left (see CLEAN_TRIES; before that it would take answers from them: a firewall
        // that rate-limits resets has that many fewer for closed ports).
        const retry = this.timings[h]!.retry;
        if (
          tryNo + 1 >= retry.allowedTries() ||
          (retry.lossSeen && this.#remaining[h]! <= CLEAN_TAIL_PROBES)
        ) this.#lastTries.push(h);
      }
      sent++;
    }
    if (this.#lastTries.length > 0) this.#witnessLastTries();
    // Witnesses go whatever the window, after the held probes they ask for: one per persist
    // interval, or one behind a tail's last tries.
    for (const idx of this.#witnessQueue) {
      const p = (idx / this.hostCount) | 0;
      const h = idx - p * this.hostCount;
      // Any of its witness tries may answer (an earlier one may have been lost).
      const tryNo = this.#tries[idx]! + this.#witnessTry[h]!;
      if (this.#hostDone[h] || (io.room?.() ?? 1) <= 0) continue;
      if (!io.emit(h, p, tryNo)) {
        // The batch filled up: the probes it holds leave first, as the witness must follow them.
        this.#flush(io);
        if (!io.emit(h, p, tryNo)) continue;
      }
      const slot = this.#witnessTry[h]! % WITNESSES_KEPT;
      this.#witnessSentAt[h * WITNESSES_KEPT + slot] = Infinity;
      this.#witnessAnswered[h]! &= ~(1 << slot);
      this.#witnessTry[h]!++; // its send time once it has left (below)
      sent++;
    }
    if (sent > 0) {
      this.#flush(io);
      // The witness left last: after every probe it asks for, by their send times too.
      const left = this.#flushedAt;
      for (const idx of this.#witnessQueue) {
        const h = idx % this.hostCount;
        const slot = h * WITNESSES_KEPT + (this.#witnessTry[h]! - 1) % WITNESSES_KEPT;
        if (this.#witnessSentAt[slot] !== Infinity) continue;
        this.#witnessSentAt[slot] = left - this.#start;
        // The probes it follows are held for its answer, not asked again, until it is due: on a
        // jittery path it may come after their own timeout, as late as the longest round trip.
        const t = this.timings[h]!;
        const due = left + Math.max(this.#timeoutOf(t), t.rtt.longest);
        this.#persistAt = Math.max(this.#persistAt, due);
      }
      this.stats.sent += sent;
      this.rate.sent(sent, now);
      this.window.sent(sent, now);
    }
    this.#witnessQueue.length = 0;
    if (DEBUG && this.#tailFrom === 0 && this.#cursor === this.size) {
      this.#tailFrom = performance.now();
    }
  }

  /**
   * Last tries at the scan's tail have nothing fresh sent after them to witness their silence
   * (see #witnessed): held, they would wait a persist round, one more try and timeout each. So
   * when nothing fresh is left to send, each of their hosts' witness leaves right behind them,
   * in the same batch, as the next probe would have mid-scan.
   */
  #witnessLastTries(): void {
    const hosts = this.#lastTries;
    if (!this.#hasWork()) {
      for (const h of hosts) {
        if (
          this.#silenceWantsWitness(h) &&
          !this.#witnessQueue.some((idx) => idx % this.hostCount === h)
        ) this.#witness(h, true);
      }
    }
    hosts.length = 0;
  }

  #checkHostTimeouts(now: number): void {
    const limit = this.#plan.hostTimeoutMs;
    if (limit <= 0 || now - this.#start < limit) return;
    for (let h = 0; h < this.hostCount; h++) if (!this.#hostDone[h]) this.#finish(h, true);
  }

  #hasWork(): boolean {
    return this.#retransmit.length > 0 || this.#cursor < this.size;
  }

  /**
   * Run until every host is settled or the signal aborts. Events fire
   * synchronously from inside `run` (and from `answer` while `io.poll` runs).
   */
  async run(io: ProbeIo, events: SchedulerEvents): Promise<void> {
    this.#events = events;
    try {
      this.#drainDone();
      while (this.#hostsLeft > 0 && !this.#signal?.aborted) {
        let now = performance.now();
        if (DEBUG && now - this.#lastTrace > 1000) {
          this.#lastTrace = now;
          const t0 = this.timings[0];
          console.error(
            `sched: sent ${this.stats.sent} ans ${this.stats.answered} rtx ${this.stats.retransmitted} ` +
              `silent ${this.stats.timedOut} inflight ${this.#inFlight} cwnd ${
                this.window.cwnd.toFixed(1)
              } pace ${this.window.pace.toFixed(0)} d ${this.window.lastRatio.toFixed(2)}/${
                this.window.baseline.toFixed(2)
              } ring ${this.#outstanding.length} fw ${this.#finalWait.length} held ${this.#held.length}/${this.#silentHeld.length} rq ${this.#retransmit.length} bo ${this.#backedOff()} ` +
              `cursor ${this.#cursor}/${this.size} rto ${t0?.rtt.timeout.toFixed(1)} srtt ${
                t0?.rtt.srtt?.toFixed(3)
              } tries ${t0?.retry.allowedTries()} q ${t0?.retry.deliveryRate?.toFixed(2)}`,
          );
        }
        this.#poll(io);
        this.#drainDone();
        now = performance.now();
        if (this.#onProgress && now - this.#lastProgress >= 250) {
          this.#lastProgress = now;
          this.#onProgress(this.stats.answered + this.stats.timedOut, this.size);
        }
        this.#checkHostTimeouts(now);
        let untilTimeout = this.#expire(now);
        this.#drainDone();
        if (this.#hostsLeft === 0) break;
        this.#send(io, now);
        if (this.#hostsLeft === 0) break;
        // Sleep until the next thing can happen: a reply, a timeout, a
        // rate-limiter token, or a --min-rate deadline.
        now = performance.now();
        if (
          untilTimeout === Infinity &&
          (this.#outstanding.length > 0 || this.#finalWait.length > 0 || this.#held.length > 0 ||
            this.#silentHeld.length > 0)
        ) {
          untilTimeout = this.#expire(now);
          this.#drainDone();
        }
        let sleep = Math.min(untilTimeout, 100);
        // A transport without room (no descriptor free) wakes the wait itself;
        // --min-rate cannot hurry it.
        const ioRoom = io.room?.() ?? Infinity;
        const canSend = this.#hasWork() && ioRoom > 0 &&
          Math.min(this.window.room(this.#inFlight), this.#maxInFlight - this.#inFlight) > 0;
        // Held back by the pace only: sleep until it lets the next probe go.
        if (canSend) {
          sleep = Math.min(sleep, Math.max(this.rate.waitMs(now), this.window.waitMs(now)));
        }
        if (this.#hasWork() && ioRoom > 0) sleep = Math.min(sleep, this.rate.dueMs(now));
        if (this.#plan.hostTimeoutMs > 0) {
          sleep = Math.min(sleep, Math.max(0, this.#start + this.#plan.hostTimeoutMs - now));
        }
        if (
          this.#inFlight === 0 && !this.#hasWork() && this.#outstanding.length === 0 &&
          this.#finalWait.length === 0 && this.#held.length === 0 &&
          this.#silentHeld.length === 0 && this.#backedOff() === 0
        ) {
          // Nothing in flight and nothing to send: hosts left are settled by
          // their own bookkeeping; this only guards against a stall.
          for (let h = 0; h < this.hostCount; h++) if (!this.#hostDone[h]) this.#finish(h, false);
          break;
        }
        if (sleep > 0) {
          const w0 = DEBUG ? performance.now() : 0;
          await io.wait(sleep);
          if (DEBUG) {
            this.#waits++;
            this.#waited += performance.now() - w0;
          }
        }
      }
    } finally {
      this.#drainDone();
      this.#events = undefined;
      if (DEBUG) {
        console.error(
          `sched: done in ${(performance.now() - this.#start).toFixed(1)} ms (tail ${
            (performance.now() - this.#tailFrom).toFixed(1)
          } ms), ${this.#waits} waits ` +
            `(${
              this.#waited.toFixed(1)
            } ms), sent ${this.stats.sent}, answered ${this.stats.answered}, ` +
            `retransmitted ${this.stats.retransmitted}, silent ${this.stats.timedOut}`,
        );
      }
    }
  }
}

/** Fresh timing state for one host. */
export function newHostTiming(plan: TimingPlan, portCount: number): HostTiming {
  return { rtt: new RttEstimator(plan.rtt), retry: new RetryPolicy(plan.retry, portCount) };
}
