/**
 * Parser for the `nmap-service-probes` file format (Nmap Network Scanning,
 * chapter 7.7): Exclude, Probe, match, softmatch, ports, sslports, rarity,
 * totalwaitms, tcpwrappedms and fallback directives. Used both for Porthole's
 * own database (cli/data/porthole-service-probes) and for nmap's file given
 * with --versiondb.
 *
 * Match regexes compile lazily (a DB holds ~12000), so a broken line costs
 * nothing until a response reaches it; `compileAll` checks every line up front.
 */

import { type CompiledRegex, compileRegex, PcreError } from "./regex.ts";

/** The version-info templates of a match line (p/ v/ i/ h/ o/ d/ cpe:/). */
export interface Templates {
  p?: string;
  v?: string;
  i?: string;
  h?: string;
  o?: string;
  d?: string;
  cpe: string[];
}

/** One match or softmatch line. */
export class MatchRule {
  /** Set when compiling failed: the reason, and the rule never matches. */
  error?: string;
  /** Whether the failure has been reported to the user. */
  reported = false;
  private compiled?: CompiledRegex | null;

  constructor(
    readonly soft: boolean,
    readonly service: string,
    readonly pattern: string,
    readonly options: string,
    readonly templates: Templates,
    readonly line: number,
  ) {}

  /**
   * False when the subject cannot match, judged from the pattern's text alone (its anchored
   * literal start, {@link anchoredPrefix}): no parse, no compile. nmap's file has ~12,000
   * lines, most `^literal…`; parsing each one a response is tried against cost ~0.15 ms.
   */
  mayMatch(subject: { text: string; lower: string }): boolean {
    if (this.prefix === undefined) {
      this.prefix = anchoredPrefix(this.pattern, this.options);
      this.icase = this.options.includes("i");
    }
    const text = this.icase ? subject.lower : subject.text;
    if (this.prefix !== null && !text.startsWith(this.prefix)) return false;
    // Most lines fail on their start; the rest are read for the literals they require.
    this.runs ??= requiredRuns(this.pattern, this.options);
    for (const run of this.runs) if (!text.includes(run)) return false;
    return true;
  }
  private prefix?: string | null;
  private icase = false;
  private runs?: string[];

  /** The compiled regex, or null when it cannot be compiled (see `error`). */
  regex(): CompiledRegex | null {
    if (this.compiled !== undefined) return this.compiled;
    try {
      this.compiled = compileRegex(this.pattern, this.options);
    } catch (e) {
      if (!(e instanceof PcreError)) throw e;
      this.error = e.message;
      this.compiled = null;
    }
    return this.compiled;
  }
}

/**
 * The literal text every match of `pattern` starts with, when it is anchored (`^`) and begins
 * with plain characters; null when that cannot be told cheaply (no `^`, the `m` or `x` option,
 * a top-level `|`). Lower-cased under the `i` option. A quantified last character is left out.
 */
export function anchoredPrefix(pattern: string, options: string): string | null {
  if (pattern[0] !== "^" || /[mx]/.test(options)) return null;
  // A top-level alternative would start elsewhere: `^abc|def`.
  let depth = 0;
  for (let i = 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "[") {
      // Skip the class: a `]` right after `[` or `[^` is literal.
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++;
      while (i < pattern.length && pattern[i] !== "]") {
        if (pattern[i] === "\\") i++;
        i++;
      }
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return null;
  }
  let out = "";
  let i = 1;
  const ESC: Record<string, string> = { r: "\r", n: "\n", t: "\t", f: "\f", e: "\x1b", a: "\x07" };
  for (; i < pattern.length;) {
    const c = pattern[i]!;
    let ch: string;
    let len = 1;
    if (c === "\\") {
      const n = pattern[i + 1];
      if (n === undefined) break;
      const hex = n === "x" ? HEX_ESCAPE.exec(pattern.slice(i + 1, i + 4)) : null;
      if (hex) (ch = String.fromCharCode(parseInt(hex[1]!, 16))), (len = 4);
      else if (n === "0" && !/[0-7]/.test(pattern[i + 2] ?? "")) (ch = "\0"), (len = 2);
      else if (ESC[n] !== undefined) (ch = ESC[n]!), (len = 2);
      else if (/[^A-Za-z0-9]/.test(n)) (ch = n), (len = 2);
      else break; // \d, \w, \s, \b, back-references, …
    } else if ("^$.|?*+()[]{}".includes(c)) break;
    else ch = c;
    const next = pattern[i + len];
    if (next === "?" || next === "*" || next === "+" || next === "{") break;
    out += ch;
    i += len;
  }
  if (out === "") return null;
  return options.includes("i") ? out.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : out;
}

