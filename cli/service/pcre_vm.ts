/**
 * A backtracking matcher for parsed PCRE patterns (pcre.ts) with a step
 * budget, for patterns the JavaScript engine could take exponential time on.
 * JavaScript's RegExp cannot be interrupted (not even by terminating a
 * Worker), so hostile input is only safe on an engine that counts its work,
 * as PCRE does with match_limit (nmap sets 50000 calls and depth 1000).
 *
 * Each node compiles into a closure that takes a position and calls its
 * statically known successor; repeats of complex bodies use a stack of
 * continuations. Captures follow PCRE numbering.
 */

import { type ByteSet, hasByte, lengthRange, type Node, type Pattern } from "./pcre.ts";

/** Thrown when a match attempt exceeds its step budget (or the stack). */
export class MatchLimitError extends Error {
  constructor() {
    super("regular expression match limit exceeded");
    this.name = "MatchLimitError";
  }
}

type M = (i: number) => boolean;

interface Ctx {
  s: Uint8Array;
  len: number;
  caps: Int32Array;
  open: Int32Array;
  steps: number;
  kstack: M[];
}

/** A compiled matcher. */
export interface VmMatcher {
  /** Captures as [start0, end0, start1, end1, ...] (-1 unset), or null. */
  exec(subject: Uint8Array, budget?: number): Int32Array | null;
  /** Steps the last exec used. */
  lastSteps: number;
}

const isWord = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

const lowerByte = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 32 : c);

/** Default step budget per match call. */
export const DEFAULT_VM_BUDGET = 1_000_000;

