/**
 * Which finished hosts a report includes, by nmap's rules (nmap.cc's main
 * loop): up hosts always, down hosts only with -v, and --open drops hosts
 * without a port that could be open. Every file writer applies the same rule.
 */

import type { HostResult, RunInfo } from "../model/mod.ts";
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

/** True when a report should include this host. */
export function isReported(host: HostResult, run: RunInfo, opts: SelectOptions): boolean {
  if (host.timedOut) return true;
  if (host.status === "down") {
    return opts.verbose > 0 && (!opts.openOnly || hasOpenPorts(host.ports));
  }
  if (opts.openOnly && isPortScan(run)) return hasOpenPorts(host.ports);
  return true;
}
