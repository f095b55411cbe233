/**
 * The shared store against a real PostgreSQL server (Debian's postgresql, a fresh cluster
 * per test file): the same schema and answers as SQLite, concurrent writers, and a server
 * that goes away.
 */

import { assert, assertEquals, assertSameData } from "./testing/assert.ts";
import { openStore, StoreError } from "../cli/inventory/store.ts";
import { SCHEMA_VERSION } from "../cli/inventory/schema.ts";
import { sampleScan } from "./testing/inventory_samples.ts";
import { postgresUnavailable, startPostgres } from "./_postgres.ts";
import { checkShardedStore } from "./testing/shard_store.ts";

const ignore = postgresUnavailable();
if (ignore) console.warn(`inventory PostgreSQL tests ignored: ${ignore}`);

Deno.test({
  name: "inventory store (PostgreSQL): migrations, a scan in and out, queries, history",
  ignore: ignore !== null,
  async fn() {
    await using server = await startPostgres();
    const t0 = 1_700_000_000_000;
    const day = 86_400_000;
    const scan = sampleScan(t0, { "10.0.0.1": [22, 80], "10.0.0.2": [443] });
    {
      await using store = await openStore(server.url);
      assertEquals(store.dialect, "postgres");
      assertEquals(await store.schemaVersion(), SCHEMA_VERSION);
      const id = await store.addScan(scan, "t");
      assertSameData(await store.loadScan(id), scan);
      await store.addScan(sampleScan(t0 - day, { "10.0.0.1": [22] }));
    }
    // Over the unix socket too; reopening does not migrate twice.
    await using store = await openStore(server.socketUrl);
    assertEquals((await store.services({ port: 22 })).map((r) => [r.firstSeen, r.lastSeen]), [
      [t0 - day, t0],
    ]);
    assertEquals((await store.services({ cpe: "cpe:/a:openbsd:openssh" })).length, 1);
    assertEquals((await store.history("10.0.0.1")).map((h) => h.ports.length), [1, 2]);
  },
});

Deno.test({
  name: "inventory store (PostgreSQL): eight concurrent writers, every scan whole",
  ignore: ignore !== null,
  async fn() {
    await using server = await startPostgres();
    const writers = 8;
    const stores = await Promise.all(
      Array.from({ length: writers }, () => openStore(server.url)),
    );
    try {
      const ids = await Promise.all(stores.map((s, i) => {
        const hosts: Record<string, number[]> = {};
        for (let h = 0; h < 50; h++) hosts[`10.1.${i}.${h}`] = [22, 80, 443];
        return s.addScan(sampleScan(1_700_000_000_000 + i, hosts));
      }));
      assertEquals(new Set(ids).size, writers);
      assertEquals(await stores[0]!.counts(), {
        scans: writers,
        hosts: writers * 50,
        ports: writers * 150,
        services: writers * 150,
      });
    } finally {
      for (const s of stores) await s.close();
    }
  },
});

Deno.test({
  name: "inventory store (PostgreSQL): a server gone away is a transient StoreError, one line",
  ignore: ignore !== null,
  async fn() {
    await using server = await startPostgres();
    const store = await openStore(server.url);
    try {
      await server.kill();
      let err: unknown;
      try {
        await store.addScan(sampleScan(1, { "10.0.0.1": [22] }));
      } catch (e) {
        err = e;
      }
      assert(err instanceof StoreError, String(err));
      assert(err.transient, err.message);
      assert(!err.message.includes("\n"), err.message);
    } finally {
      await store.close();
    }
    // Unreachable at open: the same.
    let err: unknown;
    try {
      await openStore(server.url);
    } catch (e) {
      err = e;
    }
    assert(err instanceof StoreError && err.transient, String(err));
    await server.restart();
    await using again = await openStore(server.url);
    assertEquals((await again.counts()).scans, 0);
  },
});

Deno.test({
  name:
    "inventory store (PostgreSQL): the shards of one scan, written at once from their own connections, are one scan; a retried shard replaces its part; a missing one is listed",
  ignore: ignore !== null,
  async fn() {
    await using server = await startPostgres();
    await checkShardedStore(() => openStore(server.url), true);
  },
});
