/**
 * A parser for the Perl/PCRE regular expressions of `nmap-service-probes`
 * match lines, in PCRE's non-UTF (byte) mode, into a small syntax tree.
 *
 * The tree serves three consumers:
 * - `toJsRegExp` translates it into JavaScript RegExp source, rewriting what
 *   JavaScript lacks or means differently (inline flags, `\Z`, possessive
 *   quantifiers and atomic groups, `\0` octal, `.` and `\r`, `$` before a final
 *   newline, `\s` and 0xA0, POSIX classes, a leading `]` in a class).
 * - `requiredLiterals` extracts substrings every match must contain, so most
 *   patterns are rejected with one `indexOf` before any regex runs.
 * - `pcre_vm.ts` interprets it with a step budget, for patterns whose shape
 *   could backtrack catastrophically (PCRE itself caps work with match_limit).
 *
 * Character sets are 256-bit bitmaps over bytes: responses are bytes, and in
 * non-UTF mode PCRE folds case for ASCII letters only.
 */

/** A set of byte values as a 256-bit bitmap (8 × 32 bits). */
export type ByteSet = Uint32Array;

/** A node of a parsed pattern. */
export type Node =
  | { t: "set"; set: ByteSet }
  | { t: "seq"; items: Node[] }
  | { t: "alt"; alts: Node[] }
  | { t: "group"; cap: number; body: Node }
  | {
    t: "repeat";
    body: Node;
    min: number;
    max: number;
    greedy: boolean;
    possessive: boolean;
  }
  | { t: "atomic"; body: Node }
  | { t: "look"; behind: boolean; neg: boolean; body: Node }
  | { t: "assert"; kind: AssertKind }
  | { t: "backref"; n: number; caseless: boolean };

/** Zero-width assertions. `bol`/`eol` are the multiline forms of `^`/`$`. */
export type AssertKind =
  | "start" // ^ (non-multiline), \A, \G at offset 0
  | "bol" // ^ in multiline mode
  | "end" // $ (non-multiline), \Z: end, or before a final \n
  | "eol" // $ in multiline mode
  | "abs_end" // \z
  | "word" // \b
  | "nonword"; // \B

/** A parsed pattern. */
export interface Pattern {
  root: Node;
  /** Number of capturing groups. */
  groups: number;
}

/** Thrown for syntax PCRE rejects or features this parser does not support. */
export class PcreError extends Error {
  /** True when the pattern is valid PCRE that we do not implement. */
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.name = "PcreError";
    this.unsupported = unsupported;
  }
}

// ---------------------------------------------------------------- byte sets

const setCache = new Map<string, ByteSet>();

/** Interns a set so the thousands of patterns in a DB share identical bitmaps. */
function intern(s: ByteSet): ByteSet {
  const key = `${s[0]},${s[1]},${s[2]},${s[3]},${s[4]},${s[5]},${s[6]},${s[7]}`;
  const hit = setCache.get(key);
  if (hit) return hit;
  const own = new Uint32Array(s);
  setCache.set(key, own);
  return own;
}

/** Scratch bitmap for building classes without allocating (V8 typed arrays are costly). */
const scratch = new Uint32Array(8);

function emptySet(): ByteSet {
  return new Uint32Array(8);
}

function addByte(s: ByteSet, c: number): void {
  s[c >> 5]! |= 1 << (c & 31);
}

function addRange(s: ByteSet, lo: number, hi: number): void {
  for (let c = lo; c <= hi; c++) addByte(s, c);
}

/** Whether byte `c` is in set `s`. */
export function hasByte(s: ByteSet, c: number): boolean {
  return ((s[c >> 5]! >>> (c & 31)) & 1) === 1;
}

function union(into: ByteSet, from: ByteSet): void {
  for (let i = 0; i < 8; i++) into[i]! |= from[i]!;
}

function negate(s: ByteSet): ByteSet {
  const r = emptySet();
  for (let i = 0; i < 8; i++) r[i] = ~s[i]! >>> 0;
  return r;
}

/** Adds the other case of every ASCII letter (PCRE's default tables). */
function foldCase(s: ByteSet): ByteSet {
  const r = new Uint32Array(s);
  for (let c = 0x41; c <= 0x5a; c++) {
    if (hasByte(s, c) || hasByte(s, c + 32)) {
      addByte(r, c);
      addByte(r, c + 32);
    }
  }
  return r;
}

