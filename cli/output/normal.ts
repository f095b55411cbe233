/**
 * nmap's normal output (the terminal report and -oN files), column for
 * column: output.cc's write_host_header/write_host_status, printportoutput
 * with NmapOutputTable's layout, printmacinfo, printserviceinfooutput and
 * printfinaloutput, with "Nmap" spelled "Porthole".
 *
 * The terminal and the -oN file differ as nmap's LOG_STDOUT and LOG_NORMAL
 * do: the terminal gets "Starting …" and "… done: …"; the file gets
 * "# … scan initiated … as: …" and "# … done at …".
 */

import { osLines } from "./os.ts";
import { scriptLines } from "./scripts.ts";
import { traceLines } from "./trace.ts";
import type {
  HostProgress,
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ScriptOutput,
} from "../model/mod.ts";
import type { Options } from "../options/types.ts";
import { defaultServicesDb, type ServicesDb } from "../services_db.ts";
import { PORTHOLE_HOME, PORTHOLE_NAME } from "../model/product.ts";
import { serviceInfoLine } from "../model/service_info.ts";
import { foldPorts, hasOpenPorts, protocolLabel } from "./extraports.ts";
import { reportedPorts } from "./select.ts";
import { formatProgressTokens, groupProgress } from "./progress_record.ts";
import { epochSeconds } from "./_util.ts";
import {
  escapeTerminal,
  formatCtime,
  formatElapsed,
  formatLatency,
  formatScannedAt,
  formatStartTime,
  fullVersionString,
  hostsSummary,
  joinQuoted,
  nameIp,
  serviceName,
} from "./format.ts";

/** Where text goes: a function, a Sink ({write}), or a sync writer such as Deno.FsFile. */
export type NormalSink =
  | ((text: string) => void)
  | { write(text: string): void }
  | { writeSync(bytes: Uint8Array): number };

/** The parts of {@link Options} the normal report depends on. */
export type NormalOptions =
  & Pick<
    Options,
    | "reason"
    | "versionDetection"
    | "osDetection"
    | "osscanGuess"
    | "openOnly"
    | "verbose"
    | "debug"
    | "scans"
    | "discovery"
    | "defeatIcmpRatelimit"
    | "defeatRstRatelimit"
    | "listScan"
    | "scriptUpdateDb"
    | "dnsMode"
  >
  & Partial<Pick<Options, "timing">>;

/** "stdout" (the interactive report) or "file" (-oN). */
export type NormalTarget = "stdout" | "file";

/** Extra knobs. */
export interface NormalWriterExtras {
  /** Services table for SERVICE names of ports without service info (default: built-in). */
  servicesDb?: ServicesDb;
  /** Where nmap's stderr-only remarks go ("WARNING: No targets were specified…"). */
  stderr?: (text: string) => void;
}

const encoder = new TextEncoder();

function toWriter(sink: NormalSink): (s: string) => void {
  if (typeof sink === "function") return sink;
  if ("writeSync" in sink) {
    // A Deno.FsFile or the like (its async write() takes bytes, so check this first).
    return (s) => {
      const b = encoder.encode(s);
      let off = 0;
      while (off < b.length) off += sink.writeSync(b.subarray(off));
    };
  }
  return (s) => sink.write(s);
}

/**
 * NmapOutputTable::printableTable(): each column as wide as its widest cell,
 * one space between columns, no trailing spaces (a row stops after its last
 * non-empty cell).
 */
export function layoutTable(rows: readonly (readonly string[])[]): string {
  // Plain loops: a /16's reports lay out a table per host, millions of cells in all.
  let ncol = 0;
  for (const r of rows) if (r.length > ncol) ncol = r.length;
  const width = new Array<number>(ncol).fill(0);
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) if (r[i]!.length > width[i]!) width[i] = r[i]!.length;
  }
  let out = "";
  for (const r of rows) {
    let items = 0;
    for (let i = 0; i < r.length; i++) if (r[i] !== "") items++;
    if (items === 0) continue;
    let done = 0;
    for (let i = 0; i < ncol && done < items; i++) {
      const c = r[i] ?? "";
      out += c;
      if (c !== "") done++;
      if (done < items) out += padding(width[i]! - c.length + 1);
    }
    out += "\n";
  }
  return out;
}

