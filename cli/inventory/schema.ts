/**
 * The store's schema, one for both stores (SQLite and PostgreSQL), as versioned migrations.
 * A migration is a list of statements applied in one transaction; `schema_migrations` holds
 * the versions applied. Never edit a released migration: add the next one.
 *
 * Tables: `scans` (one row a scan), `hosts` (scan_id, idx) and `ports` (scan_id, host_idx)
 * hold every scan as it was; `inv_hosts` and `inv_services` are the inventory, one row per
 * address and per open address/protocol/port, with first and last seen, upserted by each
 * scan (so queries over a long history read one small table). Since version 2 the shards of
 * one sharded scan share its `scans` row (`shard_key`), `hosts.shard` says which shard wrote a
 * host, and `scan_shards` lists the shards that arrived.
 *
 * @module
 */

/** "sqlite" or "postgres": the few words that differ. */
export type Dialect = "sqlite" | "postgres";

/** One migration: its version and its statements for a dialect. */
export interface Migration {
  version: number;
  statements(d: Dialect): string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: (d) => [
      `CREATE TABLE scans (
        id ${d === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"},
        scanner TEXT NOT NULL,
        version TEXT,
        args TEXT NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        source TEXT,
        hosts_total INTEGER NOT NULL,
        hosts_up INTEGER NOT NULL,
        stored_at BIGINT NOT NULL
      )`,
      `CREATE TABLE hosts (
        scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        address TEXT NOT NULL,
        family INTEGER NOT NULL,
        mac TEXT,
        vendor TEXT,
        hostnames TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        reason_ttl INTEGER,
        start_time BIGINT,
        end_time BIGINT,
        extraports TEXT,
        os TEXT,
        scripts TEXT,
        PRIMARY KEY (scan_id, idx)
      )`,
      `CREATE INDEX hosts_address ON hosts (address)`,
      `CREATE TABLE ports (
        scan_id BIGINT NOT NULL,
        host_idx INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        reason_ttl INTEGER,
        service TEXT,
        product TEXT,
        version TEXT,
        extrainfo TEXT,
        tunnel TEXT,
        method TEXT,
        conf INTEGER,
        cpe TEXT,
        scripts TEXT,
        FOREIGN KEY (scan_id, host_idx) REFERENCES hosts (scan_id, idx) ON DELETE CASCADE
      )`,
      `CREATE INDEX ports_host ON ports (scan_id, host_idx)`,
      `CREATE TABLE inv_hosts (
        address TEXT PRIMARY KEY,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        last_scan BIGINT NOT NULL,
        mac TEXT,
        vendor TEXT,
        hostname TEXT,
        os TEXT
      )`,
      `CREATE TABLE inv_services (
        address TEXT NOT NULL,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        last_scan BIGINT NOT NULL,
        service TEXT,
        product TEXT,
        version TEXT,
        cpe TEXT,
        PRIMARY KEY (address, protocol, port)
      )`,
      `CREATE INDEX inv_services_port ON inv_services (port, protocol)`,
      `CREATE INDEX inv_services_service ON inv_services (service)`,
      `CREATE INDEX inv_services_product ON inv_services (product)`,
      `CREATE INDEX inv_services_last_seen ON inv_services (last_seen)`,
    ],
  },
  {
    // Sharded scans (--shards N --shard I --store): the shards of one scan write one scans
    // row, found by shard_key; each host row says which shard wrote it, so a shard run again
    // replaces its own part; scan_shards lists the shards that arrived.
    version: 2,
    statements: () => [
      `ALTER TABLE scans ADD COLUMN shard_key TEXT`,
      `ALTER TABLE scans ADD COLUMN shards_total INTEGER`,
      `CREATE UNIQUE INDEX scans_shard_key ON scans (shard_key)`,
      `ALTER TABLE hosts ADD COLUMN shard INTEGER`,
      `CREATE TABLE scan_shards (
        scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        shard INTEGER NOT NULL,
        args TEXT NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        hosts_total INTEGER NOT NULL,
        hosts_up INTEGER NOT NULL,
        stored_at BIGINT NOT NULL,
        PRIMARY KEY (scan_id, shard)
      )`,
    ],
  },
];

/** The newest schema version this Porthole knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
