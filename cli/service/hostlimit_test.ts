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
  h.release(t1, false, false);
  await third;
  assertEquals([h.inUse, order, h.limit], [2, [3], 2]);
});

Deno.test("host limit: grows with accepted connections up to its ceiling, halves on refusal", async () => {
  const h = new HostConnLimit(4, 6);
  for (let i = 0; i < 5; i++) {
    const t = await h.acquire();
    h.connected();
    h.release(t, false, true);
  }
  assertEquals(h.limit, 6);
  // Six connections held open: a refusal halves, no further.
  const held = await Promise.all(Array.from({ length: 5 }, () => h.acquire()));
  held.forEach(() => h.connected());
  h.release(await h.acquire(), true, false);
  assertEquals(h.limit, 3);
  held.forEach((t) => h.release(t, false, true));
  h.release(await h.acquire(), true, false);
  assertEquals(h.limit, 1);
  h.release(await h.acquire(), true, false);
  assertEquals(h.limit, 1, "never below one");
});

Deno.test("host limit: connections of one round refused together halve it once", async () => {
  const h = new HostConnLimit(8, 8);
  const held = await Promise.all(Array.from({ length: 6 }, () => h.acquire()));
  held.forEach(() => h.connected());
  const refused = [await h.acquire(), await h.acquire()];
  for (const t of refused) h.release(t, true, false);
  assertEquals(h.limit, 4);
  // A connection asked for after the cut, refused, cuts again.
  held.splice(0, 3).forEach((t) => h.release(t, false, true));
  h.release(await h.acquire(), true, false);
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
  h.release(t, false, false);
  assertEquals([rejected, h.inUse], [true, 0]);
});

Deno.test("host limit: a refusal cuts to the connections the host holds open", async () => {
  const h = new HostConnLimit(30, 30);
  const held = [await h.acquire(), await h.acquire()];
  held.forEach(() => h.connected());
  h.release(await h.acquire(), true, false);
  assertEquals(h.limit, 2, "the host took two and refused the third");
  held.forEach((t) => h.release(t, false, true));
  assertEquals(h.limit, 2, "connections ending grow nothing");
  const next = await h.acquire();
  h.connected();
  assertEquals(h.limit, 3, "a connection accepted after the cut grows it");
  h.release(next, false, true);
});

Deno.test("host limit: grows as the host accepts connections, not only once they end", async () => {
  // Ports whose NULL probe waits out its 6 s in silence hold every slot of the start; the
  // probes after NULL must not wait for those to end.
  const h = new HostConnLimit(2, 10);
  const nulls = [await h.acquire(), await h.acquire()];
  nulls.forEach(() => h.connected());
  assertEquals(h.limit, 4);
  let granted = 0;
  const next = [h.acquire(), h.acquire()].map((p) => p.then((t) => (granted++, t)));
  const tickets = await Promise.all(next);
  assertEquals([granted, h.inUse], [2, 4], "granted with the first two still open");
  [...nulls, ...tickets].forEach((t) => h.release(t, false, false));
});
