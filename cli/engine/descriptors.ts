/**
 * File descriptors as a budget. Every connection Porthole opens through the
 * OS (connect scan, connect ping, -sV) holds a descriptor, and the process
 * may have only RLIMIT_NOFILE of them (`ulimit -n`, as low as 24 in the wild),
 * some taken by Deno itself. Connections take a slot before they open and
 * give it back when closed, so parallelism is sized to what the process may
 * still open.
 *
 * Running out anyway (the count was wrong, another part of the runtime opened
 * something, the system's table is full: EMFILE, ENFILE, ENOBUFS, ENOMEM,
 * EADDRNOTAVAIL) is back-pressure, never an answer about the target: the
 * attempt is withdrawn and made again when a descriptor is free, and the
 * budget shrinks to what was open when it happened (and grows back slowly,
 * by one slot per round of closes, as a congestion window does).
 *
 * @module
 */

import { type DescriptorUse, descriptorUse } from "../../ffi/mod.ts";

/** Most descriptors kept back for the runtime and files opened later (output, modules, DNS). */
const RESERVE_MAX = 8;
/** Pause before trying again when nothing of ours is open and still nothing can be opened. */
const PAUSE_MIN_MS = 10;
const PAUSE_MAX_MS = 1000;
/** How long nothing at all may be openable before the run fails. */
export const STARVED_LIMIT_MS = 30_000;

/** errno values that mean "this host ran out of something", not "the target said something". */
const RESOURCE_ERRNOS: Record<string, number> = {
  EMFILE: 24,
  ENFILE: 23,
  ENOBUFS: 105,
  ENOMEM: 12,
  EADDRNOTAVAIL: 99,
};
const RESOURCE_CODES = new Set(Object.keys(RESOURCE_ERRNOS));
const RESOURCE_MESSAGE = new RegExp(
  `\\((?:os error|errno) (?:${Object.values(RESOURCE_ERRNOS).join("|")})\\)|\\b(?:${
    Object.keys(RESOURCE_ERRNOS).join("|")
  })\\b`,
);

/**
 * Whether a failed connect or socket creation failed for want of a local
 * resource (descriptors, buffers, memory, local ports). Deno reports
 * "Too many open files (os error 24)"; node:net errors carry `code: "EMFILE"`.
 */
export function isLocalResourceError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && RESOURCE_CODES.has(code)) return true;
  const msg = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  return RESOURCE_MESSAGE.test(msg);
}

/** The process cannot open even one connection. */
export class DescriptorLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DescriptorLimitError";
  }
}

/** What {@link DescriptorBudget} needs from the clock (replaced in tests). */
export interface BudgetClock {
  now(): number;
  /** Calls `fn` after `ms`; the timer does not keep the process alive. */
  later(fn: () => void, ms: number): void;
}

const realClock: BudgetClock = {
  now: () => performance.now(),
  later(fn, ms) {
    const id = setTimeout(fn, ms);
    Deno.unrefTimer(id);
  },
};

/**
 * Slots for descriptors: `take` before opening, then `give` after closing
 * (or after the open failed), or `overrun` instead when the open failed for
 * want of a local resource; `opened` when an open succeeded.
 */
export class DescriptorBudget {
  /** The most slots ever handed out at once (the sized limit). */
  readonly size: number;
  #cap: number;
  #used = 0;
  #pauseMs = 0;
  #pausedUntil = 0;
  #starvedSince: number | undefined;
  readonly #clock: BudgetClock;
  readonly #listeners = new Set<() => void>();
  /** Each returns true once it is done with (granted or failed). */
  readonly #waiters: (() => boolean)[] = [];

  constructor(size: number, clock: BudgetClock = realClock) {
    if (!(size >= 1)) throw new RangeError(`descriptor budget ${size} < 1`);
    this.size = size;
    this.#cap = size;
    this.#clock = clock;
  }

  /** Slots held now. */
  get used(): number {
    return this.#used;
  }