/** Number of bytes in a set. */
export function setSize(s: ByteSet): number {
  let n = 0;
  for (let i = 0; i < 8; i++) {
    let v = s[i]!;
    while (v) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}

function setOf(...bytes: number[]): ByteSet {
  const s = emptySet();
  for (const b of bytes) addByte(s, b);
  return s;
}

function rangeSet(lo: number, hi: number): ByteSet {
  const s = emptySet();
  addRange(s, lo, hi);
  return s;
}

const DIGIT = rangeSet(0x30, 0x39);
const WORD = (() => {
  const s = rangeSet(0x30, 0x39);
  addRange(s, 0x41, 0x5a);
  addRange(s, 0x61, 0x7a);
  addByte(s, 0x5f);
  return s;
})();
/** PCRE2 \s: space, \t \n \v \f \r (not 0xA0 or 0x85 outside UCP mode). */
const SPACE = setOf(0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d);
/** \h: horizontal white space in Latin-1. */
const HSPACE = setOf(0x20, 0x09, 0xa0);
/** \v: vertical white space in Latin-1. */
const VSPACE = setOf(0x0a, 0x0b, 0x0c, 0x0d, 0x85);
const NEWLINE = setOf(0x0a);

const NOT_DIGIT = negate(DIGIT);
const NOT_WORD = negate(WORD);
const NOT_SPACE = negate(SPACE);
const NOT_HSPACE = negate(HSPACE);
const NOT_VSPACE = negate(VSPACE);
const NOT_NEWLINE = negate(NEWLINE);
const ANY = negate(emptySet());

const POSIX: Record<string, ByteSet> = {
  alpha: (() => {
    const s = rangeSet(0x41, 0x5a);
    addRange(s, 0x61, 0x7a);
    return s;
  })(),
  digit: DIGIT,
  alnum: (() => {
    const s = rangeSet(0x30, 0x39);
    addRange(s, 0x41, 0x5a);
    addRange(s, 0x61, 0x7a);
    return s;
  })(),
  upper: rangeSet(0x41, 0x5a),
  lower: rangeSet(0x61, 0x7a),
  space: SPACE,
  blank: setOf(0x20, 0x09),
  cntrl: (() => {
    const s = rangeSet(0, 0x1f);
    addByte(s, 0x7f);
    return s;
  })(),
  print: rangeSet(0x20, 0x7e),
  graph: rangeSet(0x21, 0x7e),
  punct: (() => {
    const s = rangeSet(0x21, 0x2f);
    addRange(s, 0x3a, 0x40);
    addRange(s, 0x5b, 0x60);
    addRange(s, 0x7b, 0x7e);
    return s;
  })(),
  xdigit: (() => {
    const s = rangeSet(0x30, 0x39);
    addRange(s, 0x41, 0x46);
    addRange(s, 0x61, 0x66);
    return s;
  })(),
  word: WORD,
  ascii: rangeSet(0, 0x7f),
};

const literalSets: Array<ByteSet | null> = new Array(512).fill(null);

/** The (interned) set for one literal byte, case-folded or not. */
function literalSet(code: number, caseless: boolean): ByteSet {
  const k = code * 2 + (caseless ? 1 : 0);
  let s = literalSets[k];
  if (!s) {
    s = setOf(code);
    if (caseless) s = foldCase(s);
    s = literalSets[k] = intern(s);
  }
  return s;
}

// ------------------------------------------------------------------- parser

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
  U: boolean;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isOctal = (c: string | undefined) => c !== undefined && c >= "0" && c <= "7";
const isHex = (c: string | undefined) =>
  c !== undefined && ((c >= "0" && c <= "9") || (c >= "a" && c <= "f") || (c >= "A" && c <= "F"));
const isAlnum = (c: string | undefined) =>
  c !== undefined && ((c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

/** Counts capturing groups, so `\10` can be told apart from octal `\010`. */
function countGroups(src: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      if (src[i + 1] === "Q") {
        const e = src.indexOf("\\E", i + 2);
        i = e < 0 ? src.length : e + 1;
      } else i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      // A ] right after [ or [^ is a literal member.
      if (src[i + 1] === "^") i++;
      if (src[i + 1] === "]") i++;
      continue;
    }
    if (c !== "(") continue;
    if (src[i + 1] !== "?") {
      if (src[i + 1] !== "*") n++;
      continue;
    }
    const rest = src.slice(i + 2, i + 4);
    if (rest.startsWith("P<") || rest.startsWith("'")) n++;
    else if (rest[0] === "<" && rest[1] !== "=" && rest[1] !== "!") n++;
  }
  return n;
}

class Parser {
  private pos = 0;
  private groupNo = 0;
  private readonly names = new Map<string, number>();
  readonly totalGroups: number;

  constructor(private readonly src: string, private flags: Flags) {
    this.totalGroups = countGroups(src);
  }

  parse(): Pattern {
    const root = this.parseAlt();
    if (this.pos < this.src.length) {
      throw new PcreError(`unmatched ) at offset ${this.pos}`);
    }
    return { root, groups: this.groupNo };
  }

  private peek(o = 0): string | undefined {
    return this.src[this.pos + o];
  }

  private parseAlt(): Node {
    const alts: Node[] = [this.parseSeq()];
    while (this.peek() === "|") {
      this.pos++;
      alts.push(this.parseSeq());
    }
    return alts.length === 1 ? alts[0]! : { t: "alt", alts };
  }

  private parseSeq(): Node {
    const items: Node[] = [];
    for (;;) {
      this.skipExtended();
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      const atom = this.parseAtom(items);
      if (atom === null) continue;
      items.push(this.parseQuantifier(atom));
    }
    return items.length === 1 ? items[0]! : { t: "seq", items };
  }

  /** In (?x) mode, white space and #-comments between tokens are ignored. */
  private skipExtended(): void {
    if (!this.flags.x) return;
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
        this.pos++;
      } else if (c === "#") {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else return;
    }
  }

  private parseQuantifier(atom: Node): Node {
    this.skipExtended();
    let min: number, max: number;
    const c = this.peek();
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return atom; // not a quantifier: a literal { (handled by caller next round)
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) throw new PcreError("numbers out of order in {} quantifier");
      if (min > 65535 || (max !== Infinity && max > 65535)) {
        throw new PcreError("number too big in {} quantifier");
      }
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    if (atom.t === "assert" || (atom.t === "look")) {
      // PCRE allows quantified assertions; {0} or ? make them optional, others are idempotent.
      if (max === 0 || min === 0) atom = { t: "seq", items: [] };
    }
    let greedy = !this.flags.U;
    let possessive = false;
    if (this.peek() === "?") {
      greedy = !greedy;
      this.pos++;
    } else if (this.peek() === "+") {
      possessive = true;
      greedy = true;
      this.pos++;
    }
    const q = this.peek();
    if (q === "*" || q === "+" || q === "?") {
      throw new PcreError(`quantifier does not follow a repeatable item at offset ${this.pos}`);
    }
    return { t: "repeat", body: atom, min, max, greedy, possessive };
  }

  private literal(code: number): Node {
    return { t: "set", set: literalSet(code, this.flags.i) };
  }

  /** Parses one atom; returns null for items that produce nothing (comments, flag settings). */
  private parseAtom(seqSoFar: Node[]): Node | null {
    const c = this.src[this.pos]!;
    switch (c) {
      case "(":
        return this.parseGroup(seqSoFar);
      case "[":
        return this.parseClass();
      case ".": {
        this.pos++;
        return { t: "set", set: intern(this.flags.s ? ANY : NOT_NEWLINE) };
      }
      case "^":
        this.pos++;
        return { t: "assert", kind: this.flags.m ? "bol" : "start" };
      case "$":
        this.pos++;
        return { t: "assert", kind: this.flags.m ? "eol" : "end" };
      case "\\":
        return this.parseEscape();
      case "*":
      case "+":
      case "?":
        throw new PcreError(`quantifier does not follow a repeatable item at offset ${this.pos}`);
      default:
        this.pos++;
        return this.literal(c.charCodeAt(0) & 0xff);
    }
  }

  private parseGroup(seqSoFar: Node[]): Node | null {
    const start = this.pos;
    this.pos++; // (
    let kind: "cap" | "noncap" | "atomic" | "look" = "cap";
    let behind = false, neg = false;
    let name: string | undefined;
    const saved = { ...this.flags };
    if (this.peek() === "*") throw new PcreError("(*VERB) not supported", true);
    if (this.peek() === "?") {
      this.pos++;
      const c = this.peek();
      if (c === ":") {
        kind = "noncap";
        this.pos++;
      } else if (c === "=" || c === "!") {
        kind = "look";
        neg = c === "!";
        this.pos++;
      } else if (c === "<" && (this.peek(1) === "=" || this.peek(1) === "!")) {
        kind = "look";
        behind = true;
        neg = this.peek(1) === "!";
        this.pos += 2;
      } else if (c === ">") {
        kind = "atomic";
        this.pos++;
      } else if (c === "#") {
        const e = this.src.indexOf(")", this.pos);
        if (e < 0) throw new PcreError("missing ) after (?# comment");
        this.pos = e + 1;
        return null;
      } else if (c === "P" && this.peek(1) === "<" || c === "<" || c === "'") {
        if (c === "P") this.pos++;
        const close = this.peek() === "'" ? "'" : ">";
        this.pos++;
        const e = this.src.indexOf(close, this.pos);
        if (e < 0) throw new PcreError("unterminated group name");
        name = this.src.slice(this.pos, e);
        if (!/^[A-Za-z_]\w*$/.test(name)) throw new PcreError(`bad group name ${name}`);
        this.pos = e + 1;
      } else if (c === "P" && this.peek(1) === "=") {
        const e = this.src.indexOf(")", this.pos);
        if (e < 0) throw new PcreError("unterminated (?P= reference");
        const ref = this.src.slice(this.pos + 2, e);
        this.pos = e + 1;
        const n = this.names.get(ref);
        if (n === undefined) throw new PcreError(`reference to unknown group ${ref}`);
        return { t: "backref", n, caseless: this.flags.i };
      } else if (
        c === "|" || c === "(" || c === "R" || c === "&" || isDigit(c) || c === "+" ||
        (c === "P" && this.peek(1) === ">") || (c === "-" && isDigit(this.peek(1)))
      ) {
        throw new PcreError(`(?${c} (branch reset, condition or recursion) not supported`, true);
      } else {
        // Flag settings: (?imsx-imsx) or (?imsx-imsx:...)
        const m = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(this.src.slice(this.pos));
        if (!m) throw new PcreError(`unrecognised character after (? at offset ${this.pos}`);
        const on = m[1]!, off = m[2] ?? "";
        for (const f of on + off) {
          if (!"imsxUJn".includes(f)) {
            throw new PcreError(`unrecognised flag ${f} after (?`);
          }
          if (f === "J" || f === "n") throw new PcreError(`flag (?${f}) not supported`, true);
        }
        const next = { ...this.flags };
        for (const f of on) (next as unknown as Record<string, boolean>)[f] = true;
        for (const f of off) (next as unknown as Record<string, boolean>)[f] = false;
        this.pos += m[0].length;
        if (m[3] === ")") {
          // (?i) applies to the rest of the enclosing group: parse that rest now.
          this.flags = next;
          void seqSoFar;
          return null;
        }
        this.flags = next;
        const body = this.parseAlt();
        this.expectClose(start);
        this.flags = saved;
        return { t: "group", cap: 0, body };
      }
    }
    let cap = 0;
    if (kind === "cap") {
      cap = ++this.groupNo;
      if (name !== undefined) this.names.set(name, cap);
    }
    const body = this.parseAlt();
    this.expectClose(start);
    this.flags = saved;
    if (kind === "look") return { t: "look", behind, neg, body };
    if (kind === "atomic") return { t: "atomic", body };
    return { t: "group", cap, body };
  }

  private expectClose(start: number): void {
    if (this.peek() !== ")") throw new PcreError(`missing ) for group at offset ${start}`);
    this.pos++;
  }

  /** Parses an escape outside a class. */
  private parseEscape(): Node {
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) throw new PcreError("\\ at end of pattern");
    const cls = this.classEscape(c);
    if (cls) {
      this.pos++;
      return { t: "set", set: intern(cls) };
    }
    switch (c) {
      case "b":
        this.pos++;
        return { t: "assert", kind: "word" };
      case "B":
        this.pos++;
        return { t: "assert", kind: "nonword" };
      case "A":
      case "G": // \G at start offset 0 is the start of the subject
        this.pos++;
        return { t: "assert", kind: "start" };
      case "Z":
        this.pos++;
        return { t: "assert", kind: "end" };
      case "z":
        this.pos++;
        return { t: "assert", kind: "abs_end" };
      case "R": {
        this.pos++;
        // \R: any Unicode newline sequence (Latin-1 subset), atomically.
        const crlf: Node = {
          t: "seq",
          items: [{ t: "set", set: intern(setOf(0x0d)) }, { t: "set", set: intern(setOf(0x0a)) }],
        };
        return {
          t: "atomic",
          body: { t: "alt", alts: [crlf, { t: "set", set: intern(VSPACE) }] },
        };
      }
      case "Q": {
        const e = this.src.indexOf("\\E", this.pos + 1);
        const text = this.src.slice(this.pos + 1, e < 0 ? undefined : e);
        this.pos = e < 0 ? this.src.length : e + 2;
        const items = [...text].map((ch) => this.literal(ch.charCodeAt(0) & 0xff));
        return { t: "group", cap: 0, body: { t: "seq", items } };
      }
      case "E":
        this.pos++;
        return { t: "seq", items: [] };
      case "g":
      case "k":
        return this.parseNamedOrGRef(c);
      case "K":
      case "p":
      case "P":
      case "X":
      case "C":
        throw new PcreError(`\\${c} not supported`, true);
    }
    if (isDigit(c) && c !== "0") {
      // \1..\9 are always back references; \10+ only if that many groups exist.
      const m = /^\d+/.exec(this.src.slice(this.pos))![0];
      const n = Number(m);
      if (n < 10 || n <= this.groupNo) {
        this.pos += m.length;
        if (n > this.totalGroups) throw new PcreError(`reference to non-existent subpattern ${n}`);
        return { t: "backref", n, caseless: this.flags.i };
      }
    }
    return this.literal(this.charEscape());
  }

  private parseNamedOrGRef(c: string): Node {
    const rest = this.src.slice(this.pos + 1);
    let m: RegExpExecArray | null;
    let n: number | undefined;
    if (c === "g" && (m = /^\{?(-?\d+)\}?/.exec(rest))) {
      n = Number(m[1]);
      if (n < 0) n = this.groupNo + 1 + n;
    } else if ((m = /^(?:\{(\w+)\}|<(\w+)>|'(\w+)')/.exec(rest))) {
      const name = m[1] ?? m[2] ?? m[3]!;
      n = this.names.get(name);
      if (n === undefined) throw new PcreError(`reference to unknown group ${name}`);
    } else throw new PcreError(`bad \\${c} reference`);
    this.pos += 1 + m[0].length;
    if (n < 1 || n > this.totalGroups) throw new PcreError(`reference to non-existent subpattern`);
    return { t: "backref", n, caseless: this.flags.i };
  }

  /** The class escapes \d \D \w \W \s \S \h \H \v \V \N; null if c is not one. */
  private classEscape(c: string): ByteSet | null {
    switch (c) {
      case "d":
        return DIGIT;
      case "D":
        return NOT_DIGIT;
      case "w":
        return WORD;
      case "W":
        return NOT_WORD;
      case "s":
        return SPACE;
      case "S":
        return NOT_SPACE;
      case "h":
        return HSPACE;
      case "H":
        return NOT_HSPACE;
      case "v":
        return VSPACE;
      case "V":
        return NOT_VSPACE;
      case "N":
        return NOT_NEWLINE;
    }
    return null;
  }

  /** Parses a single-character escape at this.pos (after the backslash). */
  private charEscape(): number {
    const c = this.src[this.pos]!;
    this.pos++;
    switch (c) {
      case "n":
        return 0x0a;
      case "r":
        return 0x0d;
      case "t":
        return 0x09;
      case "f":
        return 0x0c;
      case "e":
        return 0x1b;
      case "a":
        return 0x07;
      case "c": {
        const x = this.src[this.pos];
        if (x === undefined) throw new PcreError("\\c at end of pattern");
        this.pos++;
        return (x.toUpperCase().charCodeAt(0) ^ 0x40) & 0xff;
      }
      case "x": {
        if (this.peek() === "{") {
          const e = this.src.indexOf("}", this.pos);
          const hex = this.src.slice(this.pos + 1, e);
          if (e < 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new PcreError("bad \\x{...} escape");
          this.pos = e + 1;
          const v = parseInt(hex, 16);
          if (v > 0xff) throw new PcreError("character code point value in \\x{} is too large");
          return v;
        }
        let hex = "";
        while (hex.length < 2 && isHex(this.peek())) hex += this.src[this.pos++];
        return hex === "" ? 0 : parseInt(hex, 16);
      }
      case "o": {
        if (this.peek() !== "{") throw new PcreError("\\o must be followed by {");
        const e = this.src.indexOf("}", this.pos);
        const oct = this.src.slice(this.pos + 1, e);
        if (e < 0 || !/^[0-7]+$/.test(oct)) throw new PcreError("bad \\o{...} escape");
        this.pos = e + 1;
        const v = parseInt(oct, 8);
        if (v > 0xff) throw new PcreError("character code point value in \\o{} is too large");
        return v;
      }
    }
    if (isOctal(c)) {
      // \0 takes up to two more octal digits; \1-\7 (when not a back reference) up to three in all.
      let oct = c;
      while (oct.length < 3 && isOctal(this.peek())) oct += this.src[this.pos++];
      return parseInt(oct, 8) & 0xff;
    }
    if (c === "8" || c === "9") return c.charCodeAt(0);
    if (isAlnum(c)) throw new PcreError(`unrecognized escape \\${c}`);
    return c.charCodeAt(0) & 0xff;
  }

  private parseClass(): Node {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const set = scratch;
    set.fill(0);
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        throw new PcreError(`missing terminating ] for class at offset ${start}`);
      }
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      // POSIX class [:name:] / [:^name:]
      if (c === "[" && (this.peek(1) === ":" || this.peek(1) === "." || this.peek(1) === "=")) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        if (m) {
          const p = POSIX[m[2]!];
          if (!p) throw new PcreError(`unknown POSIX class name ${m[2]}`);
          union(set, m[1] ? negate(p) : p);
          this.pos += m[0].length;
          continue;
        }
        if (this.peek(1) !== ":") throw new PcreError("POSIX collating elements are not supported");
      }
      let lo: number;
      if (c === "\\") {
        this.pos++;
        const e = this.peek();
        if (e === undefined) throw new PcreError("\\ at end of pattern");
        const cls = this.classEscape(e);
        if (cls) {
          this.pos++;
          union(set, cls);
          continue;
        }
        if (e === "Q") {
          const end = this.src.indexOf("\\E", this.pos + 1);
          const text = this.src.slice(this.pos + 1, end < 0 ? undefined : end);
          this.pos = end < 0 ? this.src.length : end + 2;
          for (const ch of text) addByte(set, ch.charCodeAt(0) & 0xff);
          continue;
        }
        if (e === "E") {
          this.pos++;
          continue;
        }
        if (e === "b") {
          this.pos++;
          lo = 0x08;
        } else if (isDigit(e) && e !== "0" && e !== "8" && e !== "9") {
          // In a class, \1-\7 are octal.
          let oct = "";
          while (oct.length < 3 && isOctal(this.peek())) oct += this.src[this.pos++];
          lo = parseInt(oct, 8) & 0xff;
        } else if (e === "B" || e === "R" || e === "X") {
          throw new PcreError(`escape \\${e} is invalid in a class`);
        } else lo = this.charEscape();
      } else {
        this.pos++;
        lo = c.charCodeAt(0) & 0xff;
      }
      // A range lo-hi, unless the - is last in the class.
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        const save = this.pos;
        this.pos++;
        let hi: number | null = null;
        const h = this.peek()!;
        if (h === "\\") {
          this.pos++;
          const e = this.peek()!;
          if (this.classEscape(e)) {
            // [a-\d] is a, -, and digits.
            this.pos = save;
          } else if (e === "b") {
            this.pos++;
            hi = 0x08;
          } else if (isDigit(e) && e !== "0" && e !== "8" && e !== "9") {
            let oct = "";
            while (oct.length < 3 && isOctal(this.peek())) oct += this.src[this.pos++];
            hi = parseInt(oct, 8) & 0xff;
          } else hi = this.charEscape();
        } else if (h === "[" && this.peek(1) === ":") {
          this.pos = save;
        } else {
          this.pos++;
          hi = h.charCodeAt(0) & 0xff;
        }
        if (hi !== null) {
          if (hi < lo) throw new PcreError("range out of order in character class");
          addRange(set, lo, hi);
          continue;
        }
      }
      addByte(set, lo);
    }
    let s: ByteSet = set;
    if (this.flags.i) s = foldCase(s);
    if (negated) s = negate(s);
    return { t: "set", set: intern(s) };
  }
}

