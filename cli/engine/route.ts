/**
 * Where raw probes to a target leave from: interface, source address, link
 * framing and the next hop's MAC. A thin adapter over the OS edge (ffi/), so
 * the engine has one place that knows how routes are found.
 *
 * @module
 */

import {
  interfaces,
  neighbourMac,
  type NetInterface,
  type Route,
  routes,
  routeTo,
  sortRoutes,
} from "../../ffi/mod.ts";
import { canonicalIp, parseIp, parseMac, prefixMatch } from "../../core-wasm/addr.ts";

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
  /** The interface's MTU: the largest IP datagram it sends whole (absent: unknown). */
  mtu?: number;
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
 * Resolve the route to `target` (IPv4 or IPv6 text), honouring -e (`iface`),
 * -S (`source`) and --spoof-mac (`srcMac`, instead of the interface's MAC),
 * through ffi's routeTo. The next hop's MAC comes from the kernel's neighbour table; when it is missing `dstMac` stays undefined and
 * the caller resolves it actively (cli/engine/next_hop.ts).
 */
export function resolveRoute(
  target: string,
  opts: { iface?: string; source?: string; srcMac?: Uint8Array } = {},
  known?: NetInterface[],
): RawRoute {
  let info;
  try {
    info = routeTo(target, { device: opts.iface, source: opts.source, known });
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
    if (mac) dstMac = parseMac(mac);
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
    srcMac: loopback || raw ? ZERO_MAC : opts.srcMac ?? (ifc.mac ? parseMac(ifc.mac) : ZERO_MAC),
    dstMac,
    onLink: info.direct && !loopback && !info.local,
    ...(ifc.mtu > 0 ? { mtu: ifc.mtu } : {}),
  };
}

/**
 * A key for one path: targets with the same key share a RawRoute (and next-hop MAC). The gateway
 * is part of it: an on-link gateway and a host routed through it have the same next hop but not
 * the same path (only the gateway is on-link, gets an ARP/ND ping and a MAC line).
 */
export function routeKey(r: RawRoute): string {
  return `${r.iface}|${r.family}|${r.source}|${r.nextHop}|${r.gateway ?? ""}`;
}

/** A key grouping routes that can share one capture and sender. */
export function sessionKey(r: RawRoute): string {
  return `${r.iface}|${r.family}|${r.source}`;
}

/**
 * Route resolution for many targets: the kernel is asked once per entry of
 * the routing table (the longest prefix that covers the target), and every
 * later target under the same entry reuses the answer — a /16 costs a few
 * kernel queries instead of 65536 (about 0.8 ms each). Our own addresses
 * and anything the table cannot place are asked one by one.
 */
export class RouteCache {
  #table?: Route[];
  /** This host's interfaces (undefined: not read yet) and their addresses. */
  #interfaces?: NetInterface[];
  #own?: Set<string>;
  readonly #byEntry = new Map<string, RawRoute>();
  readonly #byKey = new Map<string, RawRoute>();

  /** `srcMac`: the Ethernet source of every frame built (--spoof-mac) instead of the interface's. */
  constructor(readonly opts: { iface?: string; source?: string; srcMac?: Uint8Array } = {}) {}

  #entry(ip: { family: 4 | 6; bytes: Uint8Array }): Route | undefined {
    this.#table ??= (() => {
      try {
        return sortRoutes(routes());
      } catch {
        return [];
      }
    })();
    return this.#table.find((r) =>
      r.family === ip.family &&
      (this.opts.iface === undefined || r.iface === this.opts.iface) &&
      prefixMatch(parseIp(r.destination)!.bytes, ip.bytes, r.prefixLength)
    );
  }

  #isOwn(address: string): boolean {
    this.#own ??= (() => {
      const set = new Set<string>();
      try {
        this.#interfaces = interfaces();
        for (const i of this.#interfaces) for (const a of i.addresses) set.add(a.address);
      } catch {
        // unknown: everything goes to the kernel one by one
      }
      return set;
    })();
    return this.#own.has(address);
  }

  /** The (shared) RawRoute for `address`. Throws RouteError. */
  resolve(address: string): RawRoute {
    const ip = parseIp(address);
    if (!ip) throw new RouteError(`not an IP address: ${address}`);
    const canonical = canonicalIp(address)!;
    const loop = ip.family === 4 ? ip.bytes[0] === 127 : canonical === "::1";
    const entry = loop || this.#isOwn(canonical) ? undefined : this.#entry(ip);
    const ek = entry &&
      `${entry.destination}/${entry.prefixLength}|${entry.iface}|${entry.gateway}`;
    const base = ek ? this.#byEntry.get(ek) : undefined;
    let r: RawRoute;
    if (base && base.gateway) {
      r = base;
    } else if (base) {
      // On-link: same interface and source, the target is its own next hop.
      r = { ...base, nextHop: canonical, dstMac: base.loopback ? base.dstMac : undefined };
    } else {
      r = resolveRoute(canonical, this.opts, this.#interfaces);
      if (ek && !r.loopback) this.#byEntry.set(ek, r);
    }
    const key = routeKey(r);
    const known = this.#byKey.get(key);
    if (known) return known;
    this.#byKey.set(key, r);
    return r;
  }
}

/**
 * nmap's checks of -e and -S before any packet (nmap.cc, libnetutil's
 * route_dst): -S alone must be one of this host's addresses, -e alone must
 * name an interface holding an address of the scan's family, and -e with -S
 * must name an interface. Returns nmap's fatal message, or undefined.
 */
export function sourceOptionsProblem(
  o: { iface?: string; source?: string; family: 4 | 6 },
  list: NetInterface[] = interfaces(),
): string | undefined {
  const { iface, source } = o;
  if (source !== undefined && iface === undefined) {
    const c = canonicalIp(source);
    if (!list.some((i) => i.addresses.some((a) => a.address === c))) {
      return "Could not figure out what device to send the packet out on with the source address you gave me!  If you are trying to sp00f your scan, this is normal, just give the -e eth0 or -e ppp0 or whatever.  Otherwise you can still use -e, but I find it kind of fishy.";
    }
  }
  if (iface === undefined) return undefined;
  const dev = list.find((i) => i.name === iface);
  if (source === undefined && !dev?.addresses.some((a) => a.family === o.family)) {
    return `I cannot figure out what source address to use for device ${iface}, does it even exist?`;
  }
  if (!dev) return `Could not find interface ${iface} which was specified by -e`;
  return undefined;
}
