/**
 * `--resume FILE`: what an interrupted run had finished, read back from any
 * of its files — normal (-oN), grepable (-oG), XML (-oX) or NDJSON (-oJ) —
 * as nmap's gather_logfile_resumption_state() does for the first three.
 *
 * Beyond nmap, which skips every target up to the last host it finds, this
 * returns the set of finished hosts (so a randomised or parallel host order
 * resumes exactly) and, from grepable and JSON files, the hosts that were
 * part-way through with the ports they had already settled, so the engine can
 * scan only the rest and merge.
 *
 * The engine: `const r = readResumeState(path); const o = parseOptions(r.argv);
 * o.output.resume = path;` (writers then append, and continue XML in place),
 * skip `r.doneHosts`, and for each of `r.partialHosts` scan only the ports
 * missing from `ports` and add those results back.
 */

import type { PortResult } from "../model.ts";
import type { PortSpec } from "../options_types.ts";
import { fatal } from "../errors.ts";
import { expandProgress, parseProgressTokens, type ProgressGroup } from "./progress_record.ts";
import { splitQuoted } from "./_util.ts";

/** A host the interrupted run had started but not finished. */
export interface PartialHost {
  address: string;
  /** Ports already scanned (those in `ports`), for the engine to skip. */
  scannedPorts: PortSpec[];
  /** Their results (state, reason, TTL; no service information). */
  ports: PortResult[];
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

function xmlUnescape(s: string): string {
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

function partial(address: string, groups: ProgressGroup[]): PartialHost {
  const ports = expandProgress(groups);
  return {
    address,
    ports,
    scannedPorts: ports.map((p) => ({ protocol: p.protocol, port: p.port })),
  };
}

/** Reads a Porthole (or nmap) output file for --resume. Throws UsageError
 * with nmap's wording when the file is unreadable or not an output file. */
export function readResumeState(path: string): ResumeState {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    fatal(`Could not open resume file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text.length < 20) fatal(`Output file ${path} is too short -- no use resuming`);

  const done: string[] = [];
  // The last word on a host decides: a report after its progress record
  // finished it; a progress record after its report (a host written part-way
  // on Ctrl-C) leaves it unfinished.
  let seq = 0;
  const reportedAt = new Map<string, number>();
  const report = (address: string) => {
    done.push(address);
    reportedAt.set(address, seq++);
  };
  // Latest record per host; re-inserted so iteration order is "last recorded".
  const progress = new Map<string, { groups: ProgressGroup[]; at: number }>();
  const record = (address: string, groups: ProgressGroup[]) => {
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
    for (const line of text.split("\n")) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        continue; // a line cut short by the interruption
      }
      if (rec.type === "run" && !sawRun && Array.isArray(rec.args)) {
        argv = (rec.args as unknown[]).map(String).slice(1);
        sawRun = true;
      } else if (rec.type === "host" && typeof rec.address === "string") {
        report(rec.address);
      } else if (
        rec.type === "progress" && typeof rec.address === "string" && Array.isArray(rec.done)
      ) {
        record(rec.address, rec.done as ProgressGroup[]);
      }
    }
    if (!sawRun) fatal(`Unable to parse supposed log file ${path}.  Sorry`);
  } else if (/^<\?xml|<nmaprun[\s>]/.test(text.slice(0, 2000))) {
    format = "xml";
    argv = argsFromHeader(text, path, true);
    for (const m of text.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
      const a = /<address addr="([^"]*)" addrtype="ipv[46]"/.exec(m[0]);
      if (a) done.push(xmlUnescape(a[1]!));
    }
  } else {
    const grepable = /^Host: /m.test(text);
    format = grepable ? "grepable" : "normal";
    argv = argsFromHeader(text, path, false);
    for (const line of text.split("\n")) {
      if (grepable) {
        const h = /^Host: (\S+) \(/.exec(line);
        if (h) report(h[1]!);
        const p = /^# Progress for (\S+) at \d+: (.*)$/.exec(line);
        if (p) record(p[1]!, parseProgressTokens(p[2]!));
      } else {
        const r = /^(?:Nmap|Porthole) scan report for (.*?)(?: \[host down[^\]]*\])?$/.exec(line);
        if (r) {
          const who = r[1]!;
          const paren = /\(([^()]*)\)$/.exec(who);
          done.push(paren ? paren[1]! : who);
        }
      }
    }
  }

  const partialHosts = [...progress]
    .filter(([address, { at }]) => at > (reportedAt.get(address) ?? -1))
    .map(([address, { groups }]) => partial(address, groups));
  const unfinished = new Set(partialHosts.map((p) => p.address));
  const finished = done.filter((a) => !unfinished.has(a));
  const doneHosts = new Set(finished);
  const state: ResumeState = { format, argv, doneHosts, partialHosts };
  if (finished.length) state.lastHost = finished[finished.length - 1];
  if (partialHosts.length) state.partialHost = partialHosts[partialHosts.length - 1];
  return state;
}