  /** Slots that may be taken now (0 while pausing after an overrun). */
  get available(): number {
    if (this.#pausedUntil > this.#clock.now()) return 0;
    return Math.max(0, Math.floor(this.#cap) - this.#used);
  }

  /**
   * Takes a slot if one is available. Throws DescriptorLimitError once
   * nothing could be opened for {@link STARVED_LIMIT_MS} while we held nothing.
   */
  take(): boolean {
    if (
      this.#starvedSince !== undefined &&
      this.#clock.now() - this.#starvedSince >= STARVED_LIMIT_MS
    ) {
      throw new DescriptorLimitError(
        `Out of file descriptors: no connection could be opened for ${
          STARVED_LIMIT_MS / 1000
        } s (raise the limit, e.g. ulimit -n 1024)`,
      );
    }
    if (this.available < 1) return false;
    this.#used++;
    return true;
  }

  /** A slot taken with {@link take} is free again (closed, or the open failed otherwise). */
  give(): void {
    if (this.#used === 0) throw new Error("descriptor budget: give without take");
    this.#used--;
    // Additive increase: one slot more per round of closes.
    if (this.#cap < this.size) {
      this.#cap = Math.min(this.size, this.#cap + 1 / Math.floor(this.#cap));
    }
    this.#notify();
  }

  /** An open succeeded: whatever ran short is there again. */
  opened(): void {
    this.#pauseMs = 0;
    this.#starvedSince = undefined;
  }

  /**
   * The open a slot was taken for failed for want of a local resource: the
   * slot is given back and the budget shrinks to the slots still held, so
   * the next try waits for one of them to close (never an immediate retry,
   * which would spin: such failures come back at once). With nothing held,
   * taking pauses instead (10 ms, doubling to 1 s).
   */
  overrun(): void {
    if (this.#used === 0) throw new Error("descriptor budget: overrun without take");
    this.#used--;
    this.#cap = Math.max(1, this.#used);
    if (this.#used > 0) return;
    const now = this.#clock.now();
    this.#starvedSince ??= now;
    this.#pauseMs = Math.min(PAUSE_MAX_MS, Math.max(PAUSE_MIN_MS, this.#pauseMs * 2));
    this.#pausedUntil = now + this.#pauseMs;
    this.#clock.later(() => this.#notify(), this.#pauseMs);
  }

  /** Calls `fn` whenever slots may have become available; returns the unsubscribe. */
  onFree(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Resolves with a slot taken, in arrival order; rejects when `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0 && this.take()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter = (): boolean => {
        try {
          if (!this.take()) return false;
        } catch (e) {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
          return true;
        }
        grant();
        return true;
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #notify(): void {
    while (this.#waiters.length > 0) {
      if (!this.#waiters[0]!()) break;
      this.#waiters.shift();
    }
    for (const fn of this.#listeners) fn();
  }
}

/**
 * Slots for a process with `free` descriptors left below its limit: all but
 * a reserve of an eighth (at most {@link RESERVE_MAX}) for what the runtime
 * and the run open besides connections.
 */
export function budgetSize(free: number): number {
  return free - Math.min(RESERVE_MAX, Math.floor(free / 8));
}

function tooFew(use: DescriptorUse, what: string): DescriptorLimitError {
  return new DescriptorLimitError(
    `Too few file descriptors ${what}: the limit (ulimit -n) is ${use.limit} and ` +
      `${use.open} are in use; raise it, e.g. ulimit -n 1024`,
  );
}

/**
 * A budget for a process whose descriptors are `use` (unbounded when not
 * known). At least one slot: descriptors the runtime holds for a moment
 * (module loading, its own sockets) are no reason to fail, and a real
 * shortage is back-pressure (see {@link DescriptorBudget.overrun}).
 */
export function budgetFor(use: DescriptorUse | undefined): DescriptorBudget {
  if (use === undefined) return new DescriptorBudget(Infinity);
  return new DescriptorBudget(Math.max(1, budgetSize(use.limit - use.open)));
}

/**
 * Throws DescriptorLimitError unless `n` descriptors can still be opened
 * (when the limit can be read): one clear error before the runtime itself
 * runs out (Deno panics when it cannot create the socket pair for signal
 * handling). Checked at once: waiting would let the runtime's own threads
 * run into the limit, which panics too.
 */
export function requireDescriptors(
  n: number,
  what: string,
  read: () => DescriptorUse | undefined = descriptorUse,
): void {
  const use = read();
  if (use !== undefined && use.limit - use.open < n) throw tooFew(use, what);
}

let shared: DescriptorBudget | undefined;

/**
 * The process's budget, sized on first use from RLIMIT_NOFILE and the
 * descriptors open then (through ffi/; without --allow-ffi the size is
 * unbounded and back-pressure alone keeps it right).
 */
export function descriptorBudget(): DescriptorBudget {
  return shared ??= budgetFor(descriptorUse());
}
