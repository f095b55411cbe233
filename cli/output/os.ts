/**
 * OS detection in the reports, laid out as nmap 7.93's printosscanoutput and
 * printosclassificationoutput (output.cc): normal-output lines, the XML elements after
 * `</ports>` (os, uptime, distance, tcpsequence, ipidsequence, tcptssequence) and the grepable
 * fields.
 *
 * @module
 */

import type { HostResult } from "../model/mod.ts";
import { escapeXml } from "./xml.ts";
import { formatCtime, printfFixed } from "./format.ts";
import { PORTHOLE_HOME } from "../model/product.ts";
import {
  classify,
  difficulty,
  IPID_CLASS_TEXT,
  type MatchResult,
  TS_CLASS_TEXT,
} from "../model/os.ts";
import { formatFingerprint } from "../model/os_fingerprint.ts";
import type { OsMatch, OsResult } from "../model/os.ts";

/** The options the OS report depends on. */
export interface OsReportOptions {
  /** --osscan-guess / --fuzzy. */
  osscanGuess?: boolean;
  verbose: number;
  debug: number;
  /** --deprecated-xml-osclass: XML osclass elements before the osmatch ones, as nmap 5 wrote. */
  deprecatedXmlOsclass?: boolean;
}

/** nmap's MAX_OS_CLASSMEMBERS. */
const MAX_CLASS_MEMBERS = 8;

/** "Device type:", "Running:" and "OS CPE:" (printosclassificationoutput). */
export function classificationLines(os: OsResult, guess: boolean): string[] {
  const r: MatchResult = { outcome: os.outcome, matches: os.matches, perfect: os.perfect };
  const c = classify(r);
  if (c.outcome !== "success") return [];
  const types: string[] = [], cpes: string[] = [];
  const families: { name: string; gens: string; accuracy: number }[] = [];
  let overflow = false;
  const addNew = (list: string[], v: string) => {
    if (list.includes(v)) return;
    if (list.length >= MAX_CLASS_MEMBERS) overflow = true;
    else list.push(v);
  };
  const first = c.classes[0]?.accuracy ?? 0;
  for (let i = 0; i < c.classes.length; i++) {
    const { osClass: k, accuracy } = c.classes[i]!;
    if ((!guess && i >= c.perfect) || accuracy <= first - 0.1 || (accuracy < 1 && i > 9)) break;
    addNew(types, k.deviceType);
    for (const cpe of k.cpe) addNew(cpes, cpe);
    const name = k.vendor === k.family ? k.family : `${k.vendor} ${k.family}`;
    const f = families.find((x) => x.name === name);
    if (f) {
      if (k.generation && !f.gens.includes(k.generation)) {
        f.gens += (f.gens ? "|" : "") + k.generation;
      }
    } else {
      if (families.length >= MAX_CLASS_MEMBERS) {
        overflow = true;
        break;
      }
      families.push({ name, gens: k.generation ?? "", accuracy });
    }
  }
  if (overflow || !families.length) return [];
  const lines = [`Device type: ${types.join("|")}`];
  lines.push(
    `Running${c.perfect === 0 ? " (JUST GUESSING)" : ""}: ` +
      families.map((f, i) =>
        f.name + (f.gens ? ` ${f.gens}` : "") +
        (i >= c.perfect ? ` (${Math.floor(f.accuracy * 100)}%)` : "")
      ).join(", "),
  );
  if (cpes.length) lines.push(`OS CPE: ${cpes.join(" ")}`);
  return lines;
}

function fingerprintBlock(host: HostResult, os: OsResult, good: boolean, wrap: boolean): string {
  return formatFingerprint(os.rounds, {
    version: os.scan.version,
    platform: os.scan.platform,
    time: os.scan.time,
    address: host.address,
    distance: os.distance,
    distanceMethod: os.distanceMethod,
    mac: os.scan.mac,
    openTcpPort: os.portsUsed.openTcp,
    closedTcpPort: os.portsUsed.closedTcp,
    closedUdpPort: os.portsUsed.closedUdp,
    good,
  }, wrap);
}