/**
 * Parses a PCRE pattern with nmap's option letters (`i` caseless, `s`
 * dotall; `m` and `x` accepted too). Throws PcreError on bad syntax or on
 * features we do not implement (error.unsupported).
 */
export function parsePcre(source: string, options = ""): Pattern {
  const flags: Flags = {
    i: options.includes("i"),
    s: options.includes("s"),
    m: options.includes("m"),
    x: options.includes("x"),
    U: false,
  };
  return new Parser(source, flags).parse();
}

// ----------------------------------------------------------------- analysis

/** Whether a node can match the empty string. */
export function canBeEmpty(n: Node): boolean {
  switch (n.t) {
    case "set":
      return false;
    case "seq":
      return n.items.every(canBeEmpty);
    case "alt":
      return n.alts.some(canBeEmpty);
    case "group":
    case "atomic":
      return canBeEmpty(n.body);
    case "repeat":
      return n.min === 0 || canBeEmpty(n.body);
    case "look":
    case "assert":
      return true;
    case "backref":
      return true;
  }
}

/** Minimum and maximum match length (max Infinity when unbounded or unknown). */
export function lengthRange(n: Node): [number, number] {
  switch (n.t) {
    case "set":
      return [1, 1];
    case "seq": {
      let lo = 0, hi = 0;
      for (const it of n.items) {
        const [a, b] = lengthRange(it);
        lo += a;
        hi += b;
      }
      return [lo, hi];
    }
    case "alt": {
      let lo = Infinity, hi = 0;
      for (const a of n.alts) {
        const [x, y] = lengthRange(a);
        lo = Math.min(lo, x);
        hi = Math.max(hi, y);
      }
      return [lo, hi];
    }
    case "group":
    case "atomic":
      return lengthRange(n.body);
    case "repeat": {
      const [a, b] = lengthRange(n.body);
      return [a * n.min, n.max === Infinity ? (b === 0 ? 0 : Infinity) : b * n.max];
    }
    case "look":
    case "assert":
      return [0, 0];
    case "backref":
      return [0, Infinity];
  }
}

