/**
 * The inventory's figures (`deno task bench inventory`): ingest rate into each store (port
 * rows a second), a query over 100,000 hosts with 30 days of daily history on the embedded
 * store, the diff of two 65,536-host nmap XML files (Porthole's `inventory diff`, and ndiff on
 * the same pair), and the store's size per stored port row. Synthetic data, no scanning;
 * PostgreSQL figures need Debian's postgresql (a server started for the run).
 */

import type { MicroResult } from "./micro.ts";
import type { InvHost, InvScan } from "../cli/inventory/scan.ts";
import { openStore, openStoreOver, type Store } from "../cli/inventory/store.ts";
import { portholeEnv, portholeFlags } from "../tools/artifact.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

const addr = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Day `d` of a network of `hosts` hosts: 22 and 80 always open, 443 on a third, 8080 on a
 * host now and then; OpenSSH upgraded on day 15. */
export function syntheticScan(hosts: number, d: number): InvScan {
  const out: InvHost[] = [];
  for (let i = 0; i < hosts; i++) {
    const ports: InvHost["ports"] = [
      {
        protocol: "tcp",
        port: 22,
        state: "open",
        reason: "syn-ack",
        reasonTtl: 64,
        service: {
          name: "ssh",
          product: "OpenSSH",
          version: d < 15 ? "9.2p1" : "9.6p1",
          method: "probed",
          conf: 10,
          cpe: [`cpe:/a:openbsd:openssh:${d < 15 ? "9.2p1" : "9.6p1"}`],
        },
      },
      {
        protocol: "tcp",
        port: 80,
        state: "open",
        reason: "syn-ack",
        reasonTtl: 64,
        service: { name: "http", product: "nginx", version: "1.22.1", method: "probed", conf: 10 },
      },
    ];
    if ((i + d) % 3 === 0) {
      ports.push({ protocol: "tcp", port: 443, state: "open", reason: "syn-ack", reasonTtl: 64 });
    }
    if (i % 1000 === d) {
      ports.push({ protocol: "tcp", port: 8080, state: "open", reason: "syn-ack", reasonTtl: 64 });
    }
    out.push({
      address: addr(i),
      family: 4,
      hostnames: [],
      status: "up",
      reason: "syn-ack",
      ports,
      extraPorts: [{ state: "closed", count: 997 }],
    });
  }
  return {
    scanner: "porthole",
    version: "bench",
    args: "porthole -sV 10.0.0.0/15",
    startTime: T0 + d * DAY,
    hosts: out,
  };
}

const portRows = (s: InvScan) => s.hosts.reduce((n, h) => n + h.ports.length, 0);

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

/** An embedded store the bench fills: how to open it and how many bytes it takes on disk. */
interface Embedded {
  label: string;
  open(dir: string): Promise<Store>;
  bytes(dir: string): Promise<number>;
}

const SQLITE: Embedded = {
  label: "SQLite",
  open: (dir) => openStore(`${dir}/inv.db`),
  bytes: async (dir) => {
    let bytes = 0;
    for (const f of ["inv.db", "inv.db-wal"]) {
      bytes += await Deno.stat(`${dir}/${f}`).then((s) => s.size, () => 0);
    }
    return bytes;
  },
};

/** PGlite (PostgreSQL compiled to WASM, a data folder instead of a server): the embedded
 * store that was the alternative to SQLite, measured on the same data. */
const PGLITE: Embedded = {
  label: "PGlite",
  async open(dir) {
    const { PGlite } = await import("@electric-sql/pglite");
    // BIGINT (epoch milliseconds, ids) as numbers, as the pg client is set up.
    const db = new PGlite(`${dir}/pgdata`, { parsers: { 20: Number } });
    await db.waitReady;
    return await openStoreOver(db, `${dir}/pgdata`, () => db.close());
  },
  bytes: (dir) => folderBytes(`${dir}/pgdata`),
};

async function folderBytes(path: string): Promise<number> {
  let bytes = 0;
  for await (const e of Deno.readDir(path)) {
    const p = `${path}/${e.name}`;
    bytes += e.isDirectory ? await folderBytes(p) : (await Deno.stat(p)).size;
  }
  return bytes;
}