/** Where nmap prints the fingerprint block, and how (write_merged_fpr's arguments). */
function fingerprintChoice(
  os: OsResult,
  o: OsReportOptions,
): { good: boolean; wrap: boolean } | undefined {
  const reason = os.omitReason;
  const chatty = o.debug > 0 || o.verbose > 1;
  if (os.outcome === "success" && (os.perfect <= 8 || o.debug)) {
    if (os.perfect > 0) return chatty ? { good: reason === undefined, wrap: true } : undefined;
    if (!reason) return { good: true, wrap: true };
    return chatty ? { good: false, wrap: false } : undefined;
  }
  if (os.outcome === "nomatches") {
    if (!reason) return { good: true, wrap: true };
    return chatty ? { good: false, wrap: false } : undefined;
  }
  return chatty ? { good: false, wrap: false } : undefined;
}

/** The guesses nmap lists: up to 10 within 10 points of the best. */
export function guesses(os: OsResult): OsMatch[] {
  const out: OsMatch[] = [];
  const top = os.matches[0]?.accuracy ?? 0;
  for (let i = 0; i < 10 && i < os.matches.length; i++) {
    if (i > 0 && !(os.matches[i]!.accuracy > top - 0.10)) break;
    out.push(os.matches[i]!);
  }
  return out;
}

/**
 * The normal-output lines for `host.os` (none when OS detection did not run), placed by the
 * writer after the port table and MAC line and before "Service Info". `now` is when the report
 * is written (uptime is counted to it).
 */
export function osLines(host: HostResult, opts: OsReportOptions, now = Date.now()): string[] {
  const os = host.os;
  if (!os) return [];
  const lines: string[] = [];
  const reason = os.omitReason;
  const chatty = opts.debug > 0 || opts.verbose > 1;
  if (os.unreliable && !(os.outcome === "toomanymatches" || (os.perfect > 8 && !opts.debug))) {
    lines.push(
      "Warning: OSScan results may be unreliable because we could not find at least 1 open and 1 closed port",
    );
  }
  lines.push(...classificationLines(os, !!opts.osscanGuess || reason !== undefined));
  const fpLines = (good: boolean, wrap: boolean) => [
    "TCP/IP fingerprint:",
    ...fingerprintBlock(host, os, good, wrap).split("\n").slice(0, -1),
    "",
  ];
  const submit = `(If you know what OS is running on it, ${PORTHOLE_HOME} ).`;
  if (os.outcome === "success" && (os.perfect <= 8 || opts.debug)) {
    if (os.perfect > 0) {
      lines.push(`OS details: ${os.matches.slice(0, os.perfect).map((m) => m.name).join(", ")}`);
      if (chatty) lines.push(...fpLines(reason === undefined, true));
    } else {
      if (chatty && reason) lines.push(`OS fingerprint not ideal because: ${reason}`);
      if ((opts.osscanGuess || reason) && os.matches.length) {
        lines.push(
          "Aggressive OS guesses: " +
            guesses(os).map((m) => `${m.name} (${Math.floor(m.accuracy * 100)}%)`).join(", "),
        );
      }
      if (!reason) {
        lines.push(`No exact OS matches for host ${submit}`, ...fpLines(true, true));
      } else {
        lines.push("No exact OS matches for host (test conditions non-ideal).");
        if (chatty) lines.push(...fpLines(false, false));
      }
    }
  } else if (os.outcome === "nomatches") {
    if (!reason) {
      lines.push(`No OS matches for host ${submit}`, ...fpLines(true, true));
    } else {
      lines.push(`OS fingerprint not ideal because: ${reason}`, "No OS matches for host");
      if (chatty) lines.push(...fpLines(false, false));
    }
  } else {
    lines.push("Too many fingerprints match this host to give specific OS details");
    if (chatty) lines.push(...fpLines(false, false));
  }
  const seq = os.sequence;
  if (seq.lastBoot && opts.verbose) {
    const up = Math.floor(now / 1000) - seq.lastBoot;
    lines.push(
      `Uptime guess: ${printfFixed(up / 86400, 3)} days (since ${
        formatCtime(seq.lastBoot * 1000)
      })`,
    );
  }
  if (os.distance !== undefined) {
    lines.push(`Network Distance: ${os.distance} hop${os.distance === 1 ? "" : "s"}`);
  }
  if (seq.responses > 3 && opts.verbose) {
    lines.push(`TCP Sequence Prediction: Difficulty=${seq.index} (${difficulty(seq.index)})`);
  }
  if (seq.responses > 2 && opts.verbose) {
    lines.push(`IP ID Sequence Generation: ${IPID_CLASS_TEXT[seq.ipIdClass]}`);
  }
  return lines;
}

