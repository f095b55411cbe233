import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { LoopStalls, STALL_MS, TICK_MS } from "./loop_stalls.ts";

Deno.test("loop stalls: gaps between looks longer than the stall time count, within the window asked", () => {
  const s = new LoopStalls();
  s.tick(0);
  s.tick(TICK_MS);
  s.tick(2 * TICK_MS);
  assertEquals(s.within(0, 2 * TICK_MS), 0, "timer slack is no stall");
  s.tick(1000 + 2 * TICK_MS); // the loop stood still for about a second
  assertEquals(s.within(0, 1040), 1000);
  assertEquals(s.within(540, 1040), 500, "only the part inside the window");
  assertEquals(s.within(1040, 1040 + STALL_MS), 0, "asked just after a look");
});

Deno.test("loop stalls: a stall not yet ended by a look counts up to the moment asked", () => {
  const s = new LoopStalls();
  s.tick(100);
  // A connect noticed right after a long task, before the timer has looked again.
  assertEquals(s.within(50, 1100), 1000);
  assertEquals(s.within(50, 100 + STALL_MS), 0);
});

Deno.test("loop stalls: watching runs on a timer that does not keep the process alive", async () => {
  const s = new LoopStalls();
  s.start();
  const t0 = performance.now();
  while (performance.now() - t0 < 300) { /* the loop stands still */ }
  await new Promise((r) => setTimeout(r, 3 * TICK_MS));
  s.stop();
  assert(s.within(t0, performance.now()) >= 200);
});

Deno.test("loop stalls: only the stall that ends as the event is noticed makes it late", () => {
  const s = new LoopStalls();
  s.tick(0);
  s.tick(200); // a 200 ms stall early in the wait
  for (let t = 220; t <= 1000; t += TICK_MS) s.tick(t);
  assertEquals(s.lateBy(0, 1010), 0, "the loop ran after the stall: a SYN-ACK then was seen then");
  s.tick(1400); // a stall ending just as the connect is noticed
  assertEquals(s.lateBy(0, 1410), 410);
  assertEquals(s.lateBy(1200, 1410), 210, "no earlier than the wait began");
  for (let t = 1420; t <= 1400 + 3 * STALL_MS; t += TICK_MS) s.tick(t);
  assertEquals(s.lateBy(0, 1400 + 3 * STALL_MS), 0, "the loop has run since");
});