const HEX_ESCAPE = /^x([0-9A-Fa-f]{2})/;
const COUNTED = /\{\d+(,\d*)?\}[?+]?/y;

/**
 * Literal runs (two characters or more) that every match of `pattern` contains, read from the
 * pattern's text without parsing it: characters outside any group, class or quantifier. Empty
 * when that cannot be told cheaply (a top-level `|`, inline options, `\\Q`, the `x` option).
 * Lower-cased under the `i` option.
 */
export function requiredRuns(pattern: string, options: string): string[] {
  if (options.includes("x") || /\(\?[a-zA-Z-]|\\[QEkg]/.test(pattern)) return [];
  const runs: string[] = [];
  let run = "";
  const end = () => {
    if (run.length >= 2) runs.push(run);
    run = "";
  };
  const ESC: Record<string, string> = { r: "\r", n: "\n", t: "\t", f: "\f", e: "\x1b", a: "\x07" };
  /** Index after a quantifier starting at i, or i when there is none. */
  const quantifier = (i: number): number => {
    const c = pattern[i];
    if (c === "?" || c === "*" || c === "+") {
      i++;
      if (pattern[i] === "?" || pattern[i] === "+") i++; // lazy, possessive
      return i;
    }
    if (c !== "{") return i;
    COUNTED.lastIndex = i;
    const m = COUNTED.exec(pattern);
    return m ? i + m[0].length : i;
  };
  /** Index after the class that opens at i. */
  const skipClass = (i: number): number => {
    i++;
    if (pattern[i] === "^") i++;
    if (pattern[i] === "]") i++;
    while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
    return i + 1;
  };
  let depth = 0;
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (depth > 0) {
      if (c === "\\") i += 2;
      else if (c === "[") i = skipClass(i);
      else {
        if (c === "(") depth++;
        else if (c === ")") depth--;
        i++;
        if (depth === 0) i = quantifier(i);
      }
      continue;
    }
    let ch: string | undefined;
    let len = 1;
    if (c === "\\") {
      const n = pattern[i + 1];
      if (n === undefined) break;
      const hex = n === "x" ? HEX_ESCAPE.exec(pattern.slice(i + 1, i + 4)) : null;
      if (hex) (ch = String.fromCharCode(parseInt(hex[1]!, 16))), (len = 4);
      else if (n === "0" && !/[0-7]/.test(pattern[i + 2] ?? "")) (ch = "\0"), (len = 2);
      else if (ESC[n] !== undefined) (ch = ESC[n]), (len = 2);
      else if (/[^A-Za-z0-9]/.test(n)) (ch = n), (len = 2);
      else {
        // \d, \w, \b, back-references, \p{…}, \x{…}: no literal; skip a {…} argument.
        len = 2;
        if (pattern[i + 2] === "{") {
          const close = pattern.indexOf("}", i + 2);
          len = close < 0 ? pattern.length - i : close + 1 - i;
        }
      }
    } else if (c === "|") return [];
    else if (c === "(") {
      end();
      depth = 1;
      i++;
      continue;
    } else if (c === "[") {
      end();
      i = quantifier(skipClass(i));
      continue;
    } else if (!"^$.?*+{)".includes(c)) ch = c;
    const after = quantifier(i + len);
    if (ch === undefined || after !== i + len) {
      // Not a literal, or a quantified one: the run ends before it.
      end();
      i = after === i + len && ch === undefined && c === "{" ? i + 1 : after;
      continue;
    }
    run += ch;
    i += len;
  }
  end();
  return options.includes("i")
    ? runs.map((r) => r.replace(/[A-Z]+/g, (m) => m.toLowerCase()))
    : runs;
}

/** A port list as given on ports/sslports/Exclude lines. */
export type PortSet = Set<number>;

