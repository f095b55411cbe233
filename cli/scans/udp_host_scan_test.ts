/**
 * The UDP scan's state machine against simulated Linux hosts (udp_sim.ts):
 * every port's state right under each kind of ICMP rate limit, and the time
 * close to the floor the target's limit sets. Simulated time, so these run
 * in milliseconds and their timings are exact and repeatable.
 */

import { assert, assertEquals } from "../../tests/testing/assert.ts";
import type { PortResult } from "../model/mod.ts";
import { UdpHostScan, type UdpHostScanOptions } from "./udp_host_scan.ts";
import { prng, runSimulated, SimLinuxTarget, type SimTargetOptions } from "./udp_sim.ts";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const SCANME_SILENT = [68, 135, 136, 137, 138, 139, 162, 445];

function scan(
  ports: number[],
  target: SimTargetOptions,
  extra: Partial<UdpHostScanOptions> = {},
) {
  const t = new SimLinuxTarget(target);
  const s = new UdpHostScan({
    ports,
    maxRetries: 10,
    sweepRate: 10_000,
    start: 0,
    timeouts: { settleMs: () => 5, finalMs: () => 100 },
    ...extra,
  });
  const run = runSimulated(s, t);
  return { run, results: s.results(), host: s };
}

/** Every scanned port once, with the state the simulated host implies. */
function assertTruth(
  results: PortResult[],
  ports: number[],
  target: SimTargetOptions,
): void {
  const open = new Set(target.open ?? []);
  const silent = new Set(target.silent ?? []);
  const prohibited = new Set(target.prohibited ?? []);
  assertEquals(results.map((r) => r.port).sort((a, b) => a - b), [...ports].sort((a, b) => a - b));
  for (const r of results) {
    const want = open.has(r.port)
      ? ["open", "udp-response"]
      : silent.has(r.port)
      ? ["open|filtered", "no-response"]
      : prohibited.has(r.port)
      ? ["filtered", "admin-prohibited"]
      : ["closed", "port-unreach"];
    assertEquals([r.state, r.reason], want, `port ${r.port}`);
    assertEquals(r.protocol, "udp");
  }
}

Deno.test("no ICMP limit: the scanme table, in two retransmission rounds", () => {
  const ports = range(1, 1000);
  const target = { peerRatelimitMs: 0, open: [123], silent: SCANME_SILENT };
  const { run, results } = scan(ports, target);
  assertTruth(results, ports, target);
  assertEquals(results.find((r) => r.port === 123)!.reasonTtl, 64);
  // Sweep (0.1 s) + settle + one witnessed retry + nmap's final timeout.
  assert(run.elapsedMs < 400, `took ${run.elapsedMs} ms`);
  // Each silent port is retried a few times at most, each group closed by one witness.
  assert(run.probes <= 1000 + 4 * (SCANME_SILENT.length + 1), `${run.probes} probes`);
});

Deno.test("Linux default limit (1 s/token, burst 6): every closed port closed, near the floor", () => {
  const ports = [53, 123, 161, 5353, ...range(1000, 1029)];
  const target = { peerRatelimitMs: 1000, open: [53, 123, 161, 5353] };
  const { run, results, host } = scan(ports, target);
  assertTruth(results, ports, target);
  const floor = (30 - 6) * 1000;
  assert(run.elapsedMs >= floor, "nothing beats the target's own limit");
  assert(run.elapsedMs <= 1.1 * floor, `took ${run.elapsedMs} ms, floor ${floor} ms`);
  const st = host.stats(run.elapsedMs);
  assert(Math.abs(st.icmpRatePerSecond! - 1) < 0.1, `rate ${st.icmpRatePerSecond}`);
  assertEquals(st.icmpBurst, 6);
  assert(host.notes.some((n) => /limits ICMP errors to ~1\.0\d\/s|~0\.9\d\/s/.test(n)));
});

