/**
 * The host-wide summary of what version detection found on every open port: nmap's
 * printserviceinfooutput(), "Service Info: Hosts: a, b; OS: Linux; Device: …; CPE: …".
 * Pure over the results, so the normal writer and -sV's callers share one rule.
 *
 * @module
 */

import type { HostResult } from "./mod.ts";
import { comparePorts } from "./port_order.ts";

/** nmap's MAX_SERVICE_INFO_FIELDS: at most this many values per category. */
const MAX_SERVICE_INFO_FIELDS = 5;

/**
 * The "Service Info: …" line for a host (without newline), or undefined when no open port's
 * service names a host, OS, device or hardware/OS CPE. Fields are raw; writers escape them.
 * Host names are compared without case and the one equal to the host's reverse-DNS name is
 * left out; OS and device types and CPEs are compared exactly; application CPEs ("cpe:/a:…")
 * belong to one port, not the host, and are left out (nmap writes them to XML only).
 */
export function serviceInfoLine(host: HostResult): string | undefined {
  const hosts: string[] = [], oses: string[] = [], devices: string[] = [], cpes: string[] = [];
  const add = (list: string[], v: string, same: (a: string, b: string) => boolean) => {
    if (list.length < MAX_SERVICE_INFO_FIELDS && !list.some((x) => same(x, v))) list.push(v);
  };
  const caseless = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const exact = (a: string, b: string) => a === b;
  for (const p of host.ports.filter((p) => p.state === "open").sort(comparePorts)) {
    const s = p.service;
    if (!s) continue;
    if (s.hostname && !caseless(host.ptrHostname ?? "", s.hostname)) {
      add(hosts, s.hostname, caseless);
    }
    if (s.osType) add(oses, s.osType, exact);
    if (s.deviceType) add(devices, s.deviceType, exact);
    for (const c of s.cpe ?? []) if (!c.startsWith("cpe:/a")) add(cpes, c, exact);
  }
  const parts: string[] = [];
  const plural = (word: string, list: string[]) =>
    `${word}${list.length === 1 ? "" : "s"}: ${list.join(", ")}`;
  if (hosts.length) parts.push(plural("Host", hosts));
  if (oses.length) parts.push(plural("OS", oses));
  if (devices.length) parts.push(plural("Device", devices));
  if (cpes.length) parts.push(`CPE: ${cpes.join(", ")}`);
  return parts.length ? `Service Info: ${parts.join("; ")}` : undefined;
}
