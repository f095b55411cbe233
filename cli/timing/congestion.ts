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
}

export class CongestionWindow {
  /** Probes allowed in flight (fractional: grows by 1/cwnd per reply in CA). */
  cwnd: number;
  ssthresh: number;
  /** Time (ms) of the last reduction; probes sent before it no longer count. */
  lastDropAt = -Infinity;
  /** Number of reductions so far (for -d output and tests). */
  drops = 0;

  constructor(readonly opts: CongestionOptions) {
    this.cwnd = Math.min(Math.max(opts.initial, opts.min), opts.max);
    this.ssthresh = opts.ssthresh;
  }

  /** How many more probes may go out with `inFlight` outstanding. */
  room(inFlight: number): number {
    return Math.max(0, Math.floor(this.cwnd) - inFlight);
  }

  /**
   * `n` replies arrived. `scale` ≥ 1 credits replies for probes that get no
   * answer by design (nmap's cc_scale: sent / answered, so a mostly
   * filtered host still opens the window).
   */
  onReply(n = 1, scale = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.cwnd < this.ssthresh) this.cwnd += scale;
      else this.cwnd += scale / this.cwnd;
    }
    if (this.cwnd > this.opts.max) this.cwnd = this.opts.max;
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