Deno.test("Linux default limit with silent ports among 200: right, within 1.1x the floor", () => {
  const ports = range(1, 200);
  const target = { peerRatelimitMs: 1000, open: [123, 161], silent: SCANME_SILENT };
  const { run, results } = scan(ports, target);
  assertTruth(results, ports, target);
  const closed = 200 - 2 - 7;
  const floor = (closed - 6) * 1000;
  assert(run.elapsedMs <= 1.1 * floor, `took ${run.elapsedMs} ms, floor ${floor} ms`);
});

Deno.test("IPv6 default limit (100 ms/token): 1000 ports within 1.1x the floor", () => {
  const ports = range(1, 1000);
  const target = { peerRatelimitMs: 100, open: [123], silent: SCANME_SILENT };
  const { run, results } = scan(ports, target);
  assertTruth(results, ports, target);
  const floor = (991 - 6) * 100;
  assert(run.elapsedMs <= 1.1 * floor, `took ${run.elapsedMs} ms, floor ${floor} ms`);
});

Deno.test("global limit only (1000/s in 20 ms steps, random cost): right and about a second", () => {
  const ports = range(1, 1000);
  const target = {
    peerRatelimitMs: 0,
    globalPerSec: 1000,
    globalBurst: 100,
    open: [123],
    silent: SCANME_SILENT,
  };
  for (const seed of [1, 2, 3]) {
    const { run, results } = scan(ports, { ...target, seed });
    assertTruth(results, ports, target);
    assert(run.elapsedMs < 3000, `took ${run.elapsedMs} ms`);
  }
});

Deno.test("admin-prohibited rejections spend tokens too and come out filtered", () => {
  const ports = range(1, 60);
  const target = {
    peerRatelimitMs: 1000,
    open: [53],
    silent: [7, 8],
    prohibited: [20, 21, 22, 23],
  };
  const { results } = scan(ports, target);
  assertTruth(results, ports, target);
});

Deno.test("a host that never sends ICMP: open|filtered after two tries a second apart", () => {
  const ports = range(1, 100);
  const target = { peerRatelimitMs: 1000, silent: ports };
  const { run, results } = scan(ports, target);
  assertTruth(results, ports, target);
  assertEquals(run.probes, 200);
  assert(run.elapsedMs >= 1000 && run.elapsedMs < 1500, `took ${run.elapsedMs} ms`);
});

Deno.test("a limiter whose first answers were all lost still shows itself on the retry", () => {
  // A one-token bucket and its only early answer lost: the host looks silent
  // until the blind retry, a second later, draws a fresh token.
  const ports = range(1, 40);
  const target = { peerRatelimitMs: 250, peerBurst: 1, silent: [5, 6] };
  let lostFirst = false;
  const t = new SimLinuxTarget(target);
  const drop = t.lost.bind(t);
  t.lost = (way) => {
    if (way === "back" && !lostFirst) return (lostFirst = true);
    return drop(way);
  };
  const s = new UdpHostScan({
    ports,
    maxRetries: 10,
    sweepRate: 10_000,
    start: 0,
    timeouts: { settleMs: () => 5, finalMs: () => 100 },
  });
  runSimulated(s, t);
  assert(lostFirst);
  assertTruth(s.results(), ports, target);
});

Deno.test("10% loss each way under the default limit: still every port right", () => {
  const ports = range(1, 120);
  const target = {
    peerRatelimitMs: 1000,
    open: [53, 123],
    silent: [68, 100, 101],
    lossOut: 0.1,
    lossBack: 0.1,
  };
  for (const seed of [11, 12, 13]) {
    const { results, host, run } = scan(ports, { ...target, seed });
    assertTruth(results, ports, target);
    assert(host.stats(run.elapsedMs).fairTriesNeeded >= 4, "loss raises the tries a silence needs");
  }
});

