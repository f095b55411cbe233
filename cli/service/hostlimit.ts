/**
 * The per-host limit on concurrent service-scan connections. It starts at
 * nmap's service parallelism, grows by one with each connection the host
 * accepts, as it accepts it (up to a ceiling: TCP's slow start, so that ports
 * whose first connection waits out a silent NULL probe do not hold the
 * probes after it until those end), and at least halves when the host refuses or
 * resets a connection: a daemon whose listen backlog is full, or a kernel
 * answering with SYN cookies, shows itself that way, and fewer connections at
 * once is what it survives. It then drops to no more than the connections the
 * host holds open at that moment (what it just showed it can take). One cut
 * per round: a refusal of a connection asked for before the last cut does not
 * cut again.
 */

export class HostConnLimit {
  /** Connections allowed at once now. */
  limit: number;
  private used = 0;
  /** Connections the host accepted that are still open. */
  private open = 0;
  private readonly waiting: Array<() => void> = [];
  /** Generation of the limit, bumped at each halving. */
  private round = 0;

  constructor(start: number, readonly ceiling: number) {
    this.limit = Math.max(1, Math.min(start, ceiling));
  }

  /** Connections held now. */
  get inUse(): number {
    return this.used;
  }

  /**
   * Waits for a connection slot. Resolves with a ticket to hand back to
   * `release`, or rejects when `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.used++;
        resolve(this.round);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(grant);
      this.pump();
    });
  }

  /** Notes that the host accepted a connection holding a slot: one more may go. */
  connected(): void {
    this.open++;
    this.limit = Math.min(this.ceiling, this.limit + 1);
    this.pump();
  }

  /**
   * Gives a slot back. `refused`: the host refused or reset the connection;
   * `wasConnected`: whether {@link connected} was called for it.
   */
  release(ticket: number, refused: boolean, wasConnected: boolean): void {
    this.used--;
    if (wasConnected) this.open--;
    if (refused && ticket === this.round) {
      this.limit = Math.max(1, Math.min(Math.floor(this.limit / 2), this.open));
      this.round++;
    }
    this.pump();
  }

  private pump(): void {
    while (this.used < this.limit && this.waiting.length) this.waiting.shift()!();
  }
}
