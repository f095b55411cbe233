/**
 * Option values read as nmap reads them: C's atoi, strict integers, nmap's time specs
 * (tval2secs), printf's %g for messages, and IP literals.
 *
 * @module
 */

import { fatal } from "../errors.ts";

/** C's atoi: leading blanks, a sign and digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** A whole number, or nmap's message naming the option `what` (e.g. "--max-retries"). */
export function intArg(arg: string, what: string): number {
  const s = arg.trim();
  if (!/^[+-]?\d+$/.test(s)) fatal(`Argument to ${what} must be an integer, not "${arg}".`);
  return Number(s);
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

/** A time option's value in milliseconds, clamped to {@link TIMER_MAX_MS}; -1 if unparsable. */
export function timeArgMs(arg: string): number {
  return Math.min(parseTimeMs(arg), TIMER_MAX_MS);
}

/** True when a time spec carries an explicit unit (nmap's tval_unit() != NULL). */
export function hasUnit(spec: string): boolean {
  return /[a-zA-Z]\s*$/.test(spec) && !/^\s*[+-]?\d*\.?\d*[eE][+-]?\d+\s*$/.test(spec);
}

/**
 * nmap refuses a large unitless RTT timeout: the default unit became seconds in April 2010,
 * and "500" most likely meant milliseconds.
 */
export function refuseUnitlessSeconds(spelled: string, arg: string, ms: number): void {
  if (ms >= 50 * 1000 && !hasUnit(arg)) {
    fatal(
      `Since April 2010, the default unit for ${spelled} is seconds, so your time of "${arg}" is ${
        fmtG(ms / 1000)
      } seconds. Use "${arg}ms" for ${fmtG(ms / 1000)} milliseconds.`,
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

/** nmap's IPv4/IPv6 literal check (-S, --dns-servers). */
export function isIpLiteral(s: string, family: 4 | 6): boolean {
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
