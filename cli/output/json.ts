/**
 * `-oJ`: NDJSON, one JSON object per line, written as the scan goes so `jq`
 * (e.g. `tail -f scan.json | jq -c 'select(.type=="host")'`) works on a scan
 * still running. Schema: docs/porthole-output.schema.json. Lines, by `type`:
 *
 * - `run` (first): the RunInfo fields plus `scanner` and `formatVersion`.
 * - `host`: one per finished host, as the other formats select them (down
 *   hosts with -v only; --open drops hosts without open ports). HostResult
 *   fields; `ports` lists the ports nmap would list and `extraPorts` folds the
 *   rest exactly like XML's <extraports> (port lists in compact form); `os`
 *   carries -O's result.
 * - `progress`: a host cut short by Ctrl-C (written instead of its `host`
 *   line: it is not finished) and the ports already final, grouped (for
 *   --resume inside a host).
 * - `scripts`: NSE prerule (`phase` "pre", before the first host) or postrule (`phase` "post",
 *   before the summary) output: nmap's "Pre-scan/Post-scan script results".
 * - `summary` (last): the RunSummary fields.
 *
 * Text is JSON-escaped; beyond JSON's rules DEL, the C1 controls and U+2028/9
 * are written as \u escapes too, so no raw control character reaches a
 * terminal that prints the file, and lone UTF-16 surrogates (not valid
 * Unicode; jq rejects them) become U+FFFD.
 */

import type {
  HostProgress,
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ScriptOutput,
} from "../model/mod.ts";
import { comparePorts, foldPorts, type IgnoredState } from "./extraports.ts";
import { compactPortList } from "./format.ts";
import { groupProgress } from "./progress_record.ts";
import { isPortScan, isReported } from "./select.ts";
import type { Sink } from "./sink.ts";
import { withReportedService } from "./table_service.ts";
import { defaultServicesDb, type ServicesDb } from "../services_db.ts";
import { osJson } from "./os.ts";
import { traceJson } from "./trace.ts";

/** Bumped when a line's meaning changes incompatibly. */
export const JSON_FORMAT_VERSION = 1;

/** JSON.stringify plus \u escapes for DEL, C1 controls and line separators.
 * Lone UTF-16 surrogates become U+FFFD first: JSON.stringify would write them
 * as "\ud83d", which jq and other strict parsers reject. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v) => typeof v === "string" ? v.toWellFormed() : v).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  ) + "\n";
}

/** Options for {@link JsonWriter}. */
export interface JsonWriterOptions {
  /** --open. */
  openOnly: boolean;
  /** Services table for ports without service information (default: built-in). */
  servicesDb?: ServicesDb;
}

/** A host's folded states as the `extraPorts` field. */
export function extraPortsJson(ignored: readonly IgnoredState[]): Record<string, unknown>[] {
  return ignored.map((ig) => ({
    state: ig.state,
    count: ig.count,
    reasons: ig.reasons.map((r) => ({
      reason: r.reason,
      protocol: r.protocol,
      count: r.count,
      ports: compactPortList(r.ports),
    })),
  }));
}

function portJson(p: PortResult): Record<string, unknown> {
  const sv = p.service;
  return {
    protocol: p.protocol,
    port: p.port,
    state: p.state,
    reason: p.reason,
    reasonTtl: p.reasonTtl,
    reasonAddr: p.reasonAddr,
    service: sv && {
      name: sv.name,
      method: sv.method,
      confidence: sv.confidence,
      product: sv.product,
      version: sv.version,
      extraInfo: sv.extraInfo,
      hostname: sv.hostname,
      osType: sv.osType,
      deviceType: sv.deviceType,
      tunnel: sv.tunnel,
      cpe: sv.cpe,
      fingerprint: sv.fingerprint,
    },
    scripts: p.scripts?.map(scriptJson),
  };
}

/** A script's output: the text nmap prints and, when the script returned a table, its elements
 * in order (nmap's <elem>/<table>, with their keys). */
function scriptJson(s: ScriptOutput): Record<string, unknown> {
  return { id: s.id, output: s.output, elems: s.elems };
}

/** The NDJSON writer. */
export class JsonWriter implements OutputWriter {
  #run: RunInfo | undefined;

  constructor(private readonly sink: Sink, private readonly opts: JsonWriterOptions) {}

  begin(run: RunInfo): void {
    this.#run = run;
    this.sink.write(jsonLine({
      type: "run",
      formatVersion: JSON_FORMAT_VERSION,
      scanner: "porthole",
      args: run.args,
      startTime: run.startTime,
      version: run.version,
      scanInfo: run.scanInfo.map((si) => ({
        type: si.type,
        protocol: si.protocol,
        services: si.services,
        numServices: si.numServices,
      })),
      verbose: run.verbose,
      debugging: run.debugging,
    }));
  }

  host(host: HostResult): void {
    const run = this.#run;
    if (!run) throw new Error("JsonWriter.host() before begin()");
    if (!isReported(host, run, { verbose: run.verbose, openOnly: this.opts.openOnly })) return;
    const folded = isPortScan(run)
      ? foldPorts(host.ports, {
        verbose: run.verbose,
        debug: run.debugging,
        openOnly: this.opts.openOnly,
      })
      : { shown: [...host.ports].sort(comparePorts), ignored: [] };
    // Fields are named one by one: the file format changes only on purpose.
    this.sink.write(jsonLine({
      type: "host",
      address: host.address,
      family: host.family,
      mac: host.mac && { addr: host.mac.addr, addrtype: "mac", vendor: host.mac.vendor },
      userHostname: host.userHostname,
      ptrHostname: host.ptrHostname,
      otherAddresses: host.otherAddresses,
      status: host.status,
      statusReason: host.statusReason,
      statusReasonTtl: host.statusReasonTtl,
      latencySeconds: host.latencySeconds,
      ports: folded.shown.map((p) =>
        portJson(withReportedService(p, this.opts.servicesDb ?? defaultServicesDb()))
      ),
      extraPorts: extraPortsJson(folded.ignored),
      startTime: host.startTime,
      endTime: host.endTime,
      timedOut: host.timedOut,
      times: host.times &&
        { srtt: host.times.srtt, rttvar: host.times.rttvar, timeout: host.times.timeout },
      os: osJson(host),
      hostScripts: host.hostScripts?.map(scriptJson),
      trace: traceJson(host),
    }));
  }

  progress(p: HostProgress): void {
    this.sink.write(
      jsonLine({
        type: "progress",
        address: p.address,
        time: p.time,
        done: groupProgress(p.ports),
      }),
    );
  }

  scripts(phase: "pre" | "post", results: ScriptOutput[]): void {
    this.sink.write(jsonLine({ type: "scripts", phase, scripts: results.map(scriptJson) }));
  }

  end(summary: RunSummary): void {
    this.sink.write(jsonLine({
      type: "summary",
      endTime: summary.endTime,
      elapsedSeconds: summary.elapsedSeconds,
      hostsUp: summary.hostsUp,
      hostsDown: summary.hostsDown,
      hostsTotal: summary.hostsTotal,
      exit: summary.exit,
      errorMessage: summary.errorMessage,
      interrupted: summary.interrupted,
      signal: summary.signal,
      unfinishedHosts: summary.unfinishedHosts,
    }));
  }
}
