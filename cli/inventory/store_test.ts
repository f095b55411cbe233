import { assert, assertEquals, assertSameData } from "../../tests/testing/assert.ts";
import { sampleScan } from "../../tests/testing/inventory_samples.ts";
import { openStore, StoreError } from "./store.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { checkShardedStore } from "../../tests/testing/shard_store.ts";

Deno.test("inventory store (SQLite): a scan goes in and comes out whole; migrations recorded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/s.db`;
    const scan = sampleScan(1_700_000_000_000, { "10.0.0.1": [22, 80], "10.0.0.2": [443] });
    {
      await using store = await openStore(path);
      assertEquals(await store.schemaVersion(), SCHEMA_VERSION);
      const id = await store.addScan(scan, "test");
      assertSameData(await store.loadScan(id), scan);
    }
    // Reopening migrates nothing twice and keeps the data.
    await using again = await openStore(path);
    assertEquals((await again.scans()).length, 1);
    assertEquals(await again.counts(), { scans: 1, hosts: 2, ports: 3, services: 3 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inventory store (SQLite): first and last seen, queries by port, product, CPE; history", async () => {
  await using store = await openStore(":memory:");
  const day = 86_400_000;
  const t0 = 1_700_000_000_000;
  await store.addScan(sampleScan(t0, { "10.0.0.1": [22], "10.0.0.2": [80] }));
  await store.addScan(sampleScan(t0 + 2 * day, { "10.0.0.1": [22, 443] }));
  // An older scan imported last: first_seen moves back, the newest fields stay.
  await store.addScan(sampleScan(t0 - day, { "10.0.0.1": [22] }));
  const ssh = await store.services({ port: 22 });
  assertEquals(ssh.map((r) => [r.address, r.firstSeen, r.lastSeen]), [
    ["10.0.0.1", t0 - day, t0 + 2 * day],
  ]);
  assertEquals((await store.services({ product: "NGINX" })).map((r) => r.port), [443, 80]);
  assertEquals((await store.services({ cpe: "cpe:/a:openbsd:openssh" })).length, 1);
  assertEquals((await store.services({ cpe: "cpe:/a:openbsd:x" })).length, 0);
  assertEquals((await store.services({ notSeenSince: t0 + day })).map((r) => r.address), [
    "10.0.0.2",
  ]);
  assertEquals((await store.services({ firstSeenSince: t0 + day })).map((r) => r.port), [443]);
  const h = await store.history("10.0.0.1");
  assertEquals(h.map((x) => [x.time, x.ports.map((p) => p.port)]), [
    [t0 - day, [22]],
    [t0, [22]],
    [t0 + 2 * day, [22, 443]],
  ]);
  // "last" is the newest by scan time, not by the order of storing.
  assertEquals(await store.resolveScan("last"), 2);
  assertEquals(await store.resolveScan("last~1"), 1);
});

Deno.test("inventory store (SQLite): a file that is not a store gets one clear message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bad.db`;
    await Deno.writeTextFile(path, "this is not a database, just text\n".repeat(200));
    let err: unknown;
    try {
      await openStore(path);
    } catch (e) {
      err = e;
    }
    assert(err instanceof StoreError, `expected StoreError, got ${err}`);
    assert(/not a Porthole store, or damaged/.test(err.message), err.message);
    assert(!err.message.includes("\n"));
    // Nothing was written over it.
    assert((await Deno.readTextFile(path)).startsWith("this is not a database"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inventory store (SQLite): a store from a newer Porthole is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/new.db`;
    (await openStore(path)).close();
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec(`INSERT INTO schema_migrations VALUES (${SCHEMA_VERSION + 1}, 0)`);
    db.close();
    let err: unknown;
    try {
      await openStore(path);
    } catch (e) {
      err = e;
    }
    assert(err instanceof StoreError && /upgrade Porthole/.test(err.message), String(err));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inventory store (SQLite): the shards of one scan, written at once, are one scan; a retried shard replaces its part; a missing one is listed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkShardedStore(() => openStore(`${dir}/s.db`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inventory store (SQLite): a version 1 store with scans is migrated on open, its scans kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/v1.db`;
    const scan = sampleScan(1_700_000_000_000, { "10.0.0.1": [22, 80], "10.0.0.2": [443] });
    // A store as version 1 made it: migration 1 alone, a scan stored through its tables.
    {
      await using store = await openStore(path);
      await store.addScan(scan, "v1");
    }
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec(`DROP INDEX scans_shard_key; DROP TABLE scan_shards;
      ALTER TABLE scans DROP COLUMN shard_key; ALTER TABLE scans DROP COLUMN shards_total;
      ALTER TABLE hosts DROP COLUMN shard; DELETE FROM schema_migrations WHERE version > 1`);
    assertEquals(db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get()?.v, 1);
    db.close();

    await using store = await openStore(path);
    assertEquals(await store.schemaVersion(), SCHEMA_VERSION);
    const [row] = await store.scans();
    assertSameData(await store.loadScan(row!.id), scan);
    assertEquals((await store.services({ port: 22 })).map((r) => r.address), ["10.0.0.1"]);
    // What version 2 added works on the migrated store.
    const key = "k".repeat(64);
    const part = { ...scan, hosts: scan.hosts.slice(0, 1) };
    const id = await store.addShard(part, {
      index: 0,
      count: 2,
      key,
      args: `${scan.args} --shard 0`,
    });
    const shards = (await store.scans()).find((r) => r.id === id)?.shards;
    assertEquals(shards, { total: 2, arrived: [0], missing: [1] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
