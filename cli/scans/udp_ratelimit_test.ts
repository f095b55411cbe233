import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { IcmpRatePacer, MIN_GROUP, TOKENS_PER_GROUP } from "./udp_ratelimit.ts";
import { SimLinuxTarget } from "./udp_sim.ts";

Deno.test("simulated Linux per-peer limit replays the lab trace (30 probes 100 ms apart)", () => {
  // Measured in two namespaces on this kernel (HZ 250, icmp_ratelimit 1000):
  // replies to probes 0-5, 10 and 20, at 0.0, 0.1, ..., 0.5, 1.0 and 2.0 s.
  const t = new SimLinuxTarget({ peerRatelimitMs: 1000, globalPerSec: 1000, globalBurst: 50 });
  const answered: number[] = [];
  for (let i = 0; i < 30; i++) if (t.icmpAllowed(1000 + i * 100.4)) answered.push(i);
  assertEquals(answered, [0, 1, 2, 3, 4, 5, 10, 20]);
});

Deno.test("simulated Linux per-peer limit: burst of 6, then one per second when overdriven", () => {
  // Lab: 30 probes at once, then one every 50 ms: 6 replies at once, then
  // one a second (at 1.01, 2.02, 3.03 ... s: the first probe after each token).
  const t = new SimLinuxTarget({ peerRatelimitMs: 1000 });
  const at: number[] = [];
  for (let i = 0; i < 30; i++) if (t.icmpAllowed(5000)) at.push(0);
  for (let i = 1; i <= 100; i++) if (t.icmpAllowed(5000 + i * 50.5)) at.push(i * 50.5);
  assertEquals(at.length, 6 + 5);
  assertEquals(at.slice(0, 6), [0, 0, 0, 0, 0, 0]);
  const gaps = at.slice(6).map((x, k) => x - (k === 0 ? 0 : at[5 + k]!));
  for (const g of gaps) assert(g >= 1000 && g < 1060, `a token a second, got a gap of ${g} ms`);
});

Deno.test("simulated global limit: credit while positive, top-ups at most every 20 ms", () => {
  const t = new SimLinuxTarget({
    peerRatelimitMs: 0,
    globalPerSec: 1000,
    globalBurst: 50,
    seed: 3,
  });
  let first = 0;
  for (let i = 0; i < 500; i++) if (t.icmpAllowed(10_000)) first++;
  // 50 credits spent 0-2 at a time (1 on average).
  assert(first >= 30 && first <= 100, `initial burst ${first}`);
  let sustained = 0;
  for (let ms = 1; ms <= 1000; ms += 0.25) if (t.icmpAllowed(10_000 + ms)) sustained++;
  assert(sustained >= 800 && sustained <= 1200, `about 1000 a second, got ${sustained}`);
  let within = 0;
  for (let k = 0; k < 50; k++) if (t.icmpAllowed(11_000.5 + k * 0.1)) within++;
  assert(within <= 60, "no top-up within 20 ms of the last");
});

function drainedGroups(pacer: IcmpRatePacer, from: number, gapMs: number, count: number) {
  // A target making one token per second; every group takes them all.
  let t = from;
  for (let k = 0; k < count; k++) {
    t += gapMs;
    const answered = Math.floor(t / 1000) - Math.floor((t - gapMs) / 1000);
    pacer.observeGroup({ sentAt: t, answered, drainedAt: t + 0.01, size: 5 });
  }
  return t;
}

Deno.test("pacer: no drain, no limit: send everything, as often as allowed", () => {
  const p = new IcmpRatePacer({ minGapMs: 1, maxGapMs: 5000 });
  p.observeSweep(990, 100);
  p.observeGroup({ sentAt: 200, answered: 3, size: 3 });
  assertEquals(p.limited, false);
  assertEquals(p.groupSize(300), Infinity);
  assertEquals(p.nextGap(300), 1);
  assertEquals(p.rate(300), undefined);
});

Deno.test("pacer: learns one token a second and a burst of 6, and paces two tokens a group", () => {
  const p = new IcmpRatePacer({ minGapMs: 1, maxGapMs: 5000 });
  p.observeSweep(6, 100);
  p.observeGroup({ sentAt: 205, answered: 0, drainedAt: 205, size: 3 });
  assert(p.limited);
  // Before any token came back the estimate is an upper bound that shrinks with time.
  const early = p.rate(400)!;
  assert(early > p.rate(1600)!, "the bound falls while nothing comes back");
  const end = drainedGroups(p, 205, 1700, 30);
  const r = p.ratePerSecond(end)!;
  assert(Math.abs(r - 1) < 0.05, `rate ${r}/s`);
  assertEquals(p.burst(end), 6);
  let gap = p.nextGap(end);
  assert(gap <= 2, "the gap grows at most twofold a group");
  for (let k = 0; k < 20; k++) gap = p.nextGap(end);
  assert(Math.abs(gap - TOKENS_PER_GROUP * 1000) < 100, `gap ${gap}`);
  assert(Math.abs(p.nextGap(end, 1) - 1000) < 50, "one token when only the witness needs one");
  // Two tokens' worth of time after a drain: two expected, plus the margin.
  const size = p.groupSize(end + 0.01 + 2000);
  assert(size >= 2 + 2 && size <= 8, `size ${size}`);
});

Deno.test("pacer: a group with tokens to spare makes the next ones grow", () => {
  const p = new IcmpRatePacer({ minGapMs: 1, maxGapMs: 5000 });
  p.observeSweep(6, 10);
  p.observeGroup({ sentAt: 20, answered: 0, drainedAt: 20, size: 3 });
  const t = drainedGroups(p, 20, 2000, 5);
  const before = p.groupSize(t + 2000);
  p.observeGroup({ sentAt: t + 2000, answered: 6, size: MIN_GROUP + 3 });
  p.observeGroup({ sentAt: t + 4000, answered: 6, size: MIN_GROUP + 3 });
  const after = p.groupSize(t + 6000);
  assert(after >= 4 * (MIN_GROUP + 3) && after > before, `grew from ${before} to ${after}`);
});

Deno.test("pacer: the gap never lets a small bucket fill", () => {
  const p = new IcmpRatePacer({ minGapMs: 1, maxGapMs: 60_000 });
  // Burst 2: the gap stays at a third of the bucket, though TOKENS_PER_GROUP is 2.
  p.observeSweep(2, 1);
  p.observeGroup({ sentAt: 10, answered: 0, drainedAt: 10, size: 3 });
  const end = drainedGroups(p, 10, 1500, 20);
  assertEquals(p.burst(end), 2);
  let gap = 0;
  for (let k = 0; k < 30; k++) gap = p.nextGap(end);
  assert(gap >= 100 && gap <= 700, `gap ${gap}`);
});
