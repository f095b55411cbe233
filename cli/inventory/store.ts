/**
 * The store of scans: an SQLite file (Deno's built-in `node:sqlite`, no server) or a shared
 * PostgreSQL database (`postgres://…`, through the `pg` package). One schema (./schema.ts),
 * migrated on open. A scan is written in one transaction: its row, its hosts, its ports and
 * the inventory upserts, all or nothing, so concurrent writers never see half a scan.
 *
 *     await using store = await openStore("scans.db");
 *     const id = await store.addScan(scan, "nmap.xml");
 *     const rows = await store.services({ port: 443 });
 *
 * @module
 */

import { type Dialect, MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";
import type { InvHost, InvPort, InvScan } from "./scan.ts";

/** The store cannot be opened, read or written; the message says why, in one line. */
export class StoreError extends Error {
  /** True when retrying may help (the server is unreachable or went away). */
  transient: boolean;
  constructor(message: string, transient = false) {
    super(message);
    this.transient = transient;
  }
}

/** A stored scan, listed. */
export interface ScanRow {
  id: number;
  scanner: string;
  args: string;
  startTime: number;
  endTime: number | null;
  source: string | null;
  hostsTotal: number;
  hostsUp: number;
  /** A sharded scan's shards: how many it has and which arrived (absent: not sharded). */
  shards?: { total: number; arrived: number[]; missing: number[] };
}

/** Which shard of which sharded scan a stored part is ({@link Store.addShard}). */
export interface ShardOfScan {
  index: number;
  count: number;
  /** The scan's key: equal in all its shards (cli/shard_scan.ts shardedScanKey). */
  key: string;
  /** This shard's own command line. */
  args: string;
}

/** What {@link Store.services} selects; every field given must match. */
export interface ServiceFilter {
  address?: string;
  port?: number;
  protocol?: string;
  service?: string;
  /** Substring of the product, case-insensitive. */
  product?: string;
  version?: string;
  /** Prefix of a CPE, e.g. "cpe:/a:openbsd:openssh". */
  cpe?: string;
  /** Epoch milliseconds: last seen at or after / first seen at or after / last seen before. */
  seenSince?: number;
  firstSeenSince?: number;
  notSeenSince?: number;
  limit?: number;
}

/** One inventory row: an open port of an address, with first and last seen. */
export interface ServiceRow {
  address: string;
  protocol: string;
  port: number;
  service: string | null;
  product: string | null;
  version: string | null;
  cpe: string | null;
  firstSeen: number;
  lastSeen: number;
  lastScan: number;
}

/** One scan's view of one host, for {@link Store.history}. */
export interface HistoryRow {
  scanId: number;
  time: number;
  status: string;
  ports: {
    protocol: string;
    port: number;
    state: string;
    service: string | null;
    product: string | null;
    version: string | null;
  }[];
}

type Row = Record<string, unknown>;

/** What each backend provides: statements with `?` placeholders. */
interface Db {
  dialect: Dialect;
  run(sql: string, params?: unknown[]): Promise<void>;
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Rows as arrays in the SELECT's column order: node:sqlite builds a row object ~5× slower
   * than an array, which a 100,000-row inventory query feels. */
  arrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /** `tail` follows VALUES (an ON CONFLICT clause). */
  insertMany(table: string, cols: string[], rows: unknown[][], tail?: string): Promise<void>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** True for a PostgreSQL URL. */
export function isPostgresUrl(where: string): boolean {
  return /^postgres(ql)?:\/\//.test(where);
}

/** Opens (creating and migrating as needed) the store at `where`: a file path or a
 * postgres:// URL. */
export async function openStore(where: string): Promise<Store> {
  const db = isPostgresUrl(where) ? await openPostgres(where) : await openSqlite(where);
  const store = new Store(db, isPostgresUrl(where) ? redactUrl(where) : where);
  try {
    await store.migrate();
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return store;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@");
}

const n = (v: unknown) => v === undefined ? null : v;
const json = (v: unknown) => v === undefined ? null : JSON.stringify(v);
const num = (v: unknown) => v === null || v === undefined ? null : Number(v);
const str = (v: unknown) => v === null || v === undefined ? null : String(v);

/** The store: scans in, scans, inventory and history out. */
export class Store {
  constructor(private readonly db: Db, readonly where: string) {}

  /** "sqlite" or "postgres". */
  get dialect(): Dialect {
    return this.db.dialect;
  }

  /** Applies the migrations this store lacks; refuses a store newer than this Porthole. */
  async migrate(): Promise<void> {
    await this.db.transaction(async () => {
      if (this.db.dialect === "postgres") {
        // Two Portholes opening a new database at once: one migrates, the other waits.
        await this.db.run("SELECT pg_advisory_xact_lock(7305286)");
      }
      await this.db.run(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const rows = await this.db.all("SELECT MAX(version) AS v FROM schema_migrations");
      const have = num(rows[0]?.v) ?? 0;
      if (have > SCHEMA_VERSION) {
        throw new StoreError(
          `${this.where} has schema version ${have}; this Porthole knows up to ${SCHEMA_VERSION}: upgrade Porthole`,
        );
      }
      for (const m of MIGRATIONS) {
        if (m.version <= have) continue;
        for (const s of m.statements(this.db.dialect)) await this.db.run(s);
        await this.db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [
          m.version,
          Date.now(),
        ]);
      }
    });
  }

  /** The schema version in force. */
  async schemaVersion(): Promise<number> {
    const rows = await this.db.all("SELECT MAX(version) AS v FROM schema_migrations");
    return num(rows[0]?.v) ?? 0;
  }

  /** Stores one scan in one transaction; returns its id. */
  addScan(scan: InvScan, source?: string): Promise<number> {
    return this.db.transaction(async () => {
      const up = scan.hosts.filter((h) => h.status === "up").length;
      const ins = await this.db.all(
        `INSERT INTO scans (scanner, version, args, start_time, end_time, source, hosts_total, hosts_up, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          scan.scanner,
          n(scan.version),
          scan.args,
          scan.startTime,
          n(scan.endTime),
          n(source),
          scan.hosts.length,
          up,
          Date.now(),
        ],
      );
      const id = Number(ins[0]!.id);
      await this.writeHosts(id, scan, 0, null);
      return id;
    });
  }

  /**
   * Stores shard `shard.index` of a sharded scan (`--shards N --shard I --store`) into the
   * one scan its shards share, found by `shard.key` (cli/shard_scan.ts), in one transaction.
   * Shards may write at once: the scan row is created by the first and locked by each
   * writer until it commits. A shard written again (a retried pod) replaces its own part.
   * The scan's times and counts are those of the shards arrived; returns the scan's id.
   */
  addShard(scan: InvScan, shard: ShardOfScan, source?: string): Promise<number> {
    return this.db.transaction(async () => {
      const now = Date.now();
      // The row is created, or (ON CONFLICT … DO UPDATE) locked until this shard commits.
      const ins = await this.db.all(
        `INSERT INTO scans (scanner, version, args, start_time, end_time, source, hosts_total, hosts_up, stored_at, shard_key, shards_total)
         VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)
         ON CONFLICT (shard_key) DO UPDATE SET stored_at = excluded.stored_at RETURNING id`,
        [
          scan.scanner,
          n(scan.version),
          scan.args,
          scan.startTime,
          n(scan.endTime),
          n(source),
          now,
          shard.key,
          shard.count,
        ],
      );
      const id = Number(ins[0]!.id);
      const mine = "SELECT idx FROM hosts WHERE scan_id = ? AND shard = ?";
      await this.db.run(`DELETE FROM ports WHERE scan_id = ? AND host_idx IN (${mine})`, [
        id,
        id,
        shard.index,
      ]);
      await this.db.run("DELETE FROM hosts WHERE scan_id = ? AND shard = ?", [id, shard.index]);
      await this.db.run("DELETE FROM scan_shards WHERE scan_id = ? AND shard = ?", [
        id,
        shard.index,
      ]);
      const next = await this.db.all(
        "SELECT COALESCE(MAX(idx), -1) + 1 AS next FROM hosts WHERE scan_id = ?",
        [id],
      );
      await this.writeHosts(id, scan, Number(next[0]!.next), shard.index);
      await this.db.insertMany("scan_shards", [
        "scan_id",
        "shard",
        "args",
        "start_time",
        "end_time",
        "hosts_total",
        "hosts_up",
        "stored_at",
      ], [[
        id,
        shard.index,
        shard.args,
        scan.startTime,
        n(scan.endTime),
        scan.hosts.length,
        scan.hosts.filter((h) => h.status === "up").length,
        now,
      ]]);
      await this.db.run(
        `UPDATE scans SET
           start_time = (SELECT MIN(start_time) FROM scan_shards WHERE scan_id = ?),
           end_time = (SELECT MAX(end_time) FROM scan_shards WHERE scan_id = ?),
           hosts_total = (SELECT COUNT(*) FROM hosts WHERE scan_id = ?),
           hosts_up = (SELECT COUNT(*) FROM hosts WHERE scan_id = ? AND status = 'up')
         WHERE id = ?`,
        [id, id, id, id, id],
      );
      return id;
    });
  }

  /** The hosts and ports of `scan` into scan `id` (host numbers from `idxBase`), and the
   * inventory tables brought up to date. */
  private async writeHosts(id: number, scan: InvScan, idxBase: number, shard: number | null) {
    const hostRows: unknown[][] = [];
    const portRows: unknown[][] = [];
    const invHosts = new Map<string, unknown[]>();
    const invServices = new Map<string, unknown[]>();
    const seen = scan.startTime;
    scan.hosts.forEach((h, i) => {
      const idx = idxBase + i;
      hostRows.push([
        id,
        idx,
        h.address,
        h.family,
        n(h.mac),
        n(h.vendor),
        h.hostnames.length > 0 ? json(h.hostnames) : null,
        h.status,
        n(h.reason),
        n(h.reasonTtl),
        n(h.startTime),
        n(h.endTime),
        json(h.extraPorts),
        json(h.os),
        json(h.scripts),
        shard,
      ]);
      for (const p of h.ports) portRows.push(portRow(id, idx, p));
      if (h.status !== "up") return;
      invHosts.set(h.address, [
        h.address,
        seen,
        seen,
        id,
        n(h.mac),
        n(h.vendor),
        n(h.hostnames[0]?.name),
        n(h.os?.[0]?.name),
      ]);
      for (const p of h.ports) {
        if (p.state !== "open") continue;
        invServices.set(`${h.address} ${p.protocol} ${p.port}`, [
          h.address,
          p.protocol,
          p.port,
          seen,
          seen,
          id,
          n(p.service?.name),
          n(p.service?.product),
          n(p.service?.version),
          p.service?.cpe?.length ? p.service.cpe.join(" ") : null,
        ]);
      }
    });
    await this.db.insertMany("hosts", HOST_COLS, hostRows);
    await this.db.insertMany("ports", PORT_COLS, portRows);
    await this.upsert("inv_hosts", INV_HOST_COLS, ["address"], [...invHosts.values()]);
    await this.upsert(
      "inv_services",
      INV_SERVICE_COLS,
      ["address", "protocol", "port"],
      [...invServices.values()],
    );
  }

  /** Inserts rows, or merges them into existing ones: first_seen is the earliest, and the
   * other fields are the newest scan's (a history imported out of order stays right). */
  private async upsert(table: string, cols: string[], key: string[], rows: unknown[][]) {
    if (rows.length === 0) return;
    const min = this.db.dialect === "sqlite" ? "MIN" : "LEAST";
    const sets = cols.filter((c) => !key.includes(c)).map((c) => {
      if (c === "first_seen") {
        return `first_seen = ${min}(${table}.first_seen, excluded.first_seen)`;
      }
      return `${c} = CASE WHEN excluded.last_seen >= ${table}.last_seen THEN excluded.${c} ELSE ${table}.${c} END`;
    });
    const conflict = `ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${sets.join(", ")}`;
    await this.db.insertMany(table, cols, rows, conflict);
  }

  /** Every stored scan, oldest first. */
  async scans(): Promise<ScanRow[]> {
    const rows = await this.db.all(
      "SELECT id, scanner, args, start_time, end_time, source, hosts_total, hosts_up, shards_total FROM scans ORDER BY start_time, id",
    );
    const arrived = new Map<number, number[]>();
    for (const r of await this.db.all("SELECT scan_id, shard FROM scan_shards ORDER BY shard")) {
      const list = arrived.get(Number(r.scan_id)) ?? [];
      list.push(Number(r.shard));
      arrived.set(Number(r.scan_id), list);
    }
    return rows.map((r) => {
      const id = Number(r.id);
      const total = num(r.shards_total);
      const got = arrived.get(id) ?? [];
      return {
        id,
        scanner: String(r.scanner),
        args: String(r.args),
        startTime: Number(r.start_time),
        endTime: num(r.end_time),
        source: str(r.source),
        hostsTotal: Number(r.hosts_total),
        hostsUp: Number(r.hosts_up),
        ...(total === null ? {} : {
          shards: {
            total,
            arrived: got,
            missing: Array.from({ length: total }, (_, i) => i).filter((i) => !got.includes(i)),
          },
        }),
      };
    });
  }

  /** The id of a stored scan named by number, or "last" / "last~N" (N scans before the last). */
  async resolveScan(ref: string): Promise<number> {
    const m = /^last(?:~(\d+))?$/.exec(ref);
    if (m) {
      const back = Number(m[1] ?? 0);
      const rows = await this.db.all(
        "SELECT id FROM scans ORDER BY start_time DESC, id DESC LIMIT 1 OFFSET ?",
        [back],
      );
      if (rows.length === 0) throw new StoreError(`${this.where} has no scan ${ref}`);
      return Number(rows[0]!.id);
    }
    if (!/^\d+$/.test(ref)) throw new StoreError(`not a scan id: ${ref}`);
    const rows = await this.db.all("SELECT id FROM scans WHERE id = ?", [Number(ref)]);
    if (rows.length === 0) throw new StoreError(`${this.where} has no scan ${ref}`);
    return Number(ref);
  }

  /** A stored scan, whole. */
  async loadScan(id: number): Promise<InvScan> {
    const s = (await this.db.all("SELECT * FROM scans WHERE id = ?", [id]))[0];
    if (!s) throw new StoreError(`${this.where} has no scan ${id}`);
    const hostRows = await this.db.all("SELECT * FROM hosts WHERE scan_id = ? ORDER BY idx", [id]);
    const portRows = await this.db.all(
      "SELECT * FROM ports WHERE scan_id = ? ORDER BY host_idx, protocol, port",
      [id],
    );
    const hosts: InvHost[] = hostRows.map((h) => ({
      address: String(h.address),
      family: Number(h.family) === 6 ? 6 : 4,
      mac: str(h.mac) ?? undefined,
      vendor: str(h.vendor) ?? undefined,
      hostnames: h.hostnames ? JSON.parse(String(h.hostnames)) : [],
      status: h.status === "up" || h.status === "unknown" ? h.status : "down",
      reason: str(h.reason) ?? undefined,
      reasonTtl: num(h.reason_ttl) ?? undefined,
      startTime: num(h.start_time) ?? undefined,
      endTime: num(h.end_time) ?? undefined,
      ports: [],
      extraPorts: h.extraports ? JSON.parse(String(h.extraports)) : undefined,
      os: h.os ? JSON.parse(String(h.os)) : undefined,
      scripts: h.scripts ? JSON.parse(String(h.scripts)) : undefined,
    }));
    // A sharded scan's host numbers have gaps (a shard written again takes new ones).
    const byIdx = new Map(hostRows.map((h, i) => [Number(h.idx), hosts[i]!]));
    for (const p of portRows) {
      const port: InvPort = {
        protocol: String(p.protocol) as InvPort["protocol"],
        port: Number(p.port),
        state: String(p.state),
        reason: str(p.reason) ?? undefined,
        reasonTtl: num(p.reason_ttl) ?? undefined,
        service: p.service === null ? undefined : {
          name: String(p.service),
          product: str(p.product) ?? undefined,
          version: str(p.version) ?? undefined,
          extraInfo: str(p.extrainfo) ?? undefined,
          tunnel: str(p.tunnel) ?? undefined,
          method: str(p.method) ?? undefined,
          conf: num(p.conf) ?? undefined,
          cpe: p.cpe ? String(p.cpe).split(" ") : undefined,
        },
        scripts: p.scripts ? JSON.parse(String(p.scripts)) : undefined,
      };
      byIdx.get(Number(p.host_idx))?.ports.push(port);
    }
    return {
      scanner: String(s.scanner),
      version: str(s.version) ?? undefined,
      args: String(s.args),
      startTime: Number(s.start_time),
      endTime: num(s.end_time) ?? undefined,
      hosts,
    };
  }

  /** The inventory: open ports that match, with first and last seen. */
  async services(f: ServiceFilter = {}): Promise<ServiceRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      where.push(sql);
      params.push(v);
    };
    if (f.address !== undefined) add("address = ?", f.address);
    if (f.port !== undefined) add("port = ?", f.port);
    if (f.protocol !== undefined) add("protocol = ?", f.protocol);
    if (f.service !== undefined) add("service = ?", f.service);
    if (f.product !== undefined) {
      add("LOWER(product) LIKE ?", `%${likeEscape(f.product.toLowerCase())}%`);
    }
    if (f.version !== undefined) add("version = ?", f.version);
    if (f.cpe !== undefined) add("(' ' || cpe) LIKE ?", `% ${likeEscape(f.cpe)}%`);
    if (f.seenSince !== undefined) add("last_seen >= ?", f.seenSince);
    if (f.firstSeenSince !== undefined) add("first_seen >= ?", f.firstSeenSince);
    if (f.notSeenSince !== undefined) add("last_seen < ?", f.notSeenSince);
    let sql =
      "SELECT address, protocol, port, service, product, version, cpe, first_seen, last_seen, last_scan FROM inv_services";
    if (where.length > 0) {
      sql += " WHERE " +
        where.map((w) => w.includes("LIKE") ? `${w} ESCAPE '\\'` : w).join(" AND ");
    }
    sql += " ORDER BY address, protocol, port";
    if (f.limit !== undefined) {
      sql += " LIMIT ?";
      params.push(f.limit);
    }
    const rows = await this.db.arrays(sql, params);
    return rows.map((r) => ({
      address: String(r[0]),
      protocol: String(r[1]),
      port: Number(r[2]),
      service: str(r[3]),
      product: str(r[4]),
      version: str(r[5]),
      cpe: str(r[6]),
      firstSeen: Number(r[7]),
      lastSeen: Number(r[8]),
      lastScan: Number(r[9]),
    }));
  }

  /** Every scan's view of one address, oldest first. */
  async history(address: string): Promise<HistoryRow[]> {
    const rows = await this.db.all(
      `SELECT s.id AS scan_id, s.start_time, h.status, p.protocol, p.port, p.state, p.service, p.product, p.version
       FROM hosts h JOIN scans s ON s.id = h.scan_id
       LEFT JOIN ports p ON p.scan_id = h.scan_id AND p.host_idx = h.idx
       WHERE h.address = ? ORDER BY s.start_time, s.id, p.protocol, p.port`,
      [address],
    );
    const out: HistoryRow[] = [];
    for (const r of rows) {
      let last = out[out.length - 1];
      if (!last || last.scanId !== Number(r.scan_id)) {
        last = {
          scanId: Number(r.scan_id),
          time: Number(r.start_time),
          status: String(r.status),
          ports: [],
        };
        out.push(last);
      }
      if (r.port !== null && r.port !== undefined) {
        last.ports.push({
          protocol: String(r.protocol),
          port: Number(r.port),
          state: String(r.state),
          service: str(r.service),
          product: str(r.product),
          version: str(r.version),
        });
      }
    }
    return out;
  }

  /** Hosts up and open ports of every scan, oldest first (the report's picture). */
  async timeline(): Promise<
    { scanId: number; time: number; hostsUp: number; openPorts: number }[]
  > {
    const rows = await this.db.all(
      `SELECT s.id, s.start_time, s.hosts_up,
        (SELECT COUNT(*) FROM ports p WHERE p.scan_id = s.id AND p.state = 'open') AS open_ports
       FROM scans s ORDER BY s.start_time, s.id`,
    );
    return rows.map((r) => ({
      scanId: Number(r.id),
      time: Number(r.start_time),
      hostsUp: Number(r.hosts_up),
      openPorts: Number(r.open_ports),
    }));
  }

  /** Counts of rows, for figures. */
  async counts(): Promise<{ scans: number; hosts: number; ports: number; services: number }> {
    const one = async (t: string) =>
      Number((await this.db.all(`SELECT COUNT(*) AS c FROM ${t}`))[0]!.c);
    return {
      scans: await one("scans"),
      hosts: await one("hosts"),
      ports: await one("ports"),
      services: await one("inv_services"),
    };
  }

  /** PostgreSQL: the database's size on disk, bytes (for figures). */
  async databaseBytes(): Promise<number> {
    if (this.db.dialect !== "postgres") throw new StoreError("databaseBytes: PostgreSQL only");
    const r = await this.db.all("SELECT pg_database_size(current_database()) AS b");
    return Number(r[0]!.b);
  }

  /** Closes the connection or file. */
  close(): Promise<void> {
    return this.db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => "\\" + c);
}

const HOST_COLS = [
  "scan_id",
  "idx",
  "address",
  "family",
  "mac",
  "vendor",
  "hostnames",
  "status",
  "reason",
  "reason_ttl",
  "start_time",
  "end_time",
  "extraports",
  "os",
  "scripts",
  "shard",
];
const PORT_COLS = [
  "scan_id",
  "host_idx",
  "protocol",
  "port",
  "state",
  "reason",
  "reason_ttl",
  "service",
  "product",
  "version",
  "extrainfo",
  "tunnel",
  "method",
  "conf",
  "cpe",
  "scripts",
];
const INV_HOST_COLS = [
  "address",
  "first_seen",
  "last_seen",
  "last_scan",
  "mac",
  "vendor",
  "hostname",
  "os",
];
const INV_SERVICE_COLS = [
  "address",
  "protocol",
  "port",
  "first_seen",
  "last_seen",
  "last_scan",
  "service",
  "product",
  "version",
  "cpe",
];

function portRow(scanId: number, hostIdx: number, p: InvPort): unknown[] {
  const s = p.service;
  return [
    scanId,
    hostIdx,
    p.protocol,
    p.port,
    p.state,
    n(p.reason),
    n(p.reasonTtl),
    n(s?.name),
    n(s?.product),
    n(s?.version),
    n(s?.extraInfo),
    n(s?.tunnel),
    n(s?.method),
    n(s?.conf),
    s?.cpe?.length ? s.cpe.join(" ") : null,
    json(p.scripts),
  ];
}

// ---------------------------------------------------------------------------------------
// SQLite

async function openSqlite(path: string): Promise<Db> {
  const { DatabaseSync } = await import("node:sqlite");
  let db: InstanceType<typeof DatabaseSync>;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 30000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA synchronous = NORMAL");
    // 64 MiB of page cache: a scan updates the inventory's indexes all over.
    db.exec("PRAGMA cache_size = -65536");
  } catch (e) {
    throw new StoreError(`cannot open store ${path}: ${sqliteMessage(e)}`);
  }
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new StoreError(`store ${path}: ${sqliteMessage(e)}`);
    }
  };
  const bind = (params: unknown[]) => params.map((v) => v === undefined ? null : v) as never[];
  const cache = new Map<string, ReturnType<typeof db.prepare>>();
  const prep = (sql: string, asArrays = false) => {
    const key = asArrays ? `arrays ${sql}` : sql;
    let s = cache.get(key);
    if (!s) {
      s = db.prepare(sql);
      if (asArrays) s.setReturnArrays(true);
      cache.set(key, s);
    }
    return s;
  };
  let depth = 0;
  return {
    dialect: "sqlite",
    run: (sql, params = []) =>
      Promise.resolve(wrap(() => {
        if (params.length === 0) db.exec(sql);
        else prep(sql).run(...bind(params));
      })),
    all: (sql, params = []) => Promise.resolve(wrap(() => prep(sql).all(...bind(params)) as Row[])),
    arrays: (sql, params = []) =>
      Promise.resolve(wrap(() => prep(sql, true).all(...bind(params)) as unknown as unknown[][])),
    insertMany: (table, cols, rows, tail = "") =>
      Promise.resolve(wrap(() => {
        const st = prep(
          `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${
            cols.map(() => "?").join(", ")
          }) ${tail}`,
        );
        for (const r of rows) st.run(...bind(r));
      })),
    async transaction(fn) {
      if (depth > 0) return await fn();
      wrap(() => db.exec("BEGIN IMMEDIATE"));
      depth++;
      try {
        const v = await fn();
        wrap(() => db.exec("COMMIT"));
        return v;
      } catch (e) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // the transaction is already gone
        }
        throw e;
      } finally {
        depth--;
      }
    },
    close: () => Promise.resolve(db.isOpen ? db.close() : undefined),
  } as Db;
}

function sqliteMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/file is not a database|database disk image is malformed/.test(m)) {
    return `${m} (not a Porthole store, or damaged)`;
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

/** PostgreSQL error codes and socket errors after which trying again may succeed. */
function pgTransient(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? "";
  return /^(08|57P0|53)/.test(code) ||
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|NOENT|HOSTUNREACH)$/.test(code) ||
    /Connection terminated|connection.*(closed|ended)|not queryable/i.test(
      String((e as Error)?.message),
    );
}

async function openPostgres(url: string): Promise<Db> {
  // Loaded on first use: a static node: import would load at every start of the bundle.
  const [pg, { default: process }] = await Promise.all([
    import("pg").then((m) => m.default),
    import("node:process"),
  ]);
  const where = redactUrl(url);
  const fail = (e: unknown): never => {
    if (e instanceof StoreError) throw e;
    const m = e instanceof Error ? e.message : String(e);
    throw new StoreError(`store ${where}: ${m.split("\n")[0]}`, pgTransient(e));
  };
  // pg fills what the URL leaves out from libpq's PG* variables; Porthole reads no variable
  // (its --allow-env names only its debug switches), so the URL says everything: pg sees an
  // empty environment while it builds the connection's parameters, and nothing else runs.
  const env = Object.getOwnPropertyDescriptor(process, "env")!;
  Object.defineProperty(process, "env", { ...env, value: {} });
  let client: InstanceType<typeof pg.Client>;
  try {
    client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 10_000,
      // BIGINT (oid 20) as a number: epoch milliseconds and ids fit.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === 20 ? Number : pg.types.getTypeParser(oid, format as never)) as never,
      },
    });
  } finally {
    Object.defineProperty(process, "env", env);
  }
  if (!client.user) {
    throw new StoreError(`store ${where}: the URL names no user (postgres://USER@HOST/DATABASE)`);
  }
  // A server that goes away later surfaces as a failed query; this only keeps the event quiet.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    fail(e);
  }
  return postgresDb(client, fail, () => client.end().catch(() => {}));
}

/** A client speaking PostgreSQL's SQL: pg's Client, or an embedded PostgreSQL (PGlite). */
export interface PostgresClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** The store's statements over a PostgreSQL client; `fail` words its errors. */
function postgresDb(
  client: PostgresClient,
  fail: (e: unknown) => never,
  close: () => Promise<void>,
): Db {
  const numbered = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  const query = async (sql: string, params: unknown[] = []) => {
    try {
      return (await client.query(numbered(sql), params.map((v) => v === undefined ? null : v)))
        .rows;
    } catch (e) {
      return fail(e);
    }
  };
  let depth = 0;
  return {
    dialect: "postgres",
    run: async (sql, params) => {
      await query(sql, params);
    },
    all: (sql, params) => query(sql, params),
    // pg's rows keep the SELECT's column order.
    arrays: async (sql, params) => (await query(sql, params)).map((r) => Object.values(r)),
    insertMany: async (table, cols, rows, tail = "") => {
      // Multi-row VALUES, under PostgreSQL's 65,535 parameters a statement.
      const per = Math.max(1, Math.floor(30_000 / cols.length));
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        const values = chunk.map((_, r) =>
          "(" + cols.map((_c, c) => `$${r * cols.length + c + 1}`).join(", ") + ")"
        );
        try {
          await client.query(
            `INSERT INTO ${table} (${cols.join(", ")}) VALUES ${values.join(", ")} ${tail}`,
            chunk.flat().map((v) => v === undefined ? null : v),
          );
        } catch (e) {
          fail(e);
        }
      }
    },
    async transaction(fn) {
      if (depth > 0) return await fn();
      await query("BEGIN");
      depth++;
      try {
        const v = await fn();
        await query("COMMIT");
        return v;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        depth--;
      }
    },
    close,
  } as Db;
}

/**
 * A store over an open PostgreSQL-compatible client (an embedded PostgreSQL such as PGlite, for
 * the bench's comparison of embedded stores); migrated like any other.
 */
export async function openStoreOver(
  client: PostgresClient,
  where: string,
  close: () => Promise<void>,
): Promise<Store> {
  const fail = (e: unknown): never => {
    throw new StoreError(`store ${where}: ${e instanceof Error ? e.message : String(e)}`);
  };
  const store = new Store(postgresDb(client, fail, close), where);
  await store.migrate();
  return store;
}
