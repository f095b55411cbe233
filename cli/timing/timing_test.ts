import { assert, assertEquals } from "../../tests/testing/assert.ts";
import {
  binomialTail,
  CongestionWindow,
  RateLimiter,
  RetryPolicy,
  RttEstimator,
  timingPlan,
} from "./mod.ts";
import type { TimingOptions } from "../options/types.ts";
import { parseOptions } from "../options/mod.ts";

const limits = { initialRttTimeoutMs: 1000, minRttTimeoutMs: 100, maxRttTimeoutMs: 10000 };

Deno.test("rtt: starts at the initial timeout, then follows RFC 6298", () => {
  const r = new RttEstimator(limits);
  assertEquals(r.timeout, 1000);
  assertEquals(r.latencySeconds, undefined);
  r.sample(200);
  assertEquals(r.srtt, 200);
  assertEquals(r.rttvar, 200);
  assertEquals(r.timeout, 1000); // 200 + 4·200
  r.sample(100);
  // srtt = 200 - 100/8; rttvar = 200 + (100 - 200)/4
  assertEquals(r.srtt, 187.5);
  assertEquals(r.rttvar, 175);
  assertEquals(r.timeout, 187.5 + 700);
  assertEquals(r.latencySeconds, 0.1875);
});

Deno.test("rtt: tiny RTTs floor at the minimum timeout; huge ones clamp", () => {
  const r = new RttEstimator(limits);
  r.sample(0.05);
  assertEquals(r.rttvar, 5); // nmap's 5 ms floor on the first sample
  assertEquals(r.timeout, 100);
  for (let i = 0; i < 50; i++) r.sample(0.05);
  assertEquals(r.timeout, 100);
  const s = new RttEstimator({ ...limits, maxRttTimeoutMs: 1500 });
  s.sample(5000);
  assertEquals(s.timeout, 1500);
  const d = new RttEstimator({ ...limits, scanDelayMs: 400 });
  d.sample(1);
  assertEquals(d.timeout, 400);
});

Deno.test("rtt: ignores a wild late sample and negative ones", () => {
  const r = new RttEstimator(limits);
  r.sample(10);
  const before = r.srtt;
  r.sample(60000);
  r.sample(-1);
  assertEquals(r.srtt, before);
});

Deno.test("congestion: slow start, avoidance, drop once per flight", () => {
  const w = new CongestionWindow({ initial: 10, min: 1, max: 100, ssthresh: 20 });
  assertEquals(w.room(4), 6);
  // The live rule: one reply grows the window by nmap's cc_scale (sent / answered, 1..50).
  for (let i = 0; i < 10; i++) w.grow(10, 10);
  assertEquals(w.cwnd, 20); // slow start: +1 per reply
  for (let i = 0; i < 20; i++) w.grow(10, 10);
  assert(w.cwnd > 20 && w.cwnd < 22, `CA grows ~1 per window: ${w.cwnd}`);
  for (let i = 0; i < 10_000; i++) w.grow(10, 10);
  assertEquals(w.cwnd, 100); // ceiling
  assert(w.onDrop(5, 10, 80));
  assertEquals(w.cwnd, 50);
  assertEquals(w.ssthresh, 40);
  // A loss of a probe sent before that reaction is the same event.
  assert(!w.onDrop(9, 11, 50));
  assertEquals(w.cwnd, 50);
  assert(w.onDrop(12, 13, 50));
  assertEquals(w.cwnd, 25);
  for (let i = 0; i < 20; i++) w.onDrop(100 + i, 100 + i, 1);
  assertEquals(w.cwnd, 1); // floor
  assertEquals(w.room(5), 0);
});

Deno.test("congestion --nogcc: the ceiling is in flight whatever is lost, and nothing paces", () => {
  const opts = (nogcc: string[]) =>
    parseOptions([...nogcc, "--max-parallelism", "300", "h"], { skipFileChecks: true }).timing;
  const w = new CongestionWindow(timingPlan(opts(["--nogcc"])).congestion);
  assertEquals(w.room(0), 300);
  for (let i = 0; i < 20; i++) w.onDrop(100 + i, 100 + i, 1);
  assertEquals(w.room(40), 260);
  w.pace = 5; // as a cut would set it
  assertEquals([w.allowance(1000), w.waitMs(1000)], [Infinity, 0]);
  // Without --nogcc the same losses close the window down to its floor.
  const gcc = new CongestionWindow(timingPlan(opts([])).congestion);
  for (let i = 0; i < 20; i++) gcc.onDrop(100 + i, 100 + i, 1);
  assert(gcc.room(40) === 0);
});

Deno.test("congestion: cc_scale credits a mostly silent host, capped at 50", () => {
  const slow = new CongestionWindow({ initial: 10, min: 1, max: 1000, ssthresh: 1000 });
  slow.grow(1000, 10); // 100 sent per answer: scale 50
  assertEquals(slow.cwnd, 60);
  slow.grow(5, 0); // nothing answered yet: sent / 1
  assertEquals(slow.cwnd, 65);
  const ca = new CongestionWindow({ initial: 40, min: 1, max: 1000, ssthresh: 10 });
  ca.grow(20, 10);
  assertEquals(ca.cwnd, 40 + 2 / 40);
});