async function embeddedFigures(e: Embedded, days: number, hosts: number): Promise<MicroResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "ph-bench-inv-" });
  const out: MicroResult[] = [];
  try {
    const store = await e.open(dir);
    let rows = 0, ms = 0;
    for (let d = 0; d < days; d++) {
      const scan = syntheticScan(hosts, d);
      const [, t] = await timed(() => store.addScan(scan));
      rows += portRows(scan);
      ms += t;
    }
    out.push({
      name: `inventory: ingest into ${e.label} (${hosts} hosts × ${days} daily scans)`,
      perSecond: rows / (ms / 1000),
      notes: `${rows} port rows in ${(ms / 1000).toFixed(1)} s`,
    });
    const queries: [string, () => Promise<unknown[]>][] = [
      ["port 443 open, first/last seen", () => store.services({ port: 443 })],
      ["CPE prefix openssh 9.6", () => store.services({ cpe: "cpe:/a:openbsd:openssh:9.6" })],
      [
        "first seen in the last 7 days",
        () => store.services({ firstSeenSince: T0 + Math.max(0, days - 7) * DAY }),
      ],
      ["not seen in the last day", () => store.services({ notSeenSince: T0 + (days - 1) * DAY })],
      ["history of one host", () => store.history(addr(hosts >> 1))],
    ];
    for (const [name, q] of queries) {
      await q(); // warm the page cache as a long-running store has it
      const times: number[] = [];
      let n = 0;
      for (let i = 0; i < 5; i++) {
        const [r, t] = await timed(q);
        n = r.length;
        times.push(t);
      }
      times.sort((a, b) => a - b);
      out.push({
        name: `inventory: ${e.label} query, ${name}`,
        perSecond: times[2]!,
        unit: "ms",
        notes: `median of 5; ${n} rows; ${hosts} hosts, ${days} days`,
      });
    }
    const c = await store.counts();
    await store.close();
    const bytes = await e.bytes(dir);
    out.push({
      name: `inventory: ${e.label} size per stored port row`,
      perSecond: bytes / c.ports,
      unit: "bytes",
      notes: `${(bytes / 2 ** 20).toFixed(0)} MiB for ${c.ports} port rows, ${c.hosts} host rows`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return out;
}

async function postgresFigures(days: number, hosts: number): Promise<MicroResult[]> {
  const { postgresUnavailable, startPostgres } = await import("../tests/_postgres.ts");
  const why = postgresUnavailable();
  if (why) return [{ name: "inventory: PostgreSQL", perSecond: NaN, notes: why }];
  await using pg = await startPostgres();
  const store = await openStore(pg.url);
  let rows = 0, ms = 0;
  for (let d = 0; d < days; d++) {
    const scan = syntheticScan(hosts, d);
    const [, t] = await timed(() => store.addScan(scan));
    rows += portRows(scan);
    ms += t;
  }
  const [r, qt] = await timed(() => store.services({ port: 443 }));
  const size = await store.databaseBytes();
  const c = await store.counts();
  await store.close();
  return [
    {
      name: `inventory: ingest into PostgreSQL (${hosts} hosts × ${days} daily scans)`,
      perSecond: rows / (ms / 1000),
      notes: `${rows} port rows in ${(ms / 1000).toFixed(1)} s`,
    },
    {
      name: "inventory: PostgreSQL query, port 443 open, first/last seen",
      perSecond: qt,
      unit: "ms",
      notes: `${r.length} rows`,
    },
    {
      name: "inventory: PostgreSQL size per stored port row",
      perSecond: size / c.ports,
      unit: "bytes",
      notes: `${(size / 2 ** 20).toFixed(0)} MiB (database) for ${c.ports} port rows`,
    },
  ];
}

/** nmap XML of a synthetic scan, as nmap lays it out. */
export function xmlOf(s: InvScan): string {
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<nmaprun scanner="nmap" args="${s.args}" start="${
      Math.floor(s.startTime / 1000)
    }" version="7.93" xmloutputversion="1.05">\n`,
  ];
  for (const h of s.hosts) {
    parts.push(
      `<host><status state="up" reason="syn-ack" reason_ttl="64"/>\n<address addr="${h.address}" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n<ports><extraports state="closed" count="997"/>\n`,
    );
    for (const p of h.ports) {
      const sv = p.service;
      parts.push(
        `<port protocol="tcp" portid="${p.port}"><state state="open" reason="syn-ack" reason_ttl="64"/>${
          sv
            ? `<service name="${sv.name}" product="${sv.product}" version="${sv.version}" method="probed" conf="10"/>`
            : ""
        }</port>\n`,
      );
    }
    parts.push("</ports>\n</host>\n");
  }
  parts.push(
    `<runstats><finished time="${Math.floor(s.startTime / 1000) + 60}"/></runstats>\n</nmaprun>\n`,
  );
  return parts.join("");
}

