/**
 * Test helpers for the output writers: assertions (over `node:assert/strict`)
 * and sample results.
 */

import { deepStrictEqual } from "node:assert/strict";
import type { HostResult, PortResult, RunInfo, RunSummary } from "../../cli/model/mod.ts";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split("\n").length;
  return `first difference at line ${line}:\n  actual:   ${
    JSON.stringify(a.slice(i - 40 < 0 ? 0 : i - 40, i + 60))
  }\n  expected: ${JSON.stringify(b.slice(i - 40 < 0 ? 0 : i - 40, i + 60))}`;
}

/** Deep strict equality (node:assert/strict); strings show where they first differ. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (typeof actual === "string" && typeof expected === "string") {
    if (actual !== expected) {
      throw new Error(`${msg ? msg + ": " : ""}${firstDifference(actual, expected)}`);
    }
    return;
  }
  deepStrictEqual(actual, expected, msg);
}

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  if (!re.test(text)) {
    throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text.slice(0, 2000))} !~ ${re}`);
  }
}

/** Throws if `text` matches `re`. */
export function assertNotMatch(text: string, re: RegExp, msg?: string): void {
  if (re.test(text)) throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text)} =~ ${re}`);
}

/** Throws unless `fn` throws an error whose message matches `re`. */
export function assertThrows(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assertMatch(e instanceof Error ? e.message : String(e), re);
    return;
  }
  throw new Error(`expected a throw matching ${re}`);
}

// ---- Sample data for the writers' tests ----

/** A run as the engine would describe `porthole -sS -p 1-100 ...`. */
export function sampleRun(over: Partial<RunInfo> = {}): RunInfo {
  return {
    args: ["porthole", "-sS", "-p", "1-100", "10.0.0.1-3"],
    startTime: Date.UTC(2026, 10, 25, 12, 0, 0),
    version: "0.1.0",
    scanInfo: [{ type: "syn", protocol: "tcp", services: "1-100", numServices: 100 }],
    verbose: 0,
    debugging: 0,
    ...over,
  };
}

/** Ports 1..n closed (reset, TTL 64) except those given. */
export function portsClosedExcept(n: number, special: PortResult[]): PortResult[] {
  const out: PortResult[] = [];
  for (let p = 1; p <= n; p++) {
    out.push(
      special.find((s) => s.port === p && s.protocol === "tcp") ??
        { protocol: "tcp", port: p, state: "closed", reason: "reset", reasonTtl: 64 },
    );
  }
  return out.concat(special.filter((s) => s.protocol !== "tcp" || s.port > n));
}

/** An up host with 22 and 80 open among 100 scanned ports. */
export function sampleHost(address = "10.0.0.1", over: Partial<HostResult> = {}): HostResult {
  return {
    address,
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "echo-reply",
    statusReasonTtl: 64,
    latencySeconds: 0.00042,
    ports: portsClosedExcept(100, [
      {
        protocol: "tcp",
        port: 22,
        state: "open",
        reason: "syn-ack",
        reasonTtl: 64,
        service: { name: "ssh", method: "table", confidence: 3 },
      },
      {
        protocol: "tcp",
        port: 80,
        state: "open",
        reason: "syn-ack",
        reasonTtl: 64,
        service: { name: "http", method: "table", confidence: 3 },
      },
    ]),
    startTime: Date.UTC(2026, 10, 25, 12, 0, 1),
    endTime: Date.UTC(2026, 10, 25, 12, 0, 3),
    times: { srtt: 420, rttvar: 5000, timeout: 100000 },
    ...over,
  };
}

/** A successful end of run. */
export function sampleSummary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    endTime: Date.UTC(2026, 10, 25, 12, 0, 5),
    elapsedSeconds: 5.04,
    hostsUp: 1,
    hostsDown: 0,
    hostsTotal: 1,
    exit: "success",
    ...over,
  };
}

/** A sink that keeps what it is given. */
export class MemorySink {
  text = "";
  closed = false;
  write(s: string): void {
    this.text += s;
  }
  close(): void {
    this.closed = true;
  }
}