/**
 * A fake target that takes `budget` probes a second (a token bucket of 3, as a policer or a busy
 * host's input) and drops the rest, plus independent random loss; `answers` is the share of
 * ports that answer at all. Drives the window's pace on a simulated clock (1 ms steps) with an
 * endless backlog and returns what the last simulated second looked like.
 */
function simulatePace(
  o: { budget: number; loss: number; answers: number; seconds: number },
) {
  const w = new CongestionWindow({ initial: 64, min: 16, max: 4096, ssthresh: 4096 });
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  let tokens = 3;
  let sentLast = 0, deliveredLast = 0;
  // Losses are noticed 10 ms after the send (the RTO floor), answers within the same ms.
  const lostAt: number[] = new Array(o.seconds * 1000 + 20).fill(0);
  for (let now = 0; now < o.seconds * 1000; now++) {
    tokens = Math.min(Math.max(3, o.budget / 100), tokens + o.budget / 1000);
    const n = Math.min(64, w.allowance(now)); // 64 probes a ms when unpaced
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const passes = tokens >= 1;
      if (passes) tokens--;
      if (passes && rnd() < o.answers && rnd() >= o.loss) delivered++;
      else lostAt[now + 10]!++;
    }
    if (n > 0) w.sent(n, now);
    for (let i = 0; i < delivered; i++) w.answered(now + 0.2);
    for (let i = 0; i < lostAt[now]!; i++) w.lost(now - 10, now);
    if (now >= (o.seconds - 1) * 1000) {
      sentLast += n;
      deliveredLast += delivered;
    }
  }
  return { w, sentLast, deliveredLast };
}

Deno.test("congestion: an overloaded target slows the pace to what it takes", () => {
  // 64 probes a ms offered, 300 a second taken: without a back-off 99.5% would be lost.
  const { w, sentLast, deliveredLast } = simulatePace({
    budget: 300,
    loss: 0,
    answers: 1,
    seconds: 20,
  });
  assert(w.cuts > 0);
  assert(w.pace < 1200, `pace ${w.pace}`);
  assert(sentLast < 1200, `sent ${sentLast} in the last second`);
  // Not starved either: most of the budget is used.
  assert(deliveredLast > 120, `delivered ${deliveredLast} in the last second`);
  assert(deliveredLast / sentLast > 0.3, `${deliveredLast} of ${sentLast}`);
});

Deno.test("congestion: random loss and silent ports do not slow the pace", () => {
  // 20% loss each way (36% of round trips) and 10% of ports that never answer, no budget.
  const { w, sentLast } = simulatePace({
    budget: 1e9,
    loss: 0.36,
    answers: 0.9,
    seconds: 5,
  });
  assertEquals(w.pace, Infinity);
  assert(sentLast > 60_000, `sent ${sentLast} in the last second`);
  assert(w.baseline > 0.45 && w.baseline < 0.7, `baseline ${w.baseline}`);
});

Deno.test("rate: max-rate caps, min-rate owes", () => {
  const r = new RateLimiter(0, 1000, 0);
  assertEquals(r.allowance(0), 1);
  r.sent(1, 0);
  assertEquals(r.allowance(0), 0);
  assert(Math.abs(r.waitMs(0) - 1) < 1e-9);
  assertEquals(r.allowance(5), 5);
  assertEquals(r.allowance(1000), 10); // burst of 10 ms worth
  const m = new RateLimiter(100, 0, 0);
  assertEquals(m.allowance(0), Infinity);
  assertEquals(m.owed(0), 1);
  m.sent(1, 0);
  assertEquals(m.owed(0), 0);
  assertEquals(m.owed(1000), 100);
  m.sent(100, 1000);
  assertEquals(m.owed(1000), 0);
  assert(m.dueMs(1000) > 0);
  assertEquals(new RateLimiter(0, 0, 0).dueMs(5), Infinity);
});

Deno.test("retry: nmap's rule without loss, adaptive with loss", () => {
  const base = { maxRetries: 6, explicit: false };
  const clean = new RetryPolicy(base, 1000);
  assertEquals(clean.allowedTries(), 2); // no reply yet: one retransmission
  for (let i = 0; i < 900; i++) clean.onReply(0);
  assertEquals(clean.allowedTries(), 2);

  // 36% of tries unanswered (20% loss each way): geometric tries.
  const lossy = new RetryPolicy(base, 1000);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let i = 0; i < 1000; i++) {
    let t = 0;
    while (rnd() < 0.36) t++;
    lossy.onReply(t);
  }
  const q = lossy.deliveryRate!;
  assert(q > 0.58 && q < 0.7, `q ${q}`);
  const k = lossy.allowedTries();
  assert(k >= 17 && k <= 25, `tries ${k}`);
  // P(miss of an answering port) over 1000 ports is tiny.
  assert(1000 * Math.pow(0.36, k) < 1e-3);

  const fixed = new RetryPolicy({ maxRetries: 3, explicit: true }, 1000);
  for (let i = 0; i < 100; i++) fixed.onReply(i % 5);
  assertEquals(fixed.allowedTries(), 4);
});

