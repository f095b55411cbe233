/**
 * Network interfaces with their addresses, MTU, MAC and flags, read the way
 * that needs the fewest permissions on Linux. Deno 2.9 only lets --allow-all
 * read /proc and /sys; with --allow-ffi (which raw scanning needs anyway)
 * these files are read through libc instead (see readSystemFile):
 *
 * - order: /proc/net/dev (the order nmap --iflist prints);
 * - index, ARPHRD type, flags, MTU, MAC: /sys/class/net/<name>/ (read only);
 * - IPv6 addresses: /proc/net/if_inet6 (read only);
 * - IPv4 addresses: rtnetlink RTM_GETADDR when --allow-ffi is granted (the
 *   kernel's order, as SIOCGIFCONF gives nmap), else Deno.networkInterfaces
 *   (--allow-sys), else none (`ipv4Known` false).
 *
 * @module
 */

import { ffiGranted, readSystemFile } from "./_libc.ts";
import { netlinkAddresses } from "./netlink.ts";
import { canonicalIp, formatIPv6, hexToBytes } from "../core-wasm/ip.ts";

/** Interface flags (IFF_*, <linux/if.h>). */
export const Iff = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  MULTICAST: 0x1000,
} as const;

/** ARPHRD_* values seen in /sys/class/net/<name>/type. */
export const Arphrd = {
  ETHER: 1,
  PPP: 512,
  TUNNEL: 768,
  TUNNEL6: 769,
  LOOPBACK: 772,
  SIT: 776,
  IPGRE: 778,
  NONE: 65534,
} as const;

/** One address on an interface. */
export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  /** "global", "link", "host" or "site". */
  scope: string;
  /** IPv4 label, e.g. "eth0:1". */
  label?: string;
}

/** nmap's interface type column. */
export type InterfaceKind = "ethernet" | "loopback" | "point2point" | "other";

/** A network interface. */
export interface NetInterface {
  name: string;
  index: number;
  /** ARPHRD type (1 Ethernet, 772 loopback, 65534 tun, 768 ipip, ...). */
  arphrd: number;
  /** nmap's classification (as --iflist prints it). */
  kind: InterfaceKind;
  /** What frames sent on this link start with: an Ethernet header
   * (Ethernet, and Linux loopback with zero MACs) or the IP header. */
  linkKind: "ethernet" | "raw";
  /** Lower-case MAC for Ethernet-framed links. */
  mac?: string;
  mtu: number;
  flags: number;
  up: boolean;
  running: boolean;
  loopback: boolean;
  noarp: boolean;
  pointToPoint: boolean;
  /** IPv4 addresses first (kernel order), then IPv6 (if_inet6 order). */
  addresses: InterfaceAddress[];
}

/** The result of {@link interfaces}, with how complete it is. */
export interface InterfaceList extends Array<NetInterface> {
  /** False when neither --allow-ffi nor --allow-sys let us read IPv4 addresses. */
  ipv4Known?: boolean;
}

const readText = readSystemFile;

/** Interface names in /proc/net/dev order. */
export function parseProcNetDev(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n").slice(2)) {
    const i = line.indexOf(":");
    if (i > 0) names.push(line.slice(0, i).trim());
  }
  return names;
}

/** Parses /proc/net/if_inet6: address, ifindex, prefix, scope, flags, name. */
export function parseIfInet6(
  text: string,
): Array<InterfaceAddress & { iface: string; index: number }> {
  const out: Array<InterfaceAddress & { iface: string; index: number }> = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[0]!.length !== 32) continue;
    const scopeNum = parseInt(f[3]!, 16);
    out.push({
      family: 6,
      address: formatIPv6(hexToBytes(f[0]!)),
      prefixLength: parseInt(f[2]!, 16),
      scope: scopeNum === 0x10
        ? "host"
        : scopeNum === 0x20
        ? "link"
        : scopeNum === 0x40
        ? "site"
        : "global",
      iface: f[5]!,
      index: parseInt(f[1]!, 16),
    });
  }
  return out;
}

/** nmap's type rule (libdnet intf + nmap): loopback flag → loopback;
 * broadcast and ARP-capable → ethernet; point-to-point → point2point. */
