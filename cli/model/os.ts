/**
 * What OS detection found for one host, as plain data (it travels in `HostResult.os`, is
 * written by the output writers and read back by --resume): nmap's FingerPrintResults plus the
 * host's sequence numbers (its `seq` struct), distance and uptime.
 *
 * @module
 */

/** How nmap learned the hop distance (DC= in the SCAN line). */
export type DistanceMethod = "localhost" | "direct" | "icmp" | "traceroute";

/** One `Class` line (and the `CPE` lines under it). */
export interface OsClass {
  vendor: string;
  family: string;
  /** Absent when the line leaves it empty (nmap: NULL). */
  generation?: string;
  deviceType: string;
  cpe: string[];
}

/** One observed test: attribute/value pairs in the order they were measured. */
export interface FpTest {
  name: string;
  attrs: [string, string][];
}

/** An observed fingerprint: its tests in nmap's order (TEST_ORDER, os_fingerprint.ts). */
export type Fingerprint = FpTest[];

/** A database entry that matched, with its accuracy (0..1). */
export interface OsMatch {
  name: string;
  accuracy: number;
  /** Line of its `Fingerprint` line in the database. */
  line: number;
  classes: OsClass[];
}

/** nmap's overall_results. */
export type MatchOutcome = "success" | "nomatches" | "toomanymatches";

/** What {@link matchFingerprint} found. */
export interface MatchResult {
  outcome: MatchOutcome;
  /** Best first (at most {@link MAX_MATCHES}). */
  matches: OsMatch[];
  /** How many of `matches` are 100%. */
  perfect: number;
}

/** nmap's MAX_FP_RESULTS. */
export const MAX_MATCHES = 36;

/** nmap's IPID_SEQ_* classes. */
export type IpIdClass =
  | "unknown"
  | "incr"
  | "broken-incr"
  | "rpi"
  | "rd"
  | "constant"
  | "zero"
  | "incr-by-2";

/** nmap's identify_sequence over consecutive IP ID differences. */
function identifySequence(n: number, diffs: number[], localhost: boolean): IpIdClass {
  if (localhost) {
    let allGt1 = true;
    for (let i = 0; i < n - 1; i++) if (diffs[i]! < 2) allGt1 = false;
    if (allGt1) {
      for (let i = 0; i < n - 1; i++) {
        // Stupid MS / localhost: the RST we send uses an IP ID too.
        diffs[i] = diffs[i]! % 256 === 0 ? (diffs[i]! - 256) >>> 0 : (diffs[i]! - 1) >>> 0;
      }
    }
  }
  let allZero = true;
  for (let i = 0; i < n - 1; i++) if (diffs[i] !== 0) allZero = false;
  if (allZero) return "constant";
  for (let i = 0; i < n - 1; i++) {
    const d = diffs[i]!;
    if (d > 1000 && (d % 256 !== 0 || d >= 25600)) return "rpi";
  }
  let under10 = true, by256 = true, even = true;
  for (let i = 0; i < n - 1; i++) {
    const d = diffs[i]!;
    if (by256 && (d > 5120 || d % 256 !== 0)) by256 = false;
    if (even && d % 2 !== 0) even = false;
    if (under10 && d > 9) under10 = false;
  }
  if (by256) return "broken-incr";
  if (even) return "incr-by-2";
  if (under10) return "incr";
  return "unknown";
}

/** nmap's get_ipid_sequence_16: the class of a run of 16-bit IP IDs. */
export function ipIdSequence16(ids: number[], localhost: boolean): IpIdClass {
  const n = ids.length;
  if (n < 2) return "unknown";
  const diffs: number[] = [];
  let allZero = true;
  for (let i = 1; i < n; i++) {
    if (ids[i - 1] !== 0 || ids[i] !== 0) allZero = false;
    const d = (ids[i]! - ids[i - 1]!) >>> 0;
    if (n > 2 && d > 20000) return "rd";
    diffs.push(d);
  }
  if (allZero) return "zero";
  for (let i = 0; i < diffs.length; i++) diffs[i] = diffs[i]! & 0xffff;
  return identifySequence(n, diffs, localhost);
}

/** nmap's TS_SEQ_* classes. */
export type TsClass = "unknown" | "zero" | "2hz" | "100hz" | "1000hz" | "other" | "unsupported";