/** `n` spaces; the few widths a table pads to are made once. */
const PADDING: string[] = [];
function padding(n: number): string {
  return PADDING[n] ??= " ".repeat(n);
}

const cleanCell = (s: string) => escapeTerminal(s, true);

/** nmap's normal output writer. */
export class NormalWriter implements OutputWriter {
  readonly #out: (s: string) => void;
  readonly #o: NormalOptions;
  readonly #target: NormalTarget;
  readonly #db: ServicesDb;
  readonly #stderr?: (s: string) => void;
  /** A host's report is gathered here and written at once, so a process
   * killed mid-report never leaves a report that looks whole. */
  #buffer: string | undefined;

  constructor(
    sink: NormalSink,
    options: NormalOptions,
    target: NormalTarget = "stdout",
    extras: NormalWriterExtras = {},
  ) {
    this.#out = toWriter(sink);
    this.#o = options;
    this.#target = target;
    this.#db = extras.servicesDb ?? defaultServicesDb();
    this.#stderr = extras.stderr;
  }

  #w(s: string): void {
    if (this.#buffer !== undefined) this.#buffer += s;
    else this.#out(s);
  }

  #portScan(): boolean {
    return !this.#o.discovery.pingOnly;
  }

  #tcpScan(): boolean {
    return this.#o.scans.length === 0 || this.#o.scans.some((k) => k !== "udp");
  }

  begin(run: RunInfo): void {
    if (this.#target === "stdout") {
      this.#w(
        `Starting ${PORTHOLE_NAME} ${run.version} ( ${PORTHOLE_HOME} ) at ${
          formatStartTime(run.startTime)
        }\n`,
      );
      if (run.spoofedMac) this.#w(`Spoofing MAC address ${run.spoofedMac}\n`);
    } else {
      // nmap writes this line to the file as it opens it, before the header.
      if (run.spoofedMac) this.#w(`Spoofing MAC address ${run.spoofedMac}\n`);
      this.#w(
        `# ${PORTHOLE_NAME} ${run.version} scan initiated ${formatCtime(run.startTime)} as: ${
          joinQuoted(run.args)
        }\n`,
      );
    }
    if (this.#o.debug > 0 && this.#o.timing) this.#w(timingReport(this.#o.timing));
  }

  plain(line: string): void {
    this.#w(`${escapeTerminal(line)}\n`);
  }

  host(h: HostResult): void {
    this.#buffer = "";
    try {
      this.#host(h);
    } finally {
      const text = this.#buffer;
      this.#buffer = undefined;
      if (text) this.#out(text);
    }
  }

  /**
   * A host cut short by Ctrl-C: one line saying so instead of a report (it is
   * not finished), and in the -oN file its progress record for --resume, a
   * comment line as in the grepable file.
   */
  progress(p: HostProgress): void {
    const open = p.ports.filter((x) => x.state === "open").length;
    let s = `Scan of ${p.address} interrupted: ${p.ports.length} ${
      p.ports.length === 1 ? "port" : "ports"
    } scanned (${open} open) -- not finished\n`;
    if (this.#target === "file") {
      s += `# Progress for ${p.address} at ${epochSeconds(p.time)}: ${
        formatProgressTokens(groupProgress(p.ports))
      }\n`;
    }
    this.#w(s);
  }

  #host(h: HostResult): void {
    const o = this.#o;
    if (h.timedOut) {
      this.#header(h);
      this.#w(`Skipping host ${cleanCell(nameIp(h))} due to host timeout\n`);
      return;
    }
    if (h.status === "unknown") {
      // -sL: every listed host, its names and nothing else.
      this.#header(h);
      return;
    }
    if (!this.#portScan()) {
      // nmap.cc: a ping scan reports up hosts, and down ones under -v.
      if (h.status === "up" || (o.verbose > 0 && !o.openOnly)) {
        this.#header(h);
        this.#mac(h);
        // A traced host is written as after a port scan: its section, then a blank line.
        const trace = traceLines(h, o.debug);
        if (trace.length) this.#w(trace.join("\n") + "\n\n");
      }
      return;
    }
    if (h.status === "down") {
      if (o.verbose > 0 && (!o.openOnly || hasOpenPorts(h.ports))) this.#header(h);
      return;
    }
    if (o.openOnly && !hasOpenPorts(h.ports)) return;
    this.#header(h);
    this.#ports(h);
    this.#mac(h);
    for (
      const line of osLines(h, { osscanGuess: o.osscanGuess, verbose: o.verbose, debug: o.debug })
    ) {
      this.#w(line + "\n");
    }
    this.#serviceInfo(h);
    if (h.hostScripts?.length) {
      this.#w("\nHost script results:\n");
      for (const s of h.hostScripts) for (const l of scriptLines(s)) this.#w(l + "\n");
    }
    for (const line of traceLines(h, o.debug)) this.#w(line + "\n");
    if (o.debug > 0 && h.times && this.#target === "stdout") {
      // nmap's -d line, on the screen only.
      const t = h.times;
      this.#w(
        `Final times for host: srtt: ${Math.round(t.srtt)} rttvar: ${Math.round(t.rttvar)}  to: ${
          Math.round(t.timeout)
        }\n`,
      );
    }
    this.#w("\n");
  }

  /** write_host_header() and write_host_status(). */
  #header(h: HostResult): void {
    const o = this.#o;
    const nip = cleanCell(nameIp(h));
    const why = `received ${h.statusReason}`;
    if (h.status === "up") {
      this.#w(`${PORTHOLE_NAME} scan report for ${nip}\n`);
      let line = "Host is up";
      if (o.reason) line += `, ${why}`;
      if (o.reason && h.statusReasonTtl) line += ` ttl ${h.statusReasonTtl}`;
      // nmap prints the host's smoothed RTT (to.srtt) when it has one.
      const latency = h.latencySeconds ?? (h.times ? h.times.srtt / 1e6 : undefined);
      if (latency !== undefined) line += ` (${formatLatency(latency)}s latency)`;
      this.#w(line + ".\n");
    } else if (h.status === "unknown") {
      this.#w(`${PORTHOLE_NAME} scan report for ${nip}\n`);
    } else if (o.verbose > 0 || o.dnsMode === "always") {
      this.#w(`${PORTHOLE_NAME} scan report for ${nip} [host down${o.reason ? `, ${why}` : ""}]\n`);
    }
    if (h.userHostname !== undefined && h.otherAddresses.length > 0) {
      this.#w(
        `Other addresses for ${cleanCell(h.userHostname)} (not scanned): ${
          h.otherAddresses.join(" ")
        }\n`,
      );
    }
    if (
      h.userHostname !== undefined && h.ptrHostname !== undefined && h.ptrHostname !== "" &&
      h.userHostname !== h.ptrHostname
    ) {
      this.#w(`rDNS record for ${h.address}: ${cleanCell(h.ptrHostname)}\n`);
    }
  }

  /** printportoutput(). */
  #ports(h: HostResult): void {
    const o = this.#o;
    const protocolScan = this.#o.scans.includes("ipproto");
    const list = reportedPorts(h.ports, protocolScan);
    if (list.length === 0) return;
    if ((o.verbose > 1 || o.debug > 0) && h.startTime) {
      const secs = Math.floor(h.endTime / 1000) - Math.floor(h.startTime / 1000);
      this.#w(`Scanned at ${formatScannedAt(h.startTime)} for ${secs}s\n`);
    }
    const { shown, ignored } = foldPorts(list, o);
    const total = list.length;
    const nIgnored = ignored.reduce((a, s) => a + s.count, 0);
    ignored.forEach((s, i) => {
      if (i === 0) {
        if (nIgnored === total) {
          this.#w(`All ${total} scanned ports on ${cleanCell(nameIp(h))} are in ignored states.\n`);
        }
        this.#w("Not shown: ");
      } else {
        this.#w(", ");
      }
      // The plural follows the whole state's count, as nmap's does.
      const plural = s.count === 1 ? "" : "s";
      const word = protocolScan ? "protocol" : "port";
      this.#w(
        s.reasons.map((r) =>
          `${r.count} ${s.state} ${protocolLabel(r.protocol)} ${word}${plural} (${r.reason})`
        ).join(", "),
      );
    });
    this.#w("\n");
    if (nIgnored === total) return;

    const header = [protocolScan ? "PROTOCOL" : "PORT", "STATE", "SERVICE"];
    if (o.reason) header.push("REASON");
    if (o.versionDetection) header.push("VERSION");
    const rows: string[][] = [header];
    // Script lines span the whole table (nmap's full-row items): they are placed under their
    // port's row after the columns are laid out, so they never widen a column.
    const scriptRows: string[][] = [[]];
    const fingerprints: string[] = [];
    for (const p of shown) {
      scriptRows.push((p.scripts ?? []).flatMap(scriptLines));
      const row = [
        p.protocol === "ip" ? `${p.port}` : `${p.port}/${p.protocol}`,
        p.state,
        cleanCell(serviceName(p, o.versionDetection, this.#db)),
      ];
      if (o.reason) row.push(cleanCell(reasonText(p)));
      if (o.versionDetection) row.push(cleanCell(fullVersionString(p.service)));
      rows.push(row);
      if (p.service?.fingerprint && fingerprints.length <= 8) {
        fingerprints.push(p.service.fingerprint);
      }
    }
    if (
      o.defeatRstRatelimit && this.#tcpScan() && h.ports.some((p) => p.state === "filtered")
    ) {
      this.#w("Some closed ports may be reported as filtered due to --defeat-rst-ratelimit\n");
    }
    const table = layoutTable(rows);
    // Without script lines the table is written as laid out (a /16's hosts: no split per host).
    if (scriptRows.every((l) => l.length === 0)) this.#w(table);
    else {
      this.#w(
        table.split("\n").slice(0, rows.length).map((l, i) =>
          [l, ...scriptRows[i] ?? []].map((x) => x + "\n").join("")
        ).join(""),
      );
    }
    if (fingerprints.length > 0) {
      const n = fingerprints.length;
      this.#w(
        `${n} service${
          n > 1 ? "s" : ""
        } unrecognized despite returning data. If you know the service/version, please submit the following fingerprint${
          n > 1 ? "s" : ""
        } to Porthole's developers (${PORTHOLE_HOME}) :\n`,
      );
      for (const fp of fingerprints) {
        if (n > 1) {
          this.#w(
            "==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)==============\n",
          );
        }
        this.#w(`${escapeTerminal(fp)}\n`);
      }
    }
  }

  /** printmacinfo(). */
  #mac(h: HostResult): void {
    if (!h.mac) return;
    this.#w(`MAC Address: ${h.mac.addr.toUpperCase()} (${cleanCell(h.mac.vendor ?? "Unknown")})\n`);
  }

  /** printserviceinfooutput(): Host/OS/Device/CPE summary from open ports' service info. */
  #serviceInfo(h: HostResult): void {
    const line = serviceInfoLine(h);
    if (line) this.#w(`${cleanCell(line)}\n`);
  }

  /** nmap's printscriptresults(): "Pre-scan script results:" / "Post-scan script results:". */
  scripts(phase: "pre" | "post", results: ScriptOutput[]): void {
    this.#w(`${phase === "pre" ? "Pre" : "Post"}-scan script results:\n`);
    for (const s of results) for (const l of scriptLines(s)) this.#w(l + "\n");
  }

  /** printfinaloutput(). */
  end(summary: RunSummary): void {
    const o = this.#o;
    const total = summary.hostsTotal;
    const up = summary.hostsUp;
    if (summary.exit === "error" && summary.errorMessage) {
      // nmap's fatal() writes its message into the normal file as well.
      if (this.#target === "file") this.#w(`${summary.errorMessage}\nQUITTING!\n`);
      return;
    }
    for (const line of dataFilesLines(summary.dataFiles ?? {}, o.verbose, o.debug)) {
      this.#w(line + "\n");
    }
    if (total === 0 && !summary.interrupted && !o.scriptUpdateDb) {
      this.#stderr?.("WARNING: No targets were specified, so 0 hosts scanned.\n");
    }
    if (total === 1 && up === 0 && !o.discovery.skip && !o.listScan) {
      if (this.#target === "stdout") {
        this.#w(
          "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n",
        );
      }
    } else if (up > 0) {
      const report =
        `Please report any incorrect results to Porthole's developers (${PORTHOLE_HOME}) .\n`;
      if (o.osDetection && o.versionDetection) {
        this.#w(`OS and Service detection performed. ${report}`);
      } else if (o.osDetection) this.#w(`OS detection performed. ${report}`);
      else if (o.versionDetection) {
        this.#w(`Service detection performed. ${report}`);
      } else if (o.scans.includes("udp") && o.defeatIcmpRatelimit) {
        this.#w(
          "WARNING: Some ports marked closed|filtered may actually be open. For more accurate results, do not use --defeat-icmp-ratelimit .\n",
        );
      }
    }
    let what = `${hostsSummary(total, up)} scanned in ${
      formatElapsed(summary.elapsedSeconds)
    } seconds`;
    // Interrupted: only finished hosts are counted, and the line says so.
    const n = summary.unfinishedHosts ?? 0;
    if (n) what += `; ${n} ${n === 1 ? "host" : "hosts"} not finished`;
    const done = summary.interrupted ? `interrupted by ${summary.signal ?? "user"}` : "done";
    if (this.#target === "stdout") {
      this.#w(`${PORTHOLE_NAME} ${done}: ${what}\n`);
      const raw = summary.rawPackets;
      if (raw && o.verbose > 0) {
        // nmap's -v (and -d) count of raw packets, on the screen only.
        this.#w(
          `           Raw packets sent: ${raw.sent} (${
            byteCount(raw.sentBytes)
          }) | Rcvd: ${raw.received} (${byteCount(raw.receivedBytes)})\n`,
        );
      }
    } else {
      this.#w(`# ${PORTHOLE_NAME} ${done} at ${formatCtime(summary.endTime)} -- ${what}\n`);
    }
  }
}

