/**
 * One protocol scanned twice (-sY and -sZ): nmap keeps one port list per host across its scans
 * (portlist.cc), so a port answered by the first scan keeps that answer unless the second's
 * answer may replace it (scan_engine.cc, HostScanStats' state-change rules), and a port silent
 * in both shows the later scan's silent state (nmap's default state, set per scan).
 *
 * @module
 */

import type { PortResult } from "../model/mod.ts";
import type { ScanKind } from "../options/types.ts";

/** nmap's noresp_open_scan: the kinds whose silence means open|filtered. */
const SILENCE_IS_OPEN: ReadonlySet<ScanKind> = new Set<ScanKind>([
  "fin",
  "null",
  "xmas",
  "maimon",
  "udp",
  "sctpcookieecho",
]);

const silent = (p: PortResult) => p.reason === "no-response";

/** Whether `earlier` stands against `later`, a reply to a scan of `kind` (nmap's rules). */
function earlierStands(earlier: PortResult, later: PortResult, kind: ScanKind): boolean {
  if (silent(later)) return !silent(earlier);
  if (silent(earlier)) return false;
  if (earlier.state === later.state) return true;
  const silenceIsOpen = SILENCE_IS_OPEN.has(kind);
  switch (earlier.state) {
    case "open":
      return !silenceIsOpen;
    case "closed":
      return silenceIsOpen || later.state === "filtered";
    case "filtered":
      return silenceIsOpen && later.state === "open";
    case "unfiltered":
      return later.state !== "open" && later.state !== "closed";
    default:
      return false;
  }
}

/** Files `later`, the results of a scan of `kind`, into `ports` (a host's results so far). */
export function mergeScanResults(
  ports: PortResult[],
  later: readonly PortResult[],
  kind: ScanKind,
): void {
  // The usual case, a host's first scan (65,535 results for -p-): nothing to merge with.
  if (ports.length === 0) {
    for (const r of later) ports.push(r);
    return;
  }
  // Ports by number, one map per protocol: no string key per port.
  const maps = new Map<string, Map<number, number>>();
  const mapOf = (protocol: string) => {
    let m = maps.get(protocol);
    if (!m) maps.set(protocol, m = new Map());
    return m;
  };
  ports.forEach((p, i) => mapOf(p.protocol).set(p.port, i));
  for (const r of later) {
    const at = mapOf(r.protocol);
    const i = at.get(r.port);
    if (i === undefined) {
      at.set(r.port, ports.length);
      ports.push(r);
    } else if (!earlierStands(ports[i]!, r, kind)) ports[i] = r;
  }
}