/** Compiles a parsed pattern into a budgeted matcher. */
export function compileVm(p: Pattern): VmMatcher {
  const ctx: Ctx = {
    s: new Uint8Array(0),
    len: 0,
    caps: new Int32Array(2 * (p.groups + 1)),
    open: new Int32Array(p.groups + 1),
    steps: 0,
    kstack: [],
  };
  const step = () => {
    if (--ctx.steps < 0) throw new MatchLimitError();
  };

  /** Runs `body` (compiled with a dynamic tail) with continuation k. */
  const withK = (body: M, i: number, k: M): boolean => {
    ctx.kstack.push(k);
    try {
      return body(i);
    } finally {
      ctx.kstack.pop();
    }
  };
  const dynTail: M = (j) => {
    const k = ctx.kstack.pop()!;
    try {
      return k(j);
    } finally {
      ctx.kstack.push(k);
    }
  };

  const compile = (n: Node, next: M): M => {
    switch (n.t) {
      case "set": {
        const set = n.set;
        return (i) => {
          step();
          return i < ctx.len && hasByte(set, ctx.s[i]!) && next(i + 1);
        };
      }
      case "seq": {
        let m = next;
        for (let x = n.items.length - 1; x >= 0; x--) m = compile(n.items[x]!, m);
        return m;
      }
      case "alt": {
        const ms = n.alts.map((a) => compile(a, next));
        return (i) => {
          step();
          for (const m of ms) if (m(i)) return true;
          return false;
        };
      }
      case "group": {
        if (n.cap === 0) return compile(n.body, next);
        const g = n.cap;
        const close: M = (j) => {
          const o0 = ctx.caps[2 * g]!, o1 = ctx.caps[2 * g + 1]!;
          ctx.caps[2 * g] = ctx.open[g]!;
          ctx.caps[2 * g + 1] = j;
          if (next(j)) return true;
          ctx.caps[2 * g] = o0;
          ctx.caps[2 * g + 1] = o1;
          return false;
        };
        const body = compile(n.body, close);
        return (i) => {
          const saved = ctx.open[g]!;
          ctx.open[g] = i;
          if (body(i)) return true;
          ctx.open[g] = saved;
          return false;
        };
      }
      case "atomic": {
        const body = compile(n.body, dynTail);
        return (i) => {
          const snap = ctx.caps.slice();
          let end = -1;
          if (!withK(body, i, (j) => ((end = j), true))) return false;
          if (next(end)) return true;
          ctx.caps.set(snap);
          return false;
        };
      }
      case "look": {
        if (n.behind) return compileLookbehind(n.body, n.neg, next);
        const body = compile(n.body, dynTail);
        const yes: M = () => true;
        return (i) => {
          step();
          const snap = ctx.caps.slice();
          const r = withK(body, i, yes);
          if (n.neg) {
            ctx.caps.set(snap);
            return !r && next(i);
          }
          if (r && next(i)) return true;
          ctx.caps.set(snap);
          return false;
        };
      }
      case "assert": {
        const s = () => ctx.s;
        switch (n.kind) {
          case "start":
            return (i) => i === 0 && next(i);
          case "bol":
            return (i) => (i === 0 || (s()[i - 1] === 0x0a && i < ctx.len)) && next(i);
          case "end":
            return (i) => (i === ctx.len || (i === ctx.len - 1 && s()[i] === 0x0a)) && next(i);
          case "eol":
            return (i) => (i === ctx.len || s()[i] === 0x0a) && next(i);
          case "abs_end":
            return (i) => i === ctx.len && next(i);
          case "word":
          case "nonword": {
            const want = n.kind === "word";
            return (i) => {
              const a = i > 0 && isWord(s()[i - 1]!);
              const b = i < ctx.len && isWord(s()[i]!);
              return (a !== b) === want && next(i);
            };
          }
        }
        throw new Error("unreachable");
      }
      case "backref": {
        const g = n.n, caseless = n.caseless;
        return (i) => {
          step();
          const a = ctx.caps[2 * g]!, b = ctx.caps[2 * g + 1]!;
          if (a < 0) return false; // PCRE: a reference to an unset group fails
          const l = b - a;
          if (i + l > ctx.len) return false;
          const s = ctx.s;
          for (let x = 0; x < l; x++) {
            const p = s[a + x]!, q = s[i + x]!;
            if (p !== q && !(caseless && lowerByte(p) === lowerByte(q))) return false;
          }
          ctx.steps -= l;
          return next(i + l);
        };
      }
      case "repeat":
        return compileRepeat(n, next);
    }
  };

  const compileRepeat = (n: Extract<Node, { t: "repeat" }>, next: M): M => {
    const { min, max } = n;
    if (n.body.t === "set") {
      const set = n.body.set;
      if (n.possessive) {
        return (i) => {
          const s = ctx.s, lim = Math.min(max, ctx.len - i);
          let c = 0;
          while (c < lim && hasByte(set, s[i + c]!)) c++;
          ctx.steps -= c + 1;
          if (ctx.steps < 0) throw new MatchLimitError();
          return c >= min && next(i + c);
        };
      }
      if (n.greedy) {
        return (i) => {
          const s = ctx.s, lim = Math.min(max, ctx.len - i);
          let c = 0;
          while (c < lim && hasByte(set, s[i + c]!)) c++;
          ctx.steps -= c;
          for (; c >= min; c--) {
            step();
            if (next(i + c)) return true;
          }
          return false;
        };
      }
      return (i) => {
        const s = ctx.s;
        let c = 0;
        for (; c < min; c++) if (i + c >= ctx.len || !hasByte(set, s[i + c]!)) return false;
        for (;;) {
          step();
          if (next(i + c)) return true;
          if (c >= max || i + c >= ctx.len || !hasByte(set, s[i + c]!)) return false;
          c++;
        }
      };
    }
    const body = compile(n.body, dynTail);
    if (n.possessive) {
      const inner = compileRepeat({ ...n, possessive: false }, dynTail);
      return (i) => {
        const snap = ctx.caps.slice();
        let end = -1;
        if (!withK(inner, i, (j) => ((end = j), true))) return false;
        if (next(end)) return true;
        ctx.caps.set(snap);
        return false;
      };
    }
    if (n.greedy) {
      const rec = (i: number, count: number): boolean => {
        step();
        if (count < max) {
          // An iteration that matched nothing ends the loop (PCRE does the same).
          if (withK(body, i, (j) => (j === i ? next(j) : rec(j, count + 1)))) return true;
        }
        return count >= min && next(i);
      };
      return (i) => rec(i, 0);
    }
    const rec = (i: number, count: number): boolean => {
      step();
      if (count >= min && next(i)) return true;
      if (count < max) {
        return withK(body, i, (j) => (j === i ? count + 1 >= min && next(j) : rec(j, count + 1)));
      }
      return false;
    };
    return (i) => rec(i, 0);
  };

  const compileLookbehind = (body: Node, neg: boolean, next: M): M => {
    const branches = body.t === "alt" ? body.alts : [body];
    const compiled = branches.map((b) => {
      const [lo, hi] = lengthRange(b);
      if (lo !== hi) throw new Error("lookbehind assertion is not fixed length");
      return { len: lo, m: compile(b, dynTail) };
    });
    return (i) => {
      step();
      const snap = ctx.caps.slice();
      let ok = false;
      for (const { len, m } of compiled) {
        if (i - len < 0) continue;
        if (withK(m, i - len, (j) => j === i)) {
          ok = true;
          break;
        }
      }
      if (neg) {
        ctx.caps.set(snap);
        return !ok && next(i);
      }
      if (ok && next(i)) return true;
      ctx.caps.set(snap);
      return false;
    };
  };

  let matchEnd = -1;
  const root = compile(p.root, (j) => {
    matchEnd = j;
    return true;
  });
  const anchored = isAnchored(p.root);
  const first = firstBytes(p.root);

  const matcher: VmMatcher = { exec, lastSteps: 0 };
  return matcher;

  function exec(subject: Uint8Array, budget = DEFAULT_VM_BUDGET): Int32Array | null {
    try {
      return run(subject, budget);
    } finally {
      matcher.lastSteps = budget - Math.max(ctx.steps, 0);
    }
  }

  function run(subject: Uint8Array, budget: number): Int32Array | null {
    ctx.s = subject;
    ctx.len = subject.length;
    ctx.steps = budget;
    ctx.kstack.length = 0;
    const last = anchored ? 0 : subject.length;
    try {
      for (let start = 0; start <= last; start++) {
        if (first && (start >= subject.length || !hasByte(first, subject[start]!))) continue;
        ctx.caps.fill(-1);
        ctx.open.fill(-1);
        if (root(start)) {
          ctx.caps[0] = start;
          ctx.caps[1] = matchEnd;
          return ctx.caps.slice();
        }
        step();
      }
    } catch (e) {
      if (e instanceof RangeError) throw new MatchLimitError(); // stack depth, as PCRE's depth limit
      throw e;
    }
    return null;
  }
}

