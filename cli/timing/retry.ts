/**
 * How many tries a probe gets before silence becomes its answer.
 *
 * nmap's rule (scan_engine.cc, `allowedTryno`): a host gets one more try than
 * the highest try that ever drew a reply from it, capped by --max-retries.
 * So a loss-free host gets 2 tries per silent port, and a lossy one up to
 * max-retries + 1.
 *
 * On a lossy path that is not enough to give the loss-free answer every
 * time (with 20% loss each way, 7 tries still miss one port in ~1300). So
 * unless the user fixed --max-retries, Porthole keeps probing while the host
 * keeps answering retransmissions: from the replies it estimates q, the
 * chance that one try draws a reply (the maximum-likelihood estimate for a
 * geometric number of tries: answered probes / tries they took), and allows
 * enough tries that a port which would answer is missed with probability
 * below `missBudget` over the host's `portCount` ports:
 *     (1 - q)^k ≤ missBudget / portCount.
 *
 * @module
 */

export interface RetryOptions {
  /** --max-retries (nmap's template value when not given). */
  maxRetries: number;
  /** The user fixed --max-retries: honour it as a hard cap. */
  explicit: boolean;
  /** Hard cap on tries in adaptive mode. */
  adaptiveCap?: number;
  /** Acceptable chance of misreading one answering port, per host. */
  missBudget?: number;
  /** Fewest tries before giving up (nmap: 2; discovery uses 3, since a
   * first contact has no loss statistics yet). Capped by --max-retries. */
  minTries?: number;
}

/** Per-host reply statistics and the resulting try allowance. */
export class RetryPolicy {
  /** Highest 0-based try number that drew a reply. -1: none yet. */
  maxSuccessfulTry = -1;
  /** Probes answered. */
  answered = 0;
  /** Sum over answered probes of the tries they took (tryNo + 1). */
  triesOfAnswered = 0;
  /** Probes whose first answer came to a retransmission. */
  retransmitsAnswered = 0;
  /** Of those, the ones whose first try was answered after all (later): the path reordered or
   * delayed it, and the retransmission was spurious (no loss). */
  spurious = 0;

  constructor(readonly opts: RetryOptions, readonly portCount: number) {}

  /** A reply arrived to try `tryNo` (0-based) of a probe. */
  onReply(tryNo: number): void {
    if (tryNo > this.maxSuccessfulTry) this.maxSuccessfulTry = tryNo;
    if (tryNo > 0) this.retransmitsAnswered++;
    this.answered++;
    this.triesOfAnswered += tryNo + 1;
  }

  /** A probe answered at a retransmission turned out to have had its first try answered too. */
  onSpurious(): void {
    this.spurious++;
  }

  /** Loss seen: retransmissions drew answers, more of them than reordering explains. */
  get lossSeen(): boolean {
    return this.maxSuccessfulTry >= 1 && this.retransmitsAnswered > this.spurious;
  }

  /** Estimated chance that one try draws a reply (undefined without data). */
  get deliveryRate(): number | undefined {
    return this.answered === 0 ? undefined : this.answered / this.triesOfAnswered;
  }

  /** Total tries (first send included) a probe to this host may get. */
  allowedTries(): number {
    const cap = this.opts.maxRetries + 1;
    // nmap: one try beyond the highest successful one, at least two.
    // Retransmissions whose answers all turned out spurious (their first tries were answered
    // too, later: a jittery path reorders) drew no answer that a first try would not have.
    const maxTry = this.retransmitsAnswered > this.spurious
      ? this.maxSuccessfulTry
      : Math.min(this.maxSuccessfulTry, 0);
    const nmapTries = Math.min(cap, Math.max(this.opts.minTries ?? 2, maxTry + 2));
    if (this.opts.explicit || !this.lossSeen) return nmapTries;
    // Loss seen (a retransmission was answered): allow what the estimated
    // loss demands. A +1 margin covers the estimate's optimism early on.
    const q = Math.min(this.deliveryRate ?? 1, 0.999);
    const budget = (this.opts.missBudget ?? 1e-4) / Math.max(1, this.portCount);
    const k = Math.ceil(Math.log(budget) / Math.log(1 - q)) + 1;
    const hard = this.opts.adaptiveCap ?? 40;
    return Math.min(hard, Math.max(nmapTries, k, cap));
  }
}

/** The chance of `k` or more successes in `n` independent trials of chance `q` each. */
export function binomialTail(n: number, k: number, q: number): number {
  if (k <= 0 || q >= 1) return k <= n ? 1 : 0;
  if (k > n || q <= 0) return 0;
  let term = Math.pow(1 - q, n); // P(X = 0)
  let sum = 0;
  for (let i = 1; i <= n; i++) {
    term *= ((n - i + 1) / i) * (q / (1 - q));
    if (i >= k) sum += term;
  }
  return Math.min(1, sum);
}
