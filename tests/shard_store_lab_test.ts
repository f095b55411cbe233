/**
 * `--shards 3 --shard I --store postgres://…` against the AnyIP /16 (a /24 of it × 4 ports):
 * three shard processes at once, each in a scanner namespace of its own, write into one
 * PostgreSQL server the test starts. The store then holds one scan, all 256 hosts, equal (ndiff
 * cost 0) to one machine's scan of the same targets stored alone; `inventory scans` lists its
 * shards. A shard run again changes nothing. Before the last shard arrives, it is listed missing.
 */

import assert from "node:assert/strict";
import { ndiffText } from "../cli/inventory/diff.ts";
import { openStore } from "../cli/inventory/store.ts";
import { labTest, withLab } from "./scan_lab.ts";
import { portholeIn, runArgv } from "./_shard_lab.ts";
import { postgresUnavailable, startPostgres } from "./_postgres.ts";

const noPg = postgresUnavailable();
if (noPg) console.warn(`sharded --store PostgreSQL lab test ignored: ${noPg}`);

Deno.test({
  ...labTest(
    "shards into PostgreSQL: 3 shards in 3 scanner namespaces write one scan, the single run's",
    async (t) => {
      await withLab({ tag: "shardpg", scenario: "anyip16" }, async (lab) => {
        await using pg = await startPostgres();
        const net = lab.anyip!.replace(/\.0\.0\/16$/, ".5.0/24");
        const scan = ["-sS", "-n", "-p", "22,80,81,8000", "--max-rate", "300", net];
        const store = ["--store", pg.socketUrl];
        const shardArgs = (i: number) => [
          ...scan,
          ...store,
          "--shards",
          "3",
          "--shard",
          String(i),
          "--seed",
          "5",
        ];
        const scanners = [
          undefined,
          (await lab.addScanner(1)).exec,
          (await lab.addScanner(2)).exec,
        ];
        const single = await lab.porthole([...scan, ...store]);
        assert.equal(single.code, 0, single.stderr);

        await t.step("shards 0 and 2 at once: one scan, shard 1 listed missing", async () => {
          const rs = await Promise.all(
            [0, 2].map(async (i) => runArgv(await portholeIn(lab, scanners[i], shardArgs(i)))),
          );
          for (const r of rs) assert.equal(r.code, 0, r.err);
          const list = await lab.porthole(["inventory", "scans", "--store", pg.socketUrl]);
          assert.equal(list.code, 0, list.stderr);
          const lines = list.stdout.trim().split("\n");
          assert.equal(lines.length, 2, list.stdout);
          assert.match(lines[1]!, /\tshards 2\/3 \(missing 1\)\t/);
        });

        await t.step("all three at once (0 and 2 retried): the single run's scan", async () => {
          const rs = await Promise.all(
            [0, 1, 2].map(async (i) => runArgv(await portholeIn(lab, scanners[i], shardArgs(i)))),
          );
          for (const r of rs) assert.equal(r.code, 0, r.err);
          await using s = await openStore(pg.url);
          const rows = await s.scans();
          assert.equal(rows.length, 2, "the single run and one sharded scan");
          const sharded = rows.find((r) => r.shards)!;
          assert.deepEqual(sharded.shards, { total: 3, arrived: [0, 1, 2], missing: [] });
          assert.equal(sharded.hostsTotal, 256);
          assert.ok(!sharded.args.includes("--shard "), sharded.args);
          const alone = await s.loadScan(rows.find((r) => !r.shards)!.id);
          const stored = await s.loadScan(sharded.id);
          assert.equal(stored.hosts.length, 256);
          const d = ndiffText(alone, stored);
          assert.equal(d.cost, 0, d.text);
        });

        await t.step("shard 1 run again changes nothing", async () => {
          const before = await (async () => {
            await using s = await openStore(pg.url);
            return [
              await s.counts(),
              await s.loadScan((await s.scans()).find((r) => r.shards)!.id),
            ];
          })();
          const r = await runArgv(await portholeIn(lab, scanners[1], shardArgs(1)));
          assert.equal(r.code, 0, r.err);
          await using s = await openStore(pg.url);
          assert.deepEqual(await s.counts(), before[0]);
          const after = await s.loadScan((await s.scans()).find((r) => r.shards)!.id);
          const d = ndiffText(before[1] as typeof after, after);
          assert.equal(d.cost, 0, d.text);
        });
      });
    },
  ),
  ignore: labTest("", () => Promise.resolve()).ignore || noPg !== null,
});
