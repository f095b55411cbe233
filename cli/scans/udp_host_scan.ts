/**
 * The UDP scan of one host as a pure state machine: which probes to send
 * when, what each reply means, and when silence may be believed. No I/O and
 * no clock of its own (times are passed in, ms), so the same code runs
 * against the lab and against a simulated Linux target in the unit tests.
 *
 * ## When is silence an answer?
 *
 * A closed port answers with ICMP port-unreachable only if the target's ICMP
 * token bucket has a token (udp_ratelimit.ts). So a probe that drew nothing
 * proves nothing by itself. It counts as a *fair try* only when a probe we
 * sent right after it (within `witnessGapMs`, back to back) drew an ICMP
 * error from the target: the bucket only fills with time and only that
 * answer emptied it, so the level when our silent probe arrived was at least
 * one token minus what accrued in the gap, which is a few microseconds'
 * worth. Had that port been closed, it would have been answered. This
 * *witness* rule needs no estimate of the rate; it holds for any token
 * bucket, per peer or global, and for any ICMP the target sends us.
 *
 * A port becomes open|filtered after F fair tries without an answer, F chosen
 * from the loss seen so far (fair tries on ports that did answer later),
 * between 2 and --max-retries + 1. A target that never sends ICMP at all
 * cannot witness anything; then nmap's rule applies (tries spaced by the
 * retransmission timeout).
 *
 * ## Pace
 *
 * The first pass (the sweep) sends every port once at `sweepRate`. After it,
 * probes go in small groups paced by {@link IcmpRatePacer}: likely-silent
 * ports ("suspects", with a fair miss already) first, then fresh ports
 * round-robin, and last a witness, a port known to draw ICMP, whose answer
 * or silence tells whether the group drained the target's bucket. Every
 * token the target makes is asked for soon after it is made, and probes
 * that find the bucket empty cost it nothing.
 *
 * @module
 */

import type { PortResult, PortState } from "../model/mod.ts";
import { IcmpRatePacer, TOKENS_PER_GROUP } from "./udp_ratelimit.ts";

/** What came back for a probe. */
export type UdpReplyKind =
  /** A UDP datagram from the probed port: open. */
  | "udp"
  /** An ICMP error made by the target itself (it spent one of its tokens). */
  | "icmp-target"
  /** An ICMP error from someone else (a router or firewall on the way). */
  | "icmp-other";

/** One probe to send: port `ports[index]`, try `tryNo` (0-based). */
export interface UdpProbe {
  index: number;
  port: number;
  tryNo: number;
}

/** The state and reason a reply decides (cli/scans/tcp_rules.ts `icmpErrorVerdict`). */
export interface UdpVerdict {
  state: PortState;
  reason: string;
}

/** Retransmission timing the driver supplies from its RTT estimate, ms. */
export interface UdpTimeouts {
  /**
   * How long after a send its reply is expected (about the RTT plus
   * jitter): replies judge witnesses and feed the pacer after this.
   */
  settleMs(): number;
  /** nmap's retransmission timeout: silence is final only after this. */
  finalMs(): number;
}

export interface UdpHostScanOptions {
  /** The ports, in the order the sweep sends them. */
  ports: readonly number[];
  /** --max-retries: a port needs at most this + 1 fair tries. */
  maxRetries: number;
  /** Trade exactness for time (nmap's --defeat-icmp-ratelimit). */
  defeatIcmpRatelimit?: boolean;
  /** Sweep pace, probes per second. */
  sweepRate: number;
  /** Most probes per poll during the sweep (default 256). */
  sweepChunk?: number;
  /**
   * Longest gap between a silent probe and its witness, ms (default 0.25):
   * the time in which the target's bucket could gain a token unseen. Probes
   * of one poll leave back to back, microseconds apart.
   */
  witnessGapMs?: number;
  /** Bounds on the gap between groups, ms (default 1 and 5000). */
  minGroupGapMs?: number;
  maxGroupGapMs?: number;
  /**
   * Give up (remaining ports open|filtered, with a note) when a rate-limited
   * target sends no ICMP for this long while we ask (default: 20 s or
   * 20 tokens' time, whichever is longer).
   */
  stallMs?: number;
  timeouts: UdpTimeouts;
  /** Clock value at the start, ms. */
  start: number;
}

