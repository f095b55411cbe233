/**
 * `-oX`: nmap's XML (xmloutputversion 1.05), element for element and
 * attribute for attribute as nmap 7.93 writes it (output.cc, nmap.cc), so
 * nmap.dtd validates it, nmap.xsl renders it and ndiff, Metasploit and the
 * other nmap-XML readers take it unchanged.
 *
 * `scanner="nmap"`: nmap.dtd declares the attribute as the one-value
 * enumeration `(nmap)` (#REQUIRED), so any other value makes the file invalid
 * against the DTD. ndiff itself does not require it (it reads the attribute
 * only to word its banner line, and its exit status counts host differences
 * only), but DTD-validating readers do. The `version` attribute carries
 * Porthole's own version and `args` its real command line, so the file still
 * says which program wrote it.
 *
 * Untrusted text (banners, names, service fields) is escaped so the document
 * stays well-formed: `& < > " '` become entities; TAB/LF/CR character
 * references; characters XML 1.0 forbids even as references (the other C0
 * controls, lone surrogates, U+FFFE/U+FFFF) and DEL/C1 controls become the
 * visible text `\xNN`/`\uXXXX` (nmap's protect_xml() idea); other non-ASCII
 * becomes `&#x...;` so the file is plain ASCII, as nmap's is.
 */

import { osXml } from "./os.ts";
import { traceXml } from "./trace.ts";
import type {
  HostProgress,
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ScriptElem,
  ScriptOutput,
  ServiceInfo,
  TaskEvent,
} from "../model/mod.ts";
import { foldPorts, type IgnoredState, protocolLabel } from "./extraports.ts";
import { formatProgressTokens, groupProgress } from "./progress_record.ts";
import { compactPortList, formatCtime as ctime, joinQuoted } from "./format.ts";
import { isPortScan, isProtocolScan, isReported, reportedPorts } from "./select.ts";
import type { Sink } from "./sink.ts";
import { reportedService } from "./table_service.ts";
import { defaultServicesDb, type ServicesDb } from "../services_db.ts";
import { BANNER_NAME, epochSeconds } from "./_util.ts";

/** The XML layout version Porthole writes (nmap 7.93's). */
export const XML_OUTPUT_VERSION = "1.05";

/** Escapes text for an XML attribute value or character data (see module doc). */
export function escapeXml(s: string): string {
  let out = "";
  let prevDash = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    let rep: string;
    if (ch === "<") rep = "&lt;";
    else if (ch === ">") rep = "&gt;";
    else if (ch === "&") rep = "&amp;";
    else if (ch === '"') rep = "&quot;";
    else if (ch === "'") rep = "&apos;";
    else if (ch === "-") rep = prevDash ? "&#45;" : "-"; // "--" may not appear in comments
    else if (cp === 0x09 || cp === 0x0a || cp === 0x0d) rep = `&#x${cp.toString(16)};`;
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) rep = `\\x${hex(cp, 2)}`;
    else if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff) {
      rep = `\\u${hex(cp, 4)}`;
    } else if (cp > 0x7e) rep = `&#x${cp.toString(16)};`;
    else rep = ch;
    prevDash = ch === "-";
    out += rep;
  }
  return out;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

function scriptElemXml(e: ScriptElem): string {
  const key = e.key !== undefined ? ` key="${escapeXml(e.key)}"` : "";
  if ("table" in e) return `<table${key}>\n${e.table.map(scriptElemXml).join("")}</table>\n`;
  return `<elem${key}>${escapeXml(e.value)}</elem>\n`;
}

/** nmap's <script> element (ScriptResult::write_xml): the text, then the structured output. */
export function scriptXml(s: ScriptOutput): string {
  const head = `<script id="${escapeXml(s.id)}" output="${escapeXml(s.output)}"`;
  // nmap closes the element itself only for text output: a table, even an empty one, is written
  // as <script …></script>.
  if (!s.elems) return `${head}/>`;
  return `${head}>${s.elems.map(scriptElemXml).join("")}</script>`;
}

/** `name="value"` pairs, values escaped; undefined values are left out. */
function attrs(pairs: [string, string | number | undefined][]): string {
  let s = "";
  for (const [k, v] of pairs) if (v !== undefined) s += ` ${k}="${escapeXml(String(v))}"`;
  return s;
}

