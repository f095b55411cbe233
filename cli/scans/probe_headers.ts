/**
 * How many bytes each raw scan's probe carries before the --data* payload, as nmap builds them:
 * the sizes cli/engine/probe_fit.ts checks against the interface's MTU. A kind not listed
 * (connect, FTP bounce, idle, IP protocol) is not checked.
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

/** The smallest ping (ICMP echo, UDP): -sn runs are checked with it, never refused wrongly. */
const PING_HEADER_BYTES = 8;

/**
 * The raw probes a run sends, sized: its scans (SYN when none is named), or host discovery's
 * pings with -sn.
 */
export function rawProbeHeaders(scans: readonly ScanKind[], pingOnly: boolean): SizedProbe[] {
  if (pingOnly) return [{ name: "Host discovery", headerBytes: PING_HEADER_BYTES }];
  const kinds: readonly ScanKind[] = scans.length ? scans : ["syn"];
  return kinds.flatMap((k) => {
    const headerBytes = HEADER_BYTES[k];
    return headerBytes === undefined ? [] : [{ name: SCAN_KINDS[k].option, headerBytes }];
  });
}
