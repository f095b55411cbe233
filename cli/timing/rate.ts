/**
 * --min-rate and --max-rate: a token bucket caps the send rate, and a running
 * account of packets sent since the start says how many are owed to keep the
 * minimum (nmap measures both over the whole scan). Times are ms.
 *
 * @module
 */

export class RateLimiter {
  #tokens: number;
  #last: number;
  readonly #burst: number;
  #sent = 0;

  /**
   * @param minRate packets per second to keep up (0 = none)
   * @param maxRate packets per second not to exceed (0 = none)
   * @param now the clock's current value, ms
   */
  constructor(readonly minRate: number, readonly maxRate: number, readonly start: number) {
    // A small burst (10 ms worth, at least one packet) lets batches form
    // without breaking the average.
    this.#burst = maxRate > 0 ? Math.max(1, maxRate / 100) : Infinity;
    this.#tokens = maxRate > 0 ? 1 : Infinity;
    this.#last = start;
  }

  #refill(now: number): void {
    if (this.maxRate <= 0) return;
    const dt = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (dt * this.maxRate) / 1000);
  }

  /** How many packets --max-rate allows right now (Infinity without it). */
  allowance(now: number): number {
    this.#refill(now);
    return this.maxRate > 0 ? Math.floor(this.#tokens) : Infinity;
  }

  /** How many packets are owed to --min-rate right now (0 without it). */
  owed(now: number): number {
    if (this.minRate <= 0) return 0;
    const due = Math.floor((this.minRate * (now - this.start)) / 1000) + 1;
    return Math.max(0, due - this.#sent);
  }

  /** Record `n` packets sent. */
  sent(n: number, now: number): void {
    this.#refill(now);
    this.#sent += n;
    if (this.maxRate > 0) this.#tokens -= n;
  }

  /** Total packets recorded. */
  get total(): number {
    return this.#sent;
  }

  /** ms until the next packet may go under --max-rate (0 = now). */
  waitMs(now: number): number {
    if (this.maxRate <= 0) return 0;
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.maxRate;
  }

  /** ms until --min-rate owes another packet (Infinity without it). */
  dueMs(now: number): number {
    if (this.minRate <= 0) return Infinity;
    const nextAt = this.start + ((this.#sent) * 1000) / this.minRate;
    return Math.max(0, nextAt - now);
  }
}
