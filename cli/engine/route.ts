/**
 * Where raw probes to a target leave from: interface, source address, link
 * framing and the next hop's MAC. A thin adapter over the OS edge (ffi/), so
 * the engine has one place that knows how routes are found.
 *
 * @module
 */

import { interfaces, type NetInterface } from "../../ffi/interfaces.ts";
import { netlinkNeighbours, netlinkRouteGet } from "../../ffi/netlink.ts";
import { canonicalIp, formatMac, parseIp, parseMac } from "../../ffi/ip.ts";

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

let ifCache: NetInterface[] | undefined;

/** Interfaces, read once per run (routes do not move under a scan). */
export function cachedInterfaces(): NetInterface[] {
  return ifCache ??= interfaces();
}

/**
 * Resolve the route to `target` (IPv4 or IPv6 text), honouring -e (`iface`)
 * and -S (`source`). The next hop's MAC comes from the kernel's neighbour
 * table; when it is missing `dstMac` stays undefined and the caller resolves
 * it actively (cli/net/next_hop.ts).
 */
export function resolveRoute(
  target: string,
  opts: { iface?: string; source?: string } = {},
): RawRoute {
  const dst = parseIp(target);
  if (!dst) throw new RouteError(`not an IP address: ${target}`);
  const family = dst.family;
  const list = cachedInterfaces();
  let forced: NetInterface | undefined;
  if (opts.iface) {
    forced = list.find((i) => i.name === opts.iface);
    if (!forced) throw new RouteError(`no interface named ${opts.iface}`);
  }
  const src = opts.source ? parseIp(opts.source) : null;
  if (opts.source && (!src || src.family !== family)) {
    throw new RouteError(`source address ${opts.source} does not match the target's family`);
  }
  const kr = netlinkRouteGet(dst.bytes, { oif: forced?.index, src: src?.bytes });
  if (!kr) throw new RouteError(`no route to ${target}`);
  const dev = forced ?? list.find((i) => i.index === kr.oif);
  if (!dev) throw new RouteError(`route to ${target} uses an unknown interface (index ${kr.oif})`);
  // A "local" route (type 2) means the target is one of our own addresses:
  // the kernel delivers it over loopback (nmap scans 127.0.0.1 on lo too).
  const local = kr.type === 2;
  const ifc = local && !forced ? (list.find((i) => i.loopback) ?? dev) : dev;
  let source = opts.source ? canonicalIp(opts.source)! : kr.prefsrc;
  if (!source) {
    source = ifc.addresses.find((a) => a.family === family && a.scope !== "link")?.address ??
      ifc.addresses.find((a) => a.family === family)?.address;
  }
  if (!source && local) source = canonicalIp(target)!;
  if (!source) throw new RouteError(`no ${family === 4 ? "IPv4" : "IPv6"} address on ${ifc.name}`);
  const sourceBytes = parseIp(source)!.bytes;
  const loopback = ifc.loopback;
  const raw = ifc.linkKind === "raw";
  const nextHop = kr.gateway ?? canonicalIp(target)!;
  let dstMac: Uint8Array | undefined;
  if (loopback || raw) dstMac = ZERO_MAC;
  else {
    const n = netlinkNeighbours(family).find((e) =>
      e.ifindex === ifc.index && e.address === nextHop && e.valid && e.mac
    );
    if (n?.mac) dstMac = parseMac(n.mac) ?? undefined;
  }
  return {
    family,
    iface: ifc.name,
    ifindex: ifc.index,
    linkKind: ifc.linkKind,
    loopback,
    source,
    sourceBytes,
    gateway: kr.gateway,
    nextHop,
    srcMac: !loopback && !raw && ifc.mac ? parseMac(ifc.mac)! : ZERO_MAC,
    dstMac,
    onLink: !kr.gateway && !loopback,
  };
}

/** A key grouping targets that can share one capture and sender. */
export function routeKey(r: RawRoute): string {
  return `${r.iface}|${r.family}|${r.source}|${r.dstMac ? formatMac(r.dstMac) : r.nextHop}`;
}
