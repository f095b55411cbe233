/**
 * --traceroute's report: nmap's TRACEROUTE table (printtraceroute_normal, laid out as
 * NmapOutputTable does), its <trace> element, and the same as -oJ data.
 *
 * @module
 */

import type { HostResult, TraceHop, TraceResult } from "../model/mod.ts";
import { escapeXml } from "./xml.ts";

const PROTO_NUMBER = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 } as const;
/** nmap-protocols' names of the echo probes. */
const ECHO_PROTO_NAME = { icmp: "icmp", icmpv6: "ipv6-icmp" } as const;

function header(t: TraceResult): string {
  if (!t.proto) return "TRACEROUTE";
  if (t.proto === "icmp" || t.proto === "icmpv6") {
    return `TRACEROUTE (using proto ${PROTO_NUMBER[t.proto]}/${ECHO_PROTO_NAME[t.proto]})`;
  }
  return `TRACEROUTE (using port ${t.port}/${t.proto})`;
}

function displayName(h: TraceHop): string {
  return h.host ? `${h.host} (${h.ipaddr})` : h.ipaddr ?? "";
}

/**
 * The TRACEROUTE section's lines (a blank line first), or none when the host has no trace.
 * Without -d, the hops taken from another target's trace fold into "Hops 1-N are the same as
 * for X", and runs of unanswered TTLs into "... N".
 */
export function traceLines(host: HostResult, debug = 0): string[] {
  const t = host.trace;
  if (!t || t.hops.length === 0) return [];
  const rows: { cells: string[]; full?: string }[] = [{ cells: ["HOP", "RTT", "ADDRESS"] }];
  let i = 0;
  const hops = t.hops;
  if (!debug) {
    let shared: TraceHop | undefined;
    while (i < hops.length && hops[i]!.tag !== host.address) shared = hops[i++];
    if (shared) {
      rows.push({
        cells: ["-"],
        full: shared.ttl === 1
          ? `Hop 1 is the same as for ${shared.tag}`
          : `Hops 1-${shared.ttl} are the same as for ${shared.tag}`,
      });
    }
  }
  while (i < hops.length) {
    const h = hops[i]!;
    if (!h.ipaddr) {
      if (debug) {
        rows.push({ cells: [String(h.ttl), "..."] });
        i++;
        continue;
      }
      let end = h.ttl;
      for (; i < hops.length && !hops[i]!.ipaddr; i++) end = hops[i]!.ttl;
      rows.push({ cells: [String(h.ttl), end === h.ttl ? "..." : `... ${end}`] });
      continue;
    }
    rows.push({
      cells: [
        String(h.ttl),
        h.rttMs === undefined ? "--" : `${h.rttMs.toFixed(2)} ms`,
        displayName(h),
      ],
    });
    i++;
  }
  const width = [0, 0, 0];
  for (const r of rows) r.cells.forEach((c, k) => width[k] = Math.max(width[k]!, c.length));
  const lines = rows.map((r) => {
    const cells = r.full === undefined ? r.cells : [...r.cells, r.full];
    return cells.map((c, k) => k < cells.length - 1 ? c.padEnd(width[k]! + 1) : c).join("");
  });
  return ["", header(t), ...lines];
}

/** nmap's <trace> element with its <hop>s (unanswered TTLs left out), or "". */
export function traceXml(host: HostResult): string {
  const t = host.trace;
  if (!t || t.hops.length === 0) return "";
  let s = "<trace";
  if (t.port !== undefined && (t.proto === "tcp" || t.proto === "udp")) s += ` port="${t.port}"`;
  // nmap's XML names no protocol for an ICMPv6 trace (output.cc knows PS_ICMP, not PS_ICMPV6).
  if (t.proto && t.proto !== "icmpv6") s += ` proto="${t.proto}"`;
  s += ">\n";
  for (const h of t.hops) {
    if (!h.ipaddr) continue;
    s += `<hop ttl="${h.ttl}" ipaddr="${escapeXml(h.ipaddr)}" rtt="${
      h.rttMs === undefined ? "--" : h.rttMs.toFixed(2)
    }"`;
    if (h.host) s += ` host="${escapeXml(h.host)}"`;
    s += "/>\n";
  }
  return s + "</trace>\n";
}

/** The -oJ form: the probe and every hop (unanswered TTLs too, without an address). */
export function traceJson(host: HostResult): unknown {
  const t = host.trace;
  if (!t || t.hops.length === 0) return undefined;
  return {
    proto: t.proto,
    protoNumber: t.proto ? PROTO_NUMBER[t.proto] : undefined,
    port: t.port,
    hops: t.hops.map((h) => ({
      ttl: h.ttl,
      ipaddr: h.ipaddr,
      rtt: h.rttMs === undefined ? undefined : Number(h.rttMs.toFixed(2)),
      host: h.host,
      sameAs: h.tag === host.address ? undefined : h.tag,
    })),
  };
}
