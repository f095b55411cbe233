/**
 * --help's OUTPUT: the -o* files, verbosity and debugging (-v, -d), --reason, --open,
 * --packet-trace, --iflist, --append-output, --resume, --stats-every, the XML stylesheet.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import {
  deprecated,
  type OptionFamily,
  type OptionHandler,
  type OptionTable,
  type ParseState,
} from "./state.ts";
import type { Options } from "./types.ts";
import { parseTimeSpec, TIMER_MAX_MS } from "./values.ts";

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

/** nmap's checks of an output file name: no leading '-', no -oA to stdout. */
function testFileName(file: string, option: string): void {
  if (file[0] === "-" && file.length > 1) {
    fatal(
      `Output filename begins with '-'. Try '-${option} ./${file}' if you really want it to be named as such.`,
    );
  } else if (file === "-" && option === "oA") {
    fatal("Cannot display multiple output types to stdout.");
  }
}

/** -oN, -oX, -oG, -oS, -oJ FILE, or -oA BASE; `kind` is the option's name ("oN"). */
function outputFile(s: ParseState, kind: string, file: string): void {
  testFileName(file, kind);
  const f = expandLogFilename(file, s.now);
  const out = s.o.output;
  switch (kind) {
    case "oN":
      out.normal = f;
      break;
    case "oM":
      deprecated(s, "oM", "oG");
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

const toFile: OptionHandler = (s, file, opt) => outputFile(s, opt.name, file);

/** -v, -vv…, -v3: one more level per v, or the level given. */
function verbose(o: Options, arg: string | undefined): void {
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

/** -d, -dd…, -d3: debugging, which raises verbosity too and shows reasons. */
function debug(o: Options, arg: string | undefined): void {
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

const options: OptionTable = {
  oN: toFile,
  oX: toFile,
  oS: toFile,
  oG: toFile,
  oM: toFile,
  oJ: toFile,
  oA: toFile,
  oH: () =>
    fatal(
      "HTML output is not directly supported, though Nmap includes an XSL for transforming XML output into HTML.  See the man page.",
    ),
  m: (s, file) => {
    deprecated(s, "m", "oG");
    outputFile(s, "oG", file);
  },
  o: (s, file) => {
    deprecated(s, "o", "oN");
    if ("NAXGS".includes(file[0] ?? "")) {
      fatal(
        `You are using a deprecated option in a dangerous way. Did you mean: -o${file[0]} ${
          file.slice(1)
        }`,
      );
    }
    outputFile(s, "oN", file);
  },
  store: (s, where) => {
    // Porthole's own: also record the scan in a store (cli/inventory/).
    s.o.output.store = where;
  },
  v: (s, _arg, opt) => verbose(s.o, opt.arg),
  verbose: (s) => {
    if (s.o.verbose < 10) s.o.verbose++;
  },
  vv: (s) => {
    s.o.verbose = Math.min(10, s.o.verbose + 2);
  },
  d: (s, _arg, opt) => debug(s.o, opt.arg),
  debug: (s, _arg, opt) => debug(s.o, opt.arg),
  reason: (s) => {
    s.o.reason = true;
  },
  open: (s) => {
    s.o.openOnly = true;
    s.o.defeatRstRatelimit = true; // nmap: no time spent telling closed from filtered
  },
  "packet-trace": (s) => {
    s.o.packetTrace = true;
  },
  iflist: (s) => {
    s.o.ifList = true;
  },
  "append-output": (s) => {
    s.o.output.appendOutput = true;
  },
  resume: () => fatal("Cannot use --resume with other options. Usage: nmap --resume <filename>"),
  "stats-every": (s, arg) => {
    const seconds = parseTimeSpec(arg);
    if (seconds < 0) fatal("Bogus --stats-every argument specified");
    s.o.output.statsEveryMs = Math.min(Math.round(seconds * 1000), TIMER_MAX_MS);
  },
  noninteractive: (s) => {
    s.o.noninteractive = true;
  },
  stylesheet: (s, path) => {
    s.o.output.stylesheet = path;
    s.o.output.noStylesheet = false;
  },
  webxml: (s) => {
    s.o.output.stylesheet = "https://svn.nmap.org/nmap/docs/nmap.xsl";
    s.o.output.noStylesheet = false;
  },
  "no-stylesheet": (s) => {
    s.o.output.stylesheet = undefined;
    s.o.output.noStylesheet = true;
  },
  "log-errors": () => {}, // nmap: deprecated, always on, does nothing
};

/** Output. */
export const output: OptionFamily = { options };
