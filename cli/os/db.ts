/**
 * The `nmap-os-db` file format (Nmap Network Scanning, "Understanding an Nmap Fingerprint" and
 * "The nmap-os-db Database"): one `MatchPoints` block giving each test attribute its weight,
 * then reference fingerprints:
 *
 *     # comment
 *     Fingerprint Linux 5.0 - 5.4
 *     Class Linux | Linux | 5.X | general purpose
 *     CPE cpe:/o:linux:linux_kernel:5 auto
 *     SEQ(SP=FB-105%GCD=1-6%ISR=105-10F%TI=Z%CI=Z%II=I%TS=A)
 *     OPS(O1=M5B4ST11NW7%...)
 *     ...
 *     IE(R=Y%DFI=N%T=40%CD=S)
 *
 * A record ends at a blank line (or at the next `Fingerprint` line). Values are expressions
 * (expr.ts), compiled here once. Parsing follows nmap 7.93's reader: `Fingerprint` at the start
 * of a record is matched case-insensitively, the name ends at `#` or the line's end, a record's
 * `line` is the line number of its `Fingerprint` line (nmap's XML `line` attribute). A line it
 * cannot read, or a `Fingerprint` with no test lines (a truncated file), refuses the whole file
 * with that line's number, as `--versiondb` does: nmap would skip the line and match against
 * what is left, which gives wrong guesses from a damaged file.
 *
 * @module
 */

import { type CompiledExpr, compileExpr } from "./expr.ts";
import PORTHOLE_OS_DB from "../data/porthole-os-db" with { type: "text" };
import { findDataFile, noteDataFileRead } from "../data_files.ts";
import type { OsClass } from "../model/os.ts";
import { TEST_ORDER } from "../model/os_fingerprint.ts";

export type { OsClass } from "../model/os.ts";
export { TEST_ORDER } from "../model/os_fingerprint.ts";

/** A test name ("SEQ", "T1", …). */
export type TestName = typeof TEST_ORDER[number];

/** Each test's attributes in the order nmap writes them in an observed fingerprint. */
export const TEST_ATTRIBUTES: Readonly<Record<TestName, readonly string[]>> = {
  SEQ: ["SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS"],
  OPS: ["O1", "O2", "O3", "O4", "O5", "O6"],
  WIN: ["W1", "W2", "W3", "W4", "W5", "W6"],
  ECN: ["R", "DF", "T", "TG", "W", "O", "CC", "Q"],
  T1: ["R", "DF", "T", "TG", "S", "A", "F", "RD", "Q"],
  T2: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  T3: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  T4: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  T5: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  T6: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  T7: ["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"],
  U1: ["R", "DF", "T", "TG", "IPL", "UN", "RIPL", "RID", "RIPCK", "RUCK", "RUD"],
  IE: ["R", "DFI", "T", "TG", "CD"],
};

/** One attribute of a reference test: its expression and what it is worth. */
export interface RefAttribute {
  name: string;
  expr: CompiledExpr;
  points: number;
}

/** A reference test line. Identical lines are shared between prints (they repeat a lot), so
 * a match can score each distinct line once. */
export interface RefTest {
  name: string;
  /** Attributes in file order. */
  attrs: RefAttribute[];
  /** Index in `OsDb.tests`. */
  id: number;
}

/** A reference fingerprint. */
export interface RefPrint {
  /** The text after `Fingerprint`. */
  name: string;
  /** Line number of the `Fingerprint` line (1-based). */
  line: number;
  classes: OsClass[];
  /** Its tests in file order (one per name). */
  tests: RefTest[];
}

/** A parsed database. */
export interface OsDb {
  /** Where it came from (a path, or the built-in name). */
  source: string;
  /** Points per attribute, per test (the MatchPoints block). */
  matchPoints: Map<string, Map<string, number>>;
  prints: RefPrint[];
  /** Every distinct test line, by `RefTest.id`. */
  tests: RefTest[];
}

/** The database cannot be used at all. */
export class OsDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OsDbError";
  }
}

interface RawTest {
  name: string;
  attrs: [string, string][];
  /** The line as written (the key for sharing). */
  text: string;
}

