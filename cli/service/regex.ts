/**
 * One compiled match-line regex: a literal pre-filter, then either the
 * JavaScript engine (patterns whose shape cannot backtrack badly) or the
 * budgeted interpreter (everything else). Subjects are bounded by the caller.
 */

import {
  isLinearSafe,
  type JsTranslation,
  parsePcre,
  type Pattern,
  PcreError,
  requiredLiterals,
  toJsRegExp,
} from "./pcre.ts";
import { compileVm, MatchLimitError, type VmMatcher } from "./pcre_vm.ts";

/** A response prepared once for many regexes. */
export interface Subject {
  bytes: Uint8Array;
  /** One char per byte (Latin-1), for the JavaScript engine and indexOf. */
  text: string;
  /** `text` with ASCII letters lower-cased, for the literal pre-filter. */
  lower: string;
}

/** Prepares bytes for matching. */
export function makeSubject(bytes: Uint8Array): Subject {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return { bytes, text, lower: text.replace(/[A-Z]+/g, (m) => m.toLowerCase()) };
}

/** The outcome of one regex test: capture offsets in PCRE numbering, or null. */
export type Captures = ArrayLike<number>;

/** Which engine runs a pattern. */
export type Engine = "js" | "vm";

/**
 * A compiled pattern. Only the literal pre-filter is computed up front; the
 * JavaScript RegExp or the interpreter is built the first time a subject
 * passes the pre-filter (most of a DB's patterns never get that far).
 */
export class CompiledRegex {
  readonly literals: string[];
  readonly groups: number;
  /** Whether the pattern's shape is safe for the JavaScript engine. */
  readonly linearSafe: boolean;
  /** Interpreter steps used by the last exec (0 on the JavaScript engine). */
  lastSteps = 0;
  private js?: RegExp | null;
  private groupMap?: number[];
  private vm?: VmMatcher;
  private readonly pattern: Pattern;

  constructor(pattern: Pattern, private readonly forceVm = false) {
    this.pattern = pattern;
    this.groups = pattern.groups;
    this.literals = requiredLiterals(pattern);
    this.linearSafe = isLinearSafe(pattern);
  }

  /** Which engine runs this pattern. */
  get engine(): Engine {
    return this.jsRegExp() ? "js" : "vm";
  }

  /** The JavaScript translation, built on first use; null when the interpreter runs it. */
  private jsRegExp(): RegExp | null {
    if (this.js !== undefined) return this.js;
    this.js = null;
    if (!this.forceVm && this.linearSafe) {
      try {
        const t: JsTranslation = toJsRegExp(this.pattern);
        // `d` gives capture offsets, which templates need.
        this.js = new RegExp(t.source, t.flags + (this.groups ? "d" : ""));
        this.groupMap = t.groupMap;
      } catch {
        this.js = null;
      }
    }
    return this.js;
  }

  /**
   * Tests a subject. Returns capture offsets (start/end pairs, -1 unset) or
   * null. Throws MatchLimitError when the interpreter's budget runs out.
   */
  exec(subject: Subject, budget?: number): Captures | null {
    this.lastSteps = 0;
    for (const lit of this.literals) if (!subject.lower.includes(lit)) return null;
    const js = this.jsRegExp();
    if (js) {
      const m = js.exec(subject.text);
      if (!m) return null;
      const caps = new Int32Array(2 * (this.groups + 1)).fill(-1);
      caps[0] = m.index;
      caps[1] = m.index + m[0].length;
      const spans = m.indices ?? [];
      for (let g = 1; g <= this.groups; g++) {
        const span = spans[this.groupMap![g] ?? 0];
        if (span && this.groupMap![g]) {
          caps[2 * g] = span[0];
          caps[2 * g + 1] = span[1];
        }
      }
      return caps;
    }
    this.vm ??= compileVm(this.pattern);
    try {
      return this.vm.exec(subject.bytes, budget);
    } finally {
      this.lastSteps = this.vm.lastSteps;
    }
  }
}

/** Compiles a PCRE pattern with nmap's option letters. Throws PcreError. */
export function compileRegex(source: string, options: string, forceVm = false): CompiledRegex {
  const p = parsePcre(source, options);
  return new CompiledRegex(p, forceVm);
}

export { MatchLimitError, PcreError };
