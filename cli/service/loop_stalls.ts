/**
 * When the scanner's own event loop stood still. A connect whose completion
 * was noticed only after a long synchronous task (matching a reply against
 * thousands of match lines on a loaded machine) looks as slow as one whose SYN
 * the target dropped; the time the loop stood still within it is not the
 * target's doing (port_activity.ts judges listen-queue overflow from connect
 * times).
 */

/** How often the loop is looked at. */
export const TICK_MS = 20;
/** A gap between ticks longer than this is a stall (the rest is timer slack). */
export const STALL_MS = 60;

/** The stalls of the event loop while it is watched. */
export class LoopStalls {
  /** [start, end) of each stall seen, oldest first. */
  private readonly stalls: [number, number][] = [];
  /** The last look (undefined: none yet). */
  private last?: number;
  private timer?: ReturnType<typeof setInterval>;

  /** Starts watching; `now` for tests. */
  start(now = performance.now()): void {
    if (this.timer !== undefined) return;
    this.last = now;
    const timer = setInterval(() => this.tick(performance.now()), TICK_MS);
    Deno.unrefTimer(timer);
    this.timer = timer;
  }

  /** Stops watching. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Notes a look at the loop at `now` (the timer's, or a test's). */
  tick(now: number): void {
    if (this.last !== undefined && now - this.last > STALL_MS) this.stalls.push([this.last, now]);
    this.last = now;
    // A connect lasts seconds at most: older stalls are no longer asked about.
    while (this.stalls.length && this.stalls[0]![1] < now - 60_000) this.stalls.shift();
  }

  /**
   * How late an event noticed at `to` (waited for since `from`) may have been noticed: the
   * stall that ended just before `to`, or is still under way. An earlier stall delays nothing
   * (the loop ran after it, and would have seen an event that came during it).
   */
  lateBy(from: number, to: number): number {
    if (this.last !== undefined && to - this.last > STALL_MS) return to - Math.max(this.last, from);
    const s = this.stalls[this.stalls.length - 1];
    return s && s[1] >= to - STALL_MS ? Math.max(0, to - Math.max(s[0], from)) : 0;
  }

  /** How long the loop stood still within [from, to], counting the stall under way at `to`. */
  within(from: number, to: number): number {
    let ms = 0;
    for (const [a, b] of this.stalls) ms += Math.max(0, Math.min(b, to) - Math.max(a, from));
    // A stall still going on: the tick that ends it has not run yet.
    if (this.last !== undefined && to - this.last > STALL_MS) ms += to - Math.max(this.last, from);
    return ms;
  }
}
