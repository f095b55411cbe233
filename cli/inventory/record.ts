/**
 * `--store WHERE`: the writer that records a running scan into the store. Hosts are kept as
 * they finish (ports folded as nmap's XML folds them, services named as the reports name
 * them) and the scan is written in one transaction when it ends. The store is checked
 * before the first packet ({@link checkStore}); at the end a store that cannot be written
 * (a PostgreSQL gone away) is tried again, and if it still fails the scan is saved as a file
 * that `porthole inventory import` takes later: the scan's other files are written anyway and
 * nothing is lost.
 *
 * @module
 */

import type {
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ScriptOutput,
} from "../model/mod.ts";
import { foldPorts } from "../output/extraports.ts";
import { withReportedService } from "../output/table_service.ts";
import type { ServicesDb } from "../services_db.ts";
import { inventoryJson } from "./import.ts";
import type { InvHost, InvPort, InvScan, InvScript } from "./scan.ts";
import { openStore, type ShardOfScan, StoreError } from "./store.ts";

/** Opens and closes the store once, so a bad path or URL stops the scan before it starts.
 * Throws {@link StoreError}. */
export async function checkStore(where: string): Promise<void> {
  const s = await openStore(where);
  await s.close();
}

/** How the recorder retries and where it reports. */
export interface RecorderOptions {
  /** Pauses between tries, milliseconds (default: 1 s, 3 s, 9 s). */
  retryDelaysMs?: number[];
  stderr: (s: string) => void;
  servicesDb?: ServicesDb;
  /** Folder of the file a failed write leaves (default: the current one). */
  spoolDir?: string;
  /** A shard of a sharded scan (host by host): its part goes into the scan its shards share,
   * stored under their common command line (`scanArgs`: the shard's without --shard I). */
  shard?: Omit<ShardOfScan, "args"> & { scanArgs: string[] };
  /** Store only a scan that ran to its end: an interrupted or failed one is left out whole
   * (`inventory watch` compares scans, and half of one would read as hosts gone). */
  onlyFinished?: boolean;
  /** Told the id of the stored scan (not called when it was kept in a file instead). */
  onStored?: (id: number) => void;
}

function invPort(p: PortResult): InvPort {
  const s = p.service;
  return {
    protocol: p.protocol,
    port: p.port,
    state: p.state,
    reason: p.reason,
    reasonTtl: p.reasonTtl,
    service: s && {
      name: s.name,
      product: s.product,
      version: s.version,
      extraInfo: s.extraInfo,
      tunnel: s.tunnel,
      method: s.method,
      conf: s.confidence,
      cpe: s.cpe,
    },
    scripts: invScripts(p.scripts),
  };
}

/** Script output as the store keeps it: what nmap's XML `output` attribute says. */
function invScripts(scripts: ScriptOutput[] | undefined): InvScript[] | undefined {
  return scripts?.length ? scripts.map((x) => ({ id: x.id, output: x.output })) : undefined;
}

/** A finished host as the store keeps it. */
export function invHost(h: HostResult, servicesDb?: ServicesDb): InvHost {
  const folded = foldPorts(h.ports, { verbose: 0, debug: 0, openOnly: false });
  const shown = servicesDb
    ? folded.shown.map((p) => withReportedService(p, servicesDb))
    : folded.shown;
  return {
    address: h.address,
    family: h.family,
    mac: h.mac?.addr,
    vendor: h.mac?.vendor,
    hostnames: [
      ...(h.userHostname ? [{ name: h.userHostname, type: "user" }] : []),
      ...(h.ptrHostname ? [{ name: h.ptrHostname, type: "PTR" }] : []),
    ],
    status: h.status,
    reason: h.statusReason,
    reasonTtl: h.statusReasonTtl,
    startTime: h.startTime,
    endTime: h.endTime,
    ports: shown.map(invPort),
    extraPorts: folded.ignored.length > 0
      ? folded.ignored.map((i) => ({ state: i.state, count: i.count }))
      : undefined,
    os: h.os?.matches.length
      ? h.os.matches.map((m) => ({ name: m.name, accuracy: m.accuracy }))
      : undefined,
    scripts: invScripts(h.hostScripts),
  };
}

/** The --store writer. */
export class StoreRecorder implements OutputWriter {
  #run: RunInfo | undefined;
  #hosts: InvHost[] = [];

  constructor(private readonly where: string, private readonly opts: RecorderOptions) {}

  begin(run: RunInfo): void {
    this.#run = run;
  }

  host(h: HostResult): void {
    this.#hosts.push(invHost(h, this.opts.servicesDb));
  }

  async end(summary: RunSummary): Promise<void> {
    const run = this.#run;
    if (!run) return;
    if (this.opts.onlyFinished && (summary.interrupted || summary.exit !== "success")) return;
    const shard = this.opts.shard;
    const scan: InvScan = {
      scanner: "porthole",
      version: run.version,
      // A shard's part is stored under the scan its shards share: their command line.
      args: (shard ? shard.scanArgs : run.args).join(" "),
      startTime: run.startTime,
      endTime: summary.endTime,
      hosts: this.#hosts,
    };
    const delays = this.opts.retryDelaysMs ?? [1000, 3000, 9000];
    let last: unknown;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, delays[attempt - 1]));
      try {
        const store = await openStore(this.where);
        try {
          if (shard) {
            const { index, count, key } = shard;
            await store.addShard(scan, { index, count, key, args: run.args.join(" ") }, "scan");
          } else {
            const id = await store.addScan(scan, "scan");
            this.opts.onStored?.(id);
          }
        } finally {
          await store.close();
        }
        return;
      } catch (e) {
        last = e;
        if (!(e instanceof StoreError) || !e.transient) break;
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    const file = `${this.opts.spoolDir ?? "."}/porthole-unstored-${run.startTime}${
      shard ? `-shard-${shard.index}` : ""
    }.json`;
    try {
      Deno.writeTextFileSync(file, inventoryJson(scan));
      this.opts.stderr(
        `WARNING: the scan was not stored (${why}); it is kept in ${file}: porthole inventory import ${file}\n`,
      );
    } catch (e) {
      this.opts.stderr(
        `WARNING: the scan was not stored (${why}), nor saved to ${file} (${
          e instanceof Error ? e.message : e
        })\n`,
      );
    }
  }
}
