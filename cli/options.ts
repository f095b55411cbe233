/**
 * nmap-syntax command line → {@link Options}. Hand-written to behave like
 * nmap 7.93's parse_options(): getopt_long_only (long options with one or two
 * dashes, unique prefixes, `--opt=value`), clustered short options (`-sSV`,
 * `-p22`, `-T4`, `-vv`, `-v3`), options anywhere among the targets, `--` ends
 * options, and nmap's error texts. Timing templates (-T0..-T5) and the
 * explicit timing options interact exactly as nmap's delayed options do.
 *
 * Everything that can be checked without sending a packet is checked here, so
 * bad input ends the run with one message before the engine starts.
 */

import type {
  Decoy,
  DiscoveryOptions,
  Options,
  OutputOptions,
  PortSpec,
  ScanKind,
  ShardSpec,
  TimingOptions,
} from "./options_types.ts";
import { fatal, UsageError } from "./errors.ts";
import { type ServicesDb, servicesDbFor } from "./services_db.ts";
import { parsePortExpression, parseSimplePortList, selectPorts, toPortSpecs } from "./ports.ts";
import { checkTargetSyntax, readsStdin } from "./targets.ts";

export type ArgKind = "none" | "required" | "optional";

/**
 * nmap's long option table, in nmap's order (the order matters: it is the
 * order getopt lists possibilities in for an ambiguous prefix). Options
 * Porthole does not implement stay in the table so that abbreviations resolve
 * as in nmap; using one gives a clear "not supported" message.
 */
export const NMAP_LONG: ReadonlyArray<readonly [string, ArgKind]> = [
  ["version", "none"],
  ["verbose", "none"],
  ["datadir", "required"],
  ["servicedb", "required"],
  ["versiondb", "required"],
  ["debug", "optional"],
  ["help", "none"],
  ["iflist", "none"],
  ["release-memory", "none"],
  ["nogcc", "none"],
  ["max-os-tries", "required"],
  ["max-parallelism", "required"],
  ["min-parallelism", "required"],
  ["timing", "required"],
  ["max-rtt-timeout", "required"],
  ["min-rtt-timeout", "required"],
  ["initial-rtt-timeout", "required"],
  ["excludefile", "required"],
  ["exclude", "required"],
  ["max-hostgroup", "required"],
  ["min-hostgroup", "required"],
  ["open", "none"],
  ["scanflags", "required"],
  ["defeat-rst-ratelimit", "none"],
  ["defeat-icmp-ratelimit", "none"],
  ["host-timeout", "required"],
  ["scan-delay", "required"],
  ["max-scan-delay", "required"],
  ["max-retries", "required"],
  ["oA", "required"],
  ["oN", "required"],
  ["oM", "required"],
  ["oG", "required"],
  ["oS", "required"],
  ["oH", "required"],
  ["oX", "required"],
  ["iL", "required"],
  ["iR", "required"],
  ["sI", "required"],
  ["source-port", "required"],
  ["randomize-hosts", "none"],
  ["nsock-engine", "required"],
  ["proxies", "required"],
  ["proxy", "required"],
  ["discovery-ignore-rst", "none"],
  ["osscan-limit", "none"],
  ["osscan-guess", "none"],
  ["fuzzy", "none"],
  ["packet-trace", "none"],
  ["version-trace", "none"],
  ["data", "required"],
  ["data-string", "required"],
  ["data-length", "required"],
  ["send-eth", "none"],
  ["send-ip", "none"],
  ["stylesheet", "required"],
  ["no-stylesheet", "none"],
  ["webxml", "none"],
  ["rH", "none"],
  ["vv", "none"],
  ["ff", "none"],
  ["privileged", "none"],
  ["unprivileged", "none"],
  ["mtu", "required"],
  ["append-output", "none"],
  ["noninteractive", "none"],
  ["spoof-mac", "required"],
  ["thc", "none"],
  ["badsum", "none"],
  ["ttl", "required"],
  ["traceroute", "none"],
  ["reason", "none"],
  ["allports", "none"],
  ["version-intensity", "required"],
  ["version-light", "none"],
  ["version-all", "none"],
  ["system-dns", "none"],
  ["resolve-all", "none"],
  ["unique", "none"],
  ["log-errors", "none"],
  ["deprecated-xml-osclass", "none"],
  ["dns-servers", "required"],
  ["port-ratio", "required"],
  ["exclude-ports", "required"],
  ["top-ports", "required"],
  ["script", "required"],
  ["script-trace", "none"],
  ["script-updatedb", "none"],
  ["script-args", "required"],
  ["script-args-file", "required"],
  ["script-help", "required"],
  ["script-timeout", "required"],
  ["ip-options", "required"],
  ["min-rate", "required"],
  ["max-rate", "required"],
  ["adler32", "none"],
  ["stats-every", "required"],
  ["disable-arp-ping", "none"],
  ["route-dst", "required"],
  ["resume", "required"],
  // Porthole's own.
  ["oJ", "required"],
  ["osdb", "required"],
  ["libpcap", "required"],
  ["shards", "required"],
  ["shard", "required"],
  ["seed", "required"],
  ["merge", "required"],
  ["store", "required"],
  ["version-parallelism", "required"],
];

/** Short options as nmap's getopt string "46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P::p:qRrS:s::T:Vv::". */
export const SHORT: Record<string, ArgKind> = {
  "4": "none",
  "6": "none",
  A: "none",
  b: "required",
  D: "required",
  d: "optional",
  e: "required",
  F: "none",
  f: "none",
  g: "required",
  h: "none",
  I: "none",
  i: "required",
  M: "required",
  m: "required",
  n: "none",
  O: "optional",
  o: "required",
  P: "optional",
  p: "required",
  q: "none",
  R: "none",
  r: "none",
  S: "required",
  s: "optional",
  T: "required",
  V: "none",
  v: "optional",
};

/** Long options nmap has and Porthole refuses, with the reason shown to the user. */
export const UNSUPPORTED_LONG: Record<string, string> = {
  "release-memory": "--release-memory",
  nogcc: "--nogcc",
  "timing-x": "",
  "defeat-rst-ratelimit": "--defeat-rst-ratelimit",
  sI: "-sI (idle scan)",
  "nsock-engine": "--nsock-engine",
  proxies: "--proxies",
  proxy: "--proxies",
  "discovery-ignore-rst": "--discovery-ignore-rst",
  allports: "--allports",
  "deprecated-xml-osclass": "--deprecated-xml-osclass",
  "script-updatedb": "--script-updatedb (NSE)",
  "ip-options": "--ip-options",
  adler32: "--adler32",
  "route-dst": "--route-dst",
};

/** C's atoi: leading blanks, a sign and digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** nmap's MAX_PAYLOAD_ALLOWED (nmap.h): the largest --data-string/--data-length. */
const MAX_PAYLOAD_ALLOWED = 65400;

/** -g N: nmap takes atoi(N) (a u16) and warns about port 0. */
function sourcePortArg(arg: string, warnings: string[]): number {
  const s = arg.trim();
  if (!/^\d+$/.test(s) || Number(s) > 65535) {
    fatal(`Source port must be an integer between 0 and 65535, not "${arg}".`);
  }
  const port = Number(s);
  if (port === 0) warnings.push("WARNING: a source port of zero may not work on all systems.");
  return port;
}