export function classify(flags: number): InterfaceKind {
  if (flags & Iff.LOOPBACK) return "loopback";
  if (flags & Iff.BROADCAST) return flags & Iff.NOARP ? "other" : "ethernet";
  if (flags & Iff.POINTOPOINT) return "point2point";
  return "other";
}

function scopeName(n: number): string {
  return n === 254 ? "host" : n === 253 ? "link" : n === 200 ? "site" : "global";
}

function ipv4ByName(names: Map<number, string>): Map<string, InterfaceAddress[]> | undefined {
  const byName = new Map<string, InterfaceAddress[]>();
  if (ffiGranted()) {
    try {
      for (const a of netlinkAddresses()) {
        if (a.family !== 4) continue;
        const name = names.get(a.ifindex);
        if (!name) continue;
        const list = byName.get(name) ?? [];
        list.push({
          family: 4,
          address: a.address,
          prefixLength: a.prefixLength,
          scope: scopeName(a.scope),
          label: a.label,
        });
        byName.set(name, list);
      }
      return byName;
    } catch {
      byName.clear();
    }
  }
  try {
    if (
      Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" }).state !== "granted"
    ) {
      return undefined;
    }
    for (const ni of Deno.networkInterfaces()) {
      if (ni.family !== "IPv4") continue;
      const list = byName.get(ni.name) ?? [];
      const bits = Number(ni.cidr?.split("/")[1] ?? 32);
      list.push({
        family: 4,
        address: ni.address,
        prefixLength: bits,
        scope: ni.address.startsWith("127.") ? "host" : "global",
      });
      byName.set(ni.name, list);
    }
    return byName;
  } catch {
    return undefined;
  }
}

/** Every interface, in /proc/net/dev order. Needs --allow-ffi (or
 * --allow-all); empty without either. */
export function interfaces(): InterfaceList {
  const devText = readText("/proc/net/dev");
  const names = devText ? parseProcNetDev(devText) : [];
  const indexes = new Map<number, string>();
  for (const name of names) {
    indexes.set(Number(readText(`/sys/class/net/${name}/ifindex`)?.trim() ?? "0"), name);
  }
  const v6 = parseIfInet6(readText("/proc/net/if_inet6") ?? "");
  const v4 = ipv4ByName(indexes);
  const list: InterfaceList = [];
  for (const name of names) {
    const base = `/sys/class/net/${name}`;
    const flags = parseInt(readText(`${base}/flags`)?.trim() ?? "0", 16);
    const arphrd = Number(readText(`${base}/type`)?.trim() ?? "0");
    const macText = readText(`${base}/address`)?.trim();
    const ethFramed = arphrd === Arphrd.ETHER || arphrd === Arphrd.LOOPBACK;
    list.push({
      name,
      index: Number(readText(`${base}/ifindex`)?.trim() ?? "0"),
      arphrd,
      kind: classify(flags),
      linkKind: ethFramed ? "ethernet" : "raw",
      mac: ethFramed && macText && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(macText)
        ? macText
        : undefined,
      mtu: Number(readText(`${base}/mtu`)?.trim() ?? "0"),
      flags,
      up: (flags & Iff.UP) !== 0,
      running: (flags & Iff.RUNNING) !== 0,
      loopback: (flags & Iff.LOOPBACK) !== 0,
      noarp: (flags & Iff.NOARP) !== 0,
      pointToPoint: (flags & Iff.POINTOPOINT) !== 0,
      addresses: [
        ...(v4?.get(name) ?? []),
        ...v6.filter((a) => a.iface === name).map(({ family, address, prefixLength, scope }) => ({
          family,
          address,
          prefixLength,
          scope,
        })),
      ],
    });
  }
  list.ipv4Known = v4 !== undefined;
  return list;
}

/** Finds an interface by name (nmap's -e); undefined if none. */
export function interfaceByName(
  name: string,
  list: NetInterface[] = interfaces(),
): NetInterface | undefined {
  return list.find((i) => i.name === name);
}

/** The interface holding `addr` (nmap's -S check); undefined if none. */
export function interfaceWithAddress(
  addr: string,
  list: NetInterface[] = interfaces(),
): NetInterface | undefined {
  const c = canonicalIp(addr);
  return list.find((i) => i.addresses.some((a) => a.address === c));
}