/** Options for {@link XmlWriter}. */
export interface XmlWriterOptions {
  /** href of the xml-stylesheet processing instruction; null writes none. */
  stylesheet: string | null;
  /** --open. */
  openOnly: boolean;
  /** --deprecated-xml-osclass: osclass elements beside the osmatch ones, not inside them. */
  deprecatedXmlOsclass?: boolean;
  /** Continue a document left open by an interrupted run (--resume): write no
   * prolog or <nmaprun> start tag, only hosts and the closing runstats. */
  continueDocument?: boolean;
  /** Services table for ports without service information (default: built-in). */
  servicesDb?: ServicesDb;
}

/** nmap's XML writer; every call writes one complete piece synchronously. */
export class XmlWriter implements OutputWriter {
  #run: RunInfo | undefined;

  constructor(private readonly sink: Sink, private readonly opts: XmlWriterOptions) {}

  begin(run: RunInfo): void {
    this.#run = run;
    if (this.opts.continueDocument) return;
    const args = joinQuoted(run.args);
    const startstr = ctime(run.startTime);
    let s = `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n`;
    if (this.opts.stylesheet !== null) {
      s += `<?xml-stylesheet${attrs([["href", this.opts.stylesheet], ["type", "text/xsl"]])}?>\n`;
    }
    s += `<!-- ${
      escapeXml(`${BANNER_NAME} ${run.version} scan initiated ${startstr} as: ${args}`)
    } -->\n`;
    s += `<nmaprun${
      attrs([
        ["scanner", "nmap"],
        ["args", args],
        ["start", epochSeconds(run.startTime)],
        ["startstr", startstr],
        ["version", run.version],
        ["xmloutputversion", XML_OUTPUT_VERSION],
      ])
    }>\n`;
    for (const si of run.scanInfo) {
      if (si.notInXml) continue;
      s += `<scaninfo${
        attrs([
          ["type", si.type],
          ["protocol", si.protocol],
          ["numservices", si.numServices],
          ["services", si.services],
        ])
      }/>\n`;
    }
    s += `<verbose level="${run.verbose}"/>\n<debugging level="${run.debugging}"/>\n`;
    this.sink.write(s);
  }

