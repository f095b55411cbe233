/**
 * The scan engine's public face.
 *
 * - {@link RawSession} (raw_session.ts): capture + sender on a route; `poll`
 *   hands parsed reply records to a handler, `sendBatch` sends core-built
 *   frames, `wait` sleeps until frames arrive.
 * - {@link resolveRoute} (route.ts): interface, source, MACs for a target.
 * - {@link Scheduler} (scheduler.ts): which probe to send when, retries,
 *   timeouts, congestion window and rates; a scan plugs in through
 *   {@link ProbeIo} (emit / flush / poll / wait) and gets {@link SchedulerEvents}.
 * - {@link CookieJar} / {@link FlowCookies} (cookie.ts): keyed hashes for
 *   stateless reply validation (source port encodes the try, seq the flow).
 * - {@link FeistelPermutation} (permutation.ts): random probe order, flat memory.
 * - {@link SessionPool} / {@link EngineContext} (context.ts): one session per
 *   interface+source for the run, routes through a {@link RouteCache}, the
 *   per-run cookies, abort signal, log, -v chatter and progress meter.
 * - {@link ScanHost} (host.ts): a target through discovery, scans and output.
 * - `EngineConfig` (config.ts): the narrow configuration the application (cli/app/) builds.
 *
 * A raw scan module is then: build a probe template, `emit` patches one probe
 * (source port = cookies.sourcePort(host, dport, try), seq = cookies.sequence(...)),
 * `poll` parses replies, recovers (host, probe, try) from the record and the
 * cookies, calls `scheduler.answer(h, p, try)` and, when that returns true,
 * records the port's state.
 *
 * @module
 */

export { RawSession } from "./raw_session.ts";
export type { RawSessionOptions, RecordHandler, SessionCore, SessionStats } from "./raw_session.ts";
export { resolveRoute, RouteCache, RouteError, routeKey, sessionKey } from "./route.ts";
export type { RawRoute } from "./route.ts";
export { newHostTiming, Scheduler } from "./scheduler.ts";
export type {
  HostTiming,
  ProbeIo,
  SchedulerEvents,
  SchedulerOptions,
  SchedulerStats,
} from "./scheduler.ts";
export { CookieJar, FlowCookies, SOURCE_PORT_BASE } from "./cookie.ts";
export { FeistelPermutation, IdentityPermutation, probeOrder } from "./permutation.ts";
export type { Permutation } from "./permutation.ts";
export { newCookies, SessionPool } from "./context.ts";
export type { EngineContext, RawPlumbing, RunLog } from "./context.ts";
export type { EngineConfig } from "./config.ts";
export { ScanHost, v6Key } from "./host.ts";
export type { TargetLike } from "./host.ts";
export { Chatter } from "./chatter.ts";