/**
 * nmap's printdatafilepaths(): with every file from one directory, -v prints "Read data files
 * from: DIR"; files from several directories (or -d) are listed per directory, sorted;
 * nothing read prints "No data files read." under -d only.
 */
export function dataFilesLines(
  files: Record<string, string>,
  verbose: number,
  debug: number,
): string[] {
  const split = (path: string): [string, string] => {
    const i = path.lastIndexOf("/");
    if (i < 0) return [".", path];
    return [i === 0 ? "/" : path.slice(0, i), path.slice(i + 1)];
  };
  const rows = Object.values(files).map(split).sort(([d1, f1], [d2, f2]) =>
    d1 < d2 ? -1 : d1 > d2 ? 1 : f1 < f2 ? -1 : f1 > f2 ? 1 : 0
  );
  const dirs = [...new Set(rows.map(([d]) => d))];
  if (dirs.length === 0) return debug > 0 ? ["No data files read."] : [];
  if (dirs.length === 1 && verbose > 0 && debug === 0) return [`Read data files from: ${dirs[0]}`];
  if (dirs.length === 1 && debug === 0) return [];
  return dirs.map((d) =>
    `Read from ${d}: ${rows.filter(([dir]) => dir === d).map(([, f]) => f).join(" ")}.`
  );
}