const singleCache = new WeakMap<ByteSet, number | null>();

/**
 * Literal substrings that any match must contain, lower-cased (ASCII) so one
 * check against a lower-cased subject is a sound pre-filter whatever the case
 * flags. Only runs of at least `minLen` characters are kept.
 */
export function requiredLiterals(p: Pattern, minLen = 3): string[] {
  const out: string[] = [];
  let run = "";
  const flush = () => {
    if (run.length >= minLen) out.push(run);
    run = "";
  };
  const single = (s: ByteSet): number | null => {
    let v = singleCache.get(s);
    if (v === undefined) {
      v = singleUncached(s);
      singleCache.set(s, v);
    }
    return v;
  };
  const singleUncached = (s: ByteSet): number | null => {
    // A set counts as one literal if it is one byte or one ASCII letter in both cases.
    const n = setSize(s);
    if (n === 1) {
      for (let c = 0; c < 256; c++) if (hasByte(s, c)) return lower(c);
    }
    if (n === 2) {
      for (let c = 0x61; c <= 0x7a; c++) if (hasByte(s, c) && hasByte(s, c - 32)) return c;
    }
    return null;
  };
  const walk = (n: Node): void => {
    switch (n.t) {
      case "set": {
        const c = single(n.set);
        if (c === null) flush();
        else run += String.fromCharCode(c);
        return;
      }
      case "seq":
        for (const it of n.items) walk(it);
        return;
      case "group":
        walk(n.body);
        return;
      case "atomic":
        walk(n.body);
        return;
      case "repeat":
        if (n.min >= 1) {
          // The body must occur at least once, but what follows may not be adjacent.
          flush();
          walk(n.body);
        }
        flush();
        return;
      case "assert":
        return; // zero-width: neighbours stay adjacent
      default:
        flush(); // alternation, lookaround, back reference: not required text
    }
  };
  walk(p.root);
  flush();
  return out;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function disjoint(a: ByteSet, b: ByteSet): boolean {
  for (let i = 0; i < 8; i++) if ((a[i]! & b[i]!) !== 0) return false;
  return true;
}

/** The set every match of `n` must start with, when `n` is one byte or a run of them. */
function leadingSet(n: Node | undefined): ByteSet | null {
  if (!n) return null;
  if (n.t === "set") return n.set;
  if (n.t === "repeat" && n.min >= 1 && n.body.t === "set") return n.body.set;
  if (n.t === "group") return leadingSet(n.body.t === "seq" ? n.body.items[0] : n.body);
  if (n.t === "seq") return leadingSet(n.items[0]);
  return null;
}

/**
 * Whether a pattern can be handed to the JavaScript engine safely, i.e. its
 * backtracking is at worst quadratic in the (bounded) subject:
 * - no quantified item contains a quantifier, an alternation or a capture
 *   (nested quantifiers backtrack exponentially, and JavaScript resets
 *   captures on each iteration where PCRE keeps the last value);
 * - at most one unbounded repeat whose stopping point is ambiguous: a repeat
 *   of a set directly followed by bytes outside that set stops at one place;
 * - bounded repeats that multiply to a small number; no back references.
 * Everything else runs in `pcre_vm.ts` under a step budget.
 */
export function isLinearSafe(p: Pattern): boolean {
  let ambiguous = 0;
  let product = 1;
  let ok = true;
  const walk = (n: Node, inRepeat: boolean, next: Node | undefined): void => {
    if (!ok) return;
    switch (n.t) {
      case "set":
      case "assert":
        return;
      case "backref":
        ok = false;
        return;
      case "seq":
        n.items.forEach((it, k) =>
          walk(it, inRepeat, k + 1 < n.items.length ? n.items[k + 1] : next)
        );
        return;
      case "alt":
        if (inRepeat) ok = false;
        for (const a of n.alts) walk(a, inRepeat, next);
        return;
      case "group":
        if (inRepeat && n.cap > 0) ok = false;
        walk(n.body, inRepeat, next);
        return;
      case "atomic":
      case "look":
        walk(n.body, inRepeat, undefined);
        return;
      case "repeat": {
        if (inRepeat) {
          ok = false;
          return;
        }
        const [lo, hi] = lengthRange(n.body);
        if (lo !== hi) ok = false;
        if (n.max === Infinity) {
          const after = leadingSet(next);
          const clean = n.body.t === "set" && after !== null && disjoint(n.body.set, after);
          if (!clean) ambiguous++;
        } else product *= n.max - n.min + 1;
        walk(n.body, true, undefined);
      }
    }
  };
  walk(p.root, false, undefined);
  return ok && ambiguous <= 1 && product <= 4096;
}

// ------------------------------------------------------- JavaScript emission

/** A pattern translated to JavaScript. */
export interface JsTranslation {
  source: string;
  flags: string;
  /** groupMap[n] is the JavaScript capture index of PCRE group n. */
  groupMap: number[];
}

function hex2(c: number): string {
  return "\\x" + c.toString(16).padStart(2, "0");
}

function emitByte(c: number, inClass: boolean): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    return String.fromCharCode(c);
  }
  if (!inClass && c >= 0x20 && c < 0x7f && !"\\^$.|?*+()[]{}/-".includes(String.fromCharCode(c))) {
    return String.fromCharCode(c);
  }
  return hex2(c);
}