/** One Probe section. */
export interface Probe {
  protocol: "tcp" | "udp";
  name: string;
  /** Bytes to send (empty for the NULL probe). */
  payload: Uint8Array;
  /** The "no-payload" flag: not to be used as a UDP scan payload. */
  noPayload: boolean;
  ports: PortSet;
  sslPorts: PortSet;
  /** 1 (common) .. 9 (rare); 5 when the file gives none. */
  rarity: number;
  totalWaitMs: number;
  tcpWrappedMs: number;
  fallbackNames: string[];
  /** Probes whose match lines are tried on this probe's response, in order:
   * itself, its fallbacks, then the NULL probe for TCP. */
  fallbacks: Probe[];
  matches: MatchRule[];
  /** Service names this probe's match lines can report. */
  services: Set<string>;
  line: number;
  /**
   * A probe of the second file of a merged DB (db.ts): sent after every probe of
   * the first, and its lines' hard matches keep the first file's softmatched words.
   */
  secondary?: boolean;
}

/** A parsed probe database. */
export interface ProbeDb {
  /** Where it came from (file name or "porthole"). */
  source: string;
  excludeTcp: PortSet;
  excludeUdp: PortSet;
  nullProbe?: Probe;
  /** Every probe except NULL, in file order. */
  probes: Probe[];
}

/** A syntax error in a probe file, with its line number. */
export class ProbeDbError extends Error {
  constructor(readonly source: string, readonly line: number, message: string) {
    super(`${source}:${line}: ${message}`);
    this.name = "ProbeDbError";
  }
}

/** nmap's defaults (service_scan.h). */
export const DEFAULT_TOTALWAITMS = 5000;
export const DEFAULT_TCPWRAPPEDMS = 2000;
const MAXFALLBACKS = 20;

/**
 * Decodes C-style escapes in a probe string or $SUBST argument: \\ \0 \a \b
 * \f \n \r \t \v \xHH (nmap accepts the same set; anything else is an error).
 */
export function unescapeC(s: string): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c) {
      out.push(c & 0xff);
      continue;
    }
    const e = s[++i];
    switch (e) {
      case "\\":
        out.push(0x5c);
        break;
      case "0":
        out.push(0);
        break;
      case "a":
        out.push(7);
        break;
      case "b":
        out.push(8);
        break;
      case "f":
        out.push(12);
        break;
      case "n":
        out.push(10);
        break;
      case "r":
        out.push(13);
        break;
      case "t":
        out.push(9);
        break;
      case "v":
        out.push(11);
        break;
      case "x": {
        const h = s.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
        out.push(parseInt(h, 16));
        i += 2;
        break;
      }
      default:
        return null;
    }
  }
  return Uint8Array.from(out);
}

/** Parses "21-25,53,80" (nmap's setPortVector syntax). */
export function parsePortList(text: string): PortSet | string {
  const set: PortSet = new Set();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) return `bad port list "${text.trim()}" (expected a form like 21-25,53,80)`;
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535 || hi < lo) return "ports must be between 0 and 65535";
    for (let p = lo; p <= hi; p++) set.add(p);
  }
  return set;
}

/** Parses the Exclude directive: a -p style list with optional T:/U: prefixes. */
function parseExclude(text: string): { tcp: PortSet; udp: PortSet } | string {
  const tcp: PortSet = new Set(), udp: PortSet = new Set();
  let mode: "both" | "tcp" | "udp" | "other" = "both";
  for (let part of text.split(",")) {
    part = part.trim();
    const pre = /^([TUSP]):(.*)$/i.exec(part);
    if (pre) {
      const k = pre[1]!.toUpperCase();
      mode = k === "T" ? "tcp" : k === "U" ? "udp" : "other";
      part = pre[2]!;
    }
    if (part === "") continue;
    const r = parsePortList(part);
    if (typeof r === "string") return r;
    for (const p of r) {
      if (mode === "both" || mode === "tcp") tcp.add(p);
      if (mode === "both" || mode === "udp") udp.add(p);
    }
  }
  return { tcp, udp };
}

/**
 * Reads the next `<mode><delim>text<delim><flags>` template at `pos`, as nmap
 * 7.93's next_template does: the mode is letters and colons ("p", "m",
 * "cpe:"), the delimiter any character, the flags any letters. A "cpe:"
 * template's text gets its "cpe:/" prefix back, whatever the delimiter.
 * Returns null at end of line.
 */
