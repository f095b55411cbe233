/**
 * Timing for the scan engine: per-host RTT estimation, the congestion window,
 * the rate limiter, the retry allowance, and `timingPlan`, which turns the
 * parsed -T/--*-rtt-timeout/--*-parallelism/--*-rate options into the engine's
 * numbers.
 *
 * @module
 */

import type { TimingOptions } from "../engine/config.ts";
import type { CongestionOptions } from "./congestion.ts";
import type { RttLimits } from "./rtt.ts";
import type { RetryOptions } from "./retry.ts";

export { RttEstimator } from "./rtt.ts";
export type { RttLimits } from "./rtt.ts";
export { CongestionWindow } from "./congestion.ts";
export type { CongestionOptions } from "./congestion.ts";
export { RateLimiter } from "./rate.ts";
export { binomialTail, RetryPolicy } from "./retry.ts";
export type { RetryOptions } from "./retry.ts";

/** Everything the engine needs from the timing options. */
export interface TimingPlan {
  rtt: RttLimits;
  congestion: CongestionOptions;
  retry: RetryOptions;
  minRate: number;
  maxRate: number;
  /** --host-timeout in ms, 0 = none. */
  hostTimeoutMs: number;
  /** --scan-delay in ms between probes to one host, 0 = none. */
  scanDelayMs: number;
}

/**
 * nmap caps the window at 300 unless --max-parallelism says otherwise; a
 * LAN scanner can afford far more, and the window still halves on loss.
 */
export const DEFAULT_MAX_CWND = 4096;
/** The RTO floor once a host's RTT is measured (see RttLimits.adaptiveFloorMs). */
export const ADAPTIVE_RTO_FLOOR_MS = 10;
/** Floor under random loss, unless --min/max-parallelism say otherwise. */
export const DEFAULT_MIN_CWND = 16;

/**
 * Derive the engine's timing from the options. `argv` tells whether
 * --max-retries was given explicitly (then it is a hard cap; otherwise the
 * retry allowance adapts to measured loss).
 */
export function timingPlan(t: TimingOptions, argv: readonly string[] = []): TimingPlan {
  const max = t.maxParallelism > 0 ? t.maxParallelism : DEFAULT_MAX_CWND;
  const min = Math.min(max, t.minParallelism > 0 ? t.minParallelism : DEFAULT_MIN_CWND);
  const given = (name: string) =>
    argv.some((a) => {
      const n = a.replace(/_/g, "-");
      return n === name || n.startsWith(name + "=");
    });
  const explicitRetries = given("--max-retries");
  // See RttLimits.adaptiveFloorMs: -T3 and faster, unless the user set a floor.
  const adaptiveFloor = t.template >= 3 && !given("--min-rtt-timeout")
    ? Math.min(ADAPTIVE_RTO_FLOOR_MS, t.minRttTimeoutMs)
    : undefined;
  return {
    rtt: {
      initialRttTimeoutMs: t.initialRttTimeoutMs,
      minRttTimeoutMs: t.minRttTimeoutMs,
      maxRttTimeoutMs: t.maxRttTimeoutMs,
      scanDelayMs: t.scanDelayMs,
      adaptiveFloorMs: adaptiveFloor,
    },
    congestion: {
      initial: Math.min(max, Math.max(min, t.template >= 4 ? 64 : 10)),
      min,
      max,
      // nmap starts ssthresh at 75; Porthole slow-starts up to the ceiling
      // until the first loss, which is what a LAN scan needs to be fast.
      ssthresh: max,
      ...(t.noGroupCongestion ? { off: true } : {}),
    },
    retry: { maxRetries: t.maxRetries, explicit: explicitRetries },
    minRate: t.minRate,
    maxRate: t.maxRate,
    hostTimeoutMs: t.hostTimeoutMs,
    scanDelayMs: t.scanDelayMs,
  };
}
