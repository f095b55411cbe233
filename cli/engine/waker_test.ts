import { ok } from "node:assert/strict";
import { Waker } from "./waker.ts";

Deno.test("Waker: wake() ends a sleep early; without it the sleep runs its time", async () => {
  const w = new Waker();
  let t0 = performance.now();
  const long = w.sleep(10_000);
  setTimeout(() => w.wake(), 5);
  await long;
  ok(performance.now() - t0 < 5_000, "woken long before the timeout");

  t0 = performance.now();
  await w.sleep(20);
  ok(performance.now() - t0 >= 15, "an unwoken sleep lasts its time");
  w.wake(); // no sleep pending: a no-op
});