/** A set as JavaScript source: a literal, a [class], or a negated class. */
const emitCache = new WeakMap<ByteSet, string>();

function emitSet(s: ByteSet): string {
  let e = emitCache.get(s);
  if (e === undefined) {
    e = emitSetUncached(s);
    emitCache.set(s, e);
  }
  return e;
}

function emitSetUncached(s: ByteSet): string {
  const n = setSize(s);
  if (n === 256) return "[\\s\\S]";
  if (n === 0) return "[^\\s\\S]";
  if (n === 1) {
    for (let c = 0; c < 256; c++) if (hasByte(s, c)) return emitByte(c, false);
  }
  const neg = n > 128;
  const t = neg ? negate(s) : s;
  let body = "";
  for (let c = 0; c < 256; c++) {
    if (!hasByte(t, c)) continue;
    let e = c;
    while (e + 1 < 256 && hasByte(t, e + 1)) e++;
    body += emitByte(c, true);
    if (e > c + 1) body += "-" + emitByte(e, true);
    else if (e === c + 1) body += emitByte(e, true);
    c = e;
  }
  // Negated classes must still exclude code units above 0xFF, which never occur.
  return neg ? `[^${body}]` : `[${body}]`;
}

/**
 * Translates a parsed pattern to JavaScript RegExp source (no flags needed:
 * case and dotall are folded into the sets). Subjects must be byte strings
 * (one char per byte, 0-255).
 */
