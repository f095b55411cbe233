/**
 * Which host-discovery probes nmap sends to a target (targets.cc
 * refresh_hostbatch / massping, nmap.cc defaults):
 *
 * - -Pn: none, the host is "up, received user-set" — except that on a local
 *   Ethernet, as root, ARP/ND still runs unless --disable-arp-ping;
 * - loopback targets as root: none, "localhost-response";
 * - on-link Ethernet targets as root: ARP (IPv4) or neighbour discovery
 *   (IPv6) only, whatever other -P options say, unless --disable-arp-ping;
 * - otherwise as root: the -P probes given (-PO: IP protocols), or the defaults ICMP echo,
 *   TCP SYN to 443, TCP ACK to 80 and (IPv4) ICMP timestamp;
 * - unprivileged: TCP connects to the -PS ports, or 80 and 443.
 *
 * @module
 */

import type { DiscoveryOptions } from "../options/types.ts";

/** One discovery probe kind. */
export type PingProbe =
  | { type: "echo" }
  | { type: "timestamp" }
  | { type: "mask" }
  | { type: "syn"; port: number }
  | { type: "ack"; port: number }
  | { type: "udp"; port: number }
  | { type: "sctp"; port: number }
  /** -PO: nmap's probe for IP protocol `protocol` (core-wasm protocol_probe.ts). */
  | { type: "proto"; protocol: number }
  | { type: "connect"; port: number }
  | { type: "arp" }
  | { type: "nd" };

/** How a target's liveness is decided. */
export type DiscoveryMethod =
  /** Up without probing; `reason` is nmap's word for it. */
  | { kind: "assume"; reason: "user-set" | "localhost-response" }
  /** Probes on the wire (raw or connect), host up at the first answer. */
  | { kind: "probe"; probes: PingProbe[]; raw: boolean };

/** Where the target sits, as the route says. */
export interface TargetPlace {
  family: 4 | 6;
  loopback: boolean;
  /** Directly reachable on an Ethernet link that probes go out on as frames (nmap's
   * directlyConnected + devt_ethernet, and no --send-ip). */
  onLinkEthernet: boolean;
}

/** nmap's default UDP ping port (-PU without a list). */
export const DEFAULT_UDP_PING_PORT = 40125;

/** Decide the discovery method for one target. */
export function discoveryMethod(
  d: DiscoveryOptions,
  place: TargetPlace,
  privileged: boolean,
): DiscoveryMethod {
  const arpFirst = privileged && place.onLinkEthernet && !d.disableArp;
  if (arpFirst) {
    return { kind: "probe", probes: [{ type: place.family === 4 ? "arp" : "nd" }], raw: true };
  }
  if (d.skip) return { kind: "assume", reason: "user-set" };
  if (!privileged) {
    const ports = d.synPorts.length ? d.synPorts : [80, 443];
    return { kind: "probe", probes: ports.map((port) => ({ type: "connect", port })), raw: false };
  }
  if (place.loopback) return { kind: "assume", reason: "localhost-response" };
  const probes: PingProbe[] = [];
  const explicit = d.explicit &&
    (d.echo || d.timestamp || d.mask || d.synPorts.length > 0 || d.ackPorts.length > 0 ||
      d.udpPorts.length > 0 || (d.sctpPorts?.length ?? 0) > 0 || (d.protocols?.length ?? 0) > 0);
  if (!explicit) {
    probes.push({ type: "echo" }, { type: "syn", port: 443 }, { type: "ack", port: 80 });
    if (place.family === 4) probes.push({ type: "timestamp" });
    return { kind: "probe", probes, raw: true };
  }
  if (d.echo) probes.push({ type: "echo" });
  // ICMPv6 has no timestamp or address-mask messages (nmap skips them for -6).
  if (d.timestamp && place.family === 4) probes.push({ type: "timestamp" });
  if (d.mask && place.family === 4) probes.push({ type: "mask" });
  for (const port of d.synPorts) probes.push({ type: "syn", port });
  for (const port of d.ackPorts) probes.push({ type: "ack", port });
  for (const port of d.udpPorts) probes.push({ type: "udp", port });
  for (const port of d.sctpPorts ?? []) probes.push({ type: "sctp", port });
  for (const protocol of d.protocols ?? []) probes.push({ type: "proto", protocol });
  if (probes.length === 0) probes.push({ type: "echo" });
  return { kind: "probe", probes, raw: true };
}