/** Figures for -d output, the report and the bench. */
export interface UdpHostStats {
  probesSent: number;
  groups: number;
  /** Estimated ICMP errors per second the target allows us (undefined: no limit seen). */
  icmpRatePerSecond?: number;
  /** Estimated burst (tokens at the start). */
  icmpBurst?: number;
  /** Fair tries a silent port needed at the end. */
  fairTriesNeeded: number;
  /** Estimated probability that a fair try to a responsive port went unanswered. */
  lossEstimate: number;
  /** ICMP errors from the target. */
  icmpFromTarget: number;
}

const PENDING = 0;
const RESOLVED = 1;
/** Enough fair misses for now; decided (or reopened) when the rest is done. */
const PARKED = 2;

const REPLY_NONE = 0;
const REPLY_ICMP_TARGET = 1;
const REPLY_UDP = 2;
const REPLY_ICMP_OTHER = 3;

const ROLE_FRESH = 0;
const ROLE_SUSPECT = 1;
const ROLE_WITNESS = 2;

/** Tries per port the cookies can tell apart (FlowCookies.tryNumber's maxTries). */
export const UDP_MAX_TRIES = 250;
/** Per-port chance of a false open|filtered we accept when choosing F. */
const FALSE_SILENCE = 1e-5;
/** A host that has sent no ICMP at all is retried over this long (Linux makes a token a second). */
const BLIND_SPACING_MS = 1000;
/** Suspects per group (one witness vouches for all of them). */
const MAX_SUSPECTS_PER_GROUP = 512;

/** A growable log of sends in typed arrays (a scan may send a few per port). */
class SendLog {
  length = 0;
  port = new Int32Array(1024);
  tryNo = new Uint8Array(1024);
  role = new Uint8Array(1024);
  reply = new Uint8Array(1024);
  time = new Float64Array(1024);

  push(index: number, tryNo: number, role: number, time: number): number {
    if (this.length === this.port.length) this.#grow();
    const i = this.length++;
    this.port[i] = index;
    this.tryNo[i] = tryNo;
    this.role[i] = role;
    this.reply[i] = REPLY_NONE;
    this.time[i] = time;
    return i;
  }

  #grow(): void {
    const n = this.port.length * 2;
    const g = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T) => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.port = g(this.port, (k) => new Int32Array(k));
    this.tryNo = g(this.tryNo, (k) => new Uint8Array(k));
    this.role = g(this.role, (k) => new Uint8Array(k));
    this.reply = g(this.reply, (k) => new Uint8Array(k));
    this.time = g(this.time, (k) => new Float64Array(k));
  }
}

/** A group of probes sent together after the sweep. */
interface Group {
  first: number;
  /** One past the last send. */
  end: number;
  fresh: number;
}

/** A ring of port indices: the fresh ports, round-robin. */
class Rotation {
  #buf: Int32Array;
  #head = 0;
  #len = 0;
  constructor(capacity: number) {
    this.#buf = new Int32Array(Math.max(1, capacity));
  }
  get length(): number {
    return this.#len;
  }
  push(v: number): void {
    this.#buf[(this.#head + this.#len) % this.#buf.length] = v;
    this.#len++;
  }
  shift(): number {
    const v = this.#buf[this.#head]!;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#len--;
    return v;
  }
}

export class UdpHostScan {
  readonly ports: readonly number[];
  readonly pacer: IcmpRatePacer;
  readonly #o: Required<Omit<UdpHostScanOptions, "stallMs">> & { stallMs?: number };
  readonly #state: Uint8Array;
  readonly #tries: Uint8Array;
  readonly #fair: Uint8Array;
  readonly #lastSend: Float64Array;
  readonly #results: (PortResult | undefined)[];
  readonly #log = new SendLog();
  /** (index · 256 + tryNo) → send log entry. */
  readonly #sendOf = new Map<number, number>();
  readonly #rotation: Rotation;
  readonly #suspects = new Set<number>();
  /** Ports whose probes drew ICMP from the target: they can witness. */
  readonly #icmpPorts: number[] = [];
  #witnessTurn = 0;
  readonly #groups: Group[] = [];
  #groupCursor = 0;
  #evalCursor = 0;
  #sweepNext = 0;
  #sweepEnd = -1;
  #sweepObserved = false;
  #nextGroupAt = 0;
  /** Ports without a final state (PENDING or PARKED). */
  #unresolved: number;
  #parked = 0;
  #done = false;
  #lastTargetIcmp: number;
  #lastActivity: number;
  #icmpFromTarget = 0;
  /** Fair misses on ports that later answered: the loss the fair rule must survive. */
  #lostFair = 0;
  #answered = 0;
  #defeatRoundSent = false;
  #freshMisses = 0;
  #freshAnswers = 0;
  readonly notes: string[] = [];

