/**
 * The congestion window: how many probes may be outstanding at once. It grows
 * on replies and shrinks on loss, like TCP (RFC 5681) and nmap's
 * `ultra_timing_vals`: slow start adds one probe per reply up to ssthresh,
 * congestion avoidance adds 1/cwnd per reply after it, and a drop halves the
 * window and sets ssthresh to half of what was in flight.
 *
 * A drop is signalled by a reply to a retransmission (the earlier try was
 * lost) or by a probe timing out on a host that does answer. To keep random
 * loss from collapsing the window, the window reacts at most once per flight:
 * drops of probes sent before the last reaction are ignored (nmap does the
 * same with its "last drop" time), and it never goes below `min`.
 *
 * A window alone cannot slow a scan down on a LAN: with an RTT of a tenth of a millisecond even a
 * window of one probe is thousands a second, and random loss must not shrink it to that anyway.
 * So the window also paces. An overloaded target (a policer, a busy host's full input queue)
 * drops a share of probes that grows with the send rate; random loss and filtered ports give a
 * share that does not care how fast we send. Every epoch of {@link EPOCH_TRIES} settled tries
 * measures the delivery ratio d (tries answered / tries answered or given up for lost). When d falls below the path's
 * baseline by a quarter and its noise (3 σ), the pace is cut (to half what was sent, down to
 * twice what got through when d is small); once the tries sent before the cut have been given
 * up (twice the usual time from a send to its loss), the next epoch judges: if d rose (by 25% and 3 σ), the loss was ours
 * (keep cutting while it is high); if not, it is the path's — the baseline becomes it and the
 * old pace comes back. Epochs at the baseline let the pace grow by a quarter until it no longer
 * binds. The baseline is the first epoch's ratio (1 if that was below a quarter), rises slowly
 * towards better epochs, and falls only by a trial.
 *
 * @module
 */

export interface CongestionOptions {
  /** Window at start (nmap: 10). */
  initial: number;
  /** Floor (nmap: --min-parallelism, else 1). */
  min: number;
  /** Ceiling (nmap: --max-parallelism, else 300; Porthole allows more). */
  max: number;
  /** Slow-start threshold at start (nmap: 75). */
  ssthresh: number;
  /** --nogcc: no group congestion control: `max` probes in flight, unpaced, whatever is lost. */
  off?: boolean;
}

/**
 * Settled tries (answered or lost) that close and judge an epoch (at least two windows: answers
 * and losses come in clumps of a window's batches)…
 */
export const EPOCH_TRIES = 256;
/** …once it has this many answers: losses alone (filtered ports) say nothing about the rate. */
export const EPOCH_ANSWERS = 32;
/** An epoch still without EPOCH_ANSWERS answers after this long is dropped unjudged, and a
 * trial cut that could not be judged in this long after its drain is undone (ms). */
export const EPOCH_MAX_MS = 2000;
/** A delivery ratio below this share of the baseline (and its noise) starts a trial. */
const LOSS_MARGIN = 0.75;
/** The first epoch's ratio becomes the baseline when at least this (else it starts a trial). */
const FIRST_BASELINE_MIN = 0.25;
/** A cut helped when d rose by this factor (and 3 σ). */
const HELPED = 1.25;
/** A cut paces at least this much above the epoch's delivered rate (answers a second). */
const DELIVERED_HEADROOM = 1.1;
/** Standard deviation of a delivery ratio `p` measured over `n` probes. */
function spread(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}

/** Paces above this (probes/s) are no pace at all. */
const UNPACED = 1e6;