function nextTemplate(
  line: string,
  pos: number,
): { mode: string; text: string; flags: string; end: number } | string | null {
  while (pos < line.length && isSpace(line.charCodeAt(pos))) pos++;
  if (pos >= line.length) return null;
  let q = pos;
  while (q < line.length && (isAlpha(line.charCodeAt(q)) || line.charCodeAt(q) === 0x3a)) q++;
  if (q >= line.length || isSpace(line.charCodeAt(q))) return "bare word";
  const mode = line.slice(pos, q);
  const delim = line[q]!;
  const close = line.indexOf(delim, q + 1);
  if (close < 0) return "missing end delimiter";
  let text = line.slice(q + 1, close);
  if (mode === "cpe:") text = "cpe:/" + text;
  let f = close + 1;
  while (f < line.length && isAlpha(line.charCodeAt(f))) f++;
  return { mode, text, flags: line.slice(close + 1, f), end: f };
}

/** C's isspace in the C locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Parses a match/softmatch line (without compiling its regex). */
export function parseMatchLine(lineText: string, lineNo: number): MatchRule | string {
  const text = lineText.replace(/^\s+/, "");
  let soft: boolean, rest: string;
  if (text.startsWith("softmatch ")) [soft, rest] = [true, text.slice(10)];
  else if (text.startsWith("match ")) [soft, rest] = [false, text.slice(6)];
  else return 'must begin with "match" or "softmatch"';
  const sp = rest.indexOf(" ");
  if (sp <= 0) return "could not find service name";
  const service = rest.slice(0, sp);
  const re = nextTemplate(rest, sp);
  if (re === null) return "missing pattern";
  if (typeof re === "string") return re;
  if (re.mode !== "m") return "matchtext must begin with 'm'";
  for (const f of re.flags) if (f !== "i" && f !== "s") return `illegal regexp option ${f}`;
  const templates: Templates = { cpe: [] };
  let pos = re.end;
  for (;;) {
    const t = nextTemplate(rest, pos);
    if (t === null) break;
    if (typeof t === "string") return t;
    pos = t.end;
    switch (t.mode) {
      case "p":
      case "v":
      case "i":
      case "h":
      case "o":
      case "d":
        templates[t.mode] = t.text; // a repeated template replaces the earlier one
        break;
      case "cpe:":
        templates.cpe.push(t.text);
        break;
      default:
        return `unknown template specifier '${t.mode}'`;
    }
  }
  return new MatchRule(soft, service, re.text, re.flags, templates, lineNo);
}

function newProbe(line: string, lineNo: number): Probe | string {
  // Probe <TCP|UDP> <name> q<d>payload<d> [no-payload]
  const m = /^Probe (TCP|UDP) ([A-Za-z0-9][^ ]*) q(.)/.exec(line);
  if (!m) {
    if (!/^Probe (TCP|UDP) /.test(line)) return "invalid protocol";
    return "bad probe name or probe string (must begin with 'q')";
  }
  const delim = m[3]!;
  const start = m[0].length;
  const end = line.indexOf(delim, start);
  if (end < 0) return "no ending delimiter for probe string";
  const payload = unescapeC(line.slice(start, end));
  if (!payload) return "bad probe string escaping";
  const flags = line.slice(end + 1).trim().split(/\s+/);
  return {
    protocol: m[1] === "TCP" ? "tcp" : "udp",
    name: m[2]!,
    payload,
    noPayload: flags.includes("no-payload"),
    ports: new Set(),
    sslPorts: new Set(),
    rarity: 5,
    totalWaitMs: DEFAULT_TOTALWAITMS,
    tcpWrappedMs: DEFAULT_TCPWRAPPEDMS,
    fallbackNames: [],
    fallbacks: [],
    matches: [],
    services: new Set(),
    line: lineNo,
  };
}

/**
 * Parses a whole probe file. Throws ProbeDbError (with the line number) on
 * anything nmap itself would refuse; regexes are checked later, lazily.
 */
