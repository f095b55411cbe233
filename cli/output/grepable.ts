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
 * has control characters escaped as `\xNN` (TAB and newline included, so a
 * banner cannot forge a field or a line) and, beyond nmap, ',' as `\x2C`
 * (so it cannot forge a port entry either).
 *
 * Porthole addition, for --resume inside a host: a comment line per partial
 * host, `# Progress for ADDR at EPOCH: tcp/closed/reset/64:1-21,23-79 ...`
 * (protocol/state/reason/ttl:ports), which nmap's readers skip as a comment.
 */

import type {
  HostProgress,
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ServiceInfo,
} from "../model.ts";
import { foldPorts } from "./extraports.ts";
import { formatProgressTokens, groupProgress } from "./progress_record.ts";
import { isPortScan, isReported } from "./select.ts";
import type { Sink } from "./sink.ts";
import { BANNER_NAME, ctime, epochSeconds, escapeControls, joinQuoted } from "./_util.ts";

/** Options for {@link GrepableWriter}. */
export interface GrepableWriterOptions {
  /** --open. */
  openOnly: boolean;
  /** -sV ran: a table-guessed name on an open port gets nmap's trailing "?". */
  versionDetection: boolean;
}

/** Escapes one grepable field: control characters and ','. */
function field(s: string): string {
  return escapeControls(s).replaceAll(",", "\\x2C");
}

/** nmap's serviceDeductions::populateFullVersionString (a 160-byte buffer):
 * "product version (extrainfo)", cut with "..." when too long. */
export function fullVersion(sv: ServiceInfo): string {
  let out = "";
  let left = 159;
  let pad = false;
  const add = (s: string, paren: boolean) => {
    if (left < 8) return;
    if (pad) {
      out += " ";
      left--;
    }
    if (paren) {
      out += "(";
      if (left - 2 < s.length) {
        out += s.slice(0, left - 5) + "...";
        left = 1;
      } else {
        out += s;
        left -= s.length + 2;
      }
      out += ")";
      left--;
    } else if (left < s.length) {
      out += s.slice(0, left - 3) + "...";
      left = 0;
    } else {
      out += s;
      left -= s.length;
    }
    pad = true;
  };
  if (sv.product) add(sv.product, false);
  if (sv.version) add(sv.version, false);
  if (sv.extraInfo) add(sv.extraInfo, true);
  return out;
}

/** nmap's Port::getNmapServiceName: "ssl/http", "http?" or "unknown". */
export function serviceName(p: PortResult, versionDetection: boolean): string {
  const sv = p.service;
  const prefix = sv?.tunnel === "ssl" ? "ssl/" : "";
  if (sv?.name && sv.name !== "unknown") {
    const guess = versionDetection && p.state === "open" && sv.confidence <= 5;
    return `${prefix}${sv.name}${guess ? "?" : ""}`;
  }
  return `${prefix}unknown`;
}

/** One `port/state/protocol/owner/service/rpc/version/` entry. */
function portEntry(p: PortResult, versionDetection: boolean): string {
  const sv = p.service;
  const name = sv ? field(serviceName(p, versionDetection)).replaceAll("/", "|") : "";
  const version = sv ? field(fullVersion(sv)).replaceAll("/", "|") : "";
  return `${p.port}/${p.state}/${p.protocol}//${name}//${version}/`;
}

/** nmap's grepable (machine) log writer. */
export class GrepableWriter implements OutputWriter {
  #run: RunInfo | undefined;

  constructor(private readonly sink: Sink, private readonly opts: GrepableWriterOptions) {}

  begin(run: RunInfo): void {
    this.#run = run;
    let s = `# ${BANNER_NAME} ${run.version} scan initiated ${ctime(run.startTime)} as: ${
      escapeControls(joinQuoted(run.args))
    }\n`;
    if (run.verbose) {
      const list = (proto: "tcp" | "udp") => {
        const si = run.scanInfo.find((x) => x.protocol === proto);
        return si ? `${si.numServices};${si.services}` : "0;";
      };
      s += `# Ports scanned: TCP(${list("tcp")}) UDP(${list("udp")}) SCTP(0;) PROTOCOLS(0;)\n`;
    }
    this.sink.write(s);
  }

  host(host: HostResult): void {
    const run = this.#run;
    if (!run) throw new Error("GrepableWriter.host() before begin()");
    if (!isReported(host, run, { verbose: run.verbose, openOnly: this.opts.openOnly })) return;
    const who = `Host: ${host.address} (${field(host.ptrHostname ?? "")})`;
    let s = `${who}\tStatus: ${host.status === "up" ? "Up" : "Down"}\n`;
    if (host.timedOut) s += `${who}\tStatus: Timeout\n`;
    else if (host.status === "up" && isPortScan(run) && host.ports.length > 0) {
      const folded = foldPorts(host.ports, {
        verbose: run.verbose,
        debug: run.debugging,
        openOnly: this.opts.openOnly,
      });
      const ignored = folded.ignored.length === 1 ? folded.ignored[0] : undefined;
      const ignoredText = ignored ? `\tIgnored State: ${ignored.state} (${ignored.count})` : "";
      s += `${who}\tPorts: ${
        folded.shown.map((p) => portEntry(p, this.opts.versionDetection)).join(", ")
      }${ignoredText}\n`;
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