/** --data HEX (nmap's parse_hex_string: "0x" prefix or "\\x" separators allowed). */
export function parseHexString(arg: string): Uint8Array | undefined {
  let s = arg;
  if (/^0x/i.test(s)) s = s.slice(2);
  s = s.replace(/\\x/gi, "");
  if (s.length === 0 || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The payload of --data, --data-string or --data-length, with nmap's limits and warning. */
function payloadArg(name: string, arg: string, warnings: string[]): Uint8Array {
  let payload: Uint8Array;
  if (name === "data") {
    const p = parseHexString(arg);
    if (!p) fatal("Invalid hex string specified");
    payload = p;
  } else if (name === "data-string") {
    payload = new TextEncoder().encode(arg);
    if (payload.length > MAX_PAYLOAD_ALLOWED) {
      fatal(`string length must be between 0 and ${MAX_PAYLOAD_ALLOWED}`);
    }
  } else {
    const n = atoi(arg);
    if (n < 0 || n > MAX_PAYLOAD_ALLOWED) {
      fatal(`data-length must be between 0 and ${MAX_PAYLOAD_ALLOWED}`);
    }
    payload = crypto.getRandomValues(new Uint8Array(n));
  }
  if (payload.length > 1400) {
    warnings.push("WARNING: Payloads bigger than 1400 bytes may not be sent successfully.");
  }
  return payload;
}

/** nmap's MAX_DECOYS (nmap.h). */
const MAX_DECOYS = 128;

/** -D as nmap's apply_delayed_options reads it (names are resolved when the scan starts). */
export function parseDecoys(arg: string): Decoy[] {
  const out: Decoy[] = [];
  let count = 0;
  const tooMany = () =>
    fatal(
      `You are only allowed ${MAX_DECOYS} decoys (if you need more redefine MAX_DECOYS in nmap.h)`,
    );
  for (const p of arg.split(",")) {
    const lower = p.toLowerCase();
    if (lower === "me") {
      if (out.some((d) => d.kind === "me")) fatal("Can only use 'ME' as a decoy once.\n");
      out.push({ kind: "me" });
      count++;
    } else if (lower === "rnd" || lower.startsWith("rnd:")) {
      const n = p.length > 4 ? atoi(p.slice(4)) : 1;
      if (n < 1) fatal(`Bad 'rnd' decoy "${p}"`);
      if (count + n >= MAX_DECOYS - 1) tooMany();
      out.push({ kind: "rnd", count: n });
      count += n;
    } else {
      if (count >= MAX_DECOYS - 1) tooMany();
      out.push({ kind: "host", name: p });
      count++;
    }
  }
  return out;
}

function unsupported(what: string): never {
  fatal(`Porthole does not support ${what}.`);
}

/** getopt's complaint, worded as glibc words it for nmap. */
function getoptError(message: string): never {
  throw new UsageError(message, "getopt");
}

/** One parsed option occurrence. */
interface Opt {
  /** Long name, or the short letter. */
  name: string;
  long: boolean;
  arg?: string;
  /** How the user spelled it (for messages). */
  spelled: string;
}

/**
 * Splits argv into options and operands like glibc's getopt_long_only with
 * argument permutation. Yields options in order (lazily: an error further on
 * is not seen if an earlier -h/-V ends parsing, as in nmap); operands
 * (targets) are appended to `operands`.
 */
function* tokenize(argv: readonly string[], operands: string[]): Generator<Opt> {
  const longNames = NMAP_LONG.map(([n]) => n);
  const kindOf = new Map(NMAP_LONG);

  const matchLong = (name: string, dash: string): string | undefined => {
    if (kindOf.has(name)) return name;
    const hits = longNames.filter((n) => n.startsWith(name));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) {
      getoptError(
        `option '${dash}${name}' is ambiguous; possibilities:${
          hits.map((h) => ` '${dash}${h}'`).join("")
        }`,
      );
    }
    return undefined;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== "-") {
      operands.push(a);
      continue;
    }
    const dd = a.startsWith("--");
    const body = a.slice(dd ? 2 : 1);
    const eq = body.indexOf("=");
    const lname = eq >= 0 ? body.slice(0, eq) : body;
    const dash = dd ? "--" : "-";
    let name: string | undefined;
    if (dd || body.length > 1 || !(body[0]! in SHORT)) {
      name = lname === "" ? undefined : matchLong(lname, dash);
      if (name === undefined && (dd || !(body[0]! in SHORT))) {
        getoptError(`unrecognized option '${dash}${lname}'`);
      }
    }
    if (name !== undefined) {
      const kind = kindOf.get(name)!;
      let arg: string | undefined;
      if (eq >= 0) {
        if (kind === "none") getoptError(`option '${dash}${name}' doesn't allow an argument`);
        arg = body.slice(eq + 1);
      } else if (kind === "required") {
        if (i + 1 >= argv.length) getoptError(`option '${dash}${name}' requires an argument`);
        arg = argv[++i]!;
      }
      yield { name, long: true, arg, spelled: `${dash}${name}` };
      continue;
    }
    // A cluster of short options: -nv, -sSV, -p22, -T4, -vvv.
    for (let j = 0; j < body.length; j++) {
      const c = body[j]!;
      const kind = SHORT[c];
      if (kind === undefined) getoptError(`invalid option -- '${c}'`);
      if (kind === "none") {
        yield { name: c, long: false, spelled: `-${c}` };
        continue;
      }
      const rest = body.slice(j + 1);
      if (rest !== "") {
        yield { name: c, long: false, arg: rest, spelled: `-${c}` };
      } else if (kind === "required") {
        if (i + 1 >= argv.length) getoptError(`option requires an argument -- '${c}'`);
        yield { name: c, long: false, arg: argv[++i]!, spelled: `-${c}` };
      } else {
        yield { name: c, long: false, spelled: `-${c}` };
      }
      break;
    }
  }
}

/**
 * nmap's tval2secs(): a non-negative real number with an optional unit,
 * "ms", "s" (default), "m" or "h", case-insensitive. Returns seconds, or -1
 * when the text cannot be parsed. Negative numbers are returned as such
 * (callers refuse them, as nmap does).
 */
export function parseTimeSpec(spec: string): number {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/.exec(spec);
  if (!m) return -1;
  const d = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === "ms") return d / 1000;
  if (unit === "" || unit === "s") return d;
  if (unit === "m") return d * 60;
  if (unit === "h") return d * 3600;
  return -1;
}

/**
 * The longest delay setTimeout/setInterval take (2^31-1 ms, about 24.8 days); a longer one
 * overflows and fires at once, so time options are clamped to it.
 */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/** nmap's tval2msecs(): milliseconds, truncated toward zero; -1 if unparsable. */
export function parseTimeMs(spec: string): number {
  const s = parseTimeSpec(spec);
  if (s === -1) return -1;
  return Math.trunc(s * 1000);
}

/** True when a time spec carries an explicit unit (nmap's tval_unit() != NULL). */
function hasUnit(spec: string): boolean {
  return /[a-zA-Z]\s*$/.test(spec) && !/^\s*[+-]?\d*\.?\d*[eE][+-]?\d+\s*$/.test(spec);
}

function parseIntStrict(opt: Opt, what = opt.spelled): number {
  const s = (opt.arg ?? "").trim();
  if (!/^[+-]?\d+$/.test(s)) fatal(`Argument to ${what} must be an integer, not "${opt.arg}".`);
  return Number(s);
}

/** The numeric TCP flag bits nmap's --scanflags understands. */
const TH = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** nmap's parse_scanflags(): a number 0..255, or flag names in any order ("URGPSHFIN"). -1 if bad. */
export function parseScanFlags(arg: string): number {
  if (/^\d/.test(arg)) {
    // strtol(arg, &end, 0): decimal, 0x hex or leading-0 octal, all of it.
    let v: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(arg)) v = parseInt(arg.slice(2), 16);
    else if (/^0[0-7]+$/.test(arg)) v = parseInt(arg, 8);
    else if (/^\d+$/.test(arg)) v = Number(arg);
    else return -1;
    return v >= 0 && v <= 255 ? v : -1;
  }
  const s = arg.toUpperCase();
  let v = 0;
  if (s.includes("FIN")) v |= TH.FIN;
  if (s.includes("SYN")) v |= TH.SYN;
  if (s.includes("RST") || s.includes("RESET")) v |= TH.RST;
  if (s.includes("PSH") || s.includes("PUSH")) v |= TH.PSH;
  if (s.includes("ACK")) v |= TH.ACK;
  if (s.includes("URG")) v |= TH.URG;
  if (s.includes("ECE")) v |= TH.ECE;
  if (s.includes("CWR")) v |= TH.CWR;
  if (s.includes("ALL")) v = 255;
  if (s.includes("NONE")) v = 0;
  return v;
}

