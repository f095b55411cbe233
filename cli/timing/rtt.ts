/**
 * Round-trip time estimation per host, as nmap's `adjust_timeouts2`
 * (timing.cc) does it: RFC 6298 smoothing (srtt gain 1/8, rttvar gain 1/4,
 * timeout = srtt + 4·rttvar), rttvar floored at 5 ms on the first sample,
 * wild samples ignored, and the result clamped to the user's
 * --min-rtt-timeout / --max-rtt-timeout (and no shorter than --scan-delay).
 *
 * All times are milliseconds (fractions allowed).
 *
 * @module
 */

/** Limits from the options (TimingOptions fields of the same meaning). */
export interface RttLimits {
  initialRttTimeoutMs: number;
  minRttTimeoutMs: number;
  maxRttTimeoutMs: number;
  /** --scan-delay: a timeout never undercuts the gap between probes. */
  scanDelayMs?: number;
  /**
   * When set, the floor once RTT samples exist (instead of minRttTimeoutMs):
   * Porthole's adaptive floor for -T3 and faster when --min-rtt-timeout was
   * not given. A LAN answers in well under a millisecond; waiting nmap's
   * 100 ms for every silent port is what makes nmap slow there.
   */
  adaptiveFloorMs?: number;
}

/** RFC 6298 estimator for one host. */
export class RttEstimator {
  /** Smoothed RTT, ms; undefined until the first sample. */
  srtt: number | undefined;
  /** RTT variation, ms; undefined until the first sample. */
  rttvar: number | undefined;
  /** Current retransmission timeout, ms. */
  timeout: number;
  /** Number of samples taken. */
  samples = 0;
  /** The longest sample taken, ms (0 before the first): how late an answer may still come on
   * a path whose delay varies more than the timeout covers. */
  longest = 0;
  /**
   * Smoothed RTT (gain 1/8), ms, of the samples whose send time is known exactly: the first
   * frame of each send call. The others left later in the same call, at times only estimated,
   * and on a virtual link their answers queue behind the batch's own frames; they time the
   * retransmission timeout well but would report a latency many times the path's.
   */
  latency: number | undefined;

  constructor(readonly limits: RttLimits) {
    this.timeout = this.#clamp(limits.initialRttTimeoutMs);
  }

  #clamp(t: number): number {
    const l = this.limits;
    const floor = this.samples > 0 && l.adaptiveFloorMs !== undefined
      ? l.adaptiveFloorMs
      : l.minRttTimeoutMs;
    t = Math.min(Math.max(t, floor), l.maxRttTimeoutMs);
    return Math.max(t, l.scanDelayMs ?? 0);
  }

  /**
   * Take one sample: `rtt` ms between a probe's send and its reply. Only
   * unambiguous samples belong here (Karn's rule: the reply must be known to
   * answer that very try — the cookie's try number makes this possible).
   */
  sample(rtt: number): void {
    if (!(rtt >= 0)) return;
    if (this.srtt === undefined || this.rttvar === undefined) {
      this.srtt = rtt;
      // nmap: rttvar = MAX(5000us, MIN(rtt, 2s)) for the first measurement.
      this.rttvar = Math.max(5, Math.min(rtt, 2000));
    } else {
      // Ignore absurd samples (a reply to a much older probe), as nmap does.
      if (rtt >= 8000 && rtt > 3 * this.timeout) return;
      const delta = rtt - this.srtt;
      this.srtt += delta / 8;
      this.rttvar += (Math.abs(delta) - this.rttvar) / 4;
    }
    this.samples++;
    if (rtt > this.longest) this.longest = rtt;
    this.timeout = this.#clamp(this.srtt + 4 * this.rttvar);
  }

  /** One exactly timed RTT sample (ms) for the reported latency. */
  sampleLatency(rtt: number): void {
    if (!(rtt >= 0)) return;
    this.latency = this.latency === undefined ? rtt : this.latency + (rtt - this.latency) / 8;
  }

  /** Seconds of latency to report ("Host is up (0.0012s latency)."): from the exactly timed
   * samples, else the smoothed RTT. */
  get latencySeconds(): number | undefined {
    const ms = this.latency ?? this.srtt;
    return ms === undefined ? undefined : ms / 1000;
  }
}
