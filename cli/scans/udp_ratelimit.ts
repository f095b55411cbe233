/**
 * The target's ICMP error budget, learnt from its replies, and the pace that
 * spends it without waste.
 *
 * A host answers a closed UDP port with ICMP port-unreachable only when its
 * ICMP token bucket holds a token. Linux keeps one bucket per peer
 * (`inet_peer_xrlim_allow`: `net.ipv4.icmp_ratelimit` ms per token, at most
 * XRLIM_BURST_FACTOR = 6 tokens; IPv6 alike with `net.ipv6.icmp.ratelimit`)
 * and one per namespace (`icmp_global_allow`: `icmp_msgs_per_sec`, topped up
 * at most every 20 ms, up to `icmp_msgs_burst`). Measured here (kernel 6.18,
 * HZ 250, two namespaces, 30 closed ports): 6 replies at once, then exactly
 * one per 1000 ms (IPv6: one per 100 ms); with the per-peer limit off, about
 * 100 at once and then 1000/s in 20 ms steps.
 *
 * A probe that finds the bucket empty costs the target nothing, so the
 * fastest correct scan keeps the bucket from ever filling (a full bucket
 * wastes what it would have gained) and asks for every token as it comes:
 * the scan sends small groups of probes back to back, each group after
 * about `TOKENS_PER_GROUP` tokens' worth of time, and closes each group with
 * a *witness*: a port known to draw ICMP. An unanswered witness shows that
 * the group drained the bucket (its level there was in [0, 1)); an answered
 * one shows tokens to spare, and the next group grows. Between two drain
 * points the target made exactly the tokens it spent, give or take one, so
 * the answers counted between the first and the latest drain over the time
 * between them is the rate, with an error that shrinks as 1/(answers).
 *
 * @module
 */

/** Tokens a group should find waiting: enough to be worth a group, far below Linux's 6. */
export const TOKENS_PER_GROUP = 2;

/** What one settled group of probes showed. */
export interface GroupOutcome {
  /** Send time of the group's first probe, ms. */
  sentAt: number;
  /** ICMP errors from the target itself answering this group's probes. */
  answered: number;
  /**
   * Set when the group drained the bucket: the send time of its closing
   * witness (a port known to draw ICMP) that went unanswered, so the level
   * was below one token there.
   */
  drainedAt?: number;
  /** Fresh probes the group carried (not counting suspects and the witness). */
  size: number;
}

/** Limits on the gap between groups, ms. */
export interface PacerLimits {
  /** Never closer than this (the engine's poll granularity). */
  minGapMs: number;
  /** Never further apart than this, so the estimate keeps moving. */
  maxGapMs: number;
}

/** Fresh probes a group carries at the least. */
export const MIN_GROUP = 3;

/**
 * Rate and burst estimator plus group pacer for one target. Feed it the
 * sweep's count and every group's outcome in send order; ask it when the
 * next group goes and how many fresh probes it should carry.
 */
export class IcmpRatePacer {
  readonly limits: PacerLimits;
  /** First drain point seen (the estimate's origin), ms. */
  #firstDrainAt: number | undefined;
  /** Latest drain point, ms. */
  #lastDrainAt: number | undefined;
  /** Answers and time over the drain-to-drain intervals that count. */
  #tokens = 0;
  #span = 0;
  /** The most tokens per ms an interval that filled the bucket showed (the rate is higher). */
  #lowerBound = 0;
  /** Answers from groups sent after the latest drain (not yet closed by a drain). */
  #tokensSinceDrain = 0;
  /** Answers the sweep drew (burst plus what accrued while it ran). */
  #sweepAnswered = 0;
  #sweepSpanMs = 0;
  #sweepSeen = false;
  /** Groups since the latest drain that came back with tokens to spare. */
  #undrainedStreak = 0;
  #lastSize = MIN_GROUP;
  #lastGap: number;

  constructor(limits: PacerLimits) {
    this.limits = limits;
    this.#lastGap = limits.minGapMs;
  }

  /** Whether the target has shown a rate limit: some group drained its bucket. */
  get limited(): boolean {
    return this.#firstDrainAt !== undefined;
  }

  /** The sweep drew `answered` ICMP errors over `spanMs` of sending (for the burst). */
  observeSweep(answered: number, spanMs: number): void {
    this.#sweepSeen = true;
    this.#sweepAnswered = answered;
    this.#sweepSpanMs = spanMs;
  }

