/**
 * nmap's port order (PortList::nextPort): TCP, then UDP, then SCTP (then -sO's IP protocols),
 * each by number.
 *
 * @module
 */

import type { PortResult, Protocol } from "./mod.ts";

const PROTOCOL_ORDER: Record<Protocol, number> = { tcp: 0, udp: 1, sctp: 2, ip: 3 };

/** Compares two ports in nmap's iteration order (for Array.prototype.sort). */
export function comparePorts(a: PortResult, b: PortResult): number {
  return PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] || a.port - b.port;
}