export class CongestionWindow {
  /** Probes allowed in flight (fractional: grows by 1/cwnd per reply in CA). */
  cwnd: number;
  ssthresh: number;
  /** Time (ms) of the last reduction; probes sent before it no longer count. */
  lastDropAt = -Infinity;
  /** Number of reductions so far (for -d output and tests). */
  drops = 0;
  /** Send rate cap, probes per second (Infinity: none). */
  pace = Infinity;
  /** Delivery ratio the path gives whatever the rate (random loss, filtered ports). */
  baseline = 1;
  /** The last judged epoch's delivery ratio (for -d output and tests). */
  lastRatio = 1;
  /** Pace cuts so far (for -d output and tests). */
  cuts = 0;
  /** Cuts that delivered better: the loss grows with the rate (an overloaded path). */
  overloads = 0;
  #tokens = 0;
  #tokensAt = 0;
  #epochStart: number | undefined;
  #epochSent = 0;
  #epochAnswers = 0;
  #epochLost = 0;
  /** After a cut: 1 = draining, 2 = judging epoch; 0 = no trial. */
  #trial = 0;
  #trialRatio = 0;
  #trialPace = Infinity;
  #cutAt = 0;
  #epochs = 0;
  #lossSeen = false;
  /** Smoothed time from a send to its try being given up for lost (ms). */
  #lossDelay = 0;

  constructor(readonly opts: CongestionOptions) {
    this.cwnd = Math.min(Math.max(opts.initial, opts.min), opts.max);
    this.ssthresh = opts.ssthresh;
  }

  /** How many more probes may go out with `inFlight` outstanding. */
  room(inFlight: number): number {
    return Math.max(0, Math.floor(this.opts.off ? this.opts.max : this.cwnd) - inFlight);
  }

  /**
   * One reply, with nmap's cc_scale computed here from integer counts
   * (`sent` probes, `answered` of them): min(50, sent / answered), at least 1.
   * Integers as arguments keep the per-reply path allocation-free.
   */
  grow(sent: number, answered: number): void {
    let scale = sent / (answered > 0 ? answered : 1);
    if (scale > 50) scale = 50;
    if (scale < 1) scale = 1;
    if (this.cwnd < this.ssthresh) this.cwnd += scale;
    else this.cwnd += scale / this.cwnd;
    if (this.cwnd > this.opts.max) this.cwnd = this.opts.max;
  }