  constructor(o: UdpHostScanOptions) {
    this.ports = o.ports;
    this.#o = {
      defeatIcmpRatelimit: false,
      sweepChunk: 256,
      witnessGapMs: 0.25,
      minGroupGapMs: 1,
      maxGroupGapMs: 5000,
      ...o,
    };
    const n = o.ports.length;
    this.#state = new Uint8Array(n);
    this.#tries = new Uint8Array(n);
    this.#fair = new Uint8Array(n);
    this.#lastSend = new Float64Array(n).fill(-Infinity);
    this.#results = new Array(n);
    this.#rotation = new Rotation(n);
    this.#unresolved = n;
    this.#lastTargetIcmp = o.start;
    this.#lastActivity = o.start;
    this.pacer = new IcmpRatePacer({
      minGapMs: this.#o.minGroupGapMs,
      maxGapMs: this.#o.maxGroupGapMs,
    });
    if (n === 0) this.#done = true;
  }

  /** Every port has its answer. */
  get done(): boolean {
    return this.#done;
  }

  /** Ports still without a final state. */
  get unresolved(): number {
    return this.#unresolved;
  }

  // --- Replies ----------------------------------------------------------------------------------

  /**
   * A reply attributed (by the cookies in the quoted or echoed ports) to try
   * `tryNo` of the probe to `ports[index]`, or to its latest try when
   * `tryNo` is -1 (a server answering to a fixed port, like DHCP's 68).
   * The first reply decides the port; every target ICMP also serves as a
   * witness and feeds the pacer. `from`: who sent an ICMP error that did
   * not come from the target. Returns the round trip in ms when the try is
   * known (each try leaves from its own port, so Karn's ambiguity does not
   * arise), else undefined.
   */
  onReply(
    index: number,
    tryNo: number,
    kind: UdpReplyKind,
    verdict: UdpVerdict,
    ttl: number | undefined,
    now: number,
    from?: string,
  ): number | undefined {
    if (index < 0 || index >= this.ports.length) return undefined;
    const exact = tryNo >= 0;
    const t = exact ? tryNo : this.#tries[index]! - 1;
    const s = this.#sendOf.get(index * 256 + t);
    if (s === undefined) return undefined; // a try we never sent: forged or stray
    const code = kind === "udp"
      ? REPLY_UDP
      : kind === "icmp-target"
      ? REPLY_ICMP_TARGET
      : REPLY_ICMP_OTHER;
    if (this.#log.reply[s] === REPLY_NONE) this.#log.reply[s] = code;
    if (code === REPLY_ICMP_TARGET) {
      this.#icmpFromTarget++;
      this.#lastTargetIcmp = Math.max(this.#lastTargetIcmp, now);
      if (this.#state[index] !== RESOLVED) this.#icmpPorts.push(index);
    }
    const rtt = exact ? now - this.#log.time[s]! : undefined;
    if (this.#state[index] === RESOLVED || this.#done) return rtt;
    this.#lostFair += this.#fair[index]!;
    this.#answered++;
    const r: PortResult = {
      protocol: "udp",
      port: this.ports[index]!,
      state: verdict.state,
      reason: verdict.reason,
    };
    if (ttl !== undefined) r.reasonTtl = ttl;
    if (from !== undefined) r.reasonAddr = from;
    this.#resolve(index, r);
    return rtt;
  }

  /** Whether `ports[index]` has its final state. */
  isResolved(index: number): boolean {
    return this.#state[index] === RESOLVED;
  }

  /** The decided result of `ports[index]`, if any. */
  result(index: number): PortResult | undefined {
    return this.#results[index];
  }

  #resolve(index: number, r: PortResult): void {
    const st = this.#state[index];
    if (st === RESOLVED) return;
    if (st === PARKED) this.#parked--;
    this.#state[index] = RESOLVED;
    this.#suspects.delete(index);
    this.#results[index] = r;
    this.#unresolved--;
  }

  #park(idx: number): void {
    if (this.#state[idx] !== PENDING) return;
    this.#state[idx] = PARKED;
    this.#parked++;
    this.#suspects.delete(idx);
  }

  #unpark(idx: number): void {
    if (this.#state[idx] !== PARKED) return;
    this.#state[idx] = PENDING;
    this.#parked--;
    this.#suspects.add(idx);
  }

  // --- Fair tries -------------------------------------------------------------------------------

  /** Fair tries a silent port needs, from the loss seen so far. */
  fairTriesNeeded(): number {
    const cap = Math.max(1, Math.min(this.#o.maxRetries + 1, UDP_MAX_TRIES));
    if (cap <= 2) return cap;
    const p = this.lossEstimate();
    const f = Math.ceil(Math.log(FALSE_SILENCE) / Math.log(p));
    return Math.min(cap, Math.max(2, f));
  }

  /**
   * Chance that a fair try to a port that does answer goes unanswered (loss
   * either way): fair misses on ports that answered later, over all their
   * outcomes, with a weak 5% prior, taken one standard error high so that a
   * scan that has seen little asks a few more times.
   */
  lossEstimate(): number {
    const n = this.#lostFair + this.#answered + 10;
    const p = (this.#lostFair + 0.5) / n;
    // One standard error above the mean: a small sample errs towards more tries.
    return Math.min(0.95, p + Math.sqrt((p * (1 - p)) / n));
  }

  /** Judge settled sends by the witness rule; feed settled groups to the pacer. */
  #evaluate(now: number): void {
    const log = this.#log;
    const gap = this.#o.witnessGapMs;
    const settle = this.#o.timeouts.settleMs();
    let b = this.#evalCursor;
    while (b < log.length && log.time[b]! + gap + settle <= now) b++;
    if (b === this.#evalCursor) return;
    // Sends up to `c` may witness those in [evalCursor, b); they have settled too.
    let c = b;
    const horizon = log.time[b - 1]! + gap;
    while (c < log.length && log.time[c]! <= horizon) c++;
    let nextAnswer = Infinity;
    for (let j = c - 1; j >= this.#evalCursor; j--) {
      if (j < b && log.reply[j] === REPLY_NONE) {
        const idx = log.port[j]!;
        if (this.#state[idx] === PENDING && nextAnswer - log.time[j]! <= gap) {
          this.#fair[idx] = Math.min(255, this.#fair[idx]! + 1);
          this.#suspects.add(idx);
          if (log.role[j] === ROLE_FRESH) this.#freshMisses++;
        }
      }
      if (log.reply[j] === REPLY_ICMP_TARGET) {
        nextAnswer = log.time[j]!;
        if (j < b && log.role[j] === ROLE_FRESH) this.#freshAnswers++;
      }
    }
    this.#evalCursor = b;
    const need = this.fairTriesNeeded();
    for (const idx of this.#suspects) {
      if (this.#fair[idx]! >= need) this.#park(idx);
    }
    this.#observeGroups();
  }

  #observeGroups(): void {
    const log = this.#log;
    if (!this.#sweepObserved && this.#sweepEnd >= 0 && this.#evalCursor >= this.#sweepEnd) {
      this.#sweepObserved = true;
      let answered = 0;
      for (let i = 0; i < this.#sweepEnd; i++) if (log.reply[i] === REPLY_ICMP_TARGET) answered++;
      this.pacer.observeSweep(answered, log.time[this.#sweepEnd - 1]! - log.time[0]!);
    }
    while (this.#groupCursor < this.#groups.length) {
      const g = this.#groups[this.#groupCursor]!;
      if (g.end > this.#evalCursor) break;
      this.#groupCursor++;
      let answered = 0;
      for (let i = g.first; i < g.end; i++) if (log.reply[i] === REPLY_ICMP_TARGET) answered++;
      this.pacer.observeGroup({
        sentAt: log.time[g.first]!,
        answered,
        drainedAt: this.#drainedAt(g),
        size: g.fresh,
      });
    }
  }

  /** Where group `g` drained the target's bucket, if it did: its closing witness went unanswered. */
  #drainedAt(g: Group): number | undefined {
    const log = this.#log;
    const last = g.end - 1;
    const drained = log.role[last] === ROLE_WITNESS && log.reply[last] === REPLY_NONE;
    return drained ? log.time[last] : undefined;
  }

  /**
   * Share of fresh probes that turn out to go to silent ports (a fair miss
   * rather than an answer), with a weak prior: groups carry that many more
   * so they still drain the bucket.
   */
  silentShare(): number {
    return (this.#freshMisses + 1) / (this.#freshMisses + this.#freshAnswers + 10);
  }

  // --- Sending ------------------------------------------------------------------------------------

  #send(out: UdpProbe[], idx: number, role: number, now: number): boolean {
    const tryNo = this.#tries[idx]!;
    if (tryNo >= UDP_MAX_TRIES) {
      this.#park(idx);
      return false;
    }
    this.#tries[idx] = tryNo + 1;
    this.#lastSend[idx] = now;
    const s = this.#log.push(idx, tryNo, role, now);
    this.#sendOf.set(idx * 256 + tryNo, s);
    out.push({ index: idx, port: this.ports[idx]!, tryNo });
    return true;
  }

  /**
   * The probes to send now, in order; send them back to back. Also settles
   * what can be settled; check `done` afterwards.
   */
  poll(now: number): UdpProbe[] {
    const out: UdpProbe[] = [];
    if (this.#done) return out;
    this.#evaluate(now);
    const n = this.ports.length;
    // The sweep: every port once, at the sweep rate.
    if (this.#sweepNext < n) {
      const due = Math.floor(((now - this.#o.start) * this.#o.sweepRate) / 1000) + 1;
      let k = Math.min(this.#o.sweepChunk, due - this.#sweepNext, n - this.#sweepNext);
      while (k-- > 0) {
        const idx = this.#sweepNext++;
        if (this.#state[idx] !== PENDING) continue;
        this.#send(out, idx, ROLE_FRESH, now);
        this.#rotation.push(idx);
      }
      if (this.#sweepNext === n) this.#sweepEnd = this.#log.length;
      if (out.length) this.#lastActivity = now;
      return out;
    }
    if (this.#o.defeatIcmpRatelimit) return this.#defeatRound(now, out);
    if (this.#unresolved === this.#parked) {
      // Everything answered or parked: decide once the last probe had its full timeout.
      if (!this.#decideParked(now)) return out;
    }
    if (this.#done || this.#checkStall(now)) return out;
    if (now >= this.#nextGroupAt) this.#group(now, out);
    return out;
  }

  /** One paced group: suspects, fresh ports round-robin, and the witness. */
  #group(now: number, out: UdpProbe[]): void {
    const witnesses = this.#icmpPorts.length > 0;
    // Without any ICMP from the target, nothing can witness: fall back to
    // nmap's rule (tries a retransmission timeout apart).
    const wait = witnesses ? this.#o.timeouts.settleMs() : this.#o.timeouts.finalMs();
    let earliestFree = Infinity;
    const ready = (idx: number) => {
      const free = this.#lastSend[idx]! + wait;
      if (free <= now) return true;
      earliestFree = Math.min(earliestFree, free);
      return false;
    };
    const first = this.#log.length;
    let suspects = 0;
    if (witnesses) {
      // One try each: two tries vouched for by the same witness would share
      // its rare failure (a token completing between them and it), so fair
      // tries of one port come from different groups.
      for (const idx of this.#suspects) {
        if (suspects >= MAX_SUSPECTS_PER_GROUP) break;
        if (this.#state[idx] !== PENDING || !ready(idx)) continue;
        if (this.#send(out, idx, ROLE_SUSPECT, now)) suspects++;
      }
    }
    // A silent host's retries are spread over a second in tenths, so that a
    // small bucket whose first answers were lost gets several fresh tokens
    // to show itself with.
    let budget = witnesses
      ? this.pacer.groupSize(now, this.silentShare())
      : Math.ceil((this.#unresolved - this.#parked) / 10);
    let fresh = 0;
    const blindTries = Math.max(1, Math.min(2, this.#o.maxRetries + 1));
    for (let scan = this.#rotation.length; scan > 0 && budget > 0; scan--) {
      const idx = this.#rotation.shift();
      if (this.#state[idx] !== PENDING) continue; // resolved or parked: leaves the ring
      if (this.#fair[idx]! > 0 || (!ready(idx) && (witnesses || this.#tries[idx]! < blindTries))) {
        this.#rotation.push(idx);
        continue;
      }
      if (!witnesses && this.#tries[idx]! >= blindTries) {
        // A host that never sends ICMP: its tries are spent and spaced.
        const settled = this.#lastSend[idx]! + this.#o.timeouts.finalMs();
        if (settled <= now) this.#park(idx);
        else {
          earliestFree = Math.min(earliestFree, settled);
          this.#rotation.push(idx);
        }
        continue;
      }
      if (this.#send(out, idx, ROLE_FRESH, now)) {
        fresh++;
        budget--;
      }
      this.#rotation.push(idx);
    }
    if (out.length === 0) {
      this.#nextGroupAt = earliestFree;
      return;
    }
    if (witnesses) {
      // Close with a port known to draw ICMP: it vouches for every silent
      // probe before it, and its silence shows the group drained the bucket.
      // It costs a token only when the group left one over.
      const w = this.#icmpPorts[this.#witnessTurn++ % this.#icmpPorts.length]!;
      this.#send(out, w, ROLE_WITNESS, now);
    }
    this.#groups.push({ first, end: this.#log.length, fresh });
    this.#lastActivity = now;
    if (!witnesses) {
      this.#nextGroupAt = now + BLIND_SPACING_MS / 10;
      return;
    }
    // With the fresh ports all answered, a group needs just the witness's token.
    this.#nextGroupAt = now + this.pacer.nextGap(now, fresh > 0 ? TOKENS_PER_GROUP : 1);
  }

  /**
   * --defeat-icmp-ratelimit: after the sweep, one retransmission of every
   * unanswered port (witnessed at the end), then stop. Every port still
   * unanswered is closed|filtered, as nmap's default state in this mode
   * (scan_engine.cc) says, and its end-of-run warning explains.
   */
  #defeatRound(now: number, out: UdpProbe[]): UdpProbe[] {
    const final = this.#o.timeouts.finalMs();
    if (now < this.#lastActivity + final) return out;
    if (!this.#defeatRoundSent) {
      this.#defeatRoundSent = true;
      const first = this.#log.length;
      for (let idx = 0; idx < this.ports.length; idx++) {
        if (this.#state[idx] !== RESOLVED) this.#send(out, idx, ROLE_FRESH, now);
      }
      if (out.length > 0) {
        if (this.#icmpPorts.length > 0) this.#send(out, this.#icmpPorts[0]!, ROLE_WITNESS, now);
        this.#groups.push({ first, end: this.#log.length, fresh: out.length });
        this.#lastActivity = now;
        return out;
      }
    }
    this.#evaluate(Infinity);
    for (let idx = 0; idx < this.ports.length; idx++) {
      if (this.#state[idx] === RESOLVED) continue;
      this.#resolveSilent(idx, "closed|filtered");
    }
    this.#finishNotes(now);
    this.#done = true;
    return out;
  }

  #resolveSilent(idx: number, state: PortState): void {
    this.#resolve(idx, { protocol: "udp", port: this.ports[idx]!, state, reason: "no-response" });
  }

  /**
   * With every port answered or parked: once the last probe has had nmap's
   * full timeout, decide the parked ports with the final loss estimate:
   * open|filtered if they have their fair tries, otherwise back in play.
   * Returns true when ports were reopened (scanning goes on).
   */
  #decideParked(now: number): boolean {
    if (now < this.#lastActivity + this.#o.timeouts.finalMs()) return false;
    this.#evaluate(Infinity);
    if (this.#unresolved !== this.#parked) return true;
    const need = this.fairTriesNeeded();
    const witnesses = this.#icmpPorts.length > 0;
    let reopened = 0;
    for (let idx = 0; idx < this.ports.length; idx++) {
      if (this.#state[idx] !== PARKED) continue;
      if (!witnesses || this.#tries[idx]! >= UDP_MAX_TRIES || this.#fair[idx]! >= need) continue;
      this.#unpark(idx);
      reopened++;
    }
    if (reopened > 0) {
      this.#nextGroupAt = Math.min(this.#nextGroupAt, now);
      return true;
    }
    for (let idx = 0; idx < this.ports.length; idx++) {
      if (this.#state[idx] === PARKED) this.#resolveSilent(idx, "open|filtered");
    }
    this.#finishNotes(now);
    this.#done = true;
    return false;
  }

  /**
   * A rate-limited target that stops sending ICMP while we keep asking (its
   * limit changed, a firewall woke up, it went away): stop waiting for it.
   */
  #checkStall(now: number): boolean {
    if (this.#icmpPorts.length === 0) return false;
    const r = this.pacer.rate(now);
    const stall = this.#o.stallMs ?? Math.max(20_000, r ? 20 / r : 0);
    if (now - this.#lastTargetIcmp < stall || this.#lastActivity <= this.#lastTargetIcmp) {
      return false;
    }
    this.notes.push(
      `target sent no ICMP for ${Math.round((now - this.#lastTargetIcmp) / 1000)}s; ` +
        `${this.#unresolved} unanswered UDP ports reported open|filtered`,
    );
    for (let idx = 0; idx < this.ports.length; idx++) {
      if (this.#state[idx] !== RESOLVED) this.#resolveSilent(idx, "open|filtered");
    }
    this.#done = true;
    return true;
  }

  #finishNotes(now: number): void {
    const rate = this.pacer.ratePerSecond(now);
    if (!this.#o.defeatIcmpRatelimit && rate !== undefined) {
      const b = this.pacer.burst(now);
      this.notes.push(
        `target limits ICMP errors to ~${rate < 10 ? rate.toFixed(2) : Math.round(rate)}/s` +
          (b !== undefined ? ` (burst ${b})` : "") + "; UDP probes were paced to it",
      );
    }
  }

  /**
   * When `poll` should next be called (absolute ms), absent replies: the
   * next sweep chunk, group, or settling deadline.
   */
  nextWakeAt(now: number): number {
    if (this.#done) return Infinity;
    const n = this.ports.length;
    if (this.#sweepNext < n) {
      // Wake for whole chunks (about 1 ms of the sweep rate), sent back to back.
      const chunk = Math.max(1, Math.min(this.#o.sweepChunk, this.#o.sweepRate / 1000));
      return this.#o.start + ((this.#sweepNext + chunk - 1) * 1000) / this.#o.sweepRate;
    }
    // The full timeout matters when only parked ports are left (or the
    // defeat round waits); otherwise groups and settling drive the clock.
    const idle = this.#o.defeatIcmpRatelimit || this.#unresolved === this.#parked;
    let t = idle ? this.#lastActivity + this.#o.timeouts.finalMs() : Infinity;
    const log = this.#log;
    if (this.#evalCursor < log.length) {
      t = Math.min(
        t,
        log.time[this.#evalCursor]! + this.#o.witnessGapMs + this.#o.timeouts.settleMs(),
      );
    }
    if (!this.#o.defeatIcmpRatelimit && this.#unresolved > this.#parked) {
      t = Math.min(t, this.#nextGroupAt);
    }
    return Math.max(t, now);
  }

  /**
   * Stop now (host timeout, Ctrl-C): ports without an answer are left out
   * unless `silentAs` says what to call them.
   */
  abort(silentAs?: PortState): void {
    if (silentAs) {
      for (let idx = 0; idx < this.ports.length; idx++) {
        if (this.#state[idx] !== RESOLVED) this.#resolveSilent(idx, silentAs);
      }
    }
    this.#done = true;
  }

  /** Every decided port, in the order of `ports`. */
  results(): PortResult[] {
    return this.#results.filter((r): r is PortResult => r !== undefined);
  }

  stats(now: number): UdpHostStats {
    return {
      probesSent: this.#log.length,
      groups: this.#groups.length,
      icmpRatePerSecond: this.pacer.ratePerSecond(now),
      icmpBurst: this.pacer.burst(now),
      fairTriesNeeded: this.fairTriesNeeded(),
      lossEstimate: this.lossEstimate(),
      icmpFromTarget: this.#icmpFromTarget,
    };
  }
}
