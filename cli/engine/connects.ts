/**
 * TCP connects through the OS for a {@link Scheduler} (connect scan, connect
 * ping): each attempt holds a file descriptor from the process's
 * {@link descriptorBudget} while it is open, the scheduler is offered only as
 * many probes as there are descriptors (`room`), and an attempt that fails
 * for want of a local resource (EMFILE and the like) is handed back to the
 * scheduler as never sent, to be made again when a descriptor is free: a
 * shortage on this host is never an answer about the target.
 *
 * Every attempt of a probe stays open until the probe is settled (a slow
 * first try that succeeds after a retransmission still counts), except when
 * descriptors run out: then the attempts of probes waiting for their next try
 * are closed to make room.
 *
 * With a proxy chain (--proxies), an attempt is a connection through it (proxy_chain.ts): made
 * when the last proxy says it reached the target.
 *
 * @module
 */

import { type DescriptorBudget, descriptorBudget, isLocalResourceError } from "./descriptors.ts";
import { connectOutcome, connLine } from "./packet_trace.ts";
import type { Scheduler } from "./scheduler.ts";
import { Waker } from "./waker.ts";
import type { ProxyHop } from "./config.ts";
import { connectThrough } from "./proxy_chain.ts";

/** A finished attempt: `error` undefined when the connection was made. */
export interface ConnectOutcome {
  h: number;
  p: number;
  tryNo: number;
  /** performance.now() when it finished. */
  at: number;
  /** performance.now() when the connect was started. */
  started: number;
  error: unknown;
}

/** The connects of one scheduler run. Dispose (or `close`) to abort what is still open. */
export class Connects implements Disposable {
  readonly #sched: Scheduler;
  readonly #budget: DescriptorBudget;
  readonly #waker = new Waker();
  readonly #unsubscribe: () => void;
  /** Attempts still connecting, by probe index (p · hosts + h). */
  readonly #open = new Map<number, AbortController[]>();
  #finished: ConnectOutcome[] = [];
  #withdrawn: { h: number; p: number; tryNo: number }[] = [];
  readonly #trace?: (line: string) => void;
  readonly #proxies?: readonly ProxyHop[];

  /** `trace` gets nmap's CONN lines (--packet-trace); `proxies`, the chain to connect through. */
  constructor(
    sched: Scheduler,
    trace?: (line: string) => void,
    budget: DescriptorBudget = descriptorBudget(),
    proxies?: readonly ProxyHop[],
  ) {
    this.#sched = sched;
    this.#trace = trace;
    this.#budget = budget;
    this.#proxies = proxies;
    this.#unsubscribe = budget.onFree(() => this.#waker.wake());
  }

  /** Probes that may be started now (ProbeIo.room). */
  room(): number {
    const n = this.#budget.available;
    if (n === 0) this.#reclaim();
    return n;
  }

  /** Starts try `tryNo` of probe (h, p): a connect to `hostname`:`port`. */
  open(h: number, p: number, tryNo: number, hostname: string, port: number): void {
    if (!this.#budget.take()) {
      // Offered more than room() said (or the pause began since): not sent.
      this.#withdrawn.push({ h, p, tryNo });
      this.#waker.wake();
      return;
    }
    const idx = p * this.#sched.hostCount + h;
    const ac = new AbortController();
    const list = this.#open.get(idx);
    if (list) list.push(ac);
    else this.#open.set(idx, [ac]);
    this.#trace?.(connLine(hostname, port, "Operation now in progress"));
    const started = performance.now();
    this.#connect(hostname, port, ac.signal).then(
      () => undefined,
      (e) => e ?? new Error("connect failed"),
    ).then((error) => {
      this.#forget(idx, ac);
      const shortage = error !== undefined && isLocalResourceError(error);
      if (shortage) this.#budget.overrun();
      else {
        this.#budget.give();
        if (!ac.signal.aborted) this.#budget.opened();
      }
      if (ac.signal.aborted) return;
      this.#trace?.(connLine(hostname, port, connectOutcome(error)));
      if (shortage) this.#withdrawn.push({ h, p, tryNo });
      else this.#finished.push({ h, p, tryNo, at: performance.now(), started, error });
      this.#waker.wake();
    });
  }

  /**
   * Attempts finished since the last call. Withdrawn ones (local shortage)
   * are handed back to the scheduler first, as never sent.
   */
  drain(): ConnectOutcome[] {
    if (this.#withdrawn.length > 0) {
      const list = this.#withdrawn;
      this.#withdrawn = [];
      for (const w of list) this.#sched.requeue(w.h, w.p, w.tryNo);
    }
    const list = this.#finished;
    this.#finished = [];
    return list;
  }

  /** Probe (h, p) is settled: close its attempts. */
  settle(h: number, p: number): void {
    const idx = p * this.#sched.hostCount + h;
    for (const ac of this.#open.get(idx) ?? []) ac.abort();
    this.#open.delete(idx);
  }

  /** ProbeIo.wait: until an attempt finishes, a descriptor is free, or `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#finished.length > 0 || this.#withdrawn.length > 0) return Promise.resolve();
    return this.#waker.sleep(ms);
  }

  /** Aborts every open attempt. */
  close(): void {
    this.#unsubscribe();
    for (const list of this.#open.values()) for (const ac of list) ac.abort();
    this.#open.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** One connection made and closed at once (through the proxies when there are some). */
  async #connect(hostname: string, port: number, signal: AbortSignal): Promise<void> {
    if (this.#proxies) {
      // The scheduler aborts a settled probe; the timeout only bounds a forgotten one.
      (await connectThrough(this.#proxies, hostname, port, 600_000, signal)).destroy();
      return;
    }
    const conn = await Deno.connect({ hostname, port, signal });
    try {
      conn.close();
    } catch {
      // already closed by the peer
    }
  }

  /** Out of descriptors: close the attempts of probes that wait for their next try anyway. */
  #reclaim(): void {
    const H = this.#sched.hostCount;
    for (const [idx, list] of this.#open) {
      const p = (idx / H) | 0;
      if (!this.#sched.awaitingResend(idx - p * H, p)) continue;
      for (const ac of list) ac.abort();
      this.#open.delete(idx);
    }
  }

  #forget(idx: number, ac: AbortController): void {
    const list = this.#open.get(idx);
    if (!list) return;
    const i = list.indexOf(ac);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#open.delete(idx);
  }
}
