import { assert, assertEquals, rng } from "../../tests/testing/assert.ts";
import { type ProbeIo, Scheduler, STALL_MS } from "./scheduler.ts";
import type { TimingPlan } from "../timing/mod.ts";

function plan(over: Partial<TimingPlan> = {}): TimingPlan {
  return {
    rtt: { initialRttTimeoutMs: 20, minRttTimeoutMs: 5, maxRttTimeoutMs: 50 },
    congestion: { initial: 10, min: 16, max: 256, ssthresh: 256 },
    retry: { maxRetries: 6, explicit: false },
    minRate: 0,
    maxRate: 0,
    hostTimeoutMs: 0,
    scanDelayMs: 0,
    ...over,
  };
}

/** A simulated path: each probe is answered after `rttMs` unless dropped. */
class FakeNet implements ProbeIo {
  queue: { h: number; p: number; t: number; at: number }[] = [];
  pending: { h: number; p: number; t: number; at: number }[] = [];
  sends = 0;
  maxInFlightSeen = 0;
  constructor(
    public sched: () => Scheduler,
    public answers: (h: number, p: number) => boolean,
    public rttMs = 1,
    public loss = 0,
    public rnd = rng(7),
  ) {}
  emit(h: number, p: number, t: number): boolean {
    if (this.queue.length >= 64) return false;
    this.queue.push({ h, p, t, at: performance.now() + this.rttMs });
    return true;
  }
  flush(): void {
    for (const q of this.queue) {
      this.sends++;
      // Loss each way, independent.
      if (!this.answers(q.h, q.p)) continue;
      if (this.rnd() < this.loss || this.rnd() < this.loss) continue;
      this.pending.push(q);
    }
    this.queue = [];
    this.maxInFlightSeen = Math.max(this.maxInFlightSeen, this.sched().inFlight);
  }
  poll(): void {
    const now = performance.now();
    const due = this.pending.filter((q) => q.at <= now);
    this.pending = this.pending.filter((q) => q.at > now);
    for (const q of due) this.sched().answer(q.h, q.p, q.t, now);
  }
  wait(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, this.rttMs))));
  }
}

Deno.test("scheduler: every probe settles; silent ones after nmap's two tries", async () => {
  const H = 3, P = 200;
  const s = new Scheduler({ hosts: H, perHost: P, plan: plan(), randomize: true });
  const answered = (h: number, p: number) => (p + h) % 10 !== 0;
  const net = new FakeNet(() => s, answered);
  const silent = new Set<string>();
  const done: number[] = [];
  await s.run(net, {
    silent: (h, p) => silent.add(`${h}/${p}`),
    hostDone: (h) => done.push(h),
  });
  assertEquals(done.sort(), [0, 1, 2]);
  for (let h = 0; h < H; h++) {
    for (let p = 0; p < P; p++) {
      assert(s.isDone(h, p));
      const isSilent = silent.has(`${h}/${p}`);
      assertEquals(isSilent, !answered(h, p), `probe ${h}/${p}`);
      // No loss: answering probes need one try, silent ones get two (three when nothing sent
      // right after their last try was answered, as when the loop stalls on a busy machine:
      // held, they are asked again with a witness).
      if (isSilent) assert([2, 3].includes(s.triesSent(h, p)), `probe ${h}/${p}`);
      else assertEquals(s.triesSent(h, p), 1);
    }
  }
  assertEquals(s.inFlight, 0);
  assert(s.window.cwnd > 10, "the window grew on replies");
});

Deno.test("scheduler: the last port of a loss-free scan, silent, is settled after two tries and a witness", async () => {
  // In order (-r), the silent port is sent last: nothing fresh follows its tries.
  const P = 50;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: false });
  const net = new FakeNet(() => s, (_h, p) => p !== P - 1);
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent, [P - 1]);
  assertEquals(s.triesSent(0, P - 1), 2, "no persist round: no third try");
  // 49 first tries, two tries of the silent port, and one witness behind its last try.
  assertEquals(net.sends, P - 1 + 2 + 1);
});