  /** A settled group's outcome (groups in send order). */
  observeGroup(o: GroupOutcome): void {
    if (this.#firstDrainAt === undefined) {
      // Nothing to measure against yet: the first drain starts the clock.
      if (o.drainedAt !== undefined) this.#firstDrainAt = this.#lastDrainAt = o.drainedAt;
      else this.#grow(o.size);
      return;
    }
    if (o.sentAt <= this.#lastDrainAt!) return;
    this.#tokensSinceDrain += o.answered;
    if (o.drainedAt !== undefined) {
      // A full bucket hides what the target made: such an interval only
      // moves the origin. (A one-token bucket is always "full"; keep it.)
      const b = this.#burstEstimate();
      const span = o.drainedAt - this.#lastDrainAt!;
      const saturated = b !== undefined && b >= 2 && this.#tokensSinceDrain >= b;
      if (!saturated) {
        this.#tokens += this.#tokensSinceDrain;
        this.#span += span;
      } else if (span > 0) {
        this.#lowerBound = Math.max(this.#lowerBound, this.#tokensSinceDrain / span);
      }
      this.#tokensSinceDrain = 0;
      this.#lastDrainAt = o.drainedAt;
      this.#undrainedStreak = 0;
      this.#lastSize = Math.max(MIN_GROUP, o.size);
    } else {
      this.#grow(o.size);
    }
  }

  #grow(size: number): void {
    if (size <= 0) return;
    this.#undrainedStreak++;
    this.#lastSize = Math.max(this.#lastSize, size);
  }

  /**
   * Estimated tokens per ms, or undefined before any drain: answers over
   * time across the drain-to-drain intervals that did not fill the bucket
   * (exact to a token; half a token is added so the estimate errs fast).
   * Intervals that filled it only say the rate is higher than they showed;
   * with nothing else, the estimate goes a quarter above the best of them.
   * Before any token came back, an upper bound that falls with time.
   */
  rate(now: number): number | undefined {
    if (this.#firstDrainAt === undefined) return undefined;
    const floor = this.#lowerBound * 1.25;
    if (this.#tokens > 0) return Math.max((this.#tokens + 0.5) / this.#span, floor);
    if (floor > 0) return floor;
    const waited = Math.max(now - this.#firstDrainAt, this.limits.minGapMs);
    return (this.#tokensSinceDrain + 0.5) / waited;
  }

  /** Tokens per second, for reports. */
  ratePerSecond(now: number): number | undefined {
    const r = this.rate(now);
    return r === undefined ? undefined : r * 1000;
  }

  /** The burst: what the sweep drew beyond the rate over its own span. */
  burst(now: number): number | undefined {
    return this.rate(now) === undefined ? undefined : this.#burstEstimate();
  }

  #burstEstimate(): number | undefined {
    if (!this.#sweepSeen || this.#tokens === 0) {
      return this.#sweepSeen && this.limited ? Math.max(1, this.#sweepAnswered) : undefined;
    }
    const r = Math.max((this.#tokens + 0.5) / this.#span, this.#lowerBound);
    return Math.max(1, Math.round(this.#sweepAnswered - r * this.#sweepSpanMs));
  }

  /**
   * ms until the next group: about TOKENS_PER_GROUP tokens, and a third of
   * the bucket at most, so it never fills between groups (a bucket of one
   * token is asked three times a token). While the rate is still being
   * found the gap at most doubles from one group to the next, so an early
   * overestimate of the gap cannot let the bucket overflow. `want`: the
   * tokens the next group can use (one when only its witness needs one).
   * Call once per group sent.
   */
  nextGap(now: number, want = TOKENS_PER_GROUP): number {
    const r = this.rate(now);
    const { minGapMs, maxGapMs } = this.limits;
    if (r === undefined) return (this.#lastGap = minGapMs);
    const b = this.burst(now) ?? want * 3;
    const tokens = Math.min(want, Math.max(1 / 3, b / 3));
    const gap = Math.min(maxGapMs, 2 * this.#lastGap, Math.max(minGapMs, tokens / r));
    return (this.#lastGap = gap);
  }

  /**
   * How many fresh probes a group sent at `now` should carry: enough to take
   * the tokens expected to wait with two to spare, when a share `silent` of
   * fresh ports never answers (so the witness after them finds the bucket
   * empty and costs nothing); doubled for
   * every group that came back with tokens to spare. `Infinity` while no
   * limit has shown (send everything).
   */
  groupSize(now: number, silent = 0): number {
    const r = this.rate(now);
    if (r === undefined || this.#lastDrainAt === undefined) return Infinity;
    const expected = Math.max(0, r * (now - this.#lastDrainAt) - this.#tokensSinceDrain);
    const answering = 1 - Math.min(0.9, Math.max(0, silent));
    let size = Math.ceil((expected + 2 + expected / 8) / answering);
    if (this.#undrainedStreak > 0) {
      size = Math.max(size, this.#lastSize * 2 ** Math.min(this.#undrainedStreak, 10));
    }
    return Math.max(MIN_GROUP, size);
  }
}
