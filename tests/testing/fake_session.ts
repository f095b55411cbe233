/**
 * A raw session whose wire is a function, for the scan drivers' no-root tests: the frames a
 * driver sends are parsed back by the core, a subclass says what the fake network answers to each
 * probe, and the answers come back through `poll` after `delayMs`, as captured frames would.
 *
 * @module
 */

import { type FrameBatch, LinkType, packetCore, type ParsedRecords } from "../../core-wasm/mod.ts";
import type { RawRoute } from "../../cli/engine/route.ts";
import type { RecordHandler } from "../../cli/engine/raw_session.ts";
import { type EngineContext, newCookies } from "../../cli/engine/context.ts";
import { parseOptions } from "../../cli/options/mod.ts";
import { timingPlan } from "../../cli/timing/mod.ts";

const core = packetCore();

/** IPv4 text to bytes. */
const ip4 = (s: string) => Uint8Array.from(s.split(".").map(Number));

export abstract class FakeRawSession {
  readonly sendLinkType = LinkType.RAW;
  readonly lastSend = { start: 0, end: 0, stamped: 0 };
  readonly route: RawRoute;
  readonly #rx: FrameBatch = core.frameBatch(4096, 4096 * 640);
  #queue: { frame: Uint8Array; at: number }[] = [];
  /** Probes sent so far. */
  sent = 0;

  /** `source`: our IPv4 address; answers arrive `delayMs` after their probe. */
  constructor(source: string, nextHop: string, readonly delayMs = 0) {
    this.route = {
      family: 4,
      iface: "fake0",
      ifindex: 1,
      linkKind: "raw",
      loopback: false,
      source,
      sourceBytes: ip4(source),
      nextHop,
      srcMac: new Uint8Array(6),
      dstMac: new Uint8Array(6),
      onLink: true,
    } as unknown as RawRoute;
  }

  /** The fake network's answers (raw IP datagrams) to probe `i` of a batch sent at `now`. */
  protected abstract answer(probes: ParsedRecords, i: number, now: number): Uint8Array[];

  sendBatch(batch: FrameBatch, count: number): number {
    const r = core.parseBatch(batch, count, LinkType.RAW);
    const now = performance.now();
    this.lastSend.start = this.lastSend.end = now;
    for (let i = 0; i < count; i++) {
      this.sent++;
      for (const frame of this.answer(r, i, now)) {
        this.#queue.push({ frame, at: now + this.delayMs });
      }
    }
    return count;
  }

  sendFragmented(): void {
    throw new Error("FakeRawSession: fragments are not simulated");
  }

  poll(handler: RecordHandler<ParsedRecords>): number {
    const now = performance.now();
    const ready = this.#queue.filter((q) => q.at <= now).slice(0, 4096);
    this.#queue = this.#queue.filter((q) => !ready.includes(q));
    let n = 0, off = 0;
    for (const { frame } of ready) {
      this.#rx.data.set(frame, off);
      this.#rx.index.set([off, frame.length, 0, 0], n * 4);
      off += frame.length;
      n++;
    }
    if (n) handler(core.parseBatch(this.#rx, n, LinkType.RAW), n);
    return n;
  }

  async wait(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, 2))));
    return this.#queue.length > 0;
  }
}

/**
 * An engine context for a driver on a fake session: `argv`'s options, a fresh cookie key; with
 * `session`, every route (discovery's, the port scan's) leads to it.
 */
export function fakeEngineContext(argv: string[], session?: FakeRawSession): EngineContext {
  const opts = parseOptions(argv);
  const { jar, cookies } = newCookies();
  return {
    opts,
    plan: timingPlan(opts.timing, opts.argv),
    jar,
    cookies,
    signal: new AbortController().signal,
    log: { info: () => {}, warn: () => {} },
    raw: {
      core,
      sessions: session && { route: () => session.route, get: () => session },
    } as unknown as EngineContext["raw"],
  };
}