Deno.test("scheduler: 20% loss each way still finds every answering probe", async () => {
  const H = 2, P = 1000;
  const s = new Scheduler({ hosts: H, perHost: P, plan: plan(), randomize: true });
  const answered = (_h: number, p: number) => p % 50 !== 0;
  const net = new FakeNet(() => s, answered, 1, 0.2, rng(11));
  const silent = new Set<string>();
  await s.run(net, { silent: (h, p) => silent.add(`${h}/${p}`), hostDone: () => {} });
  let wrong = 0;
  for (let h = 0; h < H; h++) {
    for (let p = 0; p < P; p++) if (silent.has(`${h}/${p}`) !== !answered(h, p)) wrong++;
  }
  assertEquals(wrong, 0);
  assert(s.stats.retransmitted > 0);
  assert(s.timings[0]!.retry.allowedTries() > 7, "adapted beyond nmap's -T4 retries");
});

/** A target that takes `budget` probes a second (token bucket of 3) and drops the rest. */
class PolicedNet extends FakeNet {
  #tokens = 3;
  #at = performance.now();
  dropped = 0;
  constructor(
    sched: () => Scheduler,
    readonly budget: number,
    answers: (h: number, p: number) => boolean = () => true,
  ) {
    super(sched, answers, 1);
  }
  override flush(): void {
    const now = performance.now();
    this.#tokens = Math.min(3, this.#tokens + ((now - this.#at) * this.budget) / 1000);
    this.#at = now;
    const kept = [];
    for (const q of this.queue) {
      if (this.#tokens >= 1) {
        this.#tokens--;
        kept.push(q);
      } else {
        this.sends++;
        this.dropped++;
      }
    }
    this.queue = kept;
    super.flush();
  }
}

Deno.test("scheduler: an overloaded target gets every answer, at the pace it takes", async () => {
  // 600 answering ports, 1000 probes a second taken: the scan must back off to that pace
  // instead of trading the answers for retransmissions (or losing them).
  const P = 600;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const net = new PolicedNet(() => s, 1000);
  let silent = 0;
  await s.run(net, { silent: () => silent++, hostDone: () => {} });
  assertEquals(silent, 0);
  assertEquals(s.stats.answered, P);
  assert(s.window.cuts > 0, "the pace was cut");
  // Without a back-off nearly every probe goes out many times over (about 10× here).
  assert(net.sends < 3 * P, `${net.sends} probes for ${P} ports, ${net.dropped} dropped`);
});

Deno.test("scheduler: a host that drops everything for a while is waited for, not read as silent", async () => {
  // The first probe is answered, then the host drops all for 150 ms (a busy neighbour's burst):
  // nmap's two tries would take 300 ports for filtered. Silence needs a witness.
  const P = 300;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  let quietFrom = Infinity;
  const net = new FakeNet(() => s, () => {
    const now = performance.now();
    if (quietFrom === Infinity) {
      quietFrom = now;
      return true;
    }
    return now - quietFrom > 150;
  });
  let silent = 0;
  await s.run(net, { silent: () => silent++, hostDone: () => {} });
  assertEquals(silent, 0);
  assertEquals(s.stats.answered, P);
});

Deno.test("scheduler: first tries answered late, while their retransmission waits, leave no loss behind", async () => {
  // Half the answering ports reply to their first try after 30 ms: past the timeout (a jittery
  // path), but before the backed-off retransmission leaves. The host lost nothing, so its
  // silent ports get nmap's tries, not a hold for a witness and persist tries.
  const P = 200;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: false });
  const answered = (_h: number, p: number) => p % 10 !== 0;
  const net = new FakeNet(() => s, answered);
  net.emit = (h, p, t) => {
    if (net.queue.length >= 64) return false;
    const delay = p % 2 === 1 && t === 0 ? 30 : net.rttMs;
    net.queue.push({ h, p, t, at: performance.now() + delay });
    return true;
  };
  const silent = new Set<number>();
  await s.run(net, { silent: (_h, p) => silent.add(p), hostDone: () => {} });
  for (let p = 0; p < P; p++) {
    assertEquals(silent.has(p), !answered(0, p), `port ${p}`);
    // nmap's rule: one try more than the highest answered (a spurious retransmission can be),
    // and one more at the scan's tail (see the first test); not persist tries while held.
    if (!answered(0, p)) assert(s.triesSent(0, p) <= 4, `${s.triesSent(0, p)} tries of port ${p}`);
  }
});

