/**
 * Routes and the route to one target. The table comes from /proc/net/route
 * and /proc/net/ipv6_route (what libdnet, and so nmap --iflist, reads); the
 * route to a target asks the kernel itself (RTM_GETROUTE, as nmap does on
 * Linux) when --allow-ffi is granted, and otherwise applies nmap's generic
 * rule to the table: own address → loopback; else the longest prefix with
 * the lowest metric on an up interface; else an interface's own subnet.
 *
 * @module
 */

import { ffiGranted, readSystemFile } from "./_libc.ts";
import { type InterfaceAddress, interfaces, type NetInterface } from "./interfaces.ts";
import {
  bytesEqual,
  formatIpv4,
  formatIpv6,
  hexToBytes,
  type IpBytes,
  isZero,
  maskBits,
  parseIp,
  prefixMatch,
} from "../core-wasm/addr.ts";
import { netlinkRouteGet } from "./netlink.ts";

/** RTF_* route flags. */
const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;

/** A routing-table entry. */
export interface Route {
  family: 4 | 6;
  destination: string;
  prefixLength: number;
  /** Gateway, absent for on-link routes. */
  gateway?: string;
  metric: number;
  iface: string;
  flags: number;
}

function le32ToBytes(hex: string): Uint8Array {
  // /proc/net/route prints the in-memory (network order) u32 as a host-order
  // (little-endian) hex number, so the bytes come out reversed.
  const n = parseInt(hex, 16) >>> 0;
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

/** Parses /proc/net/route (only routes with RTF_UP, as libdnet does). */
export function parseProcRoute(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 11) continue;
    const flags = parseInt(f[3]!, 16);
    if (!(flags & RTF_UP)) continue;
    const bits = maskBits(le32ToBytes(f[7]!));
    if (bits < 0) continue;
    const gw = le32ToBytes(f[2]!);
    out.push({
      family: 4,
      destination: formatIpv4(le32ToBytes(f[1]!)),
      prefixLength: bits,
      gateway: isZero(gw) ? undefined : formatIpv4(gw),
      metric: Number(f[6]),
      iface: f[0]!,
      flags,
    });
  }
  return out;
}

/** Parses /proc/net/ipv6_route (only routes with RTF_UP; this skips the
 * kernel's reject routes). */
export function parseProcIpv6Route(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[0]!.length !== 32) continue;
    const flags = parseInt(f[8]!, 16);
    if (!(flags & RTF_UP)) continue;
    const gw = hexToBytes(f[4]!);
    out.push({
      family: 6,
      destination: formatIpv6(hexToBytes(f[0]!)),
      prefixLength: parseInt(f[1]!, 16),
      gateway: isZero(gw) ? undefined : formatIpv6(gw),
      metric: parseInt(f[5]!, 16),
      iface: f[9]!,
      flags,
    });
  }
  return out;
}

/** nmap's route order: IPv4 first, then longer prefixes, then lower metric,
 * then table order. */
export function sortRoutes(routes: Route[]): Route[] {
  return routes
    .map((r, i) => ({ r, i }))
    .sort((a, b) =>
      a.r.family - b.r.family || b.r.prefixLength - a.r.prefixLength || a.r.metric - b.r.metric ||
      a.i - b.i
    )
    .map((x) => x.r);
}

/** The kernel's routing table as /proc shows it (IPv4 main table, IPv6 all
 * tables; v4 then v6, file order). Needs --allow-ffi (or --allow-all). */
export function routes(): Route[] {
  const read = (p: string) => readSystemFile(p) ?? "";
  return [
    ...parseProcRoute(read("/proc/net/route")),
    ...parseProcIpv6Route(read("/proc/net/ipv6_route")),
  ];
}

/** How to reach one target. */
export interface RouteInfo {
  target: string;
  family: 4 | 6;
  /** The interface frames leave by. */
  iface: NetInterface;
  /** Source address to put in probes. */
  source: string;
  /** Gateway, when the target is not on-link. */
  gateway?: string;
  /** Whose MAC goes in the Ethernet header: the gateway or the target. */
  nextHop: string;
  /** True when the target is on-link (nmap's direct_connect). */
  direct: boolean;
  /** True when the target is one of this host's addresses (sent via loopback). */
  local: boolean;
  /** "kernel" (RTM_GETROUTE) or "table" (/proc + nmap's rule). */
  method: "kernel" | "table";
}

/** Options: nmap's -e (device) and -S (source). */
export interface RouteOptions {
  device?: string;
  source?: string;
  /** Force the /proc table rule even when the kernel could be asked. */
  method?: "kernel" | "table";
  /** Interfaces and routes to use (for tests); default: read the system's. */
  interfaces?: NetInterface[];
  routes?: Route[];
  /** This host's interfaces, read already by the caller: the kernel is still asked for the
   * route, but the interfaces are not read again (a dozen /proc and /sys files). */
  known?: NetInterface[];
}

function pickSource(iface: NetInterface, dst: IpBytes, near?: IpBytes): string | undefined {
  const fam = iface.addresses.filter((a) => a.family === dst.family);
  if (fam.length === 0) return undefined;
  const linkLocal = dst.family === 6 && dst.bytes[0] === 0xfe && (dst.bytes[1]! & 0xc0) === 0x80;
  const inSubnet = (a: InterfaceAddress, t: IpBytes) =>
    prefixMatch(parseIp(a.address)!.bytes, t.bytes, a.prefixLength);
  const candidates = dst.family === 6
    ? fam.filter((a) => (a.scope === "link") === linkLocal).concat(fam)
    : fam;
  return (candidates.find((a) => inSubnet(a, dst)) ??
    (near && candidates.find((a) => inSubnet(a, near))) ??
    candidates[0])!.address;
}

