/**
 * Formatting helpers shared by every output writer (normal, XML, grepable,
 * JSON), each reproducing one of nmap's output.cc/portlist.cc routines so the
 * writers agree with nmap and with each other.
 */

import type { HostResult, PortResult, ServiceInfo } from "../model/mod.ts";
import { defaultServicesDb, type ServicesDb } from "../services_db.ts";

/**
 * nmap's output_rangelist_given_ports(): `[1,3,4,5,9]` → "1,3-5,9". Runs
 * of consecutive numbers collapse; give the ports ascending (as nmap's
 * scan lists are). Used for XML scaninfo, extrareasons and grepable headers.
 */
export function compactPortList(ports: readonly number[]): string {
  let out = "";
  let start = 0;
  while (start < ports.length) {
    let end = start;
    while (end + 1 < ports.length && ports[end + 1] === ports[end]! + 1) end++;
    if (start > 0) out += ",";
    out += start === end ? `${ports[start]}` : `${ports[start]}-${ports[end]}`;
    start = end + 1;
  }
  return out;
}

export { escapeTerminal } from "./escape.ts";

/**
 * nmap's num_to_string_sigdigits(): rounds to `digits` significant digits and
 * prints with no exponent: 0.000123 → "0.00012", 0.26 → "0.26", 12.3 → "12".
 */
export function sigDigits(d: number, digits: number): string {
  let shift: number;
  if (d === 0) {
    shift = -digits;
  } else {
    shift = Math.floor(Math.log10(Math.abs(d))) - digits + 1;
    d = Math.floor(d / Math.pow(10, shift) + 0.5);
    d = d * Math.pow(10, shift);
  }
  return printfFixed(d, Math.max(0, -shift));
}

/**
 * C's printf("%.*f"): like toFixed, except that an exact tie rounds to even
 * (glibc rounds the exact binary value; 20.625 → "20.62" where toFixed says
 * "20.63"). nmap's "scanned in 20.62 seconds" depends on it.
 */
export function printfFixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (!Number.isFinite(x) || !isExactTie(Math.abs(x), digits)) return s;
  // toFixed rounded the tie away from zero; step back when that made the last digit odd.
  const last = s.charCodeAt(s.length - 1) - 48;
  if (last % 2 === 0) return s;
  const step = Math.pow(10, -digits);
  return (Math.sign(x) * (Math.abs(x) - step / 2)).toFixed(digits);
}

/** True when |x|·10^digits lies exactly halfway between two integers. */
function isExactTie(x: number, digits: number): boolean {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  if (exp >= 0 || mant === 0n) return false; // an integer: never a tie
  // x·10^d·2 = mant·10^d·2 / 2^-exp must be an odd integer.
  const num = mant * 10n ** BigInt(digits) * 2n;
  const den = 1n << BigInt(-exp);
  return num % den === 0n && (num / den) % 2n === 1n;
}

/** The latency in "Host is up (0.0012s latency).": seconds to two significant digits. */
export function formatLatency(seconds: number): string {
  return sigDigits(seconds, 2);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** Long zone names whose en-US short name is known without Intl (see timeZoneName). */
const SHORT_ZONE_NAMES = new Map([
  ["Coordinated Universal Time", "UTC"],
  ["Greenwich Mean Time", "GMT"],
]);

let zoneFormat: Intl.DateTimeFormat | undefined;

/** The local time zone's abbreviation ("UTC", "CET", or "GMT+5:30" where none exists). */
export function timeZoneName(date: Date): string {
  // Date's own string ends with the zone's long name, "(Coordinated Universal Time)", at
  // no cost; building an Intl.DateTimeFormat costs ~20 ms before the first probe. So the
  // common UTC/GMT hosts skip Intl, with the same answer it gives.
  const long = /\(([^)]*)\)$/.exec(date.toString())?.[1];
  const short = long === undefined ? undefined : SHORT_ZONE_NAMES.get(long);
  if (short !== undefined) return short;
  zoneFormat ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
  const part = zoneFormat.formatToParts(date).find((p) => p.type === "timeZoneName");
  return part?.value ?? "UTC";
}