  /** <taskbegin>, <taskprogress>, <taskend> (timing.cc's ScanProgressMeter). */
  task(e: TaskEvent): void {
    if (!this.#run) return;
    const time: [string, number] = ["time", epochSeconds(e.time)];
    if (e.kind === "begin") {
      this.sink.write(`<taskbegin${attrs([["task", e.task], time])}/>\n`);
    } else if (e.kind === "end") {
      this.sink.write(`<taskend${attrs([["task", e.task], time, ["extrainfo", e.extrainfo]])}/>\n`);
    } else {
      this.sink.write(
        `<taskprogress${
          attrs([
            ["task", e.task],
            time,
            ["percent", e.percent.toFixed(2)],
            ["remaining", Math.floor(e.remaining)],
            ["etc", epochSeconds(e.etc)],
          ])
        }/>\n`,
      );
    }
  }

  /** <hosthint>: a host discovery found up, before its port scan. */
  hostHint(host: HostResult): void {
    if (!this.#run) return;
    this.sink.write("<hosthint>" + hostHeader(host) + "</hosthint>\n");
  }

  /** <prescript>/<postscript>: NSE prerule and postrule output. */
  scripts(phase: "pre" | "post", results: ScriptOutput[]): void {
    if (!this.#run) return;
    const tag = phase === "pre" ? "prescript" : "postscript";
    this.sink.write(`<${tag}>${results.map(scriptXml).join("")}</${tag}>`);
  }

  host(host: HostResult): void {
    const run = this.#run;
    if (!run) throw new Error("XmlWriter.host() before begin()");
    const verbose = run.verbose;
    if (!isReported(host, run, { verbose, openOnly: this.opts.openOnly })) return;
    const portScan = isPortScan(run);
    let s: string;
    if (!portScan && host.status === "up" && host.trace) {
      // nmap writes a traced host of a ping scan through its port-scan path, without the
      // scan's times (its port scan never ran).
      s = '<host starttime="0" endtime="0">' + hostHeader(host) + traceXml(host) + times(host);
    } else if (host.status === "down" || !portScan) {
      s = "<host>" + hostHeader(host);
      if (host.status === "up") s += times(host);
    } else if (host.timedOut) {
      s = `<host${
        attrs([
          ["starttime", epochSeconds(host.startTime)],
          ["endtime", epochSeconds(host.endTime)],
          ["timedout", "true"],
        ])
      }>` + hostHeader(host) + times(host);
    } else {
      s = `<host${
        attrs([
          ["starttime", epochSeconds(host.startTime)],
          ["endtime", epochSeconds(host.endTime)],
        ])
      }>` + hostHeader(host) +
        ports(host.ports, run, this.opts.openOnly, this.opts.servicesDb ?? defaultServicesDb()) +
        osXml(host, {
          verbose: run.verbose,
          debug: run.debugging,
          deprecatedXmlOsclass: this.opts.deprecatedXmlOsclass,
        }) +
        (host.hostScripts?.length
          ? `<hostscript>${host.hostScripts.map(scriptXml).join("")}</hostscript>`
          : "") +
        traceXml(host) +
        times(host);
    }
    this.sink.write(s + "</host>\n");
  }

  /** A host cut short (Ctrl-C): no <host> element (nmap writes none for a host
   * it did not finish, and readers would take one as finished), only a
   * comment with its progress record for --resume. */
  progress(p: HostProgress): void {
    this.sink.write(
      `<!-- ${
        escapeXml(
          `Porthole progress for ${p.address} at ${epochSeconds(p.time)}: ${
            formatProgressTokens(groupProgress(p.ports))
          }`,
        )
      } -->\n`,
    );
  }

  end(summary: RunSummary): void {
    const timestr = ctime(summary.endTime);
    const elapsed = summary.elapsedSeconds.toFixed(2);
    const error = summary.exit === "error" || summary.interrupted;
    const errormsg = error
      ? (summary.errorMessage ?? (summary.interrupted ? interruptedText(summary) : "Error"))
      : undefined;
    const n = summary.hostsTotal, up = summary.hostsUp;
    this.sink.write(
      `<runstats><finished${
        attrs([
          ["time", epochSeconds(summary.endTime)],
          ["timestr", timestr],
          [
            "summary",
            `${BANNER_NAME} done at ${timestr}; ${n} IP ${n === 1 ? "address" : "addresses"} ` +
            `(${up} ${up === 1 ? "host" : "hosts"} up) scanned in ${elapsed} seconds`,
          ],
          ["elapsed", elapsed],
          ["exit", error ? "error" : "success"],
          ["errormsg", errormsg],
        ])
      }/><hosts${
        attrs([["up", up], ["down", summary.hostsDown], ["total", n]])
      }/>\n</runstats>\n</nmaprun>\n`,
    );
  }
}

/** "Interrupted by SIGINT; 3 hosts not finished" (errormsg of an interrupted run). */
export function interruptedText(summary: RunSummary): string {
  const n = summary.unfinishedHosts ?? 0;
  return `Interrupted by ${summary.signal ?? "user"}` +
    (n ? `; ${n} ${n === 1 ? "host" : "hosts"} not finished` : "");
}

/** <status>, <address>es and <hostnames> (nmap's write_xml_initial_hostinfo). */
function hostHeader(host: HostResult): string {
  let s = `<status${
    attrs([
      ["state", host.status],
      ["reason", host.statusReason],
      ["reason_ttl", host.statusReasonTtl ?? 0],
    ])
  }/>\n`;
  s += `<address${
    attrs([["addr", host.address], ["addrtype", host.family === 6 ? "ipv6" : "ipv4"]])
  }/>\n`;
  if (host.mac) {
    s += `<address${
      attrs([["addr", host.mac.addr.toUpperCase()], ["addrtype", "mac"], [
        "vendor",
        host.mac.vendor,
      ]])
    }/>\n`;
  }
  if (host.userHostname !== undefined || host.ptrHostname || host.status === "up") {
    s += "<hostnames>\n";
    if (host.userHostname !== undefined) {
      s += `<hostname${attrs([["name", host.userHostname], ["type", "user"]])}/>\n`;
    }
    if (host.ptrHostname) {
      s += `<hostname${attrs([["name", host.ptrHostname], ["type", "PTR"]])}/>\n`;
    }
    s += "</hostnames>\n";
  }
  return s;
}

function times(host: HostResult): string {
  const t = host.times;
  if (!t) return "";
  return `<times${
    attrs([
      ["srtt", Math.round(t.srtt)],
      ["rttvar", Math.round(t.rttvar)],
      ["to", Math.round(t.timeout)],
    ])
  }/>\n`;
}

/** The <extraports> elements of a host's folded states. */
export function extraPortsXml(ignored: readonly IgnoredState[]): string {
  let s = "";
  for (const ig of ignored) {
    s += `<extraports${attrs([["state", ig.state], ["count", ig.count]])}>\n`;
    for (const r of ig.reasons) {
      s += `<extrareasons${
        attrs([
          ["reason", r.reason],
          ["count", r.count],
          ["proto", protocolLabel(r.protocol)],
          ["ports", compactPortList(r.ports)],
        ])
      }/>\n`;
    }
    s += "</extraports>\n";
  }
  return s;
}

/** <ports> as nmap's printportoutput() writes it: folded states first. */
function ports(
  all: readonly PortResult[],
  run: RunInfo,
  openOnly: boolean,
  db: ServicesDb,
): string {
  const list = reportedPorts(all, isProtocolScan(run));
  if (list.length === 0) return "";
  const folded = foldPorts(list, { verbose: run.verbose, debug: run.debugging, openOnly });
  let s = "<ports>" + extraPortsXml(folded.ignored);
  for (const p of folded.shown) {
    if (p.protocol === "ip") {
      s += protocolElement(p, db.name("ip", p.port));
      continue;
    }
    s += `<port${attrs([["protocol", p.protocol], ["portid", p.port]])}><state${
      attrs([
        ["state", p.state],
        ["reason", p.reason],
        ["reason_ttl", p.reasonTtl ?? 0],
        ["reason_ip", p.reasonAddr],
      ])
    }/>${serviceElement(reportedService(p, db))}${
      (p.scripts ?? []).map(scriptXml).join("")
    }</port>\n`;
  }
  return s + "</ports>\n";
}

/** An IP protocol's <port> (-sO): its nmap-protocols name, in nmap's attribute order. */
function protocolElement(p: PortResult, name: string | undefined): string {
  return `<port${attrs([["protocol", "ip"], ["portid", p.port]])}><state${
    attrs([
      ["state", p.state],
      ["reason", p.reason],
      ["reason_ttl", p.reasonTtl ?? 0],
      ["reason_ip", p.reasonAddr],
    ])
  }/>${
    name ? `\n<service${attrs([["name", name], ["conf", 8], ["method", "table"]])}/>` : ""
  }</port>\n`;
}

/** <service> (nmap's print_xml_service); CPEs become child elements. */
function serviceElement(sv: ServiceInfo | undefined): string {
  if (!sv) return "";
  const conf = Math.min(10, Math.max(0, Math.round(sv.confidence)));
  const a = attrs([
    ["name", sv.name || "unknown"],
    ["product", sv.product],
    ["version", sv.version],
    ["extrainfo", sv.extraInfo],
    ["hostname", sv.hostname],
    ["ostype", sv.osType],
    ["devicetype", sv.deviceType],
    ["servicefp", sv.fingerprint?.replaceAll("\nSF:", "")],
    ["tunnel", sv.tunnel],
    ["method", sv.method],
    ["conf", conf],
  ]);
  if (!sv.cpe?.length) return `<service${a}/>`;
  return `<service${a}>${sv.cpe.map((c) => `<cpe>${escapeXml(c)}</cpe>`).join("")}</service>`;
}

/**
 * Prepares an XML file written by an interrupted run for --resume: cuts it
 * after the last complete </host> or progress comment (or after the run
 * header when there is neither), dropping any runstats, so new hosts and a
 * closing runstats continue the same document. The <host> blocks of `drop`
 * (hosts cut short, which the resumed run reports whole; only files of older
 * versions, which reported such hosts, have them) are removed too. Returns
 * false (file untouched) when the file does not start an nmaprun document.
 */
export function truncateXmlForResume(path: string, drop?: ReadonlySet<string>): boolean {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return false;
  }
  if (!text.includes("<nmaprun ")) return false;
  let cut = -1;
  for (const m of text.matchAll(/<\/host>\n|^<!-- Porthole progress [^\n]*-->\n/gm)) {
    cut = m.index + m[0].length;
  }
  if (cut < 0) {
    const dbg = text.search(/<debugging [^>]*\/>\n/);
    if (dbg < 0) return false;
    cut = text.indexOf("\n", dbg) + 1;
  }
  if (drop?.size) {
    const kept = text.slice(0, cut).replace(/<host[\s>][\s\S]*?<\/host>\n/g, (block) => {
      const a = /<address addr="([^"]*)" addrtype="ipv[46]"/.exec(block);
      return a && drop.has(a[1]!) ? "" : block; // addresses need no unescaping
    });
    Deno.writeTextFileSync(path, kept);
    return true;
  }
  const keep = new TextEncoder().encode(text.slice(0, cut)).length;
  Deno.truncateSync(path, keep);
  return true;
}
