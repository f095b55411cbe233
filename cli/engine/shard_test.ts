import { deepEqual, equal, ok } from "node:assert/strict";
import { HostSharding } from "./shard.ts";

Deno.test("host sharding: every position in exactly one shard, sizes within one, the same for the same seed", () => {
  for (const count of [1, 2, 3, 4, 7]) {
    for (const total of [0, 1, 5, 256, 1000]) {
      const a = new HostSharding(count, 42);
      const b = new HostSharding(count, 42);
      const sizes = new Array(count).fill(0);
      for (let p = 0; p < total; p++) {
        const s = a.shardOf(p);
        ok(s >= 0 && s < count && Number.isInteger(s));
        equal(b.shardOf(p), s);
        sizes[s]++;
      }
      equal(sizes.reduce((x, y) => x + y, 0), total);
      ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards of ${total}: ${sizes}`);
    }
  }
});

Deno.test("host sharding: another seed deals the hosts differently, and not in stripes", () => {
  const of = (seed: number) =>
    Array.from({ length: 400 }, (_, p) => new HostSharding(4, seed).shardOf(p));
  const a = of(1), b = of(2);
  ok(a.some((s, i) => s !== b[i]));
  // Not a fixed stride: position p and p + 4 are not always in the same shard.
  ok(a.some((s, i) => i + 4 < a.length && a[i + 4] !== s));
  deepEqual(of(1), a);
});
