import { assertEquals } from "../_testing.ts";
import { HostConnLimit } from "./hostlimit.ts";

Deno.test("host limit: at most `limit` connections at once; a release lets the next in", async () => {
  const h = new HostConnLimit(2, 10);
  const order: number[] = [];
  const t1 = await h.acquire();
  await h.acquire();
  const third = h.acquire().then(() => order.push(3));
  await Promise.resolve();
  assertEquals([h.inUse, order], [2, []]);
  h.release(t1, "neutral");
  await third;
  assertEquals([h.inUse, order, h.limit], [2, [3], 2]);
});

Deno.test("host limit: grows with accepted connections up to its ceiling, halves on refusal", async () => {
  const h = new HostConnLimit(4, 6);
  for (let i = 0; i < 5; i++) h.release(await h.acquire(), "accepted");
  assertEquals(h.limit, 6);
  h.release(await h.acquire(), "refused");
  assertEquals(h.limit, 3);
  h.release(await h.acquire(), "refused");
  assertEquals(h.limit, 1);
  h.release(await h.acquire(), "refused");
  assertEquals(h.limit, 1, "never below one");
});

Deno.test("host limit: connections of one round refused together halve it once", async () => {
  const h = new HostConnLimit(8, 8);
  const tickets = await Promise.all(Array.from({ length: 8 }, () => h.acquire()));
  for (const t of tickets) h.release(t, "refused");
  assertEquals(h.limit, 4);
  // A connection opened after the halving, refused, halves again.
  h.release(await h.acquire(), "refused");
  assertEquals(h.limit, 2);
});

Deno.test("host limit: an aborted wait leaves the queue", async () => {
  const h = new HostConnLimit(1, 1);
  const t = await h.acquire();
  const ac = new AbortController();
  const waiting = h.acquire(ac.signal);
  ac.abort(new Error("cancelled"));
  let rejected = false;
  await waiting.catch(() => (rejected = true));
  h.release(t, "neutral");
  assertEquals([rejected, h.inUse], [true, 0]);
});
