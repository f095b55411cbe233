/**
 * Which probes a port gets, in which order (nmap's ServiceNFO::nextProbe):
 * 1. the NULL probe (TCP only): connect and listen for a banner;
 * 2. probes whose `ports` (or `sslports` inside TLS) list this port, in file
 *    order, whatever their rarity;
 * 3. the other probes of the protocol, in file order, if rarity <= intensity.
 * In a merged DB (db.ts) the second file's own probes follow, in the same two
 * phases, so that every port gets the first file's probes in its order.
 * Once a softmatch names a service, only probes with match lines for that
 * service are tried, and then regardless of rarity (all of them at intensity 9).
 */

import type { Probe, ProbeDb } from "./probe_db.ts";

/** --version-light and --version-all as intensities. */
export const INTENSITY_LIGHT = 2;
export const INTENSITY_ALL = 9;
export const INTENSITY_DEFAULT = 7;

/** A probe in a port's universe of candidates, with its phase. */
export interface PlanEntry {
  probe: Probe;
  /** True when the port is in the probe's ports/sslports list. */
  portMatch: boolean;
}

/**
 * Every probe that could be tried on this port, in nmap's order (phase 2
 * then phase 3), before intensity and softmatch filtering.
 */
export function candidateProbes(
  db: ProbeDb,
  protocol: "tcp" | "udp",
  port: number,
  ssl: boolean,
): PlanEntry[] {
  const probable = (p: Probe) => (ssl ? p.sslPorts : p.ports).has(port);
  const phases = (list: Probe[]) => [
    ...list.filter(probable).map((probe) => ({ probe, portMatch: true })),
    ...list.filter((p) => !probable(p)).map((probe) => ({ probe, portMatch: false })),
  ];
  const list = db.probes.filter((p) => p.protocol === protocol);
  return [
    ...phases(list.filter((p) => !p.secondary)),
    ...phases(list.filter((p) => p.secondary)),
  ];
}

/** Whether a candidate is tried, given the intensity and the softmatched service (if any). */
export function isEligible(e: PlanEntry, intensity: number, softService?: string): boolean {
  if (softService !== undefined) {
    return intensity >= INTENSITY_ALL || e.probe.services.has(softService);
  }
  return e.portMatch || e.probe.rarity <= intensity;
}

/**
 * The probes after NULL, in order, for a port with no softmatch so far.
 * (The engine re-filters the remainder when a softmatch appears.)
 */
export function probeOrder(
  db: ProbeDb,
  protocol: "tcp" | "udp",
  port: number,
  intensity: number,
  ssl = false,
  softService?: string,
): Probe[] {
  return candidateProbes(db, protocol, port, ssl)
    .filter((e) => isEligible(e, intensity, softService))
    .map((e) => e.probe);
}