const hexList = (v: number[], mask = 0xffffffff) =>
  v.map((x) => ((x & mask) >>> 0).toString(16).toUpperCase()).join(",");

function xmlOsClass(k: OsMatch["classes"][number], accuracy: number): string {
  let s = `<osclass type="${escapeXml(k.deviceType)}" vendor="${escapeXml(k.vendor)}"` +
    ` osfamily="${escapeXml(k.family)}"`;
  if (k.generation) s += ` osgen="${escapeXml(k.generation)}"`;
  s += ` accuracy="${Math.trunc(accuracy * 100)}"`;
  if (!k.cpe.length) return s + "/>\n";
  return s + ">" + k.cpe.map((c) => `<cpe>${escapeXml(c)}</cpe>`).join("") + "</osclass>\n";
}

function xmlOsMatch(m: OsMatch, bare = false): string {
  const head = `<osmatch name="${escapeXml(m.name)}" accuracy="${
    Math.trunc(m.accuracy * 100)
  }" line="${m.line}"`;
  if (!m.classes.length || bare) return head + "/>\n";
  return head + ">\n" + m.classes.map((c) => xmlOsClass(c, m.accuracy)).join("") +
    "</osmatch>\n";
}

/**
 * The XML that follows `</ports>` for `host.os`: `<os>` (ports used, matches, fingerprint),
 * then `<uptime>`, `<distance>`, `<tcpsequence>`, `<ipidsequence>`, `<tcptssequence>`; "" when
 * OS detection did not run. Each element ends its line, as nmap writes them.
 */
export function osXml(host: HostResult, opts?: OsReportOptions, now = Date.now()): string {
  const os = host.os;
  if (!os) return "";
  const o = opts ?? { verbose: 0, debug: 0 };
  let s = "<os>";
  const used = (state: string, proto: string, port?: number) =>
    port !== undefined && port > 0
      ? `<portused state="${state}" proto="${proto}" portid="${port}"/>\n`
      : "";
  s += used("open", "tcp", os.portsUsed.openTcp);
  s += used("closed", "tcp", os.portsUsed.closedTcp);
  s += used("closed", "udp", os.portsUsed.closedUdp);
  const oldStyle = o.deprecatedXmlOsclass === true;
  if (oldStyle) {
    // nmap's printosclassificationoutput: every class of the classification, before the matches.
    const c = classify({ outcome: os.outcome, matches: os.matches, perfect: os.perfect });
    if (c.outcome === "success") {
      for (const { osClass, accuracy } of c.classes) s += xmlOsClass(osClass, accuracy);
    }
  }
  if (os.outcome === "success" && (os.perfect <= 8 || o.debug)) {
    const list = os.perfect > 0 ? os.matches.slice(0, os.perfect) : guesses(os);
    for (const m of list) s += xmlOsMatch(m, oldStyle);
  }
  const fp = fingerprintChoice(os, o);
  if (fp) {
    s += `<osfingerprint fingerprint="${
      escapeXml(fingerprintBlock(host, os, fp.good, fp.wrap))
    }"/>\n`;
  }
  s += "</os>\n";
  const seq = os.sequence;
  if (seq.lastBoot) {
    const up = Math.floor(now / 1000) - seq.lastBoot;
    s += `<uptime seconds="${up}" lastboot="${formatCtime(seq.lastBoot * 1000)}"/>\n`;
  }
  if (os.distance !== undefined) s += `<distance value="${os.distance}"/>\n`;
  if (seq.responses > 3) {
    s += `<tcpsequence index="${seq.index}" difficulty="${difficulty(seq.index)}" values="${
      hexList(seq.seqs)
    }"/>\n`;
  }
  if (seq.responses > 2) {
    s += `<ipidsequence class="${IPID_CLASS_TEXT[seq.ipIdClass]}" values="${
      hexList(seq.ipIds, 0xffff)
    }"/>\n`;
    s += `<tcptssequence class="${TS_CLASS_TEXT[seq.tsClass]}"` +
      (seq.tsClass !== "unsupported" ? ` values="${hexList(seq.timestamps)}"` : "") + "/>\n";
  }
  return s;
}

