/**
 * How many bytes each raw scan's probe carries before the --data* payload, as nmap builds them:
 * the sizes cli/engine/probe_fit.ts checks against the interface's MTU. A kind not listed
 * (connect, FTP bounce, idle) is not checked; -sO's probes are sized by protocol.
 *
 * @module
 */

import type { SizedProbe } from "../engine/probe_fit.ts";
import type { PingProbe } from "../discovery/plan.ts";
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
const PROTOCOL_HEADER_BYTES: Readonly<Record<number, number>> = {
  1: 8, // ICMP echo
  2: 8, // IGMP
  6: 20, // TCP ACK, no options
  17: 8, // UDP
  58: 8, // ICMPv6 echo
  132: 12 + 20, // SCTP INIT
};

/** Host discovery's raw pings (cli/discovery/plan.ts): their option and header bytes. */
const PING_HEADERS: Readonly<Record<string, { option: string; bytes: number }>> = {
  echo: { option: "-PE", bytes: 8 },
  timestamp: { option: "-PP", bytes: 20 },
  mask: { option: "-PM", bytes: 12 },
  syn: { option: "-PS", bytes: 24 },
  ack: { option: "-PA", bytes: 20 },
  udp: { option: "-PU", bytes: 8 },
  sctp: { option: "-PY", bytes: 12 + 20 },
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

const SKIP_DISCOVERY = "skip host discovery with -Pn";

/** Host discovery's raw pings to one target, sized (ARP, ND and connect pings carry no payload). */
export function pingProbeHeaders(pings: readonly PingProbe[]): SizedProbe[] {
  return pings.flatMap((p) => {
    if (p.type === "proto") {
      return [{
        name: `Host discovery's -PO ${p.protocol}`,
        headerBytes: PROTOCOL_HEADER_BYTES[p.protocol] ?? 0,
        alternative: SKIP_DISCOVERY,
      }];
    }
    const h = PING_HEADERS[p.type];
    const name = `Host discovery's ${h?.option}`;
    return h ? [{ name, headerBytes: h.bytes, alternative: SKIP_DISCOVERY }] : [];
  });
}