  /** How many probes the pace allows right now (Infinity when unpaced). */
  allowance(now: number): number {
    this.#endEpochIfLate(now);
    if (this.pace === Infinity || this.opts.off) return Infinity;
    this.#refill(now);
    return Math.floor(this.#tokens);
  }

  /** ms until the pace allows the next probe (0 = now). */
  waitMs(now: number): number {
    if (this.pace === Infinity || this.opts.off) return 0;
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.pace;
  }

  /** `n` probes (first tries or retransmissions) went out at `now`. */
  sent(n: number, now: number): void {
    this.#epochStart ??= now;
    this.#epochSent += n;
    if (this.pace !== Infinity) {
      this.#refill(now);
      this.#tokens -= n;
    }
  }

  /** A try drew its probe's first answer at `now`. */
  answered(now: number): void {
    this.#epochStart ??= now;
    this.#epochAnswers++;
    this.#settled(now);
  }

  /** A try sent at `sentAt` was given up for lost at `now` (its timeout or RACK expired). */
  lost(sentAt: number, now: number): void {
    if (!this.#lossSeen) {
      this.#lossSeen = true;
      // Answers come back within an RTT, losses only after a timeout: until the first loss
      // shows, an epoch would count the answers and none of the losses of the same sends.
      this.#epochStart = now;
      this.#epochSent = this.#epochAnswers = this.#epochLost = 0;
    }
    this.#epochStart ??= now;
    this.#epochLost++;
    const delay = now - sentAt;
    if (delay >= 0) this.#lossDelay += (delay - this.#lossDelay) / 8;
    this.#settled(now);
  }

  #settled(now: number): void {
    if (this.#trial === 1) {
      // Losses are noticed a timeout after their send: until the tries sent before the cut have
      // all been given up, what settles describes the old pace.
      if (now < this.#cutAt + 2 * this.#lossDelay) return;
      this.#trial = 2;
      this.#epochStart = now;
      this.#epochSent = this.#epochAnswers = this.#epochLost = 0;
      return;
    }
    if (
      this.#lossSeen && this.#epochAnswers >= EPOCH_ANSWERS &&
      this.#epochAnswers + this.#epochLost >= Math.max(EPOCH_TRIES, 2 * this.cwnd)
    ) this.#endEpoch(now);
  }

  #refill(now: number): void {
    // A burst of 10 ms worth (at least one probe) lets batches form without breaking the pace.
    const burst = Math.max(1, this.pace / 100);
    this.#tokens = Math.min(
      burst,
      this.#tokens + (Math.max(0, now - this.#tokensAt) * this.pace) / 1000,
    );
    this.#tokensAt = now;
  }

  #endEpochIfLate(now: number): void {
    if (this.#trial !== 0 && now - this.#cutAt >= 2 * this.#lossDelay + EPOCH_MAX_MS) {
      // Too few answers to judge the cut (a sparse sweep, a tail of silent ports): no evidence
      // that slowing down helps, so the old pace comes back.
      this.#trial = 0;
      this.#setPace(this.#trialPace);
    }
    if (this.#epochStart !== undefined && now - this.#epochStart >= EPOCH_MAX_MS) {
      this.#epochStart = now;
      this.#epochSent = this.#epochAnswers = this.#epochLost = 0;
    }
  }

  #endEpoch(now: number): void {
    const ms = Math.max(1, now - (this.#epochStart ?? now));
    const rate = (this.#epochSent * 1000) / ms;
    const settled = this.#epochAnswers + this.#epochLost;
    const d = this.#epochAnswers / settled;
    const delivered = (this.#epochAnswers * 1000) / ms;
    this.#epochStart = now;
    this.#epochSent = this.#epochAnswers = this.#epochLost = 0;
    this.lastRatio = d;
    if (this.#trial === 2) {
      this.#trial = 0;
      const before = this.#trialRatio;
      if (!(d > before * HELPED && d - before > 3 * spread(before, settled))) {
        // Slower did not deliver better: this loss is the path's, not ours.
        this.baseline = Math.max(d, before);
        this.#setPace(this.#trialPace);
        return;
      }
      this.overloads++;
    }
    if (this.#epochs++ === 0 && d >= FIRST_BASELINE_MIN) {
      // The first epoch says what the path gives (random loss, silent ports): no trial for it
      // unless most of what was sent was lost.
      this.baseline = d;
      return;
    }
    // Only a ratio well outside the baseline's noise starts a trial (the trial's own judgement
    // would take noise for success: the next epoch regresses to the mean).
    if (d < LOSS_MARGIN * this.baseline - 3 * spread(this.baseline, settled)) {
      // Cut what was actually sent (the pace may not have been what bound it): by half, and
      // down to twice the delivered rate when most probes are lost.
      this.#trial = 1;
      this.#cutAt = now;
      this.#trialRatio = d;
      this.#trialPace = this.pace;
      // Never below what got through, though: a policer (a token bucket) passes that much
      // whatever we send beyond it, and a pace under it leaves its tokens unused.
      const sent = Math.min(this.pace, rate);
      const cut = sent * Math.min(0.5, Math.max(1 / 64, 2 * d));
      this.#setPace(Math.min(sent, Math.max(cut, DELIVERED_HEADROOM * delivered)));
      this.cuts++;
      return;
    }
    // The baseline rises slowly towards better epochs; it falls only when a cut proved that the
    // loss is the path's (a loss that grows with the pace must stand out against it, not become
    // it).
    if (d > this.baseline) this.baseline += (d - this.baseline) / 8;
    if (this.pace !== Infinity) {
      // Speed up; a pace far above what was sent binds nothing.
      this.#setPace(this.pace > 4 * rate ? Infinity : this.pace * 1.25);
    }
  }

  #setPace(p: number): void {
    this.pace = p >= UNPACED ? Infinity : Math.max(1, p);
  }

  /**
   * A probe sent at `sentAt` was lost (ms, same clock as `now`). Returns
   * whether the window shrank.
   */
  onDrop(sentAt: number, now: number, inFlight: number): boolean {
    if (sentAt < this.lastDropAt) return false;
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2, this.opts.min);
    this.cwnd = Math.max(this.opts.min, this.cwnd / 2);
    this.lastDropAt = now;
    this.drops++;
    return true;
  }
}