Deno.test("scheduler: a host that goes away for good is given up after STALL_MS", async () => {
  const s = new Scheduler({ hosts: 1, perHost: 50, plan: plan(), randomize: false });
  let first = true;
  const net = new FakeNet(() => s, () => {
    const answer = first;
    first = false;
    return answer;
  });
  let silent = 0;
  const t0 = performance.now();
  await s.run(net, { silent: () => silent++, hostDone: () => {} });
  assertEquals(silent, 49);
  assert(performance.now() - t0 >= STALL_MS, "waited for the host to come back");
  assert(net.sends < 49 * 4, `${net.sends} probes: held ones wait, they are not resent`);
});

Deno.test("scheduler: explicit --max-retries caps tries", async () => {
  const s = new Scheduler({
    hosts: 1,
    perHost: 50,
    plan: plan({ retry: { maxRetries: 0, explicit: true } }),
    randomize: false,
  });
  const net = new FakeNet(() => s, () => false);
  let silent = 0;
  await s.run(net, { silent: () => silent++, hostDone: () => {} });
  assertEquals(silent, 50);
  assertEquals(net.sends, 50); // one try each
});

Deno.test("scheduler: forged or duplicate answers are refused", () => {
  const s = new Scheduler({ hosts: 1, perHost: 4, plan: plan(), randomize: false });
  // Nothing sent yet: an answer to try 0 is a forgery.
  assertEquals(s.answer(0, 0, 0), false);
  assertEquals(s.answer(5, 0, 0), false);
  assertEquals(s.answer(0, 9, 0), false);
});

Deno.test("scheduler: max-rate paces, window caps in-flight", async () => {
  const s = new Scheduler({
    hosts: 1,
    perHost: 30,
    plan: plan({ maxRate: 300, congestion: { initial: 4, min: 4, max: 8, ssthresh: 8 } }),
    randomize: true,
  });
  const net = new FakeNet(() => s, () => true, 1);
  const t0 = performance.now();
  await s.run(net, { silent: () => {}, hostDone: () => {} });
  const elapsed = performance.now() - t0;
  assertEquals(net.sends, 30);
  assert(net.maxInFlightSeen <= 8, `in flight ${net.maxInFlightSeen}`);
  // 30 probes at 300/s take ~100 ms; a broken limiter would take ~1 ms.
  assert(elapsed > 60, `too fast for the rate cap: ${elapsed} ms`);
});

Deno.test("scheduler: first answer settles a host (discovery), host timeout", async () => {
  const s = new Scheduler({
    hosts: 2,
    perHost: 4,
    plan: plan(),
    randomize: false,
    firstAnswerFinishesHost: true,
  });
  const net = new FakeNet(() => s, (h, p) => h === 0 && p === 2);
  const done: [number, boolean][] = [];
  let silent = 0;
  await s.run(net, { silent: () => silent++, hostDone: (h, t) => done.push([h, t]) });
  assertEquals(done.map((d) => d[0]).sort(), [0, 1]);
  assertEquals(silent, 4); // host 1's four probes

  const t = new Scheduler({
    hosts: 1,
    perHost: 5,
    plan: plan({
      hostTimeoutMs: 15,
      rtt: { initialRttTimeoutMs: 50, minRttTimeoutMs: 50, maxRttTimeoutMs: 50 },
    }),
    randomize: false,
  });
  const net2 = new FakeNet(() => t, () => false);
  const d2: boolean[] = [];
  await t.run(net2, { silent: () => {}, hostDone: (_h, to) => d2.push(to) });
  assertEquals(d2, [true]);
});

