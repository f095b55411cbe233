/**
 * How many bytes host discovery's raw pings carry before the --data* payload, as nmap builds
 * them: the sizes cli/engine/probe_fit.ts checks against the interface's MTU.
 *
 * @module
 */

import type { SizedProbe } from "../engine/probe_fit.ts";
import { PROTOCOL_HEADER_BYTES } from "../scans/probe_headers.ts";
import type { PingProbe } from "./plan.ts";

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
