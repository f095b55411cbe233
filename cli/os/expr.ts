/**
 * Value expressions of the `nmap-os-db` format (Nmap Network Scanning, "Understanding an Nmap
 * Fingerprint"): a reference attribute such as `GCD=1-6`, `TS=U|7|8`, `O=|M5B4` or `SP=>10`
 * against an observed value such as `GCD=2`.
 *
 * The rules are nmap 7.93's (osscan.cc expr_match), quirks included, because nmap's guess list
 * is the ground truth and depends on them:
 *
 * - A value is numeric when it reads wholly as hexadecimal (C `strtol` base 16, so "" counts as
 *   0). Only numeric values take part in `<N`, `>N` and `A-B` comparisons.
 * - Alternatives are split at `|`. A `<`/`>` alternative whose number does not read cleanly
 *   never matches. An alternative is taken as a range whenever a `-` appears anywhere after it
 *   in the expression (not only inside it); when it does not read as `A-B` it does not match,
 *   and is not compared literally either.
 * - Literal alternatives before the last `|` compare as a prefix of the value (C `strncmp`
 *   with the alternative's length), so the empty first alternative of `O=|M5B4` matches any
 *   value; the last alternative compares whole.
 *
 * Newer databases nest ranges in brackets (`O=M[>500]ST11`, nmap 7.94+). 7.93 reads a bracket
 * literally and so never matches one; here an alternative holding `[` is matched as the newer
 * nmap does, which changes nothing for a 7.93 database (it has no brackets).
 *
 * Expressions are compiled once when the database loads ({@link compileExpr}); matching then
 * costs a few comparisons.
 *
 * @module
 */

/** A C-style `strtol(s, &end, 16)` from `start`: the value truncated to 32 bits as nmap's
 * `unsigned int` keeps it, and where reading stopped (`start` when no digit was read). */
export function strtol16(s: string, start = 0): { value: number; end: number } {
  let i = start;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  // "0x" is a prefix only when a hex digit follows it.
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && hexVal(s.charCodeAt(i + 2)) >= 0) {
    i += 2;
  }
  const digitsStart = i;
  let big = 0n;
  let small = 0;
  let overflow = false;
  while (i < s.length) {
    const d = hexVal(s.charCodeAt(i));
    if (d < 0) break;
    if (!overflow) {
      if (i - digitsStart < 12) small = small * 16 + d;
      else {
        if (i - digitsStart === 12) big = BigInt(small);
        big = big * 16n + BigInt(d);
        if (big > 0x7fffffffffffffffn) overflow = true;
      }
    }
    i++;
  }
  if (i === digitsStart) return { value: 0, end: start };
  let v: bigint;
  if (overflow) v = neg ? -0x8000000000000000n : 0x7fffffffffffffffn;
  else v = i - digitsStart > 12 ? big : BigInt(small);
  if (neg && !overflow) v = -v;
  return { value: Number(BigInt.asUintN(32, v)), end: i };
}

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isHexDigit(c: number): boolean {
  return hexVal(c) >= 0;
}

/** An observed value prepared for matching: its text and, when numeric, its number. */
export interface ObservedValue {
  text: string;
  numeric: boolean;
  num: number;
}

/** Prepares an observed attribute value (nmap reads it once per comparison; we once). */
export function observed(text: string): ObservedValue {
  const r = strtol16(text);
  // strtol leaves `end` at the start when nothing was read, so "" is numeric (0).
  return { text, numeric: r.end === text.length, num: r.value };
}

const enum Kind {
  Less,
  Greater,
  Range,
  /** A `<`/`>`/range alternative that does not read cleanly: never matches a numeric value. */
  Dead,
  Literal,
  Nested,
}

interface Alternative {
  /** What the alternative does for a numeric value. */
  numericKind: Kind;
  a: number;
  b: number;
  /** The alternative's text, for literal comparison. */
  text: string;
  /** Compared as a prefix of the value (an alternative before the last `|`). */
  prefix: boolean;
}

/** A compiled reference expression. */
export interface CompiledExpr {
  readonly source: string;
  readonly alternatives: readonly Alternative[];
}

