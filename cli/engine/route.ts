/**
 * Where raw probes to a target leave from: interface, source address, link
 * framing and the next hop's MAC. A thin adapter over the OS edge (ffi/), so
 * the engine has one place that knows how routes are found.
 *
 * @module
 */

import { neighbourMac, type NetInterface, routeTo } from "../../ffi/mod.ts";
import { parseIp, parseMac } from "../../ffi/ip.ts";

/** A resolved path to one target (or to every target sharing it). */
export interface RawRoute {
  family: 4 | 6;
  /** Interface name (e.g. "eth0", "lo"). */
  iface: string;
  ifindex: number;
  /** Frames start with an Ethernet header ("ethernet"; loopback too) or IP ("raw"). */
  linkKind: "ethernet" | "raw";
  loopback: boolean;
  /** Our address on that path, text and network-order bytes. */
  source: string;
  sourceBytes: Uint8Array;
  /** Gateway when the target is not on-link. */
  gateway?: string;
  /** The address whose MAC frames go to: the gateway, or the target itself. */
  nextHop: string;
  /** Our MAC (zeros on loopback and raw-IP links). */
  srcMac: Uint8Array;
  /** The next hop's MAC (zeros on loopback and raw-IP links); undefined
   * when the neighbour table does not know it yet (resolve with ARP/ND). */
  dstMac?: Uint8Array;
  /** The target is on the local link (nmap then pings with ARP/ND). */
  onLink: boolean;
}

/** Why no raw route could be found, in one sentence. */
export class RouteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RouteError";
  }
}

const ZERO_MAC = new Uint8Array(6);

/**
 * Resolve the route to `target` (IPv4 or IPv6 text), honouring -e (`iface`)
 * and -S (`source`), through ffi's routeTo. The next hop's MAC comes from the
 * kernel's neighbour table; when it is missing `dstMac` stays undefined and
 * the caller resolves it actively (cli/net/next_hop.ts).
 */
export function resolveRoute(
  target: string,
  opts: { iface?: string; source?: string } = {},
): RawRoute {
  let info;
  try {
    info = routeTo(target, { device: opts.iface, source: opts.source });
  } catch (e) {
    throw new RouteError(e instanceof Error ? e.message : String(e));
  }
  if (!info) throw new RouteError(`no route to ${target}`);
  const ifc: NetInterface = info.iface;
  const loopback = ifc.loopback;
  const raw = ifc.linkKind === "raw";
  if (!info.source) {
    throw new RouteError(`no ${info.family === 4 ? "IPv4" : "IPv6"} address on ${ifc.name}`);
  }
  const sourceBytes = parseIp(info.source)!.bytes;
  let dstMac: Uint8Array | undefined;
  if (loopback || raw) dstMac = ZERO_MAC;
  else {
    const mac = neighbourMac(info.nextHop, ifc.name);
    if (mac) dstMac = parseMac(mac) ?? undefined;
  }
  return {
    family: info.family,
    iface: ifc.name,
    ifindex: ifc.index,
    linkKind: ifc.linkKind,
    loopback,
    source: info.source,
    sourceBytes,
    gateway: info.gateway,
    nextHop: info.nextHop,
    srcMac: !loopback && !raw && ifc.mac ? parseMac(ifc.mac)! : ZERO_MAC,
    dstMac,
    onLink: info.direct && !loopback && !info.local,
  };
}

/** A key grouping targets that can share one capture and sender. */
export function routeKey(r: RawRoute): string {
  return `${r.iface}|${r.family}|${r.source}|${r.nextHop}`;
}