/** The text nmap prints for an IP ID class (ipidclass2ascii). */
export const IPID_CLASS_TEXT: Record<IpIdClass, string> = {
  constant: "Duplicated ipid (!)",
  incr: "Incremental",
  "incr-by-2": "Incrementing by 2",
  "broken-incr": "Broken little-endian incremental",
  rd: "Randomized",
  rpi: "Random positive increments",
  zero: "All zeros",
  unknown: "Busy server or unknown class",
};

/** The text nmap writes for a timestamp class (tsseqclass2ascii). */
export const TS_CLASS_TEXT: Record<TsClass, string> = {
  zero: "zero timestamp",
  "2hz": "2HZ",
  "100hz": "100HZ",
  "1000hz": "1000HZ",
  other: "other",
  unsupported: "none returned (unsupported)",
  unknown: "unknown class",
};

/** nmap's seqidx2difficultystr. */
export function difficulty(index: number): string {
  return index < 3
    ? "Trivial joke"
    : index < 6
    ? "Easy"
    : index < 11
    ? "Medium"
    : index < 12
    ? "Formidable"
    : index < 16
    ? "Worthy challenge"
    : "Good luck!";
}

/** One distinct class among the matches, with the accuracy of the first match holding it. */
export interface ClassMatch {
  osClass: OsClass;
  accuracy: number;
}

/** nmap's OS_Classification_Results. */
export interface Classification {
  outcome: MatchOutcome;
  classes: ClassMatch[];
  /** How many of `classes` come from perfect matches. */
  perfect: number;
}

function sameClass(a: OsClass, b: OsClass): boolean {
  return a.vendor === b.vendor && a.family === b.family && a.deviceType === b.deviceType &&
    a.generation === b.generation;
}

/** The distinct classes of the matches (FingerPrintResults::populateClassification). */
export function classify(r: MatchResult): Classification {
  if (r.outcome === "toomanymatches") return { outcome: "toomanymatches", classes: [], perfect: 0 };
  const classes: ClassMatch[] = [];
  let perfect = 0;
  for (let i = 0; i < r.matches.length; i++) {
    const m = r.matches[i]!;
    for (const c of m.classes) {
      if (classes.some((x) => sameClass(x.osClass, c))) continue;
      if (classes.length === MAX_MATCHES) {
        return {
          outcome: i < r.perfect ? "toomanymatches" : "success",
          classes,
          perfect,
        };
      }
      // With a perfect match, lesser matches add nothing.
      if (perfect > 0 && i >= r.perfect) return { outcome: "success", classes, perfect };
      classes.push({ osClass: c, accuracy: m.accuracy });
      if (i < r.perfect) perfect++;
    }
  }
  return { outcome: classes.length ? "success" : "nomatches", classes, perfect };
}

/** TCP sequence and IP ID figures of the round kept (nmap's struct seq_info). */
export interface OsSequence {
  /** SEQ replies used. */
  responses: number;
  /** SP: the TCP sequence predictability index. */
  index: number;
  /** The target's ISNs, in probe order. */
  seqs: number[];
  /** IP IDs of those replies. */
  ipIds: number[];
  /** TSvals of those replies (0 when absent). */
  timestamps: number[];
  ipIdClass: IpIdClass;
  tsClass: TsClass;
  /** Epoch seconds of the boot the timestamps point at (nmap's lastboot), when known. */
  lastBoot?: number;
}

/** OS detection's result for a host. */
export interface OsResult {
  /** The ports the probes went to (nmap's <portused>): found by the scan, or U1's answer. */
  portsUsed: { openTcp?: number; closedTcp?: number; closedUdp?: number };
  /** No open port, or neither a closed nor an unfiltered one: nmap's OS_PERF_UNREL. */
  unreliable: boolean;
  outcome: MatchOutcome;
  /** Best first, up to 36. */
  matches: OsMatch[];
  /** How many matches are 100%. */
  perfect: number;
  /** Why the fingerprint is not fit for submission (nmap's OmitSubmissionFP), if it is not. */
  omitReason?: string;
  /** Every round's fingerprint (the printed block merges them). */
  rounds: Fingerprint[];
  /** The database the matches come from (its path, or "porthole-os-db"). */
  db: string;
  /** Hop distance and how it was learned; absent when unknown. */
  distance?: number;
  distanceMethod?: DistanceMethod;
  /** nmap's distance_guess (initial TTL guess − received TTL). */
  distanceGuess?: number;
  /** What the SCAN line of the printed fingerprint says. */
  scan: {
    version: string;
    platform: string;
    /** Epoch milliseconds of the detection. */
    time: number;
    mac?: string;
  };
  sequence: OsSequence;
  /** Rounds run. */
  tries: number;
}