/** Compiles `expr` (the text after `ATTR=`) as nmap 7.93 reads it. */
export function compileExpr(expr: string): CompiledExpr {
  const alternatives: Alternative[] = [];
  let p = 0;
  for (;;) {
    const bar = nextBar(expr, p);
    const end = bar < 0 ? expr.length : bar;
    const text = expr.slice(p, end);
    const alt: Alternative = { numericKind: Kind.Literal, a: 0, b: 0, text, prefix: bar >= 0 };
    if (text.includes("[")) {
      alt.numericKind = Kind.Nested;
    } else if (expr[p] === "<" || expr[p] === ">") {
      // strtol(p + 1) must stop exactly at this alternative's end.
      const r = strtol16(expr, p + 1);
      alt.numericKind = r.end === end ? (expr[p] === "<" ? Kind.Less : Kind.Greater) : Kind.Dead;
      alt.a = r.value;
    } else if (expr.indexOf("-", p) >= 0) {
      // 7.93 looks for the dash anywhere after p, even in a later alternative.
      const dash = expr.indexOf("-", p);
      const lo = strtol16(expr, p);
      alt.numericKind = Kind.Dead;
      if (lo.end === dash) {
        const hi = strtol16(expr, dash + 1);
        if (hi.end === end) {
          alt.numericKind = Kind.Range;
          alt.a = lo.value;
          alt.b = hi.value;
        }
      }
    }
    alternatives.push(alt);
    if (bar < 0) break;
    p = bar + 1;
  }
  return { source: expr, alternatives };
}

/** The next `|` at or after `p` that is not inside brackets, or -1. */
function nextBar(expr: string, p: number): number {
  let depth = 0;
  for (let i = p; i < expr.length; i++) {
    const c = expr[i];
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    else if (c === "|" && depth === 0) return i;
  }
  return -1;
}

/** True when the observed value satisfies the compiled reference expression. */
export function exprMatch(v: ObservedValue, e: CompiledExpr): boolean {
  for (const alt of e.alternatives) {
    if (alt.numericKind === Kind.Nested) {
      if (nestedMatch(v.text, alt.text)) return true;
      continue;
    }
    if (v.numeric && alt.numericKind !== Kind.Literal) {
      switch (alt.numericKind) {
        case Kind.Less:
          if (v.num < alt.a) return true;
          break;
        case Kind.Greater:
          if (v.num > alt.a) return true;
          break;
        case Kind.Range:
          if (v.num >= alt.a && v.num <= alt.b) return true;
          break;
      }
      continue;
    }
    if (alt.prefix ? v.text.startsWith(alt.text) : v.text === alt.text) return true;
  }
  return false;
}

/** Convenience: match a value text against an expression text (compiles each time). */
export function matchesExpr(value: string, expr: string): boolean {
  return exprMatch(observed(value), compileExpr(expr));
}

/**
 * One alternative with bracketed parts, as nmap 7.94+ reads it: literal text must match
 * exactly, each `[…]` matches the run of hex digits at that point by the inner expression
 * (`<`, `>`, `A-B`, `|`), and the whole value must be used up.
 */
function nestedMatch(value: string, alt: string): boolean {
  let v = 0;
  let p = 0;
  while (p < alt.length) {
    const open = alt.indexOf("[", p);
    if (open < 0) break;
    const close = alt.indexOf("]", open);
    if (close < 0) return false;
    const lit = alt.slice(p, open);
    if (value.slice(v, v + lit.length) !== lit) return false;
    v += lit.length;
    let n = 0;
    while (v + n < value.length && isHexDigit(value.charCodeAt(v + n))) n++;
    if (n === 0) return false;
    if (!innerMatch(value.slice(v, v + n), alt.slice(open + 1, close))) return false;
    v += n;
    p = close + 1;
  }
  return value.slice(v) === alt.slice(p);
}

/** The inner expression of a bracket, on a run of hex digits (leading zeros ignored). */
function innerMatch(digits: string, expr: string): boolean {
  const val = BigInt("0x" + digits);
  for (const alt of expr.split("|")) {
    if (alt === "") continue;
    const num = (s: string) => /^[0-9A-Fa-f]+$/.test(s) ? BigInt("0x" + s) : undefined;
    if (alt[0] === "<" || alt[0] === ">") {
      const n = num(alt.slice(1));
      if (n !== undefined && (alt[0] === "<" ? val < n : val > n)) return true;
      continue;
    }
    const dash = alt.indexOf("-");
    if (dash > 0) {
      const lo = num(alt.slice(0, dash)), hi = num(alt.slice(dash + 1));
      if (lo !== undefined && hi !== undefined && val >= lo && val <= hi) return true;
      continue;
    }
    const n = num(alt);
    if (n !== undefined && n === val) return true;
  }
  return false;
}
