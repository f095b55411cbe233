/**
 * Version-info templates of match lines: `$1`..`$9`, `$P(n)` (printable
 * bytes only), `$SUBST(n,"find","replace")` and `$I(n,">")` (an unsigned
 * integer from up to 8 captured bytes, big or little endian). Field sizes,
 * failure rules and the trailing-space/comma trim follow nmap's dotmplsubst:
 * a field that cannot be filled (unset group, bad command, too long) is
 * dropped with a warning rather than truncated.
 */

import type { Captures } from "./regex.ts";
import { unescapeC } from "./probe_db.ts";

/** nmap's buffer sizes: SERVICE_FIELD_LEN, SERVICE_EXTRA_LEN, SERVICE_TYPE_LEN. */
export const FIELD_LEN = 80;
export const EXTRA_LEN = 256;
export const TYPE_LEN = 32;

type Arg = { kind: "int"; value: number } | { kind: "str"; value: Uint8Array };

/** Parses `("a", 2, ...)` arguments starting after "(" (getsubstcommandargs). */
function parseArgs(t: string, pos: number): { args: Arg[]; end: number } | null {
  const args: Arg[] = [];
  while (pos < t.length && t[pos] !== ")") {
    while (pos < t.length && /\s/.test(t[pos]!)) pos++;
    if (t[pos] === ")") break;
    if (args.length === 5) return null;
    if (t[pos] === '"') {
      let raw = "";
      pos++;
      while (pos < t.length) {
        if (t[pos] === '"' && (t[pos - 1] !== "\\" || t[pos - 2] === "\\")) break;
        raw += t[pos++];
        if (raw.length >= 127) return null;
      }
      const value = unescapeC(raw);
      if (!value) return null;
      args.push({ kind: "str", value });
      pos++;
    } else {
      const r = strtol(t, pos);
      if (!r) return null;
      args.push({ kind: "int", value: r.value });
      pos = r.end;
    }
    const next = t.slice(pos).search(/[,)]/);
    if (next < 0) return null;
    pos += next;
    if (t[pos] === ",") pos++;
  }
  if (t[pos] === ")") pos++;
  return { args, end: pos };
}

/** C's strtol(s, &end, 0): optional sign, then hex (0x), octal (0) or decimal. */
function strtol(t: string, pos: number): { value: number; end: number } | null {
  const m = /^\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(t.slice(pos));
  if (!m) return null;
  const digits = m[2]!;
  const v = /^0[xX]/.test(digits)
    ? parseInt(digits.slice(2), 16)
    : digits.startsWith("0")
    ? parseInt(digits, 8)
    : parseInt(digits, 10);
  return { value: m[1] === "-" ? -v : v, end: pos + m[0].length };
}

/** Bytes of capture group n, or null when the group is out of range or unset. */
function group(subject: Uint8Array, caps: Captures, n: number): Uint8Array | null {
  if (!(n >= 1 && n <= 9)) return null;
  if (2 * n + 1 >= caps.length) return null;
  const a = caps[2 * n]!, b = caps[2 * n + 1]!;
  if (a < 0 || b < 0) return null;
  return subject.subarray(a, b);
}

const latin1 = (b: Uint8Array): string => {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
};

/**
 * Substitutes one variable at `t[pos]` (a "$"). Returns its text and the
 * index after it, or null when nmap's substvar would fail.
 */
function substVar(
  t: string,
  pos: number,
  subject: Uint8Array,
  caps: Captures,
): { text: string; end: number } | null {
  pos++; // $
  const c = t[pos];
  if (c !== undefined && c >= "0" && c <= "9") {
    const g = group(subject, caps, Number(c));
    return g ? { text: latin1(g), end: pos + 1 } : null;
  }
  const paren = t.indexOf("(", pos);
  if (paren < 0) return null;
  const cmd = t.slice(pos, paren);
  if (cmd.length === 0 || cmd.length >= 16) return null;
  const parsed = parseArgs(t, paren + 1);
  if (!parsed || parsed.args.length === 0) return null;
  const { args, end } = parsed;
  const a0 = args[0]!;
  if (a0.kind !== "int") return null;
  const g = group(subject, caps, a0.value);
  if (!g) return null;
  switch (cmd) {
    case "P": {
      if (args.length !== 1) return null;
      let s = "";
      for (const b of g) if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
      return { text: s, end };
    }
    case "SUBST": {
      const [, find, repl] = args;
      if (args.length !== 3 || find?.kind !== "str" || repl?.kind !== "str") return null;
      const f = find.value, r = latin1(repl.value);
      let s = "";
      for (let i = 0; i < g.length;) {
        let hit = f.length > 0 && i + f.length <= g.length;
        for (let k = 0; hit && k < f.length; k++) if (g[i + k] !== f[k]) hit = false;
        if (hit) {
          s += r;
          i += f.length;
        } else s += String.fromCharCode(g[i++]!);
      }
      return { text: s, end };
    }
    case "I": {
      const e = args[1];
      if (args.length !== 2 || e?.kind !== "str" || e.value.length !== 1) return null;
      if (g.length > 8) return null;
      let v = 0n;
      if (e.value[0] === 0x3e) { for (const b of g) v = (v << 8n) + BigInt(b); }
      else if (e.value[0] === 0x3c) {
        for (let i = g.length - 1; i >= 0; i--) v = (v << 8n) + BigInt(g[i]!);
      } else return null;
      return { text: v.toString(), end };
    }
  }
  return null;
}

/** CPE §5.4: escape reserved characters, spaces to "_", lower-case the rest. */
export function transformCpe(s: string): string {
  let out = "";
  for (const ch of s) {
    if (":/?#[]@!$&'()*+,;=%<>\"".includes(ch)) {
      out += "%" + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
    } else if (" \t\n\v\f\r".includes(ch)) out += "_";
    else out += ch >= "A" && ch <= "Z" ? ch.toLowerCase() : ch;
  }
  return out;
}

/**
 * Fills one template against a match. Returns the text (trailing white space
 * and commas trimmed) or null when nmap would leave the field empty.
 * `size` is the destination buffer size (text must fit with its NUL).
 */
export function fillTemplate(
  tmpl: string,
  subject: Uint8Array,
  caps: Captures,
  size: number,
  transform?: (s: string) => string,
): string | null {
  let out = "";
  let pos = 0;
  // Mirrors dotmplsubst's pointer checks on a size-byte buffer.
  while (pos < tmpl.length) {
    const dollar = tmpl.indexOf("$", pos);
    if (dollar < 0) {
      for (; pos < tmpl.length; pos++) {
        if (out.length >= size - 1) return null;
        out += tmpl[pos];
      }
      return trimTail(out);
    }
    const lit = tmpl.slice(pos, dollar);
    if (lit.length > 0) {
      if (size - out.length <= lit.length - 1) return null;
      out += lit;
    }
    const v = substVar(tmpl, dollar, subject, caps);
    if (!v) return null;
    const text = transform ? transform(v.text) : v.text;
    if (out.length + text.length >= size - 1) return null;
    out += text;
    pos = v.end;
  }
  if (out.length >= size - 1) return null;
  return trimTail(out);
}

/** Drops trailing white space (C isspace) and commas. */
function trimTail(s: string): string {
  return s.replace(/[ \t\n\v\f\r,]+$/, "");
}

/** nmap's cpe_get_part: the letter after "cpe:/". */
export function cpePart(cpe: string): string {
  return cpe.startsWith("cpe:/") ? cpe[5] ?? "" : "";
}
