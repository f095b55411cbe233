/**
 * OS detection (-O): nmap's second-generation TCP/IP fingerprinting and its nmap-os-db format.
 * The report is the writers' (cli/output/os.ts renders `HostResult.os`).
 *
 * ```ts
 * import { detectOs } from "./os/mod.ts";
 * result.os = await detectOs(result, session, opts, { log });   // after the port scans
 * ```
 *
 * - db.ts: the nmap-os-db parser; expr.ts: its value expressions (nmap 7.93's rules).
 * - match.ts: scoring and the match list; fingerprint.ts: the printed fingerprint.
 * - probes.ts: the sixteen probes; analyze.ts: the tests from the replies.
 * - round.ts: one try against a host; detect.ts: the tries, port choice, distance.
 * - io.ts: probes as frames through a raw session of its own.
 * - cli/output/os.ts (not here): normal, XML and grepable output.
 *
 * The database is Porthole's own (cli/data/porthole-os-db, fingerprints Porthole measured),
 * after nmap's nmap-os-db when installed (see db.ts's osDbFor), or the one file `--osdb FILE`
 * names.
 *
 * @module
 */

import type { HostResult } from "../model/mod.ts";
import type { Options } from "../options_types.ts";
import type { RawSession } from "../engine/raw_session.ts";
import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { type OsDb, osDbFor } from "./db.ts";
import { detectWithIo } from "./detect.ts";
import type { OsResult } from "../model/os.ts";
import { PORTHOLE_VERSION } from "../model/product.ts";

export type { OsResult, OsSequence } from "../model/os.ts";
export { loadOsDb, mergeOsDbs, OsDbError, osDbFor, parseOsDb } from "./db.ts";
export type { OsDb } from "./db.ts";
export { matchFingerprint } from "./match.ts";
export { formatFingerprint, parseFingerprint } from "../model/os_fingerprint.ts";

/** What {@link detectOs} may be given besides the options. */
export interface DetectOsExtras {
  /** Verbose lines ("Initiating OS detection (try #1) against …"). */
  log?(line: string): void;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** A database already loaded (default: osDbFor(opts)'s). */
  db?: OsDb;
}

/**
 * OS detection of one IPv4 host after its port scans, through the route of `session` (the
 * engine's raw session for the host's route: its route, framing and packet core are used; the
 * probes go through a capture and sender of their own, so other receivers on `session` keep
 * their frames). Returns undefined when there is nothing to report: an IPv6 host, or a host
 * --osscan-limit skips. Throws OsDbError when the database cannot be read.
 */
export async function detectOs(
  host: HostResult,
  session: RawSession<ParsedRecords>,
  opts: Options,
  extras: DetectOsExtras = {},
): Promise<OsResult | undefined> {
  if (host.family !== 4 || host.status !== "up") return undefined;
  const db = extras.db ?? await osDbFor(opts);
  // nmap fingerprints at most 20 hosts at once (30 with -T4, any number with -T5).
  const limit = opts.timing.template >= 5 ? Infinity : opts.timing.template === 4 ? 30 : 20;
  await slot.acquire(limit);
  try {
    return await detectOne(host, session, opts, extras, db);
  } finally {
    slot.release();
  }
}

/** Hosts being fingerprinted now, and those waiting for a turn. */
const slot = {
  busy: 0,
  waiting: [] as (() => void)[],
  async acquire(limit: number): Promise<void> {
    while (this.busy >= limit) await new Promise<void>((r) => this.waiting.push(r));
    this.busy++;
  },
  release(): void {
    this.busy--;
    this.waiting.shift()?.();
  },
};

async function detectOne(
  host: HostResult,
  session: RawSession<ParsedRecords>,
  opts: Options,
  extras: DetectOsExtras,
  db: OsDb,
): Promise<OsResult | undefined> {
  const route = session.route;
  const [{ packetCore }, { SessionIo }] = await Promise.all([
    import("../../core-wasm/mod.ts"),
    import("./io.ts"),
  ]);
  const io = SessionIo.open(packetCore(), route, host.address);
  try {
    // The probe timeout is the host's RTT timeout from the port scan (nmap's target->to).
    const timeoutMs = host.times
      ? Math.max(opts.timing.minRttTimeoutMs || 100, host.times.timeout / 1000)
      : opts.timing.initialRttTimeoutMs;
    return await detectWithIo(
      io,
      {
        host,
        localhost: route.loopback || route.source === host.address,
        directMac: host.mac?.addr,
        timeoutMs: Math.min(timeoutMs, opts.timing.maxRttTimeoutMs || 10000),
      },
      db,
      {
        maxOsTries: opts.maxOsTries,
        osscanLimit: opts.osscanLimit,
        scanDelayMs: opts.timing.scanDelayMs,
        timingTemplate: opts.timing.template,
        udpScanned: opts.scans.includes("udp"),
        versionDetection: opts.versionDetection,
        verbose: opts.verbose,
        debug: opts.debug,
        signal: extras.signal,
        log: extras.log,
        version: PORTHOLE_VERSION,
        platform: Deno.build.target,
      },
    );
  } finally {
    io.close();
  }
}
