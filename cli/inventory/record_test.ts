/**
 * The --store writer against a real PostgreSQL (Debian's postgresql, a fresh cluster the test
 * starts): a server gone when the scan ends is tried again and, once back, holds the scan;
 * a server that stays away leaves the scan in a file that `inventory import` takes, whole.
 */

import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { postgresUnavailable, startPostgres } from "../../tests/_postgres.ts";
import type { HostResult, RunInfo, RunSummary } from "../model/mod.ts";
import { ndiffText } from "./diff.ts";
import { importScan } from "./import.ts";
import { StoreRecorder } from "./record.ts";
import { openStore } from "./store.ts";

const ignore = postgresUnavailable();
if (ignore) console.warn(`--store retry tests ignored: ${ignore}`);

const T0 = 1_700_000_000_000;
const RUN: RunInfo = {
  args: ["porthole", "-sS", "-p", "22,80", "10.0.0.0/30"],
  startTime: T0,
  version: "0.1.0",
  scanInfo: [],
  verbose: 0,
  debugging: 0,
};
const HOST: HostResult = {
  address: "10.0.0.1",
  family: 4,
  otherAddresses: [],
  status: "up",
  statusReason: "syn-ack",
  ports: [
    { protocol: "tcp", port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
    { protocol: "tcp", port: 80, state: "closed", reason: "reset", reasonTtl: 64 },
  ],
  startTime: T0,
  endTime: T0 + 500,
};
const SUMMARY: RunSummary = {
  endTime: T0 + 1000,
  elapsedSeconds: 1,
  hostsUp: 1,
  hostsDown: 0,
  hostsTotal: 1,
  exit: "success",
};

/** Pauses of `ms` each, counting how many the recorder took (one per failed try). */
function countedPauses(ms: number, n: number): { delays: number[]; taken: () => number } {
  let taken = 0;
  const delays = new Proxy(new Array<number>(n).fill(ms), {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) taken++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { delays, taken: () => taken };
}

Deno.test({
  name: "--store: a PostgreSQL gone when the scan ends is tried again; back, it holds the scan",
  ignore: ignore !== null,
  async fn() {
    await using pg = await startPostgres();
    await (await openStore(pg.url)).close(); // the schema is in place before the scan ends
    const errors: string[] = [];
    // Up to a minute of tries a tenth of a second apart: the server's restart fits in it.
    const pauses = countedPauses(100, 600);
    const rec = new StoreRecorder(pg.url, {
      retryDelaysMs: pauses.delays,
      stderr: (s) => errors.push(s),
    });
    rec.begin(RUN);
    rec.host(HOST);
    await pg.kill();
    const ending = rec.end(SUMMARY); // its first try is refused: the server is down
    await pg.restart();
    await ending;
    assertEquals(errors, []);
    assert(pauses.taken() >= 1, "the write was not tried again");
    await using store = await openStore(pg.url);
    const scans = await store.scans();
    assertEquals(scans.map((s) => [s.args, s.hostsUp]), [[RUN.args.join(" "), 1]]);
    const ports = (await store.loadScan(scans[0]!.id)).hosts[0]!.ports;
    assertEquals(ports.map((p) => `${p.port} ${p.state} ${p.reason}`), [
      "22 open syn-ack",
      "80 closed reset",
    ]);
  },
});

Deno.test({
  name:
    "--store: a PostgreSQL that stays away — one warning, the scan kept in a file, imported whole",
  ignore: ignore !== null,
  async fn() {
    await using pg = await startPostgres();
    const dir = await Deno.makeTempDir({ prefix: "ph-record-" });
    try {
      const errors: string[] = [];
      const pauses = countedPauses(10, 3);
      const rec = new StoreRecorder(pg.url, {
        retryDelaysMs: pauses.delays,
        stderr: (s) => errors.push(s),
        spoolDir: dir,
      });
      rec.begin(RUN);
      rec.host(HOST);
      await pg.kill();
      await rec.end(SUMMARY);
      assertEquals(pauses.taken(), 3, "three tries after the first");
      assertEquals(errors.length, 1);
      const file = `${dir}/porthole-unstored-${T0}.json`;
      assertEquals(
        errors[0]!.replace(/\(store [^\n]*\); it is kept/, "(WHY); it is kept"),
        `WARNING: the scan was not stored (WHY); it is kept in ${file}: porthole inventory import ${file}\n`,
      );
      await pg.restart();
      const kept = importScan(await Deno.readTextFile(file), file);
      await using store = await openStore(pg.url);
      const id = await store.addScan(kept, file);
      const stored = await store.loadScan(id);
      assertEquals(stored.args, RUN.args.join(" "));
      assertEquals(ndiffText(kept, stored).cost, 0);
      assertEquals(stored.hosts[0]!.ports.length, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("--store for a watch: only a finished scan is stored, and its id is told", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-record-" });
  try {
    const db = `${dir}/inv.db`;
    const record = async (summary: RunSummary, opts: { onlyFinished?: boolean } = {}) => {
      const told: number[] = [];
      const rec = new StoreRecorder(db, {
        stderr: (s) => assert(false, s),
        ...opts,
        onStored: (id) => told.push(id),
      });
      rec.begin(RUN);
      rec.host(HOST);
      await rec.end(summary);
      return told;
    };
    const watch = { onlyFinished: true };
    assertEquals(await record({ ...SUMMARY, interrupted: true, signal: "SIGINT" }, watch), []);
    assertEquals(await record({ ...SUMMARY, exit: "error", errorMessage: "gone" }, watch), []);
    assertEquals(await record(SUMMARY, watch), [1]);
    // Without the option every scan goes in, as a plain --store scan's always has.
    assertEquals(await record({ ...SUMMARY, interrupted: true }), [2]);
    const plain = new StoreRecorder(db, { stderr: (s) => assert(false, s) });
    plain.begin(RUN);
    await plain.end(SUMMARY);
    await using store = await openStore(db);
    assertEquals((await store.scans()).map((s) => s.id), [1, 2, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