Deno.test("scheduler: retryHoldMs holds a new try number, and a late answer still counts", async () => {
  // Two silent hosts, one probe each: the first try times out after 20 ms, and the second waits
  // a 150 ms hold on top (nmap's RLD_TIME_MS for ARP ping), each host once per try number.
  const sends: { h: number; t: number; at: number }[] = [];
  const late: { h: number; t: number; at: number }[] = [];
  const start = performance.now();
  const io: ProbeIo = {
    emit(h, _p, t) {
      sends.push({ h, t, at: performance.now() - start });
      // Host 1 answers its first try late, during the hold.
      if (h === 1 && t === 0) late.push({ h, t, at: performance.now() + 60 });
      return true;
    },
    flush() {},
    poll() {
      const now = performance.now();
      for (const q of late.filter((q) => q.at <= now)) s.answer(q.h, 0, q.t, now);
      late.splice(0, late.length, ...late.filter((q) => q.at > now));
    },
    wait: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
  };
  const s = new Scheduler({
    hosts: 2,
    perHost: 1,
    plan: plan({ retry: { maxRetries: 6, explicit: false, minTries: 2 } }),
    randomize: false,
    retryHoldMs: 150,
  });
  const silent: number[] = [];
  await s.run(io, { silent: (h) => silent.push(h), hostDone() {} });
  assertEquals(silent, [0]);
  const retries = sends.filter((x) => x.t > 0);
  assertEquals(retries.map((x) => x.h), [0], "host 1 answered during the hold: no retry");
  assert(retries[0]!.at >= 20 + 150, `retry at ${retries[0]!.at} ms, before timeout + hold`);
});

Deno.test("scheduler: a try withdrawn for want of descriptors is sent again, never silent", async () => {
  // The transport offers room for 8 (its count of descriptors) but only 3
  // opens succeed at a time: the rest fail at once, as EMFILE does, and are
  // handed back with requeue(). Every probe answers after 1 ms.
  const H = 2, P = 100, REAL = 3;
  const s = new Scheduler({ hosts: H, perHost: P, plan: plan(), randomize: true });
  let open = 0, withdrawn = 0, maxOpen = 0;
  const due: { h: number; p: number; t: number; at: number }[] = [];
  const failed: { h: number; p: number; t: number }[] = [];
  const io: ProbeIo = {
    emit(h, p, t) {
      if (open >= REAL) failed.push({ h, p, t });
      else {
        open++;
        maxOpen = Math.max(maxOpen, open);
        due.push({ h, p, t, at: performance.now() + 1 });
      }
      return true;
    },
    flush() {},
    poll() {
      for (const f of failed.splice(0)) {
        withdrawn++;
        assert(s.requeue(f.h, f.p, f.t), "the latest try of an unsettled probe is withdrawn");
      }
      const now = performance.now();
      for (let i = due.length - 1; i >= 0; i--) {
        const d = due[i]!;
        if (d.at > now) continue;
        due.splice(i, 1);
        open--;
        s.answer(d.h, d.p, d.t, now);
      }
    },
    wait: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 1))),
    room: () => 8 - open,
  };
  const silent: string[] = [];
  await s.run(io, { silent: (h, p) => silent.push(`${h}/${p}`), hostDone: () => {} });
  assertEquals(silent, []);
  assert(withdrawn > 0, "some opens failed");
  assert(maxOpen <= REAL);
  for (let h = 0; h < H; h++) {
    for (let p = 0; p < P; p++) assertEquals(s.triesSent(h, p), 1, `tries of ${h}/${p}`);
  }
  assertEquals(s.stats.sent, H * P);
  assertEquals(s.stats.retransmitted, 0);
  assertEquals(s.inFlight, 0);
});

Deno.test("scheduler: requeue refuses settled probes and tries already superseded", () => {
  const s = new Scheduler({ hosts: 1, perHost: 2, plan: plan(), randomize: false });
  assertEquals(s.requeue(0, 0, 0), false, "never sent");
  assertEquals(s.requeue(3, 0, 0), false, "no such host");
  const sent: number[] = [];
  const io: ProbeIo = {
    emit: (_h, p) => (sent.push(p), true),
    flush() {},
    poll() {},
    wait: () => Promise.resolve(),
    room: () => (sent.length < 2 ? 2 - sent.length : 0),
  };
  // One pass of run() sends both probes, then stops once they are answered.
  const run = s.run(io, { silent() {}, hostDone() {} });
  assertEquals(sent, [0, 1]);
  assert(s.requeue(0, 0, 0));
  assertEquals(s.inFlight, 1);
  assert(s.awaitingResend(0, 0));
  assertEquals(s.requeue(0, 0, 0), false, "try 0 is no longer sent");
  assert(s.answer(0, 1, 0, performance.now()));
  assertEquals(s.requeue(0, 1, 0), false, "answered");
  s.finishHost(0);
  return run;
});