/** nmap's NmapOps timing state, with its setters' clamping rules. */
class TimingState {
  template: TimingOptions["template"] = 3;
  minRtt = 100;
  maxRtt = 10000;
  initialRtt = 1000;
  maxRetries = 10;
  hostTimeout = 0;
  scanDelay = 0;
  maxTcpScanDelay = 1000;
  maxUdpScanDelay = 1000;
  minRate = 0;
  maxRate = 0;
  minParallelism = 0;
  maxParallelism = 0;
  minHostgroup = 1;
  maxHostgroup = 100000;

  setMaxRtt(v: number) {
    if (v <= 0) fatal("setMaxRttTimeout: maximum round trip time must be greater than 0");
    this.maxRtt = v;
    if (v < this.minRtt) this.minRtt = v;
    if (v < this.initialRtt) this.initialRtt = v;
  }
  setMinRtt(v: number) {
    if (v < 0) fatal("setMinRttTimeout: minimum round trip time must be at least 0");
    this.minRtt = v;
    if (v > this.maxRtt) this.maxRtt = v;
    if (v > this.initialRtt) this.initialRtt = v;
  }
  setInitialRtt(v: number) {
    if (v <= 0) fatal("setInitialRttTimeout: initial round trip time must be greater than 0");
    this.initialRtt = v;
    if (v > this.maxRtt) this.maxRtt = v;
    if (v < this.minRtt) this.minRtt = v;
  }

  /** -T: applied at once, on top of whatever is set, as nmap does. */
  applyTemplate(arg: string) {
    const a = arg.toLowerCase();
    const is = (n: string, word: string) => arg[0] === n || a === word;
    if (is("0", "paranoid")) {
      this.template = 0;
      this.maxParallelism = 1;
      this.scanDelay = 300000;
      this.setInitialRtt(300000);
    } else if (is("1", "sneaky")) {
      this.template = 1;
      this.maxParallelism = 1;
      this.scanDelay = 15000;
      this.setInitialRtt(15000);
    } else if (is("2", "polite")) {
      this.template = 2;
      this.maxParallelism = 1;
      this.scanDelay = 400;
    } else if (is("3", "normal")) {
      // nmap's defaults (NmapOps.cc); -T3 changes nothing, not even a previous -T.
    } else if (is("4", "aggressive")) {
      this.template = 4;
      this.setMinRtt(100);
      this.setMaxRtt(1250);
      this.setInitialRtt(500);
      this.maxTcpScanDelay = 10; // UDP's stays: ICMP rate limits make it unreliable
      this.maxRetries = 6;
    } else if (is("5", "insane")) {
      this.template = 5;
      this.setMinRtt(50);
      this.setMaxRtt(300);
      this.setInitialRtt(250);
      this.hostTimeout = 900000;
      this.maxTcpScanDelay = 5;
      this.maxRetries = 2;
    } else {
      fatal(
        `Unknown timing mode (-T argument).  Use either "Paranoid", "Sneaky", "Polite", "Normal", "Aggressive", "Insane" or a number from 0 (Paranoid) to 5 (Insane)`,
      );
    }
  }
}

/** nmap's logfilename(): expands %H %M %S %T %R %m %d %y %Y %D %F in output file names. */
export function expandLogFilename(name: string, now: Date = new Date()): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const H = p2(now.getHours()), M = p2(now.getMinutes()), S = p2(now.getSeconds());
  const m = p2(now.getMonth() + 1), d = p2(now.getDate());
  const Y = String(now.getFullYear()), y = Y.slice(-2);
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c !== "%") {
      out += c;
      continue;
    }
    const k = name[++i];
    if (k === undefined) break;
    const table: Record<string, string> = {
      H,
      M,
      S,
      T: H + M + S,
      R: H + M,
      m,
      d,
      y,
      Y,
      D: m + d + y,
      F: `${Y}-${m}-${d}`,
    };
    out += table[k] ?? k;
  }
  return out;
}

function testFileName(file: string, option: string): void {
  if (file[0] === "-" && file.length > 1) {
    fatal(
      `Output filename begins with '-'. Try '-${option} ./${file}' if you really want it to be named as such.`,
    );
  } else if (file === "-" && option === "oA") {
    fatal("Cannot display multiple output types to stdout.");
  }
}