/** nmap's port_reason_str() plus " ttl N": the REASON column. */
export function reasonText(p: PortResult & { reasonIp?: string }): string {
  let s = p.reason;
  if (p.reasonIp) s += ` from ${p.reasonIp}`;
  if (p.reasonTtl) s += ` ttl ${p.reasonTtl}`;
  return s;
}

/** printf's %g for the rates. */
function fmtRate(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** nmap's -d "Timing report" (nmap.cc), from the run's timing values. */
export function timingReport(t: Options["timing"]): string {
  return "--------------- Timing report ---------------\n" +
    `  hostgroups: min ${t.minHostgroup || 1}, max ${t.maxHostgroup || 100000}\n` +
    `  rtt-timeouts: init ${t.initialRttTimeoutMs}, min ${t.minRttTimeoutMs}, max ${t.maxRttTimeoutMs}\n` +
    `  max-scan-delay: TCP ${t.maxScanDelayMs}, UDP ${
      t.maxUdpScanDelayMs ?? 1000
    }, SCTP ${t.maxScanDelayMs}\n` +
    `  parallelism: min ${t.minParallelism}, max ${t.maxParallelism}\n` +
    `  max-retries: ${t.maxRetries}, host-timeout: ${t.hostTimeoutMs}\n` +
    `  min-rate: ${fmtRate(t.minRate)}, max-rate: ${fmtRate(t.maxRate)}\n` +
    "---------------------------------------------\n";
}

/** nmap's format_bytecount(): "72B", "88.028KB", "1.234MB", "2.000GB" (powers of 1000). */
export function byteCount(n: number): string {
  if (n < 1e3) return `${n}B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(3)}KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(3)}MB`;
  return `${(n / 1e9).toFixed(3)}GB`;
}