Deno.test("scheduler: the reported latency runs from the kernel's send stamps to the reply", async () => {
  // The runtime takes 0.5 ms to hand each batch over; the link answers 5 µs after a frame left.
  // With the transport's stamps for the first frames the latency is the link's; without them
  // (a batch whose stamps did not all come back) none of that batch's probes is timed.
  const run = async (stampsCome: boolean) => {
    let queued: { h: number; p: number; t: number }[] = [];
    const replies: { h: number; p: number; t: number; at: number }[] = [];
    const span = { start: 0, end: 0, stamps: new Float64Array(8), stamped: 0 };
    const s = new Scheduler({ hosts: 1, perHost: 40, plan: plan(), randomize: false });
    const io: ProbeIo = {
      emit(h, p, t) {
        queued.push({ h, p, t });
        return true;
      },
      flush() {
        span.start = performance.now();
        span.end = span.start + 1;
        span.stamped = stampsCome ? Math.min(8, queued.length) : 0;
        queued.forEach((q, i) => {
          const left = span.start + 0.5 + i * 0.01;
          if (i < 8) span.stamps[i] = left;
          replies.push({ ...q, at: left + 0.005 });
        });
        queued = [];
        return span;
      },
      poll() {
        for (const r of replies.splice(0)) s.answer(r.h, r.p, r.t, r.at);
      },
      wait: () => Promise.resolve(),
    };
    await s.run(io, { silent() {}, hostDone() {} });
    return s.timings[0]!.rtt;
  };
  const stamped = await run(true);
  assert(Math.abs(stamped.latency! - 0.005) < 0.0005, `latency ${stamped.latency} ms`);
  assertEquals((await run(false)).latency, undefined);
});

Deno.test("scheduler: behind a firewall passing 150 probes/s, every port still answers", async () => {
  // Tries a few ms apart all meet the same empty bucket, before the pace can be cut: the first
  // ports' tries must be spread out (backed off), and not given up as silent while the host
  // answers few of its probes and no retransmission yet.
  const P = 300;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const net = new PolicedNet(() => s, 150);
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent, []);
  assertEquals(s.stats.answered, P);
});

Deno.test("scheduler: behind a firewall passing 150 probes/s, filtered ports end after two witnessed tries", async () => {
  // The firewall's budget is spent on the filtered ports' tries too; at the tail, witnesses
  // right behind their tries show the path delivering, and a few of the forty tries the loss
  // estimate allows are enough.
  const P = 300, FILTERED = new Set([5, 77, 150]);
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const net = new PolicedNet(() => s, 150, (_h, p) => !FILTERED.has(p));
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent.sort((a, b) => a - b), [...FILTERED]);
  assertEquals(s.stats.answered, P - FILTERED.size);
  const allowed = s.timings[0]!.retry.allowedTries();
  for (const p of FILTERED) {
    assert(s.triesSent(0, p) < allowed, `port ${p}: ${s.triesSent(0, p)} tries of ${allowed}`);
  }
});

/** A path without loss whose every packet waits 5-25 ms at random each way (reordered). */
class JitterNet extends FakeNet {
  override emit(h: number, p: number, t: number): boolean {
    if (this.queue.length >= 64) return false;
    const rtt = 10 + 20 * this.rnd() + 20 * this.rnd();
    this.queue.push({ h, p, t, at: performance.now() + rtt });
    return true;
  }
  override wait(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, 1))));
  }
}

