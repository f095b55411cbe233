/**
 * `--resume FILE`: what an interrupted run had finished, read back from any
 * of its files — normal (-oN), grepable (-oG), XML (-oX) or NDJSON (-oJ) —
 * as nmap's gather_logfile_resumption_state() does for the first three.
 *
 * Beyond nmap, which skips every target up to the last host it finds, this
 * returns the set of finished hosts (so a randomised or parallel host order
 * resumes exactly) and, from the progress records every format carries
 * (progress_record.ts), the hosts that were part-way through with the ports
 * they had already settled, so the engine can scan only the rest and merge.
 * An interrupted run writes no report for a host it had not finished, only
 * its progress record, so no format shows such a host as finished.
 *
 * The engine: `const r = readResumeState(path); const o = parseOptions(r.argv);
 * o.output.resume = path;` (writers then append, and continue XML in place),
 * skip `r.doneHosts`, and for each of `r.partialHosts` scan only the ports
 * missing from `ports` and add those results back.
 */

import { fatal, UsageError } from "../errors.ts";
import {
  checkGroup,
  expandProgress,
  parseProgressTokens,
  type PortFilter,
  type ProgressGroup,
  ProgressRecordError,
} from "./progress_record.ts";
import type { PortResult } from "../model/mod.ts";
import { splitQuoted } from "./_util.ts";

/** A host the interrupted run had started but not finished. */
export interface PartialHost {
  address: string;
  /** Its progress record: the ports already settled, grouped and checked
   * but not expanded ({@link recordedPorts} expands them for one scan). */
  groups: ProgressGroup[];
}

/** The ports `host` had settled that the resumed scan asks for: each at most
 * once, so a crafted record never costs more than the scan it describes. */
export function recordedPorts(host: PartialHost, scan: PortFilter): PortResult[] {
  return expandProgress(host.groups, scan);
}

/** What --resume needs to continue a run. */
export interface ResumeState {
  /** Which file format it was read from. */
  format: "normal" | "grepable" | "xml" | "json";
  /** The original arguments, without the program name (ready for parseOptions). */
  argv: string[];
  /** Addresses of every host reported as finished. */
  doneHosts: Set<string>;
  /** The last finished host in file order (nmap resumes after it). */
  lastHost?: string;
  /** The most recently recorded unfinished host, if any. */
  partialHost?: PartialHost;
  /** Every unfinished host with recorded progress, least recently recorded first. */
  partialHosts: PartialHost[];
}

/** Undoes escapeXml() for entities (the XML files Porthole and nmap write). */
export function xmlUnescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    if (named[e]) return named[e];
    const cp = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
  });
}

/** Arguments from the "... scan initiated DATE as: PROGRAM ARGS" header. */
function argsFromHeader(text: string, path: string, xml: boolean): string[] {
  const m = / as: ([^\n]*)/.exec(text);
  if (!m) {
    fatal(
      `Unable to parse supposed log file ${path}.  Are you sure this is an Nmap output file?`,
    );
  }
  let line = m[1]!;
  if (xml) line = xmlUnescape(line.replace(/\s*-->.*$/, ""));
  const words = splitQuoted(line);
  if (words.length < 2) fatal(`Unable to parse supposed log file ${path}.  Sorry`);
  return words.slice(1);
}

/** Longest resume file read (a scan's files grow with it; this is far beyond
 * any real one, and keeps a wrong path such as a disk image from being read). */
const MAX_RESUME_BYTES = 1 << 30;

/** A progress record line: `# Progress for ADDR at EPOCH: TOKENS` (normal, grepable). */
const PROGRESS_LINE = /^# Progress for (\S+) at \d+: ?(.*)$/;
/** The same record in XML, as a comment between hosts. */
const XML_PROGRESS = /^<!-- Porthole progress for (\S+) at \d+: ?(.*) -->$/;

/** Reads a Porthole (or nmap) output file for --resume. Throws UsageError
 * with nmap's wording when the file is unreadable or not an output file, and
 * names the line of a progress record that is not one Porthole writes. The
 * file is untrusted: records are checked and kept compact (never expanded
 * here), and a last line without its newline (a run killed mid-write) is
 * ignored. */
