/**
 * Which finished hosts a report includes, by nmap's rules (nmap.cc's main
 * loop): up hosts always, down hosts only with -v, and --open drops hosts
 * without a port that could be open. Every file writer applies the same rule.
 */

import type { HostResult, PortResult, RunInfo } from "../model/mod.ts";
import { hasOpenPorts } from "./extraports.ts";

/** What the selection depends on. */
export interface SelectOptions {
  verbose: number;
  openOnly: boolean;
}

/** True when the run scans ports (no -sn): nmap then writes host times and ports. */
export function isPortScan(run: RunInfo): boolean {
  return run.scanInfo.length > 0;
}

/**
 * True when the run is an IP protocol scan (-sO): nmap's reports then list the protocols alone
 * ("PROTOCOL", grepable "Protocols:"), whatever else was scanned.
 */
export function isProtocolScan(run: Pick<RunInfo, "scanInfo">): boolean {
  return run.scanInfo.some((s) => s.protocol === "ip");
}

/**
 * The ports a report lists: in a protocol scan (`protocolScan`) the IP protocols alone, else
 * the ports alone (nmap's output.cc).
 */
export function reportedPorts(
  ports: readonly PortResult[],
  protocolScan: boolean,
): readonly PortResult[] {
  if (!ports.some((p) => (p.protocol === "ip") !== protocolScan)) return ports;
  return ports.filter((p) => (p.protocol === "ip") === protocolScan);
}

/** True when a report should include this host. */
export function isReported(host: HostResult, run: RunInfo, opts: SelectOptions): boolean {
  if (host.timedOut) return true;
  if (host.status === "down") {
    return opts.verbose > 0 && (!opts.openOnly || hasOpenPorts(host.ports));
  }
  if (opts.openOnly && isPortScan(run)) return hasOpenPorts(host.ports);
  return true;
}