export function parseProbeDb(text: string, source: string): ProbeDb {
  const db: ProbeDb = { source, excludeTcp: new Set(), excludeUdp: new Set(), probes: [] };
  let excludeSeen = false;
  let cur: Probe | undefined;
  const lines = text.split("\n");
  const fail = (n: number, msg: string): never => {
    throw new ProbeDbError(source, n, msg);
  };
  const finish = () => {
    if (!cur) return;
    if (cur.protocol === "tcp" && cur.payload.length === 0) {
      if (db.nullProbe) fail(cur.line, "more than one NULL probe");
      db.nullProbe = cur;
    } else db.probes.push(cur);
  };
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.length > 8191) fail(n, "line too long (limit is 8191 characters)");
    if (line.startsWith("Exclude ")) {
      if (cur) fail(n, "the Exclude directive must precede all Probes");
      if (excludeSeen) fail(n, "only 1 Exclude directive is allowed");
      const r = parseExclude(line.slice(8));
      if (typeof r === "string") fail(n, r);
      else [db.excludeTcp, db.excludeUdp] = [r.tcp, r.udp];
      excludeSeen = true;
      continue;
    }
    if (line.startsWith("Probe ")) {
      finish();
      const p = newProbe(line, n);
      if (typeof p === "string") fail(n, p);
      cur = p as Probe;
      continue;
    }
    if (!cur) fail(n, 'line was expected to begin with "Probe " or "Exclude "');
    const probe = cur!;
    const word = line.slice(0, line.indexOf(" ") + 1);
    const arg = line.slice(word.length);
    switch (word) {
      case "ports ":
      case "sslports ": {
        const r = parsePortList(arg);
        if (typeof r === "string") fail(n, r);
        const into = word === "ports " ? probe.ports : probe.sslPorts;
        for (const p of r as PortSet) into.add(p);
        break;
      }
      case "rarity ": {
        const r = parseInt(arg, 10);
        if (!(r >= 1 && r <= 9)) fail(n, "rarity must be between 1 and 9");
        probe.rarity = r;
        break;
      }
      case "fallback ":
        probe.fallbackNames = arg.split(/[,\s]+/).filter((s) => s !== "");
        break;
      case "totalwaitms ":
      case "tcpwrappedms ": {
        const ms = parseInt(arg, 10);
        if (!(ms >= 100 && ms <= 300000)) {
          fail(n, `bad ${word.trim()} value: must be between 100 and 300000 milliseconds`);
        }
        if (word === "totalwaitms ") probe.totalWaitMs = ms;
        else probe.tcpWrappedMs = ms;
        break;
      }
      case "match ":
      case "softmatch ": {
        const r = parseMatchLine(line, n);
        if (typeof r === "string") fail(n, r);
        const rule = r as MatchRule;
        probe.matches.push(rule);
        probe.services.add(rule.service);
        break;
      }
      default:
        fail(n, "unknown directive");
    }
  }
  finish();
  compileFallbacks(db);
  return db;
}

/** Resolves fallback names: itself, the named probes, then NULL (TCP only). */
export function compileFallbacks(db: ProbeDb): void {
  const byName = (name: string, proto: "tcp" | "udp"): Probe | undefined => {
    if (proto === "tcp" && db.nullProbe?.name === name) return db.nullProbe;
    return db.probes.find((p) => p.protocol === proto && p.name === name) ??
      db.probes.find((p) => p.name === name);
  };
  if (db.nullProbe) db.nullProbe.fallbacks = [db.nullProbe];
  for (const p of db.probes) {
    p.fallbacks = [p];
    if (p.fallbackNames.length > MAXFALLBACKS - 2) {
      throw new ProbeDbError(db.source, p.line, `too many fallbacks for probe ${p.name}`);
    }
    for (const name of p.fallbackNames) {
      const f = byName(name, p.protocol);
      if (!f) {
        throw new ProbeDbError(db.source, p.line, `unknown fallback '${name}' in probe ${p.name}`);
      }
      p.fallbacks.push(f);
    }
    if (p.protocol === "tcp" && db.nullProbe) p.fallbacks.push(db.nullProbe);
  }
}

/** Every match rule of a DB, in file order. */
export function allRules(db: ProbeDb): MatchRule[] {
  const out: MatchRule[] = [];
  if (db.nullProbe) out.push(...db.nullProbe.matches);
  for (const p of db.probes) out.push(...p.matches);
  return out.sort((a, b) => a.line - b.line);
}

/** Compiles every rule now; returns the rules that failed. */
export function compileAll(db: ProbeDb): MatchRule[] {
  const bad: MatchRule[] = [];
  for (const r of allRules(db)) if (r.regex() === null) bad.push(r);
  return bad;
}