export function toJsRegExp(p: Pattern): JsTranslation {
  const groupMap: number[] = [0];
  let next = 0;
  // JavaScript numbers groups by opening parenthesis, as PCRE does; atomic
  // emulation adds groups, so PCRE numbers are remapped.
  const emit = (n: Node): string => {
    switch (n.t) {
      case "set":
        return emitSet(n.set);
      case "seq":
        return n.items.map((it) => {
          const s = emit(it);
          return it.t === "alt" ? `(?:${s})` : s;
        }).join("");
      case "alt":
        return n.alts.map(emit).join("|");
      case "group": {
        if (n.cap === 0) return `(?:${emit(n.body)})`;
        const idx = ++next;
        groupMap[n.cap] = idx;
        return `(${emit(n.body)})`;
      }
      case "atomic": {
        // (?>X) == (?=(X))\k : the lookahead is never re-entered on backtracking.
        const idx = ++next;
        return `(?=(${emit(n.body)}))\\${idx}`;
      }
      case "look":
        return `(?${n.behind ? "<" : ""}${n.neg ? "!" : "="}${emit(n.body)})`;
      case "assert":
        switch (n.kind) {
          case "start":
            return "^";
          case "bol":
            return "(?:^|(?<=\\n)(?=[\\s\\S]))";
          case "end":
            return "(?=\\n?$)";
          case "eol":
            return "(?=\\n|$)";
          case "abs_end":
            return "$";
          case "word":
            return "\\b";
          case "nonword":
            return "\\B";
        }
        return "";
      case "repeat": {
        let body = emit(n.body);
        if (!(n.body.t === "set" || n.body.t === "group" || n.body.t === "backref")) {
          body = `(?:${body})`;
        }
        const q = n.min === 0 && n.max === Infinity
          ? "*"
          : n.min === 1 && n.max === Infinity
          ? "+"
          : n.min === 0 && n.max === 1
          ? "?"
          : n.max === Infinity
          ? `{${n.min},}`
          : n.min === n.max
          ? `{${n.min}}`
          : `{${n.min},${n.max}}`;
        if (n.possessive) {
          const idx = ++next;
          return `(?=(${body}${q}))\\${idx}`;
        }
        return body + q + (n.greedy ? "" : "?");
      }
      case "backref": {
        // Placeholder resolved after all groups are numbered.
        return n.caseless ? `(?i:\\@${n.n}@)` : `\\@${n.n}@`;
      }
    }
  };
  let source = emit(p.root);
  source = source.replace(/\\@(\d+)@/g, (_, d) => `\\${groupMap[Number(d)] ?? 0}`);
  // A back reference directly followed by a digit would read as a longer number.
  source = source.replace(/(\\\d+)(?=\d)/g, "(?:$1)");
  for (let i = 1; i <= p.groups; i++) groupMap[i] ??= 0;
  return { source, flags: "", groupMap };
}