Deno.test("scheduler: on a jittery path, silent ports are settled after nmap's two tries", async () => {
  // Answers come in any order and keep coming after a tail's witnesses left: a witness's answer
  // must still be known for one (no third round of tries, one more timeout each).
  const P = 300, FILTERED = new Set([24, 134, 138]);
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const net = new JitterNet(() => s, (_h, p) => !FILTERED.has(p), 1, 0, rng(11));
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent.sort((a, b) => a - b), [...FILTERED]);
  for (const p of FILTERED) assertEquals(s.triesSent(0, p), 2, `port ${p}`);
});

/** A path that loses every first try: only retransmissions are answered. */
class FirstTryLost extends FakeNet {
  constructor(sched: () => Scheduler, readonly quiet: boolean) {
    super(sched, () => true);
  }
  override emit(h: number, p: number, t: number): boolean {
    if (t === 0) {
      this.sends++;
      return true; // sent, and lost
    }
    return super.emit(h, p, t);
  }
  override poll(): void {
    this.sched().quietReply = this.quiet; // every answer is a closed port's RST
    super.poll();
  }
}

Deno.test("scheduler: a quiet reply (--defeat-rst-ratelimit's RST) to a retransmission is no drop, no more tries", async () => {
  const drops = async (quiet: boolean) => {
    const s = new Scheduler({ hosts: 1, perHost: 100, plan: plan(), randomize: false });
    await s.run(new FirstTryLost(() => s, quiet), { silent() {}, hostDone() {} });
    for (let p = 0; p < 100; p++) assertEquals(s.triesSent(0, p), 2);
    return [s.window.drops, s.timings[0]!.retry.maxSuccessfulTry];
  };
  // No drop, and no more tries allowed (nmap's max_successful_tryno stays).
  assertEquals(await drops(true), [0, -1]);
  const [dropped, maxTry] = await drops(false);
  assert(dropped! > 0, "answers to retransmissions count as drops otherwise");
  assertEquals(maxTry, 1);
});

Deno.test("scheduler: a path dark for longer than STALL_MS mid-scan loses no port to silence", async () => {
  // The lab's bursty path under load: a third of the ports answered, then nothing gets through
  // for 1.3 s (a burst, or the path's queue stalled), then everything does. Ports whose two
  // tries fell in the first few ms of the dark are not silent because the host went quiet for
  // STALL_MS: silence needs tries spread over the quiet, not two at its start.
  const P = 300;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const answered = (_h: number, p: number) => p % 100 !== 7;
  let sent = 0;
  let darkFrom = Infinity;
  const net = new FakeNet(() => s, (h, p) => {
    const now = performance.now();
    if (++sent === 100) darkFrom = now;
    return answered(h, p) && !(now >= darkFrom && now < darkFrom + STALL_MS + 300);
  });
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent.sort((a, b) => a - b), [7, 107, 207]);
});

Deno.test("scheduler: a stall of our own, past STALL_MS and a half of quiet, settles no live port silent", async () => {
  // The path goes dark mid-scan for STALL_MS + 200 ms. Just after the first STALL_MS of it, this
  // process stalls (a loaded machine: its wait returns 1.5 × STALL_MS late), and the path comes
  // back meanwhile. On waking, the host has been quiet on the clock for longer than STALL_MS and
  // a half, but nothing was asked since it came back: the quiet is ours, not the host's.
  const P = 100;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const answered = (_h: number, p: number) => p % 50 !== 7;
  let sent = 0, darkFrom = Infinity, stalled = false;
  const net = new FakeNet(() => s, (h, p) => {
    const now = performance.now();
    if (++sent === 50) darkFrom = now;
    return answered(h, p) && !(now >= darkFrom && now < darkFrom + STALL_MS + 200);
  });
  const wait = net.wait.bind(net);
  net.wait = (ms) => {
    if (stalled || performance.now() < darkFrom + STALL_MS + 100) return wait(ms);
    stalled = true;
    return new Promise((r) => setTimeout(r, 1.5 * STALL_MS));
  };
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assert(stalled, "the scan stalled");
  assertEquals(silent.sort((a, b) => a - b), [7, 57]);
});