/** Whether every branch begins with a start-of-subject assertion. */
export function isAnchored(n: Node): boolean {
  switch (n.t) {
    case "assert":
      return n.kind === "start";
    case "seq":
      for (const it of n.items) {
        if (isAnchored(it)) return true;
        if (!(it.t === "look" || it.t === "assert")) return false;
      }
      return false;
    case "alt":
      return n.alts.every(isAnchored);
    case "group":
    case "atomic":
      return isAnchored(n.body);
    case "repeat":
      return n.min >= 1 && isAnchored(n.body);
    default:
      return false;
  }
}

/** The bytes a non-empty match can start with, or null when unknown/any. */
export function firstBytes(n: Node): ByteSet | null {
  switch (n.t) {
    case "set":
      return n.set;
    case "seq": {
      for (const it of n.items) {
        if (it.t === "assert" && (it.kind === "word" || it.kind === "nonword")) continue;
        if (it.t === "assert" || it.t === "look") return null;
        if (it.t === "repeat" && it.min === 0) return null;
        return firstBytes(it);
      }
      return null;
    }
    case "alt": {
      const acc = new Uint32Array(8);
      for (const a of n.alts) {
        const f = firstBytes(a);
        if (!f) return null;
        for (let i = 0; i < 8; i++) acc[i]! |= f[i]!;
      }
      return acc;
    }
    case "group":
    case "atomic":
      return firstBytes(n.body);
    case "repeat":
      return n.min >= 1 ? firstBytes(n.body) : null;
    default:
      return null;
  }
}
