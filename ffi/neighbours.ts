/**
 * The kernel's neighbour table: IPv4 from /proc/net/arp (read only), IPv6
 * (which has no /proc file) from rtnetlink RTM_GETNEIGH. Looking here first
 * spares an ARP/NDP exchange for every next hop the kernel already knows.
 *
 * @module
 */

import { ffiGranted, readSystemFile } from "./_libc.ts";
import { canonicalIp, formatMac, parseMac } from "../core-wasm/ip.ts";
import { netlinkNeighbours } from "./netlink.ts";

/** ATF_COM: the entry is complete (has a MAC). */
const ATF_COM = 0x2;

/** One neighbour entry. */
export interface Neighbour {
  family: 4 | 6;
  address: string;
  mac: string;
  iface: string;
}

/** Parses /proc/net/arp; only complete entries. */
export function parseProcArp(text: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const flags = parseInt(f[2]!, 16);
    const mac = parseMac(f[3]!);
    if (!(flags & ATF_COM) || !mac) continue;
    out.push({ family: 4, address: f[0]!, mac: formatMac(mac), iface: f[5]! });
  }
  return out;
}

function ifindexOf(iface: string): number | undefined {
  const t = readSystemFile(`/sys/class/net/${iface}/ifindex`);
  return t === undefined ? undefined : Number(t.trim());
}

function isLoopback(iface: string): boolean {
  const t = readSystemFile(`/sys/class/net/${iface}/type`);
  return t === undefined ? iface === "lo" : t.trim() === "772";
}

/** The MAC the kernel has for `addr` on `iface` (lower case), or null when
 * it has none. Linux loopback is Ethernet-framed with all-zero MACs. IPv6
 * needs --allow-ffi (netlink); without it the answer is null. */
export function neighbourMac(addr: string, iface: string): string | null {
  const c = canonicalIp(addr);
  if (!c) throw new Error(`not an IP address: ${addr}`);
  if (isLoopback(iface)) return "00:00:00:00:00:00";
  const v6 = c.includes(":");
  if (!v6) {
    const text = readSystemFile("/proc/net/arp");
    if (text !== undefined) {
      return parseProcArp(text).find((n) => n.address === c && n.iface === iface)?.mac ?? null;
    }
  }
  if (!ffiGranted()) return null;
  const index = ifindexOf(iface);
  const hit = netlinkNeighbours(v6 ? 6 : 4).find((n) =>
    n.valid && n.address === c && (index === undefined || n.ifindex === index)
  );
  return hit?.mac ?? null;
}
