/**
 * `-oG`: nmap's grepable output, line for line as nmap 7.93 writes it
 * (output.cc write_host_status/printportoutput/printfinaloutput):
 *
 *     # Nmap 7.93 scan initiated Wed Nov 25 15:31:45 2026 as: porthole -p 22 10.0.0.1
 *     Host: 10.0.0.1 (name)	Status: Up
 *     Host: 10.0.0.1 (name)	Ports: 22/open/tcp//ssh///	Ignored State: closed (999)
 *     # Nmap done at Wed Nov 25 15:31:46 2026 -- 1 IP address (1 host up) scanned in 0.05 seconds
 *
 * Port entries are `port/state/protocol/owner/service/rpc/version/`; like
 * nmap, '/' inside the service and version fields becomes '|'. Untrusted text
 * is escaped as nmap escapes text for the screen (`\xHH` for every byte that
 * is not printable ASCII, TAB and newline included, so a banner cannot forge
 * a field or a line) and, beyond nmap, ',' as `\x2C` (so it cannot forge a
 * port entry either).
 *
 * Porthole addition, for --resume inside a host: a comment line per partial
 * host, `# Progress for ADDR at EPOCH: tcp/closed/reset/64:1-21,23-79 ...`
 * (protocol/state/reason/ttl:ports), which nmap's readers skip as a comment.
 */

import { osGrepable } from "./os.ts";
import type {
  HostProgress,
  HostResult,
  OutputWriter,
  PortResult,
  Protocol,
  RunInfo,
  RunSummary,
} from "../model/mod.ts";
import { foldPorts } from "./extraports.ts";
import { formatProgressTokens, groupProgress } from "./progress_record.ts";
import { isPortScan, isProtocolScan, isReported, reportedPorts } from "./select.ts";
import type { Sink } from "./sink.ts";
import { defaultServicesDb, type ServicesDb } from "../services_db.ts";
import {
  escapeTerminal,
  formatCtime as ctime,
  fullVersionString,
  joinQuoted,
  serviceName,
} from "./format.ts";
import { BANNER_NAME, epochSeconds } from "./_util.ts";

/** Options for {@link GrepableWriter}. */
export interface GrepableWriterOptions {
  /** --open. */
  openOnly: boolean;
  /** -sV ran: a table-guessed name on an open port gets nmap's trailing "?". */
  versionDetection: boolean;
  /** Services table for ports without service information (default: built-in). */
  servicesDb?: ServicesDb;
}

/** Escapes one grepable field: what a terminal would act on (format.ts
 * escapeTerminal, TAB and newline included) and ','. */
function field(s: string): string {
  return escapeTerminal(s, true).replaceAll(",", "\\x2C");
}

/** One `port/state/protocol/owner/service/rpc/version/` entry; `number/state/name/` for an IP
 * protocol (-sO), as nmap's output.cc writes it. A port without a found service shows the services
 * table's name (table_service.ts), looked up here rather than through a copy of every port. */
function portEntry(p: PortResult, versionDetection: boolean, db: ServicesDb): string {
  const sv = p.service;
  const tableName = sv ? undefined : db.name(p.protocol, p.port);
  if (p.protocol === "ip") return `${p.port}/${p.state}/${field(sv?.name ?? tableName ?? "")}/`;
  if (!sv && tableName === undefined) return `${p.port}/${p.state}/${p.protocol}/////`;
  // serviceName gives a table-named port the same name with or without the copied service.
  const name = field(serviceName(p, versionDetection, db)).replaceAll("/", "|");
  const version = sv ? field(fullVersionString(sv)).replaceAll("/", "|") : "";
  return `${p.port}/${p.state}/${p.protocol}//${name}//${version}/`;
}

/** nmap's grepable (machine) log writer. */
export class GrepableWriter implements OutputWriter {
  #run: RunInfo | undefined;

  constructor(private readonly sink: Sink, private readonly opts: GrepableWriterOptions) {}

  begin(run: RunInfo): void {
    this.#run = run;
    let s = `# ${BANNER_NAME} ${run.version} scan initiated ${ctime(run.startTime)} as: ${
      escapeTerminal(joinQuoted(run.args), true)
    }\n`;
    if (run.verbose) {
      const list = (proto: Protocol) => {
        const si = run.scanInfo.find((x) => x.protocol === proto);
        return si ? `${si.numServices};${si.services}` : "0;";
      };
      s += `# Ports scanned: TCP(${list("tcp")}) UDP(${list("udp")}) SCTP(${
        list("sctp")
      }) PROTOCOLS(${list("ip")})\n`;
    }
    this.sink.write(s);
  }

  host(host: HostResult): void {
    const run = this.#run;
    if (!run) throw new Error("GrepableWriter.host() before begin()");
    if (!isReported(host, run, { verbose: run.verbose, openOnly: this.opts.openOnly })) return;
    const who = `Host: ${host.address} (${field(host.ptrHostname ?? "")})`;
    const status = host.status === "up" ? "Up" : host.status === "down" ? "Down" : "Unknown";
    let s = `${who}\tStatus: ${status}\n`;
    if (host.timedOut) s += `${who}\tStatus: Timeout\n`;
    else if (host.status === "up" && isPortScan(run) && host.ports.length > 0) {
      const protocolScan = isProtocolScan(run);
      const db = this.opts.servicesDb ?? defaultServicesDb();
      const folded = foldPorts(reportedPorts(host.ports, protocolScan), {
        verbose: run.verbose,
        debug: run.debugging,
        openOnly: this.opts.openOnly,
      });
      const ignored = folded.ignored.length === 1 ? folded.ignored[0] : undefined;
      const ignoredText = ignored ? `\tIgnored State: ${ignored.state} (${ignored.count})` : "";
      s += `${who}\t${protocolScan ? "Protocols" : "Ports"}: ${
        folded.shown.map((p) => portEntry(p, this.opts.versionDetection, db)).join(", ")
      }${ignoredText}${osGrepable(host, { debug: run.debugging })}\n`;
    }
    this.sink.write(s);
  }

  progress(p: HostProgress): void {
    this.sink.write(
      `# Progress for ${p.address} at ${epochSeconds(p.time)}: ${
        formatProgressTokens(groupProgress(p.ports))
      }\n`,
    );
  }

  end(summary: RunSummary): void {
    // nmap writes no closing line when it dies; its absence marks an unfinished file.
    if (summary.exit === "error" || summary.interrupted) return;
    const n = summary.hostsTotal, up = summary.hostsUp;
    this.sink.write(
      `# ${BANNER_NAME} done at ${ctime(summary.endTime)} -- ${n} IP ${
        n === 1 ? "address" : "addresses"
      } (${up} ${up === 1 ? "host" : "hosts"} up) scanned in ${
        summary.elapsedSeconds.toFixed(2)
      } seconds\n`,
    );
  }
}
