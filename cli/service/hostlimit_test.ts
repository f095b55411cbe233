import { assertEquals } from "../../tests/testing/assert.ts";
import { HostConnLimit } from "./hostlimit.ts";

Deno.test("host limit: at most `limit` connections at once; a release lets the next in", async () => {
  const h = new HostConnLimit(2, 10);
  const order: number[] = [];
  const t1 = await h.acquire();
  await h.acquire();
  const third = h.acquire().then(() => order.push(3));
  await Promise.resolve();
  assertEquals([h.inUse, order], [2, []]);
  h.release(t1, "neutral", false);
  await third;
  assertEquals([h.inUse, order, h.limit], [2, [3], 2]);
});

Deno.test("host limit: grows with accepted connections up to its ceiling, halves on refusal", async () => {
  const h = new HostConnLimit(4, 6);
  for (let i = 0; i < 5; i++) {
    const t = await h.acquire();
    h.connected();
    h.release(t, "accepted", true);
  }
  assertEquals(h.limit, 6);
  // Six connections held open: a refusal halves, no further.
  const held = await Promise.all(Array.from({ length: 5 }, () => h.acquire()));
  held.forEach(() => h.connected());
  h.release(await h.acquire(), "refused", false);
  assertEquals(h.limit, 3);
  held.forEach((t) => h.release(t, "neutral", true));
  h.release(await h.acquire(), "refused", false);
  assertEquals(h.limit, 1);
  h.release(await h.acquire(), "refused", false);
  assertEquals(h.limit, 1, "never below one");
});

Deno.test("host limit: connections of one round refused together halve it once", async () => {
  const h = new HostConnLimit(8, 8);
  const held = await Promise.all(Array.from({ length: 6 }, () => h.acquire()));
  held.forEach(() => h.connected());
  const refused = [await h.acquire(), await h.acquire()];
  for (const t of refused) h.release(t, "refused", false);
  assertEquals(h.limit, 4);
  // A connection asked for after the cut, refused, cuts again.
  held.splice(0, 3).forEach((t) => h.release(t, "neutral", true));
  h.release(await h.acquire(), "refused", false);
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
  h.release(t, "neutral", false);
  assertEquals([rejected, h.inUse], [true, 0]);
});

Deno.test("host limit: a refusal cuts to the connections the host holds open", async () => {
  const h = new HostConnLimit(30, 30);
  const held = [await h.acquire(), await h.acquire()];
  held.forEach(() => h.connected());
  h.release(await h.acquire(), "refused", false);
  assertEquals(h.limit, 2, "the host took two and refused the third");
  held.forEach((t) => h.release(t, "accepted", true));
  assertEquals(h.limit, 4);
});