/** nmap's IPv4/IPv6 literal check for -S. */
function isIpLiteral(s: string, family: 4 | 6): boolean {
  if (family === 4) {
    const p = s.split(".");
    return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
  }
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function checkReadable(path: string, what: string): void {
  if (path === "-") return;
  try {
    const st = Deno.statSync(path);
    if (st.isDirectory) fatal(`Failed to open ${what} ${path} for reading: Is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const why = e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : e instanceof Deno.errors.PermissionDenied
      ? "Permission denied"
      : String((e as Error).message ?? e);
    fatal(`Failed to open ${what} ${path} for reading: ${why}`);
  }
}

/** Parser knobs for tests and embedding. */
export interface ParseContext {
  /** Program name for Options.argv[0] and messages. Default "porthole". */
  programName?: string;
  /** Clock for %-escapes in output file names. */
  now?: Date;
  /** Services table, when not the built-in one (--servicedb still wins). */
  servicesDb?: ServicesDb;
  /** Skip existence checks of input files (-iL, --excludefile, --servicedb...). */
  skipFileChecks?: boolean;
}

/**
 * Parses nmap-style arguments (without the program name, i.e. Deno.args).
 * Returns the complete Options: ports already resolved against the services
 * table, timing with the -T template and explicit overrides applied. Throws
 * {@link UsageError} with nmap's wording for any bad input; call
 * `err.render()` for stderr and exit with `err.exitCode`.
 *
 * -h/--help and -V/--version stop parsing at once (as nmap exits there) and
 * set `show`; nothing after them is looked at.
 */
export function parseOptions(argv: string[], ctx: ParseContext = {}): Options {
  const program = ctx.programName ?? "porthole";
  const now = ctx.now ?? new Date();

  // Editors turn "-" into dashes; nmap checks the first character of each argument.
  argv.forEach((a, i) => {
    if (/^[\u2010-\u2015\u2212]/.test(a)) {
      fatal(`Unparseable option (dash, not '-') in argument ${i + 1}`);
    }
  });

  // nmap --resume FILE must stand alone.
  if (argv[0] === "--resume") {
    if (argv.length !== 2) {
      fatal("Cannot use --resume with other options. Usage: nmap --resume <filename>");
    }
    const o = baseOptions(program, argv);
    o.output.resume = argv[1]!;
    if (!ctx.skipFileChecks) checkReadable(argv[1]!, "resume file");
    return o;
  }

  const operands: string[] = [];
  const shardArgs: ShardArgs = {};
  const opts = tokenize(argv, operands);
  const o = baseOptions(program, argv);
  const t = new TimingState();
  const warnings: string[] = [];
  const verboseNotes: string[] = [];
  let af: 4 | 6 | undefined;
  let fast = false;
  let topPorts: number | undefined;
  let portRatio: number | undefined;
  let excludePorts: string | undefined;
  let pingNone = false;
  const scanKinds = new Set<ScanKind>();
  let tcpScanCount = 0;
  let servicedb: string | undefined;
  let excludeSpec: string | undefined;
  let advanced = false;
  // nmap's "pre_" values: explicit timing options win over -T whatever the order.
  const pre: {
    maxParallelism?: number;
    scanDelay?: number;
    maxScanDelay?: number;
    initRtt?: number;
    minRtt?: number;
    maxRtt?: number;
    maxRetries?: number;
    hostTimeout?: number;
  } = {};
  const pingPorts: { S?: string; A?: string; U?: string; Y?: string } = {};
  const deprecated = (given: string, replacement: string) =>
    verboseNotes.push(`Warning: The -${given} option is deprecated. Please use -${replacement}`);

  const setScan = (k: ScanKind) => {
    if (k !== "udp" && k !== "sctpinit" && !scanKinds.has(k)) tcpScanCount++;
    scanKinds.add(k);
  };

  const timeArg = (opt: Opt): number => Math.min(parseTimeMs(opt.arg!), TIMER_MAX_MS);
  const nse = () => (o.scripts ??= { rules: [], timeoutMs: 0 });
  let scriptTrace = false;
  const shaping = () => (o.shaping ??= {});

  for (const opt of opts) {
    const arg = opt.arg;
    if (opt.long) {
      switch (opt.name) {
        case "version":
          o.show = "version";
          return o;
        case "help":
          o.show = "help";
          return o;
        case "verbose":
          if (o.verbose < 10) o.verbose++;
          break;
        case "vv":
          o.verbose = Math.min(10, o.verbose + 2);
          break;
        case "debug":
          applyDebug(o, arg);
          break;
        case "timing":
          t.applyTemplate(arg!);
          break;
        case "servicedb":
          servicedb = arg!;
          fast = true; // nmap: "Using this option also causes a fast scan (-F) to be used."
          break;
        case "versiondb":
          o.versionDb = arg!;
          break;
        case "datadir":
          o.datadir = arg!;
          break;
        case "osdb":
          o.osdb = arg!;
          break;
        case "store":
          // Porthole's own: also record the scan in a store (cli/inventory/).
          o.output.store = arg!;
          break;
        case "iflist":
          o.ifList = true;
          break;
        case "libpcap":
          o.libpcap = arg!;
          break;
        case "merge":
          fatal("--merge stands alone. Usage: porthole --merge OUT SHARD-FILE...");
          break;
        case "shards":
        case "shard":
        case "seed":
          shardArgs[opt.name] = arg!;
          break;
        case "max-os-tries": {
          const l = parseIntStrict(opt, "--max-os-tries");
          if (l < 1 || l > 50) {
            fatal(
              "Bogus --max-os-tries argument specified, must be between 1 and 50 (inclusive)",
            );
          }
          o.maxOsTries = l;
          break;
        }
        case "max-parallelism": {
          const l = parseIntStrict(opt, "--max-parallelism");
          if (l < 1) fatal("Argument to -M must be at least 1!");
          if (l > 900) {
            warnings.push(
              "Warning: Your max-parallelism (-M) option is extraordinarily high, which can hurt reliability",
            );
          }
          pre.maxParallelism = l;
          break;
        }
        case "min-parallelism": {
          const l = parseIntStrict(opt, "--min-parallelism");
          if (l < 1) fatal("Argument to --min-parallelism must be at least 1!");
          if (l > 100) {
            warnings.push(
              "Warning: Your --min-parallelism option is pretty high!  This can hurt reliability.",
            );
          }
          t.minParallelism = l;
          break;
        }
        case "max-rtt-timeout": {
          const l = timeArg(opt);
          if (l < 5) fatal("Bogus --max-rtt-timeout argument specified, must be at least 5ms");
          sinceApril2010(opt, l, 50 * 1000, "seconds");
          if (l < 20) {
            warnings.push(
              `WARNING: You specified a round-trip time timeout (${l} ms) that is EXTRAORDINARILY SMALL.  Accuracy may suffer.`,
            );
          }
          pre.maxRtt = l;
          break;
        }
        case "min-rtt-timeout": {
          const l = timeArg(opt);
          if (l < 0) fatal("Bogus --min-rtt-timeout argument specified");
          sinceApril2010(opt, l, 50 * 1000, "seconds");
          pre.minRtt = l;
          break;
        }
        case "initial-rtt-timeout": {
          const l = timeArg(opt);
          if (l <= 0) fatal("Bogus --initial-rtt-timeout argument specified.  Must be positive");
          sinceApril2010(opt, l, 50 * 1000, "seconds");
          pre.initRtt = l;
          break;
        }
        case "excludefile":
          o.excludeFile = arg!;
          break;
        case "exclude":
          excludeSpec = arg!;
          break;
        case "max-hostgroup": {
          const sz = parseIntStrict(opt, "--max-hostgroup");
          if (sz < t.minHostgroup) {
            fatal(
              `Maximum host group size may not be set to less than the minimum size (currently ${t.minHostgroup})`,
            );
          }
          if (sz <= 0) fatal("Max host size must be at least 1");
          t.maxHostgroup = sz;
          o.timing.maxHostgroup = sz;
          break;
        }
        case "min-hostgroup": {
          const sz = parseIntStrict(opt, "--min-hostgroup");
          if (sz < 0) fatal("Argument to --min-hostgroup must be at least 0");
          if (sz > t.maxHostgroup) {
            fatal(
              `Minimum host group size may not be set to greater than maximum size (currently ${t.maxHostgroup})`,
            );
          }
          if (sz > 100) {
            warnings.push("Warning: You specified a highly aggressive --min-hostgroup.");
          }
          t.minHostgroup = sz;
          o.timing.minHostgroup = sz;
          break;
        }
        case "open":
          o.openOnly = true;
          o.defeatRstRatelimit = true; // nmap: no time spent telling closed from filtered
          break;
        case "scanflags": {
          const f = parseScanFlags(arg!);
          if (f < 0) {
            fatal(
              `--scanflags option must be a number between 0 and 255 (inclusive) or a string like "URGPSHFIN".`,
            );
          }
          o.scanFlags = f;
          break;
        }
        case "defeat-icmp-ratelimit":
          o.defeatIcmpRatelimit = true;
          break;
        case "host-timeout": {
          const l = timeArg(opt);
          if (l < 0) fatal("Bogus --host-timeout argument specified");
          if (l >= 10000 * 1000 && !hasUnit(arg!)) {
            fatal(
              `Since April 2010, the default unit for --host-timeout is seconds, so your time of "${arg}" is ${
                (l / 1000 / 60 / 60).toFixed(1)
              } hours. If this is what you want, use "${arg}s".`,
            );
          }
          pre.hostTimeout = l;
          break;
        }
        case "scan-delay": {
          const l = timeArg(opt);
          if (l < 0) fatal("Bogus --scan-delay argument specified.");
          if (l >= 100 * 1000 && !hasUnit(arg!)) {
            fatal(
              `Since April 2010, the default unit for --scan-delay is seconds, so your time of "${arg}" is ${
                (l / 1000 / 60).toFixed(1)
              } minutes. Use "${arg}ms" for ${fmtG(l / 1000)} milliseconds.`,
            );
          }
          pre.scanDelay = l;
          break;
        }
        case "max-scan-delay": {
          const l = timeArg(opt);
          if (l < 0) fatal("Bogus --max-scan-delay argument specified.");
          if (l >= 100 * 1000 && !hasUnit(arg!)) {
            fatal(
              `Since April 2010, the default unit for --max-scan-delay is seconds, so your time of "${arg}" is ${
                (l / 1000 / 60).toFixed(1)
              } minutes. If this is what you want, use "${arg}s".`,
            );
          }
          pre.maxScanDelay = l;
          break;
        }
        case "max-retries": {
          const l = parseIntStrict(opt, "--max-retries");
          if (l < 0) fatal("max-retries must be positive");
          pre.maxRetries = l;
          break;
        }
        case "oA":
        case "oN":
        case "oM":
        case "oG":
        case "oX":
        case "oJ":
        case "oS":
          setOutput(o.output, opt.name, arg!, now, deprecated);
          break;
        case "oH":
          fatal(
            "HTML output is not directly supported, though Nmap includes an XSL for transforming XML output into HTML.  See the man page.",
          );
          break;
        case "iL":
          if (o.inputList !== undefined) fatal("Only one input filename allowed");
          o.inputList = arg!;
          break;
        case "iR":
          fatal(
            "Porthole does not scan random Internet addresses (-iR), on purpose: give the targets you are allowed to scan.",
          );
          break;
        case "osscan-limit":
          o.osscanLimit = true;
          break;
        case "traceroute":
          o.traceroute = true;
          break;
        case "osscan-guess":
        case "fuzzy":
          o.osscanGuess = true;
          break;
        case "version-trace":
          o.versionTrace = true;
          o.debug++;
          break;
        case "send-eth":
          o.sendMode = "eth";
          break;
        case "send-ip":
          o.sendMode = "ip";
          break;
        case "stylesheet":
          o.output.stylesheet = arg!;
          o.output.noStylesheet = false;
          break;
        case "no-stylesheet":
          o.output.stylesheet = undefined;
          o.output.noStylesheet = true;
          break;
        case "webxml":
          o.output.stylesheet = "https://svn.nmap.org/nmap/docs/nmap.xsl";
          o.output.noStylesheet = false;
          break;
        case "rH":
        case "randomize-hosts":
          o.randomizeHosts = true;
          break;
        case "noninteractive":
          o.noninteractive = true;
          break;
        case "packet-trace":
          o.packetTrace = true;
          break;
        case "system-dns":
          o.systemDns = true;
          break;
        case "resolve-all":
          o.resolveAll = true;
          break;
        case "unique":
          o.unique = true;
          break;
        case "dns-servers":
          o.dnsServers = parseDnsServers(arg!);
          break;
        case "privileged":
          o.privileged = true;
          break;
        case "unprivileged":
          o.privileged = false;
          break;
        case "append-output":
          o.output.appendOutput = true;
          break;
        case "thc":
          unsupported("--thc");
          break;
        case "reason":
          o.reason = true;
          break;
        case "version-intensity": {
          const l = parseIntStrict(opt, "--version-intensity");
          if (l < 0 || l > 9) fatal("version-intensity must be between 0 and 9");
          o.versionIntensity = l;
          break;
        }
        case "version-parallelism": {
          // Porthole's own: probes in flight per port (1: nmap's one at a time, each waited out).
          const l = parseIntStrict(opt, "--version-parallelism");
          if (l < 1 || l > 64) fatal("version-parallelism must be between 1 and 64");
          o.versionParallelism = l;
          break;
        }
        case "version-light":
          o.versionIntensity = 2;
          break;
        case "version-all":
          o.versionIntensity = 9;
          break;
        case "log-errors":
          break; // nmap: deprecated, always on, does nothing
        case "port-ratio": {
          const r = Number(arg!.trim());
          if (arg!.trim() === "" || !Number.isFinite(r) || r < 0 || r >= 1) {
            fatal("--port-ratio should be between [0 and 1)");
          }
          portRatio = r;
          topPorts = undefined;
          break;
        }
        case "exclude-ports":
          if (excludePorts !== undefined) {
            fatal("Only 1 --exclude-ports option allowed, separate multiple ranges with commas.");
          }
          excludePorts = arg!;
          break;
        case "top-ports": {
          const r = Number(arg!.trim());
          if (arg!.trim() === "" || !Number.isInteger(r) || r < 1) {
            fatal("--top-ports should be an integer 1 or greater");
          }
          if (r > 65536) fatal(`Level argument to gettoppts (${r}) is too large`);
          topPorts = r;
          portRatio = undefined;
          break;
        }
        case "min-rate":
        case "max-rate": {
          const v = Number(arg!.trim());
          if (arg!.trim() === "" || !Number.isFinite(v) || v <= 0) {
            fatal(`Argument to --${opt.name} must be a positive floating-point number`);
          }
          if (opt.name === "min-rate") t.minRate = v;
          else t.maxRate = v;
          break;
        }
        case "stats-every": {
          const d = parseTimeSpec(arg!);
          if (d < 0) fatal("Bogus --stats-every argument specified");
          o.output.statsEveryMs = Math.min(Math.round(d * 1000), TIMER_MAX_MS);
          break;
        }
        case "disable-arp-ping":
          o.discovery.disableArp = true;
          break;
        case "script":
          nse().rules.push(...arg!.split(","));
          break;
        case "script-args":
          nse().args = arg!;
          break;
        case "script-trace":
          scriptTrace = true;
          break;
        case "script-args-file":
          nse().argsFile = arg!;
          break;
        case "script-help":
          nse().help = arg!;
          break;
        case "script-timeout": {
          const l = timeArg(opt);
          if (l <= 0) fatal("Bogus --script-timeout argument specified");
          nse().timeoutMs = l;
          break;
        }
        case "resume":
          fatal("Cannot use --resume with other options. Usage: nmap --resume <filename>");
          break;
        case "source-port":
          shaping().sourcePort = sourcePortArg(arg!, warnings);
          break;
        case "ttl": {
          const l = atoi(arg!);
          if (l < 0 || l > 255) fatal("ttl option must be a number between 0 and 255 (inclusive)");
          shaping().ttl = l;
          break;
        }
        case "badsum":
          shaping().badsum = true;
          break;
        case "ff":
          shaping().fragment = (o.shaping?.fragment ?? 0) + 16;
          break;
        case "mtu": {
          const m = atoi(arg!);
          if (m <= 0 || m % 8 !== 0) fatal("Data payload MTU must be >0 and multiple of 8");
          shaping().fragment = m;
          break;
        }
        case "spoof-mac":
          shaping().spoofMac = arg!;
          break;
        case "data":
        case "data-string":
        case "data-length":
          if (o.shaping?.payload) {
            fatal("Can't use the --data option(s) multiple times, or together.");
          }
          shaping().payload = payloadArg(opt.name, arg!, warnings);
          break;
        default:
          unsupported(UNSUPPORTED_LONG[opt.name] || `--${opt.name}`);
      }
      continue;
    }

    switch (opt.name) {
      case "4":
        if (af === 6) fatal("Cannot use both -4 and -6 in one scan.");
        af = 4;
        break;
      case "6":
        if (af === 4) fatal("Cannot use both -4 and -6 in one scan.");
        af = 6;
        break;
      case "A":
        advanced = true;
        break;
      case "b":
        unsupported("-b (FTP bounce scan)");
        break;
      case "D":
        shaping().decoys = parseDecoys(arg!);
        break;
      case "d":
        applyDebug(o, arg);
        break;
      case "e":
        o.iface = arg!;
        break;
      case "F":
        fast = true;
        break;
      case "f":
        shaping().fragment = (o.shaping?.fragment ?? 0) + 8;
        break;
      case "g":
        shaping().sourcePort = sourcePortArg(arg!, warnings);
        break;
      case "h":
        o.show = "help";
        return o;
      case "I":
        warnings.push("WARNING: identscan (-I) no longer supported.  Ignoring -I");
        break;
      case "i":
        deprecated("i", "iL");
        if (o.inputList !== undefined) fatal("Only one input filename allowed");
        o.inputList = arg!;
        break;
      case "M": {
        const l = parseIntStrict(opt, "-M");
        if (l < 1) fatal("Argument to -M must be at least 1!");
        if (l > 900) {
          warnings.push(
            "Warning: Your max-parallelism (-M) option is extraordinarily high, which can hurt reliability",
          );
        }
        pre.maxParallelism = l;
        break;
      }
      case "m":
        deprecated("m", "oG");
        setOutput(o.output, "oG", arg!, now, deprecated);
        break;
      case "n":
        o.dnsMode = "never";
        break;
      case "O":
        if (arg === undefined || arg[0] === "2") o.osDetection = true;
        else if (arg[0] === "1") {
          fatal("First-generation OS detection (-O1) is no longer supported. Use -O instead.");
        } else fatal("Unknown argument to -O.");
        break;
      case "o":
        deprecated("o", "oN");
        if ("NAXGS".includes(arg![0] ?? "")) {
          fatal(
            `You are using a deprecated option in a dangerous way. Did you mean: -o${arg![0]} ${
              arg!.slice(1)
            }`,
          );
        }
        setOutput(o.output, "oN", arg!, now, deprecated);
        break;
      case "P":
        parsePing(o.discovery, arg, pingPorts, deprecated, () => (pingNone = true));
        break;
      case "p":
        if (o.portExpression !== undefined) {
          fatal("Only 1 -p option allowed, separate multiple ranges with commas.");
        }
        o.portExpression = arg!;
        break;
      case "q":
        break; // nmap accepts -q and ignores it
      case "R":
        if (o.dnsMode !== "never") o.dnsMode = "always";
        break;
      case "r":
        o.randomizePorts = false;
        break;
      case "S":
        if (o.sourceAddress !== undefined) {
          fatal(
            "You can only use the source option once!  Use -D <decoy1> -D <decoy2> etc. for decoys",
          );
        }
        o.sourceAddress = arg!;
        break;
      case "s":
        if (!arg) {
          throw new UsageError(
            "An option is required for -s, most common are -sT (tcp scan), -sS (SYN scan), -sF (FIN scan), -sU (UDP scan) and -sn (Ping scan)",
            "plain",
          );
        }
        for (const c of arg) {
          switch (c) {
            case "P":
              deprecated("sP", "sn");
              o.discovery.pingOnly = true;
              break;
            case "n":
              o.discovery.pingOnly = true;
              break;
            case "A":
              setScan("ack");
              break;
            case "B":
              fatal("No scan type 'B', did you mean bounce scan (-b)?");
              break;
            case "F":
              setScan("fin");
              break;
            case "M":
              setScan("maimon");
              break;
            case "N":
              setScan("null");
              break;
            case "R":
              deprecated("sR", "sV");
              warnings.push(
                "WARNING: -sR is now an alias for -sV and activates version detection as well as RPC scan.",
              );
              o.versionDetection = true;
              break;
            case "S":
              setScan("syn");
              break;
            case "T":
              setScan("connect");
              break;
            case "U":
              setScan("udp");
              break;
            case "V":
              o.versionDetection = true;
              break;
            case "W":
              setScan("window");
              break;
            case "X":
              setScan("xmas");
              break;
            case "C":
              nse().rules.push("default");
              break;
            case "L":
              o.listScan = true;
              o.discovery.pingOnly = true;
              break;
            case "O":
              unsupported("-sO (IP protocol scan)");
              break;
            case "Y":
              setScan("sctpinit");
              break;
            case "Z":
              unsupported("-sZ (SCTP COOKIE ECHO scan)");
              break;
            default:
              throw new UsageError(`Scantype ${c} not supported`, "plain");
          }
        }
        break;
      case "T":
        t.applyTemplate(arg!);
        break;
      case "V":
        o.show = "version";
        return o;
      case "v":
        applyVerbose(o, arg);
        break;
    }
  }

  // ---- delayed options, in nmap's order (apply_delayed_options) ----
  o.ipv6 = af === 6;
  if (o.ipv6 && o.shaping?.fragment) {
    warnings.push("WARNING: Porthole fragments IPv4 probes only; -f/--mtu is ignored with -6.");
  }
  if (o.ipv6 && o.shaping?.decoys?.some((d) => d.kind === "rnd")) {
    fatal("Random decoys can only be used with IPv4");
  }
  if (o.verbose > 0) warnings.unshift(...verboseNotes);
  if (advanced) {
    // nmap's -A: -sV -sC, and -O --traceroute when privileged (the engine skips those otherwise).
    o.aggressive = true;
    o.versionDetection = true;
    if (!nse().rules.includes("default")) nse().rules.push("default");
    o.osDetection = true;
    o.traceroute = true;
  }
  // --script-trace alone runs no script (nmap's o.scripttrace only traces the scripts chosen).
  if (scriptTrace && o.scripts) o.scripts.trace = true;
  if (o.sourceAddress !== undefined && !isIpLiteral(o.sourceAddress, af === 6 ? 6 : 4)) {
    fatal(
      `Failed to resolve/decode supposed ${
        af === 6 ? "IPv6" : "IPv4"
      } source address "${o.sourceAddress}": Name or service not known`,
    );
  }
  if (pre.maxParallelism !== undefined) t.maxParallelism = pre.maxParallelism;
  if (pre.scanDelay !== undefined) {
    t.scanDelay = pre.scanDelay;
    if (t.scanDelay > t.maxTcpScanDelay) t.maxTcpScanDelay = t.scanDelay;
    if (t.scanDelay > t.maxUdpScanDelay) t.maxUdpScanDelay = t.scanDelay;
    if (pre.maxParallelism !== undefined || t.minParallelism !== 0) {
      warnings.push(
        "Warning: --min-parallelism and --max-parallelism are ignored with --scan-delay.",
      );
    }
  }
  if (pre.maxScanDelay !== undefined) {
    t.maxTcpScanDelay = pre.maxScanDelay;
    t.maxUdpScanDelay = pre.maxScanDelay;
  }
  if (pre.initRtt !== undefined) t.setInitialRtt(pre.initRtt);
  if (pre.minRtt !== undefined) t.setMinRtt(pre.minRtt);
  if (pre.maxRtt !== undefined) t.setMaxRtt(pre.maxRtt);
  if (pre.maxRetries !== undefined) t.maxRetries = pre.maxRetries;
  if (pre.hostTimeout !== undefined) t.hostTimeout = pre.hostTimeout;
  if (o.verbose > 1) o.reason = true;

  o.timing = {
    template: t.template,
    minRttTimeoutMs: t.minRtt,
    maxRttTimeoutMs: t.maxRtt,
    initialRttTimeoutMs: t.initialRtt,
    maxRetries: t.maxRetries,
    hostTimeoutMs: t.hostTimeout,
    scanDelayMs: t.scanDelay,
    maxScanDelayMs: t.maxTcpScanDelay,
    maxUdpScanDelayMs: t.maxUdpScanDelay,
    minRate: t.minRate,
    maxRate: t.maxRate,
    minParallelism: t.minParallelism,
    maxParallelism: t.maxParallelism,
    minHostgroup: o.timing.minHostgroup,
    maxHostgroup: o.timing.maxHostgroup,
  };

  // ---- NmapOps::ValidateOptions ----
  if (pingNone) {
    o.discovery.skip = true;
    if (o.verbose > 0) {
      warnings.push(
        "Host discovery disabled (-Pn). All addresses will be marked 'up' and scan times may be slower.",
      );
    }
  }
  o.scans = [...scanKinds];
  if (tcpScanCount > 1) {
    fatal(
      "You specified more than one type of TCP scan.  Please choose only one of -sA, -b, -sT, -sF, -sI, -sM, -sN, -sS, -sW, and -sX",
    );
  }
  if (o.discovery.pingOnly && o.scans.length > 0) {
    fatal("-sL and -sn (skip port scan) are not valid with any other scan types");
  }
  if (o.ipv6 && (o.discovery.mask || o.discovery.timestamp)) {
    fatal("ICMP Timestamp and Address Mask pings are only valid for IPv4.");
  }
  if (o.osDetection && o.discovery.pingOnly) {
    fatal(
      "WARNING: OS Scan is unreliable without a port scan.  You need to use a scan type along with it, such as -sS, -sT, -sF, etc instead of -sn",
    );
  }
  if (o.versionDetection && o.discovery.pingOnly) o.versionDetection = false;
  if (o.osDetection && o.ipv6) {
    // nmap fingerprints IPv6 hosts; Porthole cannot yet. Worded as nmap's own warning for an OS
    // scan it drops (-O with -sO), so the report never says "OS detection performed".
    warnings.push(
      "WARNING: Disabling OS Scan (-O) as Porthole's OS detection does not support IPv6 yet",
    );
    o.osDetection = false;
  }
  if (o.defeatIcmpRatelimit && !scanKinds.has("udp")) {
    fatal("Option --defeat-icmp-ratelimit works only with a UDP scan (-sU)");
  }
  if (t.maxParallelism && t.minParallelism && t.minParallelism > t.maxParallelism) {
    fatal(
      `--min-parallelism=${t.minParallelism} must be less than or equal to --max-parallelism=${t.maxParallelism}`,
    );
  }
  if (t.minRate !== 0 && t.maxRate !== 0 && t.minRate > t.maxRate) {
    fatal(
      `--min-rate=${fmtG(t.minRate)} must be less than or equal to --max-rate=${fmtG(t.maxRate)}`,
    );
  }

  // ---- ports ----
  if (o.discovery.pingOnly && (o.portExpression !== undefined || fast)) {
    fatal(
      "You cannot use -F (fast scan) or -p (explicit port selection) when not doing a port scan",
    );
  }
  if (o.portExpression !== undefined && fast) {
    fatal(
      "You cannot use -F (fast scan) with -p (explicit port selection) but see --top-ports and --port-ratio to fast scan a range of ports",
    );
  }
  if (servicedb !== undefined) o.serviceDb = servicedb;
  // Read only when a port list needs it: -sn alone reads no services table, as in nmap.
  let table: ServicesDb | undefined;
  const db = () =>
    table ??= servicedb === undefined && ctx.servicesDb
      ? ctx.servicesDb
      : servicesDbFor(servicedb, o.datadir);
  for (
    const [letter, proto] of [["S", "tcp"], ["A", "tcp"], ["U", "udp"], ["Y", "sctp"]] as const
  ) {
    const spec = pingPorts[letter];
    if (spec === undefined) continue;
    const list = parseSimplePortList(spec, proto, db());
    if (list.length === 0) fatal(`Bogus argument to -P${letter}: ${spec}`);
    if (letter === "S") o.discovery.synPorts = list;
    else if (letter === "A") o.discovery.ackPorts = list;
    else if (letter === "U") o.discovery.udpPorts = list;
    else o.discovery.sctpPorts = list;
  }
  o.excludePorts = excludePorts;
  if (excludePorts !== undefined) {
    // nmap's removepts() also takes excluded ports out of the ping probes' lists.
    const ex = parsePortExpression(excludePorts, { tcp: true, udp: true }, db());
    const t = new Set(ex.tcp), u = new Set(ex.udp);
    const d = o.discovery;
    const hadTcp = d.synPorts.length + d.ackPorts.length > 0, hadUdp = d.udpPorts.length > 0;
    d.synPorts = d.synPorts.filter((p) => !t.has(p));
    d.ackPorts = d.ackPorts.filter((p) => !t.has(p));
    d.udpPorts = d.udpPorts.filter((p) => !u.has(p));
    if (hadTcp && d.synPorts.length + d.ackPorts.length === 0) {
      warnings.push(
        "WARNING: a TCP ping scan was requested, but after excluding requested TCP ports, none remain. Skipping this scan type.",
      );
    }
    if (hadUdp && d.udpPorts.length === 0) {
      warnings.push(
        "WARNING: a UDP ping scan was requested, but after excluding requested UDP ports, none remain. Skipping this scan type.",
      );
    }
  }
  if (!o.discovery.pingOnly) {
    const tcp = o.scans.length === 0 || o.scans.some((k) => k !== "udp" && k !== "sctpinit");
    const udp = scanKinds.has("udp");
    const sctp = scanKinds.has("sctpinit");
    const sel = selectPorts(
      {
        expression: o.portExpression,
        topPorts,
        portRatio,
        fast,
        exclude: excludePorts,
        tcp,
        udp,
        sctp,
      },
      db(),
    );
    warnings.push(...sel.warnings);
    setPortLists(o, { tcp: sel.tcp, udp: sel.udp, sctp: sel.sctp });
  }

  // ---- targets and files ----
  o.targets = operands;
  if (excludeSpec !== undefined) {
    o.exclude = excludeSpec.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
  for (const tgt of o.targets) checkTargetSyntax(tgt, o.ipv6 ? 6 : 4, "target");
  for (const ex of o.exclude) checkTargetSyntax(ex, o.ipv6 ? 6 : 4, "exclude");
  if (!ctx.skipFileChecks) {
    // Stdin (-, /dev/stdin) is read when the targets are; Deno would refuse to stat it.
    if (o.inputList !== undefined && !readsStdin(o.inputList)) {
      checkReadable(o.inputList, "input file");
    }
    if (o.excludeFile !== undefined && !readsStdin(o.excludeFile)) {
      checkReadable(o.excludeFile, "exclude file");
    }
    if (o.versionDb !== undefined) checkReadable(o.versionDb, "version database");
    if (o.osdb !== undefined) checkReadable(o.osdb, "OS database");
    if (o.libpcap !== undefined) checkReadable(o.libpcap, "libpcap");
  }
  o.shard = shardSpec(shardArgs);
  o.warnings = warnings;
  return o;
}

/**
 * --dns-servers: a comma-separated list of IP addresses (nmap's own DNS client takes nothing
 * else). Empty items are skipped; a name or a malformed address ends the run.
 */
export function parseDnsServers(arg: string): string[] {
  const out: string[] = [];
  for (const item of arg.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    if (!isIpLiteral(item, 4) && !isIpLiteral(item, 6)) {
      fatal(`Invalid DNS server "${item}" in --dns-servers: give IP addresses.`);
    }
    out.push(item);
  }
  if (out.length === 0) fatal("--dns-servers needs at least one IP address.");
  return out;
}

/** --shards, --shard and --seed as given (the last of each wins, as nmap's options do). */
type ShardArgs = { shards?: string; shard?: string; seed?: string };

/** The sharding of the run, checked: all three options or none. */
function shardSpec(a: ShardArgs): ShardSpec | undefined {
  if (a.shards === undefined && a.shard === undefined && a.seed === undefined) return undefined;
  const whole = (s: string | undefined) => s !== undefined && /^\d{1,15}$/.test(s.trim());
  if (a.shards === undefined) {
    fatal(
      a.shard !== undefined
        ? "--shard I needs --shards N, the number of shards the scan is split into."
        : "--seed is used only to split a scan: give --shards N and --shard I with it.",
    );
  }
  if (!whole(a.shards) || Number(a.shards) < 1) {
    fatal(`--shards must be a whole number, 1 or more, not "${a.shards}".`);
  }
  const count = Number(a.shards);
  if (a.shard === undefined) {
    fatal(`--shards ${count} needs --shard I: which shard (0 to ${count - 1}) this run scans.`);
  }
  if (!whole(a.shard)) {
    fatal(`--shard must be a whole number from 0 to ${count - 1}, not "${a.shard}".`);
  }
  const index = Number(a.shard);
  if (index >= count) {
    fatal(
      `--shard ${index} is out of range: with --shards ${count} the shards are 0 to ${count - 1}.`,
    );
  }
  if (a.seed === undefined) {
    fatal(
      "--shards needs --seed S (a whole number), the same in every shard: the shards split the targets by it.",
    );
  }
  if (!whole(a.seed)) fatal(`--seed must be a whole number (0 to 15 digits), not "${a.seed}".`);
  return { count, index, seed: Number(a.seed) };
}

function sinceApril2010(opt: Opt, l: number, limit: number, _unit: string): void {
  if (l >= limit && !hasUnit(opt.arg!)) {
    fatal(
      `Since April 2010, the default unit for ${opt.spelled} is seconds, so your time of "${opt.arg}" is ${
        fmtG(l / 1000)
      } seconds. Use "${opt.arg}ms" for ${fmtG(l / 1000)} milliseconds.`,
    );
  }
}

/** printf("%g"). */
export function fmtG(v: number): string {
  if (v === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 6) {
    const s = v.toExponential(5).replace(/\.?0+e/, "e");
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(Number(v.toPrecision(6)));
}

function applyVerbose(o: Options, arg: string | undefined): void {
  if (arg !== undefined && /^\d/.test(arg)) {
    o.verbose = Math.max(0, Math.min(10, parseInt(arg, 10)));
    return;
  }
  if (o.verbose < 10) o.verbose++;
  let i = 0;
  const s = arg ?? "";
  while (s[i] === "v") {
    if (o.verbose < 10) o.verbose++;
    i++;
  }
  if (i < s.length) fatal(`Invalid argument to -v: "${arg}".`);
}

function applyDebug(o: Options, arg: string | undefined): void {
  if (arg !== undefined && /^\d/.test(arg)) {
    const n = Math.max(0, Math.min(10, parseInt(arg, 10)));
    o.debug = n;
    o.verbose = n;
  } else {
    if (o.debug < 10) o.debug++;
    if (o.verbose < 10) o.verbose++;
    let i = 0;
    const s = arg ?? "";
    while (s[i] === "d") {
      if (o.debug < 10) o.debug++;
      if (o.verbose < 10) o.verbose++;
      i++;
    }
    if (i < s.length) fatal(`Invalid argument to -d: "${arg}".`);
  }
  o.reason = true;
}

function setOutput(
  out: OutputOptions,
  kind: string,
  file: string,
  now: Date,
  deprecated: (g: string, r: string) => void,
): void {
  testFileName(file, kind);
  const f = expandLogFilename(file, now);
  switch (kind) {
    case "oN":
      out.normal = f;
      break;
    case "oM":
      deprecated("oM", "oG");
      out.grepable = f;
      break;
    case "oG":
      out.grepable = f;
      break;
    case "oX":
      out.xml = f;
      break;
    case "oS":
      out.skid = f;
      break;
    case "oJ":
      out.json = f;
      break;
    case "oA":
      out.normal = `${f}.nmap`;
      out.grepable = `${f}.gnmap`;
      out.xml = `${f}.xml`;
      break;
  }
}

function parsePing(
  d: DiscoveryOptions,
  arg: string | undefined,
  ports: { S?: string; A?: string; U?: string; Y?: string },
  deprecated: (g: string, r: string) => void,
  setNone: () => void,
): void {
  const c = arg?.[0];
  const rest = arg?.slice(1) ?? "";
  const once = (letter: "S" | "A" | "U" | "Y", msg: string) => {
    if (ports[letter] !== undefined) fatal(msg);
    ports[letter] = rest !== "" ? rest : letter === "U" ? "40125" : "80";
    d.explicit = true;
  };
  if (arg === undefined || arg === "" || c === "I" || c === "E") {
    if (c !== "E") deprecated(`P${c ?? ""}`, "PE");
    d.echo = true;
    d.explicit = true;
  } else if (c === "M") {
    d.mask = true;
    d.explicit = true;
  } else if (c === "P") {
    d.timestamp = true;
    d.explicit = true;
  } else if (c === "n" || c === "0" || c === "N" || c === "D") {
    if (c !== "n") deprecated(`P${c}`, "Pn");
    setNone();
  } else if (c === "R") {
    d.arp = true; // nmap: ARP is always used when possible; -PR changes nothing else
  } else if (c === "S") {
    once("S", "Only one -PS option is allowed. Combine port ranges with commas.");
  } else if (c === "T" || c === "A") {
    once("A", "Only one -PB, -PA, or -PT option is allowed. Combine port ranges with commas.");
  } else if (c === "U") {
    once("U", "Only one -PU option is allowed. Combine port ranges with commas.");
  } else if (c === "B") {
    // nmap: the default IPv4 probes (echo + SYN 443 + ACK 80 + timestamp) with the given ACK ports.
    once("A", "Only one -PB, -PA, or -PT option is allowed. Combine port ranges with commas.");
    d.echo = true;
    d.timestamp = true;
    ports.S ??= "443";
  } else if (c === "Y") {
    once("Y", "Only one -PY option is allowed. Combine port ranges with commas.");
  } else if (c === "O") {
    unsupported("-PO (IP protocol ping)");
  } else {
    fatal("Illegal Argument to -P, use -Pn, -PE, -PS, -PA, -PP, -PM, -PU, -PY, or -PO");
  }
}

function baseOptions(program: string, argv: string[]): Options {
  return {
    argv: [program, ...argv],
    targets: [],
    exclude: [],
    ipv6: false,
    scans: [],
    ports: [],
    randomizePorts: true,
    discovery: {
      skip: false,
      pingOnly: false,
      synPorts: [],
      ackPorts: [],
      udpPorts: [],
      echo: false,
      timestamp: false,
      mask: false,
      arp: false,
      disableArp: false,
      explicit: false,
    },
    timing: {
      template: 3,
      minRttTimeoutMs: 100,
      maxRttTimeoutMs: 10000,
      initialRttTimeoutMs: 1000,
      maxRetries: 10,
      hostTimeoutMs: 0,
      scanDelayMs: 0,
      maxScanDelayMs: 1000,
      maxUdpScanDelayMs: 1000,
      minRate: 0,
      maxRate: 0,
      minParallelism: 0,
      maxParallelism: 0,
      minHostgroup: 0,
      maxHostgroup: 0,
    },
    output: { appendOutput: false, noStylesheet: false, statsEveryMs: 0 },
    dnsMode: "default",
    reason: false,
    openOnly: false,
    verbose: 0,
    debug: 0,
    sendMode: "auto",
    versionDetection: false,
    versionIntensity: 7,
    versionTrace: false,
    osDetection: false,
    defeatIcmpRatelimit: false,
    ifList: false,
    warnings: [],
  };
}

/**
 * nmap's privilege checks (NmapOps::ValidateOptions), for the engine to call
 * once it knows whether raw sockets are available (`opts.privileged` wins
 * when set). Throws UsageError with nmap's wording.
 */
export function checkPrivileges(opts: Options, haveRawAccess: boolean): void {
  const root = opts.privileged ?? haveRawAccess;
  if (root) return;
  const privreq = "root privileges.";
  if (opts.scans.some((k) => k !== "connect")) {
    fatal(`You requested a scan type which requires ${privreq}`);
  }
  if (opts.osDetection && !opts.aggressive) {
    fatal(`TCP/IP fingerprinting (for OS scan) requires ${privreq}`);
  }
  if (opts.traceroute && !opts.aggressive) fatal("Traceroute has to be run as root");
  if (opts.discovery.udpPorts.length > 0) {
    fatal(
      "Sorry, UDP Ping (-PU) only works if you are root (because we need to read raw responses off the wire)",
    );
  }
  if ((opts.discovery.sctpPorts?.length ?? 0) > 0) {
    fatal(
      "Sorry, SCTP INIT Ping (-PY) only works if you are root (because we need to read raw responses off the wire)",
    );
  }
}

/**
 * Sets `o.portLists`, and makes `o.ports` a view built on first read (then kept). Assigning
 * `o.ports` replaces the view and drops `portLists`, so the two never disagree.
 */
function setPortLists(o: Options, lists: { tcp: number[]; udp: number[]; sctp?: number[] }): void {
  let specs: PortSpec[] | undefined;
  o.portLists = lists;
  Object.defineProperty(o, "ports", {
    get: () => specs ??= toPortSpecs(lists),
    set: (v: PortSpec[]) => {
      specs = v;
      delete o.portLists;
    },
    enumerable: true,
    configurable: true,
  });
}