Deno.test("timing plan: values from the options, explicit --max-retries", () => {
  const t: TimingOptions = {
    template: 4,
    minRttTimeoutMs: 100,
    maxRttTimeoutMs: 1250,
    initialRttTimeoutMs: 500,
    maxRetries: 6,
    hostTimeoutMs: 0,
    scanDelayMs: 0,
    maxScanDelayMs: 10,
    minRate: 0,
    maxRate: 0,
    minParallelism: 0,
    maxParallelism: 0,
    minHostgroup: 0,
    maxHostgroup: 0,
  };
  const p = timingPlan(t, ["-T4"]);
  assertEquals(p.rtt.initialRttTimeoutMs, 500);
  assertEquals(p.retry.explicit, false);
  assert(p.congestion.max >= p.congestion.initial && p.congestion.initial >= p.congestion.min);
  const q = timingPlan({ ...t, maxParallelism: 5 }, ["--max-retries", "2"]);
  assertEquals(q.retry.explicit, true);
  assertEquals(q.congestion.max, 5);
  assert(q.congestion.initial <= 5 && q.congestion.min <= 5);
});

Deno.test("rtt: the adaptive floor replaces --min-rtt-timeout once RTT is measured", () => {
  const r = new RttEstimator({ ...limits, adaptiveFloorMs: 10 });
  assertEquals(r.timeout, 1000); // no sample: the initial timeout
  for (let i = 0; i < 40; i++) r.sample(0.2);
  assertEquals(r.timeout, 10);
  // A slow path keeps its own RFC 6298 value above the floor.
  const s = new RttEstimator({ ...limits, adaptiveFloorMs: 10 });
  for (let i = 0; i < 40; i++) s.sample(30 + (i % 2) * 10);
  assert(s.timeout > 35 && s.timeout < 80, `timeout ${s.timeout}`);
});

Deno.test("timing plan: adaptive floor unless --min-rtt-timeout or a slow template", () => {
  const t: TimingOptions = {
    template: 3,
    minRttTimeoutMs: 100,
    maxRttTimeoutMs: 10000,
    initialRttTimeoutMs: 1000,
    maxRetries: 10,
    hostTimeoutMs: 0,
    scanDelayMs: 0,
    maxScanDelayMs: 1000,
    minRate: 0,
    maxRate: 0,
    minParallelism: 0,
    maxParallelism: 0,
    minHostgroup: 0,
    maxHostgroup: 0,
  };
  assertEquals(timingPlan(t, []).rtt.adaptiveFloorMs, 10);
  assertEquals(timingPlan(t, ["--min-rtt-timeout", "50ms"]).rtt.adaptiveFloorMs, undefined);
  assertEquals(timingPlan(t, ["--min_rtt_timeout=50ms"]).rtt.adaptiveFloorMs, undefined);
  assertEquals(timingPlan({ ...t, template: 2 }, []).rtt.adaptiveFloorMs, undefined);
});

Deno.test("retry: minTries raises nmap's floor, --max-retries still caps", () => {
  assertEquals(
    new RetryPolicy({ maxRetries: 6, explicit: false, minTries: 3 }, 1).allowedTries(),
    3,
  );
  assertEquals(
    new RetryPolicy({ maxRetries: 0, explicit: true, minTries: 3 }, 1).allowedTries(),
    1,
  );
});

Deno.test("retry: retransmissions answered only because the path reordered are no loss", () => {
  const r = new RetryPolicy({ maxRetries: 10, explicit: false }, 300);
  for (let i = 0; i < 100; i++) r.onReply(0);
  r.onReply(1); // the retransmission's answer came first…
  assert(r.lossSeen);
  r.onSpurious(); // …and the first try's after it: no try was lost
  assert(!r.lossSeen);
  // nmap's rule gives one beyond the highest answered try, but that try answered nothing a
  // first try did not: a loss-free host's two tries.
  assertEquals(r.allowedTries(), 2);
  r.onReply(2); // a real loss this time
  assert(r.lossSeen);
  assert(r.allowedTries() >= 11);
});

Deno.test("binomialTail: the chance of k or more successes in n trials", () => {
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  assert(near(binomialTail(4, 4, 0.5), 1 / 16));
  assert(near(binomialTail(10, 3, 0.5), 1 - (1 + 10 + 45) / 1024));
  assertEquals(binomialTail(5, 0, 0.3), 1);
  assertEquals(binomialTail(3, 2, 1), 1);
  assertEquals(binomialTail(3, 1, 0), 0);
  // Twenty witnesses all answered on a path that delivers 64% of tries: 1 in 7500.
  assert(near(binomialTail(20, 20, 0.64), 0.64 ** 20));
});
