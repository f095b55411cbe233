/**
 * Writing observed fingerprints as nmap does (osscan.cc test2str, mergeFPs, WriteSInfo): the
 * `SCAN(...)` line describing the run, then the tests of every round, in TEST_ORDER, each test
 * once per distinct attribute list (nmap 7.93 keeps the first round's version of a test whose
 * attribute names repeat), wrapped at 72 characters behind `OS:` for submission.
 *
 * @module
 */

import type { DistanceMethod, Fingerprint, FpTest } from "./os.ts";

export type { DistanceMethod } from "./os.ts";

/** The thirteen tests in nmap's display order. */
export const TEST_ORDER = [
  "SEQ",
  "OPS",
  "WIN",
  "ECN",
  "T1",
  "T2",
  "T3",
  "T4",
  "T5",
  "T6",
  "T7",
  "U1",
  "IE",
] as const;

/** nmap's FP_RESULT_WRAP_LINE_LEN. */
const WRAP = 74;

/** `NAME(A=1%B=2)`; `NAME()` for a test without attributes. */
export function testToString(t: FpTest): string {
  return `${t.name}(${t.attrs.map(([a, v]) => `${a}=${v}`).join("%")})`;
}

/** Parses `NAME(A=1%B=2)` lines (one test per line, `OS:` wrapping removed first). */
export function parseFingerprint(text: string): Fingerprint {
  const unwrapped = text.split("\n").map((l) => l.startsWith("OS:") ? l.slice(3) : l + "\n")
    .join("");
  const out: Fingerprint = [];
  const re = /([A-Z0-9]+)\(([^)]*)\)/g;
  for (const m of unwrapped.matchAll(re)) {
    const name = m[1]!;
    if (name === "SCAN") continue;
    const attrs: [string, string][] = m[2] === "" ? [] : m[2]!.split("%").map((p) => {
      const eq = p.indexOf("=");
      return eq < 0 ? [p, ""] as [string, string] : [p.slice(0, eq), p.slice(eq + 1)];
    });
    out.push({ name, attrs });
  }
  return out;
}

/** What the SCAN line says about the run. */
export interface ScanInfo {
  /** Scanner version (V=). */
  version: string;
  /** Target IPv4 address (for PV=). */
  address: string;
  /** Hop distance (DS=), omitted when unknown. */
  distance?: number;
  distanceMethod?: DistanceMethod;
  /** Target MAC (M= gives its first three bytes). */
  mac?: string;
  openTcpPort?: number;
  closedTcpPort?: number;
  closedUdpPort?: number;
  /** Fit for submission (G=Y). */
  good: boolean;
  /** Epoch milliseconds (D= and TM=). */
  time: number;
  /** Platform triple (P=). */
  platform: string;
}

/** nmap's ip_is_reserved: private, loopback, documentation, multicast and reserved IPv4. */
export function isReservedV4(addr: string): boolean {
  const b = addr.split(".").map(Number);
  if (b.length !== 4) return false;
  const [a, c, d] = [b[0]!, b[1]!, b[2]!];
  if (a === 0 || a === 10 || a === 127) return true;
  if (a === 172 && c >= 16 && c <= 31) return true;
  if (a === 192 && ((c === 0 && d === 2) || (c === 88 && d === 99) || c === 168)) return true;
  if (a === 198 && (c === 18 || c === 19 || (c === 51 && d === 100))) return true;
  if (a === 169 && c === 254) return true;
  if (a === 203 && c === 0 && d === 113) return true;
  return a >= 224;
}

const DC: Record<DistanceMethod, string> = {
  localhost: "L",
  direct: "D",
  icmp: "I",
  traceroute: "T",
};

/** The `SCAN(...)` pseudo-test (nmap's WriteSInfo). */
export function scanLine(s: ScanInfo): string {
  const d = new Date(s.time);
  const port = (p?: number) => p === undefined || p < 0 ? "" : String(p);
  let out = `SCAN(V=${s.version}%E=4%D=${d.getMonth() + 1}/${d.getDate()}` +
    `%OT=${port(s.openTcpPort)}%CT=${port(s.closedTcpPort)}%CU=${port(s.closedUdpPort)}` +
    `%PV=${isReservedV4(s.address) ? "Y" : "N"}`;
  if (s.distance !== undefined && s.distance !== -1) out += `%DS=${s.distance}`;
  if (s.distanceMethod) out += `%DC=${DC[s.distanceMethod]}`;
  out += `%G=${s.good ? "Y" : "N"}`;
  if (s.mac) {
    const bytes = s.mac.split(/[:-]/).slice(0, 3).map((x) => x.toUpperCase().padStart(2, "0"));
    out += `%M=${bytes.join("")}`;
  }
  out += `%TM=${Math.floor(s.time / 1000).toString(16).toUpperCase()}%P=${s.platform})`;
  return out;
}

const ORDER = new Map<string, number>(TEST_ORDER.map((n, i) => [n, i]));

/** The tests of several rounds, in display order, without repeats (nmap 7.93's rule). */
export function mergeRounds(rounds: Fingerprint[]): FpTest[] {
  const all: FpTest[] = rounds.flat();
  // A stable sort keeps round order within a test name.
  const sorted = all.map((t, i) => ({ t, i })).sort((x, y) =>
    (ORDER.get(x.t.name) ?? 99) - (ORDER.get(y.t.name) ?? 99) || x.i - y.i
  ).map((x) => x.t);
  const out: FpTest[] = [];
  for (const t of sorted) {
    const names = t.attrs.map(([a]) => a).join("%");
    // 7.93 calls two tests duplicates when their attribute names agree (values are not read).
    if (out.some((o) => o.name === t.name && o.attrs.map(([a]) => a).join("%") === names)) {
      continue;
    }
    out.push(t);
  }
  return out;
}

/**
 * The fingerprint block: the SCAN line and the merged tests, either one per line (`wrap`
 * false) or run together and cut into `OS:`-prefixed lines of 72 characters, as nmap prints it
 * under "TCP/IP fingerprint:". Ends with a newline.
 */
export function formatFingerprint(rounds: Fingerprint[], scan: ScanInfo, wrap: boolean): string {
  const tests = mergeRounds(rounds).map(testToString);
  if (!wrap) return [scanLine(scan), ...tests].join("\n") + "\n";
  const flat = scanLine(scan) + tests.join("");
  let out = "";
  const per = WRAP - 3 + 1;
  for (let i = 0; i < flat.length; i += per) out += "OS:" + flat.slice(i, i + per) + "\n";
  return out;
}