/** `NAME(A=1%B=2)` → name and attribute pairs; undefined when the line has no `(` or `)`. */
function parseTestLine(line: string): RawTest | undefined {
  const open = line.indexOf("(");
  if (open < 0) return undefined;
  const close = line.indexOf(")", open + 1);
  if (close < 0) return undefined;
  const name = line.slice(0, open);
  const body = line.slice(open + 1, close);
  const attrs: [string, string][] = [];
  if (body.length > 0) {
    for (const part of body.split("%")) {
      const eq = part.indexOf("=");
      if (eq < 0) return undefined;
      attrs.push([part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  return { name, attrs, text: line.slice(0, close) };
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";

function parseClassLine(line: string): OsClass | undefined {
  const parts = line.slice(6).split("|");
  if (parts.length < 4) return undefined;
  const [vendor, family, gen] = parts;
  // The device type runs to the end of the line (nmap looks for the NUL, not a fourth `|`).
  const deviceType = parts.slice(3).join("|");
  const c: OsClass = {
    vendor: vendor!.trim(),
    family: family!.trim(),
    deviceType: deviceType.trim(),
    cpe: [],
  };
  const g = gen!.trim();
  if (g) c.generation = g;
  return c;
}

/** A line quoted in a message: at most 80 characters (a binary file has long ones). */
function quoteLine(l: string): string {
  return l.length > 80 ? `${l.slice(0, 80)}...` : l;
}

/**
 * Parses the text of an `nmap-os-db` file. Throws {@link OsDbError}, naming the line, on a line
 * it cannot read, a record without tests, no MatchPoints block, or an attribute without points.
 */
export function parseOsDb(text: string, source = "nmap-os-db"): OsDb {
  const lines = text.split("\n");
  if (text.includes("\r")) {
    for (let k = 0; k < lines.length; k++) {
      if (lines[k]!.endsWith("\r")) lines[k] = lines[k]!.slice(0, -1);
    }
  }
  const rawPoints = new Map<string, Map<string, string>>();
  let sawPoints = false;
  const raw: { name: string; line: number; classes: OsClass[]; tests: RawTest[] }[] = [];
  // Test lines repeat across prints: read each distinct one once.
  const seen = new Map<string, RawTest | null>();
  const refuse: (n: number, l: string) => never = (n, l) => {
    throw new OsDbError(`Parse error on line ${n} of nmap-os-db file ${source}: ${quoteLine(l)}`);
  };

  let i = 0;
  while (i < lines.length) {
    let line = lines[i]!;
    i++;
    if (line === "" || line.startsWith("#")) continue;
    // A record: its header, then lines up to a blank one.
    for (;;) {
      const lineno = i;
      const head = line.slice(0, 11).toLowerCase();
      let rec: (typeof raw)[number] | undefined;
      let points = false;
      if (head === "fingerprint") {
        let p = 12;
        while (p < line.length && isSpace(line[p])) p++;
        let q = line.indexOf("#", p);
        if (q < 0) q = line.length;
        const name = line.slice(p, q).trimEnd();
        if (!name) throw new OsDbError(`Parse error on line ${lineno} of fingerprint: ${line}`);
        rec = { name, line: lineno, classes: [], tests: [] };
        raw.push(rec);
      } else if (head === "matchpoints") {
        if (sawPoints) {
          throw new OsDbError(
            `Found MatchPoints directive on line ${lineno} of ${source} even though it has previously been seen in the file`,
          );
        }
        sawPoints = true;
        points = true;
      } else {
        refuse(lineno, line);
      }
      let next: string | undefined;
      while (i < lines.length) {
        const l = lines[i]!;
        i++;
        if (l.startsWith("#")) continue;
        if (l === "") break;
        if (l.startsWith("Fingerprint ")) {
          next = l;
          break;
        }
        if (!points && l.startsWith("Class ")) {
          const c = parseClassLine(l);
          if (!c) throw new OsDbError(`Parse error on line ${i} of fingerprint: ${l}`);
          rec!.classes.push(c);
          continue;
        }
        if (!points && l.startsWith("CPE ")) {
          const last = rec!.classes[rec!.classes.length - 1];
          if (!last) throw new OsDbError(`"CPE" line without preceding "Class" at line ${i}`);
          // The CPE may be followed by flags ("auto"), which are ignored.
          const word = l.slice(4).trim().split(/\s+/)[0];
          if (word) last.cpe.push(word);
          continue;
        }
        let t = seen.get(l);
        if (t === undefined) seen.set(l, t = parseTestLine(l) ?? null);
        if (!t) refuse(i, l);
        if (points) {
          const m = new Map<string, string>();
          for (const [a, v] of t.attrs) m.set(a, v);
          rawPoints.set(t.name, m);
        } else rec!.tests.push(t);
      }
      if (rec && rec.tests.length === 0) {
        throw new OsDbError(
          `Fingerprint on line ${lineno} of nmap-os-db file ${source} has no test lines (is the file cut short?)`,
        );
      }
      if (next === undefined) break;
      line = next;
    }
  }
  if (!sawPoints) throw new OsDbError(`${source}: no MatchPoints block`);

  const matchPoints = new Map<string, Map<string, number>>();
  for (const [test, attrs] of rawPoints) {
    const m = new Map<string, number>();
    for (const [a, v] of attrs) {
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
        throw new OsDbError(`Got bogus point amount (${v}) for test ${test}.${a}`);
      }
      m.set(a, n);
    }
    matchPoints.set(test, m);
  }

  // Most values repeat ("Y", "S+", "0", "M5B4ST11NW7"…): compile each text once.
  const compiled = new Map<string, CompiledExpr>();
  const compile = (v: string) => {
    let e = compiled.get(v);
    if (!e) compiled.set(v, e = compileExpr(v));
    return e;
  };
  const tests: RefTest[] = [];
  const byText = new Map<string, RefTest>();
  const prints: RefPrint[] = raw.map((r) => {
    const own: RefTest[] = [];
    for (const t of r.tests) {
      let rt = byText.get(t.text);
      if (!rt) {
        const pts = matchPoints.get(t.name);
        if (!pts) {
          throw new OsDbError(
            `Failed to locate test ${t.name} in MatchPoints directive of fingerprint file (${r.name}, line ${r.line})`,
          );
        }
        // Attributes MatchPoints does not weigh (OPS(R=N) in 7.93's file) are never compared:
        // no observation has them.
        const attrs = t.attrs.map(([a, v]) => ({
          name: a,
          expr: compile(v),
          points: pts.get(a) ?? 0,
        }));
        rt = { name: t.name, attrs, id: tests.length };
        tests.push(rt);
        byText.set(t.text, rt);
      }
      if (!own.some((x) => x.name === rt!.name)) own.push(rt);
    }
    return { name: r.name, line: r.line, classes: r.classes, tests: own };
  });
  return { source, matchPoints, prints, tests };
}

const cache = new Map<string, Promise<OsDb>>();

/** Porthole's own database's name, as `source` says it. */
export const BUILTIN_OS_DB_NAME = "porthole-os-db";

/**
 * Loads and parses a database, once per path: `path` (e.g. /usr/share/nmap/nmap-os-db via
 * `--osdb`), or Porthole's own when undefined. Throws {@link OsDbError} with nmap's wording
 * when the file cannot be read.
 */
export function loadOsDb(path?: string): Promise<OsDb> {
  const key = path ?? "";
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      if (path === undefined) return parseOsDb(PORTHOLE_OS_DB, BUILTIN_OS_DB_NAME);
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (e) {
        throw new OsDbError(
          `Unable to open Nmap fingerprint file: ${path}: ${(e as Error).message}`,
        );
      }
      return parseOsDb(text, path);
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/**
 * The database of a -O run: --osdb's file alone when given; else nmap's nmap-os-db from the data
 * directories (../data_files.ts) with Porthole's own after it ({@link mergeOsDbs}); else
 * Porthole's own. Notes the file read, for -v.
 */
export async function osDbFor(opts: { osdb?: string; datadir?: string }): Promise<OsDb> {
  const path = opts.osdb ?? findDataFile("nmap-os-db", opts.datadir);
  if (path === undefined) return loadOsDb();
  const file = await loadOsDb(path);
  noteDataFileRead("nmap-os-db", path);
  if (opts.osdb !== undefined) return file;
  let merged = mergedCache.get(path);
  if (!merged) {
    merged = mergeOsDbs(file, await loadOsDb());
    mergedCache.set(path, merged);
  }
  return merged;
}

const mergedCache = new Map<string, OsDb>();

/**
 * One database from two: `first`'s prints, then `second`'s (so a tie goes to `first`), scored
 * with `first`'s MatchPoints. Neither input is changed.
 */
export function mergeOsDbs(first: OsDb, second: OsDb): OsDb {
  const offset = first.tests.length;
  const moved = second.tests.map((t) => ({ ...t, id: t.id + offset }));
  return {
    source: `${first.source} + ${second.source}`,
    matchPoints: first.matchPoints,
    prints: [
      ...first.prints,
      ...second.prints.map((p) => ({ ...p, tests: p.tests.map((t) => moved[t.id]!) })),
    ],
    tests: [...first.tests, ...moved],
  };
}
