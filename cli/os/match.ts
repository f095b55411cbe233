/**
 * Scoring an observed fingerprint against the database, as nmap 7.93 does (osscan.cc
 * compare_fingerprints / match_fingerprint, FingerPrintResults.cc populateClassification):
 *
 * - accuracy = points of the attributes that match ÷ points of the attributes compared, where an
 *   attribute is compared when both the reference and the observation have it (in a test both
 *   have); points come from MatchPoints;
 * - a reference enters the list at 0.85 or more (OSSCAN_GUESS_THRESHOLD); the list keeps the best
 *   36, one per OS name, in accuracy order (ties: database order); once full, the entry bar is the
 *   last accuracy + 0.00001;
 * - 37 perfect matches make the result "too many matches".
 *
 * @module
 */

import { exprMatch, observed, type ObservedValue } from "./expr.ts";
import type { OsDb, RefPrint, RefTest } from "./db.ts";
import { type Fingerprint, type MatchResult, MAX_MATCHES, type OsMatch } from "../model/os.ts";

export {
  type Classification,
  classify,
  type ClassMatch,
  type Fingerprint,
  type FpTest,
  type MatchOutcome,
  type MatchResult,
  MAX_MATCHES,
  type OsMatch,
} from "../model/os.ts";

/** nmap's OSSCAN_GUESS_THRESHOLD. */
export const GUESS_THRESHOLD = 0.85;

/** An observed fingerprint prepared for many comparisons. */
export type PreparedPrint = Map<string, Map<string, ObservedValue>>;

/** Prepares `fp` for {@link compareFingerprints}. */
export function preparePrint(fp: Fingerprint): PreparedPrint {
  const m: PreparedPrint = new Map();
  for (const t of fp) {
    const attrs = new Map<string, ObservedValue>();
    for (const [a, v] of t.attrs) if (!attrs.has(a)) attrs.set(a, observed(v));
    if (!m.has(t.name)) m.set(t.name, attrs);
  }
  return m;
}

/** Points compared and matched of one reference test line against the observation. */
export function scoreTest(t: RefTest, obs: PreparedPrint): { compared: number; matched: number } {
  let compared = 0, matched = 0;
  const o = obs.get(t.name);
  if (o) {
    for (const a of t.attrs) {
      const v = o.get(a.name);
      if (v === undefined) continue;
      compared += a.points;
      if (exprMatch(v, a.expr)) matched += a.points;
    }
  }
  return { compared, matched };
}

/**
 * Scores many prints against one observation, each distinct test line once.
 */
export class Scorer {
  readonly #obs: PreparedPrint;
  readonly #compared: Float64Array;
  readonly #matched: Float64Array;

  constructor(db: OsDb, fp: Fingerprint) {
    this.#obs = preparePrint(fp);
    this.#compared = new Float64Array(db.tests.length).fill(-1);
    this.#matched = new Float64Array(db.tests.length);
  }

  /** Accuracy of `ref` for the observation (0 when nothing could be compared). */
  accuracy(ref: RefPrint): number {
    let compared = 0, matched = 0;
    for (const t of ref.tests) {
      let c = this.#compared[t.id]!;
      if (c < 0) {
        const s = scoreTest(t, this.#obs);
        this.#compared[t.id] = c = s.compared;
        this.#matched[t.id] = s.matched;
      }
      compared += c;
      matched += this.#matched[t.id]!;
    }
    return compared ? matched / compared : 0;
  }
}

/** Accuracy of `ref` for an observation (one-off; {@link Scorer} for a whole database). */
export function compareFingerprints(ref: RefPrint, obs: PreparedPrint): number {
  let compared = 0, matched = 0;
  for (const t of ref.tests) {
    const s = scoreTest(t, obs);
    compared += s.compared;
    matched += s.matched;
  }
  return compared ? matched / compared : 0;
}

/** The attributes of `ref` that the observation fails, for -d output and tests. */
export function mismatches(
  ref: RefPrint,
  fp: Fingerprint,
): { test: string; attr: string; observed: string; expected: string; points: number }[] {
  const obs = preparePrint(fp);
  const out = [];
  for (const { name, attrs } of ref.tests) {
    const o = obs.get(name);
    if (!o) continue;
    for (const a of attrs) {
      const v = o.get(a.name);
      if (v !== undefined && !exprMatch(v, a.expr)) {
        out.push({
          test: name,
          attr: a.name,
          observed: v.text,
          expected: a.expr.source,
          points: a.points,
        });
      }
    }
  }
  return out;
}

/** Matches `fp` against every entry of `db` (nmap's match_fingerprint). */
export function matchFingerprint(
  fp: Fingerprint,
  db: OsDb,
  threshold = GUESS_THRESHOLD,
): MatchResult {
  const scorer = new Scorer(db, fp);
  const list: OsMatch[] = [];
  let bar = threshold;
  let perfect = 0;
  for (const ref of db.prints) {
    const acc = scorer.accuracy(ref);
    if (!(acc >= bar || acc === 1)) continue;
    const same = list.findIndex((m) => m.name === ref.name);
    if (same >= 0) {
      // One entry per OS name: a better-scoring version replaces it.
      if (list[same]!.accuracy >= acc) continue;
      list.splice(same, 1);
    }
    if (acc === 1) {
      if (perfect === MAX_MATCHES) return { outcome: "toomanymatches", matches: list, perfect };
      perfect++;
    }
    let pos = list.findIndex((m) => m.accuracy < acc);
    if (pos < 0) pos = list.length;
    if (pos >= MAX_MATCHES) continue;
    list.splice(pos, 0, { name: ref.name, accuracy: acc, line: ref.line, classes: ref.classes });
    if (list.length > MAX_MATCHES) list.length = MAX_MATCHES;
    if (list.length === MAX_MATCHES) bar = list[MAX_MATCHES - 1]!.accuracy + 0.00001;
  }
  return { outcome: list.length ? "success" : "nomatches", matches: list, perfect };
}