Deno.test("--defeat-icmp-ratelimit: fast; every unanswered port closed|filtered, as nmap says", () => {
  const ports = range(1, 200);
  const target = { peerRatelimitMs: 1000, open: [123], silent: SCANME_SILENT };
  const { run, results } = scan(ports, target, { defeatIcmpRatelimit: true });
  assert(run.elapsedMs < 500, `took ${run.elapsedMs} ms`);
  const by = new Map(results.map((r) => [r.port, r]));
  assertEquals(by.size, 200);
  assertEquals(by.get(123)!.state, "open");
  let closed = 0;
  for (const r of results) {
    if (r.state === "closed") closed++;
    if (r.port !== 123 && r.state !== "closed") {
      assertEquals([r.state, r.reason], ["closed|filtered", "no-response"], `${r.port}`);
    }
  }
  assert(closed >= 6, "the burst still answers");
  // Without a limit every closed port answers; the silent ones are still closed|filtered.
  const free = { peerRatelimitMs: 0, open: [123], silent: SCANME_SILENT };
  for (const r of scan(ports, free, { defeatIcmpRatelimit: true }).results) {
    const want = r.port === 123
      ? "open"
      : SCANME_SILENT.includes(r.port)
      ? "closed|filtered"
      : "closed";
    assertEquals(r.state, want, `${r.port}`);
  }
});

Deno.test("--max-retries 0: one fair try is enough for silence", () => {
  const ports = range(1, 50);
  const target = { peerRatelimitMs: 0, silent: [10, 20] };
  const { results, run, host } = scan(ports, target, { maxRetries: 0 });
  assertTruth(results, ports, target);
  assertEquals(host.fairTriesNeeded(), 1);
  assert(run.probes <= 50 + 2 * 3, `${run.probes} probes: one witnessed try per silent port`);
});

Deno.test("replies to tries never sent are ignored", () => {
  const s = new UdpHostScan({
    ports: [53, 54],
    maxRetries: 2,
    sweepRate: 1000,
    start: 0,
    timeouts: { settleMs: () => 5, finalMs: () => 100 },
  });
  const sent = s.poll(10);
  assertEquals(sent.map((p) => [p.port, p.tryNo]), [[53, 0], [54, 0]]);
  s.onReply(0, 3, "udp", { state: "open", reason: "udp-response" }, 64, 11);
  s.onReply(5, 0, "udp", { state: "open", reason: "udp-response" }, 64, 11);
  assertEquals(s.results(), []);
  s.onReply(1, 0, "icmp-target", { state: "closed", reason: "port-unreach" }, 63, 11);
  assertEquals(s.results(), [
    { protocol: "udp", port: 54, state: "closed", reason: "port-unreach", reasonTtl: 63 },
  ]);
});

function randomHost(rnd: () => number, seed: number, loss: number) {
  const n = 20 + Math.floor(rnd() * 150);
  const ports = range(1, n);
  const pick = (p: number) => ports.filter(() => rnd() < p);
  const open = pick(0.05);
  const silent = pick(rnd() * 0.5).filter((p) => !open.includes(p));
  const oneWayMs = rnd() * 20;
  const target: SimTargetOptions = {
    peerRatelimitMs: [0, 100, 250, 1000][Math.floor(rnd() * 4)]!,
    // With loss, a one-token bucket can lose every answer it ever makes
    // before the blind retry ends: that host looks silent (to nmap too).
    peerBurst: (loss > 0 ? 2 : 1) + Math.floor(rnd() * 7),
    globalPerSec: rnd() < 0.5 ? 0 : 50 + Math.floor(rnd() * 2000),
    globalBurst: 5 + Math.floor(rnd() * 100),
    open,
    silent,
    oneWayMs,
    jitterMs: rnd() * 2,
    lossOut: loss,
    lossBack: loss,
    seed,
  };
  const timeouts = { settleMs: () => 2 * oneWayMs + 7, finalMs: () => 2 * oneWayMs + 100 };
  return { ports, target, timeouts };
}

Deno.test("property: random token buckets never turn a closed port into open|filtered", () => {
  const rnd = prng(2024);
  for (let k = 0; k < 300; k++) {
    const { ports, target, timeouts } = randomHost(rnd, k + 1, 0);
    assertTruth(scan(ports, target, { timeouts }).results, ports, target);
  }
});

Deno.test("property: with 10% loss each way, still every port right", () => {
  const rnd = prng(77);
  for (let k = 0; k < 100; k++) {
    const { ports, target, timeouts } = randomHost(rnd, k + 1, 0.1);
    assertTruth(scan(ports, target, { timeouts }).results, ports, target);
  }
});