/**
 * The grepable fields nmap appends to a host's "Ports:" line for OS detection: `OS: a|b`
 * (perfect matches), `Seq Index: N`, `IP ID Seq: …`, each behind a tab; "" when none apply.
 */
export function osGrepable(host: HostResult, opts?: { debug: number }): string {
  const os = host.os;
  if (!os) return "";
  let s = "";
  if (os.outcome === "success" && (os.perfect <= 8 || opts?.debug) && os.perfect > 0) {
    s += `\tOS: ${os.matches.slice(0, os.perfect).map((m) => m.name).join("|")}`;
  }
  if (os.sequence.responses > 3) s += `\tSeq Index: ${os.sequence.index}`;
  if (os.sequence.responses > 2) s += `\tIP ID Seq: ${IPID_CLASS_TEXT[os.sequence.ipIdClass]}`;
  return s;
}

/**
 * The `os` object of a -oJ host line (docs/porthole-output.schema.json, `osResult`): the whole
 * result as data — every match best first (nmap shows `perfect` of them, or its guesses), the
 * sequence figures, and the fingerprint block as nmap prints it for submission. Fields are
 * named one by one, so the file format changes only on purpose.
 */
export function osJson(host: HostResult): Record<string, unknown> | undefined {
  const os = host.os;
  if (!os) return undefined;
  const seq = os.sequence;
  return {
    portsUsed: {
      openTcp: os.portsUsed.openTcp,
      closedTcp: os.portsUsed.closedTcp,
      closedUdp: os.portsUsed.closedUdp,
    },
    unreliable: os.unreliable,
    outcome: os.outcome,
    perfect: os.perfect,
    matches: os.matches.map((m) => ({
      name: m.name,
      accuracy: Math.trunc(m.accuracy * 100),
      line: m.line,
      classes: m.classes.map((c) => ({
        vendor: c.vendor,
        family: c.family,
        generation: c.generation,
        deviceType: c.deviceType,
        cpe: c.cpe,
      })),
    })),
    distance: os.distance,
    distanceMethod: os.distanceMethod,
    fingerprint: fingerprintBlock(host, os, os.omitReason === undefined, true),
    omitReason: os.omitReason,
    sequence: {
      responses: seq.responses,
      index: seq.index,
      difficulty: seq.responses > 3 ? difficulty(seq.index) : undefined,
      seqs: seq.seqs,
      ipIds: seq.ipIds,
      timestamps: seq.timestamps,
      ipIdClass: seq.ipIdClass,
      tsClass: seq.tsClass,
      lastBoot: seq.lastBoot,
    },
    db: os.db,
    tries: os.tries,
  };
}
