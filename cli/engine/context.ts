/**
 * What every phase of a run shares: the engine's configuration, timing plan, the per-run cookie
 * key, the abort signal (Ctrl-C), the packet core and one raw session per
 * route (opened on first use, closed at the end of the run).
 *
 * @module
 */

import type { EngineConfig } from "./config.ts";
import type { TimingPlan } from "../timing/mod.ts";
import { CookieJar, FlowCookies } from "./cookie.ts";
import type { PacketCore, ParsedRecords } from "../../core-wasm/mod.ts";
import { type FrameTracer, RawSession, type RawSessionOptions } from "./raw_session.ts";
import { type RawRoute, RouteCache, sessionKey } from "./route.ts";
import { replyFilter } from "../../ffi/mod.ts";
import {
  probeFitError,
  type ProbeSizing,
  ProbeTooLargeError,
  type SizedProbe,
} from "./probe_fit.ts";
import type { Chatter } from "./chatter.ts";
import type { ScanHost } from "./host.ts";

/** Lines for the user: `info` is nmap's verbose stdout chatter, `warn` goes to stderr. */
export interface RunLog {
  info(line: string): void;
  warn(line: string): void;
  /** nmap's LOG_PLAIN: the normal output (screen and -oN); absent, `info` serves. */
  plain?(line: string): void;
}

/** The raw side, present when raw packets are available. */
export interface RawPlumbing {
  core: PacketCore;
  sessions: SessionPool;
}

export interface EngineContext {
  opts: EngineConfig;
  plan: TimingPlan;
  jar: CookieJar;
  cookies: FlowCookies;
  signal: AbortSignal;
  log: RunLog;
  raw?: RawPlumbing;
  /**
   * -D: the source address of each copy of a raw probe, in sending order; null is the scanner's
   * own (the only copy whose replies count). Absent: one copy, ours.
   */
  decoys?: (string | null)[];
  /** nmap's -v progress lines (absent or disabled when not verbose). */
  chatter?: Chatter;
  /** --packet-trace (and the p/P keys): a CONN line for each connect() when set. */
  packetTrace?: (line: string) => void;
  /** Host discovery found `host` up and a port scan follows (XML's <hosthint>). */
  hostHint?: (host: ScanHost) => void;
  /** The status meter (--stats-every, Enter, -v): fed settled/total probes. */
  progress?: {
    update(done: number, total: number): void;
    setPhase(name: string, hosts?: number): void;
  };
}

/**
 * Raw sessions keyed by interface, family and source address, opened lazily
 * and shared by all phases; routes (one per next hop) come from a RouteCache.
 */
export class SessionPool {
  /** --packet-trace: every session's frames go here (set and cleared at run time). */
  trace?: FrameTracer;
  readonly #sessions = new Map<string, RawSession<ParsedRecords>>();
  readonly #closed: RawSession<ParsedRecords>[] = [];
  readonly #routes: RouteCache;
  /**
   * `probes`: the raw probes the run sends by a route, and their sizing; a session is not opened
   * on an interface they do not fit (ProbeTooLargeError), so nothing is sent.
   */
  constructor(
    readonly core: PacketCore,
    routeOpts: { iface?: string; source?: string; srcMac?: Uint8Array } = {},
    readonly probes?: { kinds: (route: RawRoute) => SizedProbe[]; sizing: ProbeSizing },
  ) {
    this.#routes = new RouteCache(routeOpts);
  }

  /**
   * The route to `address` (-e/-S applied). Targets sharing a next hop share
   * one RawRoute object, so a MAC resolved once serves them all.
   */
  route(address: string): RawRoute {
    return this.#routes.resolve(address);
  }

  /** The session for `route`'s interface and source, opened on first use. */
  get(route: RawRoute): RawSession<ParsedRecords> {
    const key = sessionKey(route);
    let s = this.#sessions.get(key);
    if (!s || s.closed) {
      const tooLarge = this.probes &&
        probeFitError(route, this.probes.kinds(route), this.probes.sizing);
      if (tooLarge) throw new ProbeTooLargeError(tooLarge);
      s = RawSession.open({
        route,
        core: this.core,
        // Replies to us (TCP, UDP, ICMP of our family), plus ARP replies and
        // neighbour advertisements for ARP/ND discovery.
        filter: replyFilter({
          localAddresses: [route.source],
          arp: route.family === 4 && !route.loopback,
          ndp: route.family === 6 && !route.loopback,
        }),
      });
      s.trace = (direction, frame, linkType) => this.trace?.(direction, frame, linkType);
      this.#sessions.set(key, s);
    }
    return s;
  }

  /**
   * A session with a capture of its own (a filter narrower than the pool's): closed by
   * {@link closeAll} and counted in {@link totals} like the pool's own.
   */
  adopt(session: RawSession<ParsedRecords>): void {
    this.#sessions.set(`adopted/${this.#adopted++}`, session);
  }
  #adopted = 0;

  /**
   * Opens and adopts a session with a capture filter of its own (traceroute's): --packet-trace
   * shows its frames and the run's "Raw packets sent" line counts them, as nmap counts every
   * probe it sends. Its caller may close it early.
   */
  open(o: Omit<RawSessionOptions<ParsedRecords>, "core">): RawSession<ParsedRecords> {
    const s = RawSession.open({ ...o, core: this.core });
    s.trace = (direction, frame, linkType) => this.trace?.(direction, frame, linkType);
    this.adopt(s);
    return s;
  }

  /** Every session opened so far. */
  all(): RawSession<ParsedRecords>[] {
    return [...this.#sessions.values()];
  }

  /** Totals over every session opened in this run (closed ones included). */
  totals(): { sent: number; sentBytes: number; received: number; receivedBytes: number } {
    const t = { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0 };
    for (const s of [...this.#sessions.values(), ...this.#closed]) {
      t.sent += s.stats.framesSent;
      t.sentBytes += s.stats.bytesSent;
      t.received += s.stats.framesReceived;
      t.receivedBytes += s.stats.bytesReceived;
    }
    return t;
  }

  closeAll(): void {
    for (const s of this.#sessions.values()) {
      try {
        s.close();
      } catch {
        // closing at exit: nothing useful to report
      }
    }
    this.#closed.push(...this.#sessions.values());
    this.#sessions.clear();
  }
}

/** A fresh per-run key and cookie scheme. */
export function newCookies(): { jar: CookieJar; cookies: FlowCookies } {
  const jar = new CookieJar();
  return { jar, cookies: new FlowCookies(jar) };
}