async function diffFigures(quick: boolean): Promise<MicroResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "ph-bench-diff-" });
  const out: MicroResult[] = [];
  try {
    const hosts = 65_536;
    await Deno.writeTextFile(`${dir}/a.xml`, xmlOf(syntheticScan(hosts, 14)));
    await Deno.writeTextFile(`${dir}/b.xml`, xmlOf(syntheticScan(hosts, 15)));
    const env = Object.fromEntries(portholeEnv().map((w) => w.split("=", 2) as [string, string]));
    for (const [fmt, flag] of [["text", "--text"], ["XML", "--xml"], ["NDJSON events", "--json"]]) {
      const [o, t] = await timed(() =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...portholeFlags(),
            `${REPO}cli/main.ts`,
            "inventory",
            "diff",
            flag!,
            "a.xml",
            "b.xml",
          ],
          cwd: dir,
          env,
          stdout: "null",
          stderr: "piped",
        }).output()
      );
      out.push({
        name: `inventory: diff of two ${hosts}-host nmap XML files, ${fmt}`,
        perSecond: t,
        unit: "ms",
        notes: `porthole inventory diff ${flag}, whole process; exit ${o.code}`,
      });
    }
    if (!quick) {
      const [o, t] = await timed(() =>
        new Deno.Command("ndiff", {
          args: ["a.xml", "b.xml"],
          cwd: dir,
          stdout: "null",
          stderr: "null",
        })
          .output().catch(() => undefined)
      );
      if (o) {
        out.push({
          name: `inventory: ndiff 7.93 on the same pair`,
          perSecond: t,
          unit: "ms",
          notes: `exit ${o.code}`,
        });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return out;
}

/** Every inventory figure; `quick`: 3 days instead of 30, no ndiff. */
export async function inventoryFigures(o: { quick: boolean }): Promise<MicroResult[]> {
  const days = o.quick ? 3 : 30;
  return [
    ...await embeddedFigures(SQLITE, days, 100_000),
    // PGlite on the days PostgreSQL gets: its ingest is the slow part of a full bench.
    ...await embeddedFigures(PGLITE, o.quick ? 1 : 3, 100_000).catch((e) => [{
      name: "inventory: PGlite",
      perSecond: NaN,
      notes: `failed: ${e instanceof Error ? e.message : e}`,
    }]),
    ...await postgresFigures(o.quick ? 1 : 3, 100_000).catch((e) => [{
      name: "inventory: PostgreSQL",
      perSecond: NaN,
      notes: `failed: ${e instanceof Error ? e.message : e}`,
    }]),
    ...await diffFigures(o.quick),
  ];
}

if (import.meta.main) {
  for (const r of await inventoryFigures({ quick: Deno.args.includes("--quick") })) {
    console.log(
      `${r.name}\t${
        r.unit === "ms"
          ? r.perSecond.toFixed(0) + " ms"
          : r.unit === "bytes"
          ? r.perSecond.toFixed(0) + " B"
          : r.perSecond.toFixed(0) + "/s"
      }\t${r.notes ?? ""}`,
    );
  }
}
