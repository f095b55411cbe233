import { assert, assertEquals } from "../../tests/testing/assert.ts";
import {
  type BudgetClock,
  budgetFor,
  budgetSize,
  DescriptorBudget,
  DescriptorLimitError,
  isLocalResourceError,
  requireDescriptors,
  STARVED_LIMIT_MS,
} from "./descriptors.ts";

/** A clock the test moves by hand; `later` callbacks run when it passes their time. */
class FakeClock implements BudgetClock {
  t = 0;
  timers: { at: number; fn: () => void }[] = [];
  now = () => this.t;
  later(fn: () => void, ms: number): void {
    this.timers.push({ at: this.t + ms, fn });
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
}

Deno.test("descriptors: local shortages are told apart from answers of the target", () => {
  for (
    const e of [
      new Error("Too many open files (os error 24)"),
      new Error("Too many open files in system (os error 23)"),
      new Error("No buffer space available (os error 105)"),
      new Error("Cannot assign requested address (os error 99)"),
      Object.assign(new Error("connect EMFILE 10.0.0.1:80"), { code: "EMFILE" }),
      Object.assign(new Error("x"), { code: "ENFILE" }),
    ]
  ) assert(isLocalResourceError(e), e.message);
  for (
    const e of [
      undefined,
      new Deno.errors.ConnectionRefused("Connection refused (os error 111)"),
      new Error("No route to host (os error 113)"),
      new Error("Network is unreachable (os error 101)"),
      new Error("Connection timed out (os error 110)"),
      new Error("Permission denied (os error 13)"),
      new Error("os error 240"),
      Object.assign(new Error("x"), { code: "ECONNRESET" }),
    ]
  ) assert(!isLocalResourceError(e), String(e));
});

Deno.test("descriptors: the budget leaves a reserve of an eighth, at most 8", () => {
  assertEquals(budgetSize(1), 1);
  assertEquals(budgetSize(7), 7);
  assertEquals(budgetSize(16), 14);
  assertEquals(budgetSize(40), 35);
  assertEquals(budgetSize(1000), 992);
});

Deno.test("descriptors: take and give within the size", () => {
  const b = new DescriptorBudget(3, new FakeClock());
  assert(b.take() && b.take() && b.take());
  assertEquals(b.take(), false);
  assertEquals(b.available, 0);
  b.give();
  assertEquals(b.available, 1);
  assertEquals(b.used, 2);
});

Deno.test("descriptors: an overrun shrinks the budget to what is held; closes grow it back", () => {
  const b = new DescriptorBudget(10, new FakeClock());
  for (let i = 0; i < 6; i++) assert(b.take());
  // The sixth open failed with EMFILE: five are held, the OS allows no more.
  b.overrun();
  assertEquals(b.used, 5);
  assertEquals(b.available, 0, "no retry before one of the five closes");
  b.give();
  assertEquals(b.available, 1, "one close, one retry");
  // Additive increase: back to the full size after enough closes.
  for (let round = 0; round < 200; round++) {
    while (b.take());
    b.give();
  }
  while (b.used > 0) b.give();
  assertEquals(b.available, 10);
});

Deno.test("descriptors: with nothing held an overrun pauses, doubling, until an open succeeds", () => {
  const clock = new FakeClock();
  const b = new DescriptorBudget(4, clock);
  let woken = 0;
  b.onFree(() => woken++);
  assert(b.take());
  b.overrun();
  assertEquals(b.available, 0);
  clock.advance(10);
  assertEquals(b.available, 1);
  assertEquals(woken, 1, "the end of the pause wakes waiters");
  assert(b.take());
  b.overrun();
  clock.advance(10);
  assertEquals(b.available, 0, "second pause is 20 ms");
  clock.advance(10);
  assert(b.take());
  b.opened();
  b.give();
  assert(b.take());
  b.overrun();
  clock.advance(10);
  assertEquals(b.available, 1, "a success reset the pause to 10 ms");
});

Deno.test("descriptors: nothing openable for long is an error, not a hang", () => {
  const clock = new FakeClock();
  const b = new DescriptorBudget(2, clock);
  let thrown: unknown;
  for (let i = 0; i < 100 && thrown === undefined; i++) {
    try {
      if (b.take()) b.overrun();
    } catch (e) {
      thrown = e;
    }
    clock.advance(1000);
  }
  assert(thrown instanceof DescriptorLimitError, String(thrown));
  assert(clock.t >= STARVED_LIMIT_MS);
});

Deno.test("descriptors: acquire waits in order and honours its signal", async () => {
  const b = new DescriptorBudget(1, new FakeClock());
  await b.acquire();
  const order: string[] = [];
  const ac = new AbortController();
  const first = b.acquire().then(() => order.push("first"));
  const gone = b.acquire(ac.signal).then(
    () => order.push("aborted one"),
    () => order.push("abort"),
  );
  const third = b.acquire().then(() => order.push("third"));
  ac.abort();
  await gone;
  b.give();
  await first;
  b.give();
  await third;
  assertEquals(order, ["abort", "first", "third"]);
  assertEquals(b.used, 1);
});

Deno.test("descriptors: the budget is sized from the limit, one slot at least", () => {
  assertEquals(budgetFor({ limit: 64, open: 24 }).size, 35);
  assertEquals(budgetFor({ limit: 24, open: 23 }).size, 1);
  assertEquals(budgetFor({ limit: 24, open: 24 }).size, 1, "the rest is back-pressure");
  assertEquals(budgetFor(undefined).size, Infinity, "limit unknown: back-pressure alone");
});

Deno.test("descriptors: too few to run is one clear error", () => {
  requireDescriptors(3, "to run", () => ({ limit: 24, open: 21 }));
  requireDescriptors(3, "to run", () => undefined); // limit unknown
  let err: unknown;
  try {
    requireDescriptors(3, "to run", () => ({ limit: 23, open: 21 }));
  } catch (e) {
    err = e;
  }
  assert(err instanceof DescriptorLimitError);
  assertEquals(
    err.message,
    "Too few file descriptors to run: the limit (ulimit -n) is 23 and 21 are in use; " +
      "raise it, e.g. ulimit -n 1024",
  );
});
