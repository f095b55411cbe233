/**
 * How many bytes each raw scan's probe carries before the --data* payload, as nmap builds them:
 * the sizes cli/engine/probe_fit.ts checks against the interface's MTU. A kind not listed
 * (connect, FTP bounce, idle) is not checked; -sO's probes are sized by protocol. Host
 * discovery's pings are sized in cli/discovery/ping_headers.ts.
 *
 * @module
 */

import type { SizedProbe } from "../engine/probe_fit.ts";
import type { ScanKind } from "../options/types.ts";
import { SCAN_KINDS } from "./registry.ts";

/** Transport bytes before the payload: SYN probes carry an MSS option (nmap's 4 bytes). */
const HEADER_BYTES: Partial<Record<ScanKind, number>> = {
  syn: 24,
  ack: 20,
  fin: 20,
  null: 20,
  xmas: 20,
  window: 20,
  maimon: 20,
  udp: 8,
  sctpinit: 12 + 20, // common header + INIT chunk
  sctpcookieecho: 12 + 8, // common header + COOKIE ECHO chunk with its cookie
};

/** -sO: the header of each protocol's probe (ip_protocol.ts); any other protocol gets none. */
export const PROTOCOL_HEADER_BYTES: Readonly<Record<number, number>> = {
  1: 8, // ICMP echo
  2: 8, // IGMP
  6: 20, // TCP ACK, no options
  17: 8, // UDP
  58: 8, // ICMPv6 echo
  132: 12 + 20, // SCTP INIT
};

/**
 * The raw probes a run's port scans send, sized: its scans (SYN when none is named), with -sO's
 * one per protocol in `ipProtocols`.
 */
export function scanProbeHeaders(
  scans: readonly ScanKind[],
  ipProtocols: readonly number[] = [],
): SizedProbe[] {
  const kinds: readonly ScanKind[] = scans.length ? scans : ["syn"];
  return kinds.flatMap((k) => {
    if (k === "ipproto") {
      return ipProtocols.map((p) => ({
        name: `-sO protocol ${p}`,
        headerBytes: PROTOCOL_HEADER_BYTES[p] ?? 0,
      }));
    }
    const headerBytes = HEADER_BYTES[k];
    return headerBytes === undefined ? [] : [{ name: SCAN_KINDS[k].option, headerBytes }];
  });
}
