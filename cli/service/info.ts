/**
 * What version detection adds to a host report: the VERSION column text and
 * the "Service Info:" line (nmap's populateFullVersionString and
 * printserviceinfooutput). Fields are returned raw; writers escape them.
 */

import type { HostResult, PortResult, ServiceInfo } from "../model/mod.ts";

/** nmap's MAX_SERVICE_INFO_FIELDS: at most this many values per category. */
const MAX_SERVICE_INFO_FIELDS = 5;

/**
 * The VERSION column: "product version (extrainfo)", each part cut with "..."
 * to fit nmap's 160-byte buffer, and skipped when fewer than 8 bytes remain.
 */
export function versionString(s: ServiceInfo | undefined): string {
  if (!s) return "";
  let out = "";
  let left = 159;
  let pad = false;
  const put = (text: string) => {
    if (pad) {
      out += " ";
      left--;
    }
    if (left < text.length) {
      out += text.slice(0, left - 3) + "...";
      left = 0;
    } else {
      out += text;
      left -= text.length;
    }
    pad = true;
  };
  if (s.product && left >= 8) put(s.product);
  if (s.version && left >= 8) put(s.version);
  if (s.extraInfo && left >= 8) {
    if (pad) {
      out += " ";
      left--;
    }
    if (left - 2 < s.extraInfo.length) out += "(" + s.extraInfo.slice(0, left - 5) + "...)";
    else out += "(" + s.extraInfo + ")";
  }
  return out;
}

function portOrder(a: PortResult, b: PortResult): number {
  if (a.protocol !== b.protocol) return a.protocol === "tcp" ? -1 : 1;
  return a.port - b.port;
}

/**
 * The "Service Info: Host: …; OS: …; Device: …; CPE: …" line for a host (without
 * newline), or undefined when no open port's service names any. Host names
 * equal to the host's reverse-DNS name are left out, and application CPEs
 * ("cpe:/a:…") belong to ports, not hosts, so they are not listed either.
 */
export function serviceInfoLine(host: HostResult): string | undefined {
  const hosts: string[] = [], oses: string[] = [], devices: string[] = [], cpes: string[] = [];
  const add = (list: string[], v: string, same: (a: string, b: string) => boolean) => {
    if (list.length < MAX_SERVICE_INFO_FIELDS && !list.some((x) => same(x, v))) list.push(v);
  };
  const caseless = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const exact = (a: string, b: string) => a === b;
  for (const p of host.ports.filter((p) => p.state === "open").sort(portOrder)) {
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