export function readResumeState(path: string): ResumeState {
  let text: string;
  try {
    if (Deno.statSync(path).size > MAX_RESUME_BYTES) {
      fatal(`Resume file ${path} is larger than ${MAX_RESUME_BYTES} bytes -- not an output file`);
    }
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    fatal(`Could not open resume file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text.length < 20) fatal(`Output file ${path} is too short -- no use resuming`);
  // A line cut short by kill -9 is not trusted.
  const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);

  const done: string[] = [];
  // The last word on a host decides: a report after its progress record
  // finished it; a progress record with no report after it leaves it unfinished.
  let seq = 0;
  const reportedAt = new Map<string, number>();
  const report = (address: string) => {
    done.push(address);
    reportedAt.set(address, seq++);
  };
  // Latest record per host; re-inserted so iteration order is "last recorded".
  const progress = new Map<string, { groups: ProgressGroup[]; at: number }>();
  const record = (address: string, line: () => number, parse: () => ProgressGroup[]) => {
    let groups: ProgressGroup[];
    try {
      groups = parse();
    } catch (e) {
      if (!(e instanceof ProgressRecordError)) throw e;
      fatal(
        `Malformed progress record for ${
          address.slice(0, 64)
        } in ${path} line ${line()}: ${e.message}`,
      );
    }
    progress.delete(address);
    progress.set(address, { groups, at: seq++ });
  };
  let format: ResumeState["format"];
  let argv: string[];

  const firstLine = text.slice(0, text.indexOf("\n") >>> 0).trim();
  if (firstLine.startsWith("{")) {
    format = "json";
    argv = [];
    let sawRun = false;
    complete.split("\n").forEach((line, i) => {
      if (line === "") return;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        fatal(`Unable to parse supposed log file ${path} line ${i + 1}: not a JSON object`);
      }
      if (typeof rec !== "object" || rec === null) {
        fatal(`Unable to parse supposed log file ${path} line ${i + 1}: not a JSON object`);
      }
      if (rec.type === "run" && !sawRun && Array.isArray(rec.args)) {
        argv = (rec.args as unknown[]).map(String).slice(1);
        sawRun = true;
      } else if (rec.type === "host" && typeof rec.address === "string") {
        report(rec.address);
      } else if (rec.type === "progress" && typeof rec.address === "string") {
        const groups = rec.done;
        record(rec.address, () => i + 1, () => {
          if (!Array.isArray(groups)) throw new ProgressRecordError('"done" is not a list');
          return groups.map(checkGroup);
        });
      }
    });
    if (!sawRun) fatal(`Unable to parse supposed log file ${path}.  Sorry`);
  } else if (/^<\?xml|<nmaprun[\s>]/.test(text.slice(0, 2000))) {
    format = "xml";
    argv = argsFromHeader(text, path, true);
    for (
      const m of complete.matchAll(/<host[\s>][\s\S]*?<\/host>|^<!-- Porthole progress [^\n]*$/gm)
    ) {
      const p = XML_PROGRESS.exec(m[0]);
      if (p) {
        const line = () => complete.slice(0, m.index).split("\n").length;
        record(xmlUnescape(p[1]!), line, () => parseProgressTokens(xmlUnescape(p[2]!)));
        continue;
      }
      const a = /<address addr="([^"]*)" addrtype="ipv[46]"/.exec(m[0]);
      if (a) report(xmlUnescape(a[1]!));
    }
  } else {
    const grepable = /^Host: /m.test(text);
    format = grepable ? "grepable" : "normal";
    argv = argsFromHeader(text, path, false);
    complete.split("\n").forEach((line, i) => {
      const p = PROGRESS_LINE.exec(line);
      if (p) return record(p[1]!, () => i + 1, () => parseProgressTokens(p[2]!));
      if (grepable) {
        const h = /^Host: (\S+) \(/.exec(line);
        if (h) report(h[1]!);
      } else {
        const r = /^(?:Nmap|Porthole) scan report for (.*?)(?: \[host down[^\]]*\])?$/.exec(line);
        if (r) {
          const who = r[1]!;
          const paren = /\(([^()]*)\)$/.exec(who);
          report(paren ? paren[1]! : who);
        }
      }
    });
  }

  const partialHosts = [...progress]
    .filter(([address, { at }]) => at > (reportedAt.get(address) ?? -1))
    .map(([address, { groups }]) => ({ address, groups }));
  const unfinished = new Set(partialHosts.map((p) => p.address));
  const finished = done.filter((a) => !unfinished.has(a));
  const doneHosts = new Set(finished);
  const state: ResumeState = { format, argv, doneHosts, partialHosts };
  if (finished.length) state.lastHost = finished[finished.length - 1];
  if (partialHosts.length) state.partialHost = partialHosts[partialHosts.length - 1];
  return state;
}
