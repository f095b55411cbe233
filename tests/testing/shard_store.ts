/**
 * The sharded-scan contract of the store (Store.addShard), checked the same way against
 * SQLite (cli/inventory/store_test.ts) and a real PostgreSQL (tests/inventory_postgres_test.ts):
 * shards written at once from their own connections end as one scan, equal (ndiff cost 0) to
 * the whole scan stored alone; a shard written again replaces its own part; a missing shard
 * is listed.
 */

import { assertEquals } from "./assert.ts";
import { ndiffText } from "../../cli/inventory/diff.ts";
import type { InvScan } from "../../cli/inventory/scan.ts";
import type { Store } from "../../cli/inventory/store.ts";
import { sampleScan } from "./inventory_samples.ts";

/** Checks the contract; `open` gives a new connection to one empty store each call.
 * `concurrent`: write from the connections at once (PostgreSQL; node:sqlite's connections
 * block their one thread while they wait for a lock, so SQLite's shards write in turn). */
export async function checkShardedStore(
  open: () => Promise<Store>,
  concurrent: boolean,
): Promise<void> {
  const all = async <T>(jobs: (() => Promise<T>)[]): Promise<T[]> => {
    if (concurrent) return await Promise.all(jobs.map((j) => j()));
    const out: T[] = [];
    for (const j of jobs) out.push(await j());
    return out;
  };
  const t0 = 1_700_000_000_000;
  const open22 = Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`10.0.0.${i + 1}`, i % 3 ? [22] : [22, 80]]),
  );
  const whole = sampleScan(t0, open22);
  // Three shards of it, host by host, each with its own times.
  const count = 3;
  const part = (i: number): InvScan => ({
    ...whole,
    startTime: t0 + i,
    endTime: whole.endTime! + i,
    hosts: whole.hosts.filter((_, k) => k % count === i),
  });
  const key = "k".repeat(64);
  const shard = (i: number) => ({ index: i, count, key, args: `${whole.args} --shard ${i}` });

  const stores = await all([0, 1, 2, 3].map(() => open));
  try {
    const [a, ...writers] = stores as [Store, ...Store[]];
    const single = await a.addScan(whole, "single");
    // Shards 0 and 2 at once: one scan, shard 1 listed missing.
    const ids = await all([0, 2].map((i) => () => writers[i]!.addShard(part(i), shard(i))));
    assertEquals(ids[0], ids[1], "the shards share one scan");
    const id = ids[0]!;
    let row = (await a.scans()).find((r) => r.id === id)!;
    assertEquals(row.shards, { total: 3, arrived: [0, 2], missing: [1] });
    assertEquals(row.hostsTotal, 20);
    // All three at once again (0 and 2 retried): still one scan, now whole.
    await all([0, 1, 2].map((i) => () => writers[i]!.addShard(part(i), shard(i))));
    const rows = await a.scans();
    assertEquals(rows.length, 2, "one stored scan besides the single run");
    row = rows.find((r) => r.id === id)!;
    assertEquals(row.shards, { total: 3, arrived: [0, 1, 2], missing: [] });
    assertEquals([row.hostsTotal, row.hostsUp, row.startTime], [30, 30, t0]);
    assertEquals(row.endTime, whole.endTime! + 2);
    const stored = await a.loadScan(id);
    const alone = await a.loadScan(single);
    assertEquals(ndiffText(alone, stored).cost, 0, ndiffText(alone, stored).text);
    assertEquals(stored.hosts.length, 30);
    // Shard 1 again: nothing changes.
    const before = await a.counts();
    await writers[1]!.addShard(part(1), shard(1));
    assertEquals(await a.counts(), before);
    assertEquals(ndiffText(alone, await a.loadScan(id)).cost, 0);
  } finally {
    for (const s of stores) await s.close();
  }
}