/** strftime("%Y-%m-%d %H:%M %Z") in local time, as in nmap's "Starting Nmap … at" line. */
export function formatStartTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${
    p2(d.getMinutes())
  } ${timeZoneName(d)}`;
}

/** strftime("%Y-%m-%d %H:%M:%S %Z") in local time (nmap's "Scanned at" line under -vv). */
export function formatScannedAt(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${
    p2(d.getMinutes())
  }:${p2(d.getSeconds())} ${timeZoneName(d)}`;
}

/**
 * ctime() without the newline, in local time: "Wed Nov  5 09:03:07 2025".
 * nmap uses it for "# Nmap … scan initiated …", "# Nmap done at …" and the
 * XML startstr/timestr attributes.
 */
export function formatCtime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${
    p2(d.getHours())
  }:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** Seconds with two decimals, as "scanned in 0.52 seconds" (printf "%.2f"). */
export function formatElapsed(seconds: number): string {
  return printfFixed(seconds, 2);
}

/**
 * nmap's join_quoted(): arguments joined by spaces; `"` and `\` get a
 * backslash; an argument containing whitespace is wrapped in double quotes.
 * For "scan initiated … as: …" and the XML args attribute.
 */
export function joinQuoted(args: readonly string[]): string {
  return args.map((a) => {
    const esc = a.replace(/["\\]/g, "\\$&");
    return /\s/.test(a) ? `"${esc}"` : esc;
  }).join(" ");
}

/** "1 IP address (1 host up)" / "2 IP addresses (0 hosts up)", as nmap's done lines. */
export function hostsSummary(total: number, up: number): string {
  return `${total} ${total === 1 ? "IP address" : "IP addresses"} (${up} ${
    up === 1 ? "host" : "hosts"
  } up)`;
}

/**
 * nmap's serviceDeductions::populateFullVersionString(): "product version
 * (extrainfo)", truncated with "..." to fit nmap's 160-byte buffer. The
 * VERSION column of normal output; grepable output replaces '/' with '|'.
 */
export function fullVersionString(s: ServiceInfo | undefined): string {
  if (!s) return "";
  let dst = "";
  let left = 159;
  let pad = false;
  if (s.product && left >= 8) {
    if (left < s.product.length) {
      dst += s.product.slice(0, left - 3) + "...";
      left = 0;
    } else {
      dst += s.product;
      left -= s.product.length;
    }
    pad = true;
  }
  if (s.version && left >= 8) {
    if (pad) {
      dst += " ";
      left--;
    }
    if (left < s.version.length) {
      dst += s.version.slice(0, left - 3) + "...";
      left = 0;
    } else {
      dst += s.version;
      left -= s.version.length;
    }
    pad = true;
  }
  if (s.extraInfo && left >= 8) {
    if (pad) {
      dst += " ";
      left--;
    }
    dst += "(";
    if (left - 2 < s.extraInfo.length) {
      dst += s.extraInfo.slice(0, left - 5) + "...";
    } else {
      dst += s.extraInfo;
    }
    dst += ")";
  }
  return dst;
}

/**
 * nmap's Port::getNmapServiceName(): the SERVICE column. "ssl/" prefix for
 * TLS-tunnelled services; the name from -sV or else the services table;
 * "unknown" when neither knows; a trailing "?" for open ports that version
 * detection ran on but could not confirm (confidence ≤ 5, or table lookups).
 */
export function serviceName(
  port: PortResult,
  versionScan: boolean,
  db: ServicesDb = defaultServicesDb(),
): string {
  const s = port.service;
  const tunnel = s?.tunnel === "ssl" ? "ssl/" : "";
  const name = s?.name ?? db.name(port.protocol, port.port);
  if (name === undefined || name === "unknown") return `${tunnel}unknown`;
  const unsure = versionScan && port.state === "open" &&
    (s === undefined || s.confidence <= 5);
  return `${tunnel}${name}${unsure ? "?" : ""}`;
}

/** nmap's Target::NameIP(): "name (addr)" with the user's name or else the PTR name, or just "addr". */
export function nameIp(host: Pick<HostResult, "address" | "userHostname" | "ptrHostname">): string {
  const name = host.userHostname ?? host.ptrHostname;
  return name ? `${name} (${host.address})` : host.address;
}