Deno.test("scheduler: a host never heard from, dark at first, keeps the ports it answers later", async () => {
  // The path drops everything for its first 300 ms (a burst, or this process stalled and then
  // sent the first ports' tries in one instant into one): the host has answered nothing when
  // those tries time out, but it answers later. Its first ports are not silent for that.
  const P = 200;
  const answered = (_h: number, p: number) => p % 100 !== 25;
  const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
  const t0 = performance.now();
  const net = new FakeNet(() => s, (h, p) => answered(h, p) && performance.now() - t0 >= 300);
  const silent: number[] = [];
  await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
  assertEquals(silent.sort((a, b) => a - b), [25, 125]);
});

Deno.test("scheduler: a host that never answers is still settled silent", async () => {
  const s = new Scheduler({ hosts: 2, perHost: 50, plan: plan(), randomize: true });
  const net = new FakeNet(() => s, (h) => h === 0);
  const silent = new Set<number>();
  const done: number[] = [];
  await s.run(net, { silent: (h) => silent.add(h), hostDone: (h) => done.push(h) });
  assertEquals([...silent], [1]);
  assertEquals(s.stats.timedOut, 50);
  assertEquals(done.sort(), [0, 1]);
});

/** Good and bad periods of exponentially distributed length, as one direction of the lab's
 * bursty path (tests/lab/path.ts): whether time `t` (ms from the start) falls in a burst. */
function burstTimeline(rnd: () => number, goodMs: number, badMs: number): (t: number) => boolean {
  const edges: number[] = []; // start, end, start, end, … of the bursts
  for (let t = 0; t < 60_000;) {
    t += -goodMs * Math.log(1 - rnd());
    edges.push(t);
    t += -badMs * Math.log(1 - rnd());
    edges.push(t);
  }
  return (t) => {
    let lo = 0, hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return (lo & 1) === 1;
  };
}

Deno.test("scheduler: bursty loss each way never turns an answer into silence", async () => {
  // Bursts every 60 ms, 25 ms long on average, each way: a port whose two tries meet two
  // bursts, while the host answers tries sent some ms after each, must not be silent (the
  // answers after a burst say nothing of the tries lost in it).
  const P = 300;
  const answered = (_h: number, p: number) => p % 100 !== 25;
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = rng(seed);
    const toTarget = burstTimeline(rnd, 60, 25), fromTarget = burstTimeline(rnd, 60, 25);
    const t0 = performance.now();
    const s = new Scheduler({ hosts: 1, perHost: P, plan: plan(), randomize: true });
    const net = new FakeNet(() => s, (h, p) => {
      const t = performance.now() - t0;
      return answered(h, p) && !toTarget(t) && !fromTarget(t + 0.5); // half the 1 ms RTT
    });
    const silent: number[] = [];
    await s.run(net, { silent: (_h, p) => silent.push(p), hostDone: () => {} });
    assertEquals(silent.sort((a, b) => a - b), [25, 125, 225], `seed ${seed}`);
  }
});

Deno.test("scheduler: a first contact's lost round is tried again after firstRetryMs, not the initial timeout", async () => {
  // When each try left, ms after the first: the second comes on firstRetryMs's clock (50 ms)
  // where nmap's waits its initial timeout (1 s).
  const secondTryAfter = async (firstRetryMs?: number) => {
    const s = new Scheduler({
      hosts: 1,
      perHost: 4,
      plan: plan({
        rtt: { initialRttTimeoutMs: 1000, minRttTimeoutMs: 100, maxRttTimeoutMs: 1000 },
      }),
      randomize: false,
      firstAnswerFinishesHost: true,
      firstRetryMs,
    });
    const net = new FirstTryLost(() => s, false);
    const sentAt: number[] = [];
    const emit = net.emit.bind(net);
    net.emit = (h, p, t) => {
      sentAt[t] ??= performance.now();
      return emit(h, p, t);
    };
    await s.run(net, { silent: () => {}, hostDone: () => {} });
    assertEquals(s.stats.answered, 1);
    return sentAt[1]! - sentAt[0]!;
  };
  assert(await secondTryAfter(50) < 900);
  assert(await secondTryAfter() >= 1000);
});