/** The route, interface and source address for `target` (IPv4 or IPv6 text,
 * optionally `%zone`). Null when there is no route. Throws on text that is
 * not an address, or on -e/-S naming something that does not exist. */
export function routeTo(target: string, opts: RouteOptions = {}): RouteInfo | null {
  let device = opts.device;
  const pct = target.indexOf("%");
  if (pct >= 0) {
    device ??= target.slice(pct + 1);
    target = target.slice(0, pct);
  }
  const dst = parseIp(target);
  if (!dst) throw new Error(`not an IP address: ${target}`);
  const ifs = opts.interfaces ?? opts.known ?? interfaces();
  const dev = device !== undefined ? ifs.find((i) => i.name === device) : undefined;
  if (device !== undefined && !dev) throw new Error(`no interface named ${device} (see --iflist)`);
  let src: IpBytes | undefined;
  if (opts.source !== undefined) {
    src = parseIp(opts.source) ?? undefined;
    if (!src) throw new Error(`not an IP address: ${opts.source}`);
    if (src.family !== dst.family) {
      throw new Error(`source ${opts.source} and target ${target} are different address families`);
    }
  }
  const canonical = dst.family === 4 ? formatIpv4(dst.bytes) : formatIpv6(dst.bytes);
  const useKernel = opts.method !== "table" && !opts.interfaces && ffiGranted() &&
    Deno.build.os === "linux";
  const info = useKernel
    ? kernelRoute(canonical, dst, ifs, dev, src)
    : tableRoute(canonical, dst, ifs, opts.routes ?? routes(), dev);
  if (info && opts.source !== undefined) info.source = opts.source;
  return info;
}

function kernelRoute(
  target: string,
  dst: IpBytes,
  ifs: NetInterface[],
  dev: NetInterface | undefined,
  src: IpBytes | undefined,
): RouteInfo | null {
  const r = netlinkRouteGet(dst.bytes, { oif: dev?.index, src: src?.bytes });
  if (!r) {
    // -e on a device without a matching route: treat the target as on-link
    // there, as a raw scanner told "this interface" must.
    if (!dev) return null;
    const source = src ? undefined : pickSource(dev, dst);
    if (!src && !source) return null;
    return {
      target,
      family: dst.family,
      iface: dev,
      source: source ?? "",
      nextHop: target,
      direct: true,
      local: false,
      method: "kernel",
    };
  }
  const local = r.type === 2;
  let iface = dev ?? ifs.find((i) => i.index === r.oif);
  if (local && !dev) iface = ifs.find((i) => i.loopback) ?? iface;
  if (!iface) return null;
  const gateway = r.gateway && r.gateway !== target ? r.gateway : undefined;
  const source = r.prefsrc ?? pickSource(iface, dst, gateway ? parseIp(gateway)! : undefined) ??
    (local ? target : undefined);
  if (source === undefined && !src) return null;
  return {
    target,
    family: dst.family,
    iface,
    source: source ?? "",
    gateway,
    nextHop: gateway ?? target,
    direct: !gateway,
    local,
    method: "kernel",
  };
}

function tableRoute(
  target: string,
  dst: IpBytes,
  ifs: NetInterface[],
  table: Route[],
  dev: NetInterface | undefined,
): RouteInfo | null {
  const mk = (
    iface: NetInterface,
    gateway: string | undefined,
    local: boolean,
  ): RouteInfo | null => {
    const source = local ? target : pickSource(iface, dst, gateway ? parseIp(gateway)! : undefined);
    if (source === undefined) return null;
    return {
      target,
      family: dst.family,
      iface,
      source,
      gateway,
      nextHop: gateway ?? target,
      direct: !gateway,
      local,
      method: "table",
    };
  };
  // 1. Our own address (or 127/8, ::1): the loopback device.
  const own = ifs.some((i) =>
    i.addresses.some((a) =>
      a.family === dst.family && bytesEqual(parseIp(a.address)!.bytes, dst.bytes)
    )
  );
  const loop = dst.family === 4
    ? dst.bytes[0] === 127
    : bytesEqual(dst.bytes, parseIp("::1")!.bytes);
  if (own || loop) {
    const lo = ifs.find((i) => i.loopback);
    if (lo && (!dev || dev.name === lo.name) && (dev || lo.up)) return mk(lo, undefined, true);
  }
  // 2. Longest prefix, then lowest metric, on an up interface (or the -e one).
  for (const r of sortRoutes(table)) {
    if (r.family !== dst.family) continue;
    if (!prefixMatch(parseIp(r.destination)!.bytes, dst.bytes, r.prefixLength)) continue;
    const iface = ifs.find((i) => i.name === r.iface);
    if (!iface) continue;
    if (dev ? dev.name !== iface.name : !iface.up) continue;
    const gw = r.gateway && (r.flags & RTF_GATEWAY || r.family === 6) && r.gateway !== target
      ? r.gateway
      : undefined;
    const res = mk(iface, gw, false);
    if (res) return res;
  }
  // 3. An interface whose own subnet holds the target.
  for (const iface of ifs) {
    if (dev ? dev.name !== iface.name : !iface.up) continue;
    const onLink = iface.addresses.some((a) =>
      a.family === dst.family && prefixMatch(parseIp(a.address)!.bytes, dst.bytes, a.prefixLength)
    );
    if (onLink) return mk(iface, undefined, false);
  }
  // 4. -e given: on-link on that device.
  return dev ? mk(dev, undefined, false) : null;
}
