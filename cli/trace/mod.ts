/**
 * --traceroute: nmap's traceroute after the scans of a host.
 *
 * ```ts
 * import { HopCache, traceroute } from "./trace/mod.ts";
 * const cache = new HopCache();                              // one per run
 * r.trace = await traceroute(r, route, sessions, opts, cache, rdns); // after the port scans
 * ```
 *
 * - trace.ts: the probe choice, the TTL walk and the hop cache (no I/O).
 * - io.ts: probes as frames through a raw session of its own.
 * - output.ts: normal, XML and JSON output.
 *
 * @module
 */

import type { HostResult, TraceResult } from "../model/mod.ts";
import type { Options } from "../options/types.ts";
import type { RawRoute } from "../engine/route.ts";
import type { SessionOpener } from "./io.ts";
import { chooseProbe, directTrace, type HopCache, traceHost } from "./trace.ts";

export { HopCache } from "./trace.ts";

/**
 * Traces one host (IPv4 or IPv6) that is up, on `route`, with a session of its own from
 * `sessions` (the run's pool), with the best probe its scan found; `reverse` names the hops (omit it for
 * -n). A directly connected host gets its one hop without a probe; a host on our own machine
 * gets no trace (undefined), as in nmap.
 */
export async function traceroute(
  host: HostResult,
  route: RawRoute,
  sessions: SessionOpener,
  opts: Options,
  cache: HopCache,
  reverse?: (addr: string) => Promise<string | undefined>,
  signal?: AbortSignal,
): Promise<TraceResult | undefined> {
  if (host.status !== "up") return undefined;
  if (route.loopback || route.source === host.address) return undefined;
  if (route.onLink) return directTrace(host);
  // No scan type given: a traced (so privileged) run scanned with SYN, as nmap's default.
  const scans = opts.scans.length ? opts.scans : ["syn"];
  const probe = chooseProbe(
    host,
    scans.some((s) => s !== "connect" && s !== "udp"),
    opts.discovery.pingOnly,
  );
  const { SessionTraceIo } = await import("./io.ts");
  const io = SessionTraceIo.open(sessions, route, host.address, probe);
  let hops;
  try {
    hops = await traceHost(host.address, io, cache, signal);
  } finally {
    io.close();
  }
  if (reverse) {
    await Promise.all(hops.map(async (h) => {
      if (!h.ipaddr || h.host !== undefined) return;
      const name = await reverse(h.ipaddr);
      if (name) h.host = name;
    }));
  }
  // A trace that reached the target knows its distance best: it replaces the OS scan's guess,
  // and the fingerprint's SCAN line says so (DC=T), as nmap's traceroute.cc does.
  const last = hops.at(-1);
  if (host.os && last?.ipaddr === host.address) {
    host.os.distance = last.ttl;
    host.os.distanceMethod = "traceroute";
  }
  const proto = probe.proto === "icmp" && host.family === 6 ? "icmpv6" : probe.proto;
  return { proto, port: probe.port, hops };
}
