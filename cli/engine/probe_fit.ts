/**
 * Whether a run's raw probes fit the interface they leave by. A probe larger than the link's MTU
 * cannot be sent whole (the kernel answers EMSGSIZE), so such a run is refused before its first
 * packet, with the sizes and the way out, instead of failing mid-scan (nmap 7.93 sends nothing for
 * each such probe and reports every port open|filtered or filtered, exit 0).
 *
 * @module
 */

import type { RawRoute } from "./route.ts";

/** One kind of raw probe a run sends: what the user calls it and its bytes before the payload. */
export interface SizedProbe {
  /** The option that asks for it ("-sS"), or what it is ("host discovery"). */
  name: string;
  /** Transport header bytes (TCP with its options, UDP, SCTP chunks) before the payload. */
  headerBytes: number;
  /** Another way out the message offers ("skip host discovery with -Pn"). */
  alternative?: string;
}

/** What shapes every probe's size: the payload and -f/--mtu. */
export interface ProbeSizing {
  /** --data, --data-string, --data-length: bytes appended to every probe. */
  payloadBytes: number;
  /** -f (8), -ff (16), --mtu N: IPv4 probes leave in fragments of this many data bytes. */
  fragment?: number;
}

const IP_HEADER = { 4: 20, 6: 40 } as const;

/** A run whose probes cannot leave by their interface: one sentence, before any packet. */
export class ProbeTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProbeTooLargeError";
  }
}

/**
 * Why the largest of `probes` cannot be sent on `route` (its MTU known), or undefined when all
 * fit. IPv4 probes fragmented by -f/--mtu fit when one fragment does; IPv6 ones are never
 * fragmented (Porthole ignores -f with -6).
 */
export function probeFitError(
  route: Pick<RawRoute, "family" | "iface" | "mtu">,
  probes: readonly SizedProbe[],
  sizing: ProbeSizing,
): string | undefined {
  const mtu = route.mtu;
  if (!mtu || probes.length === 0) return undefined;
  const ipHeader = IP_HEADER[route.family];
  if (route.family === 4 && sizing.fragment) {
    const fragment = ipHeader + sizing.fragment;
    if (fragment <= mtu) return undefined;
    return `-f/--mtu ${sizing.fragment}: fragments of ${fragment} bytes do not fit ` +
      `${route.iface}'s MTU of ${mtu}; use --mtu ${Math.floor((mtu - ipHeader) / 8) * 8} or less.`;
  }
  const largest = probes.reduce((a, b) => b.headerBytes > a.headerBytes ? b : a);
  const size = ipHeader + largest.headerBytes + sizing.payloadBytes;
  if (size <= mtu) return undefined;
  const room = mtu - ipHeader - largest.headerBytes;
  const fix = [
    `use --data-length ${Math.max(room, 0)} or less`,
    ...(route.family === 4 ? ["fragment them with -f or --mtu"] : []),
    ...(largest.alternative ? [largest.alternative] : []),
  ].join(", or ") + (route.family === 6 ? " (IPv6 probes are not fragmented)" : "");
  return `${largest.name} probes with the ${sizing.payloadBytes}-byte --data/--data-string/` +
    `--data-length payload are ${size} bytes, more than ${route.iface}'s MTU of ${mtu}: ${fix}.`;
}
