/**
 * What the engine is told: a narrow configuration the application builds from the parsed command
 * line (cli/app/), never the command line's `Options` itself. The option parser's types embed
 * these parts (cli/options/types.ts re-exports them).
 *
 * @module
 */

import type { IpOptionsRequest } from "../../core-wasm/ip_options.ts";

export type { IpOptionsRequest } from "../../core-wasm/ip_options.ts";

/** Host discovery probes (nmap -P* options). */
export interface DiscoveryOptions {
  /** -Pn: treat every host as up. */
  skip: boolean;
  /** -sn: discovery only, no port scan. */
  pingOnly: boolean;
  /** Explicit probes; when all are empty and no flag was given, nmap's defaults apply. */
  synPorts: number[]; // -PS
  ackPorts: number[]; // -PA
  udpPorts: number[]; // -PU
  /** -PY: SCTP INIT pings (absent: none). */
  sctpPorts?: number[];
  /** -PO: IP protocol pings, by protocol number (absent: none). */
  protocols?: number[];
  echo: boolean; // -PE
  timestamp: boolean; // -PP
  mask: boolean; // -PM
  arp: boolean; // -PR
  disableArp: boolean; // --disable-arp-ping
  /** True when the user gave any -P option (so defaults do not apply). */
  explicit: boolean;
}

/** nmap's timing template values after -T and explicit overrides. */
export interface TimingOptions {
  template: 0 | 1 | 2 | 3 | 4 | 5;
  minRttTimeoutMs: number;
  maxRttTimeoutMs: number;
  initialRttTimeoutMs: number;
  maxRetries: number;
  hostTimeoutMs: number; // 0 = none
  scanDelayMs: number;
  /** Max TCP scan delay (nmap's maxTCPScanDelay). May be below scanDelayMs under -T0/-T1. */
  maxScanDelayMs: number;
  /** Max UDP scan delay: -T4/-T5 leave it at 1000 ms (ICMP rate limits), --max-scan-delay sets both. */
  maxUdpScanDelayMs?: number;
  minRate: number; // packets/s, 0 = none
  maxRate: number; // packets/s, 0 = none
  minParallelism: number; // 0 = auto
  maxParallelism: number; // 0 = auto
  minHostgroup: number; // 0 = auto
  maxHostgroup: number; // 0 = auto
  /** --nogcc: no congestion window or pace over the whole group, only --max-parallelism. */
  noGroupCongestion?: boolean;
}

/** One -D entry: the scanner itself, n random IPv4 addresses, or an address (or name). */
export type Decoy = { kind: "me" } | { kind: "rnd"; count: number } | {
  kind: "host";
  name: string;
};

/** nmap's packet-shaping options for raw probes; each absent when not given. */
export interface ProbeShaping {
  /** -g/--source-port: every raw probe leaves from this port. */
  sourcePort?: number;
  /** --ttl: the probes' IP TTL (nmap picks a random one otherwise). */
  ttl?: number;
  /** --badsum: a bogus TCP/UDP checksum on every probe. */
  badsum?: boolean;
  /** --data, --data-string, --data-length: bytes appended to every probe. */
  payload?: Uint8Array;
  /** -f (8), -ff (16), --mtu N: IPv4 probes leave in fragments of this many data bytes. */
  fragment?: number;
  /** -D: the decoys in order; "ME" (at most once) is the scanner's own place among them. */
  decoys?: Decoy[];
  /** --spoof-mac as given (0, a hex prefix or a vendor name; spoofMacAddress() resolves it). */
  spoofMac?: string;
  /** --ip-options: what every IPv4 probe carries (the core builds the bytes). */
  ipOptions?: IpOptionsRequest;
}

/** One proxy of --proxies: nmap's http:// (CONNECT) or socks4:// relay. */
export interface ProxyHop {
  kind: "http" | "socks4";
  /** The proxy's address or name as given (IPv6 without brackets). */
  host: string;
  port: number;
}

/** Everything scans, discovery and the engine read from a run's configuration. */
export interface EngineConfig {
  /** Host discovery probes (-P*, -Pn, -sn). */
  discovery: DiscoveryOptions;
  /** nmap's timing template values after -T and explicit overrides. */
  timing: TimingOptions;
  /** -g, --ttl, --badsum, --data*, -f, -D, --spoof-mac, --ip-options: how raw probes are shaped. */
  shaping?: ProbeShaping;
  /** --send-eth / --send-ip. */
  sendMode: "auto" | "eth" | "ip";
  /** false with -r: ports in order. */
  randomizePorts: boolean;
  /** --proxies: connect scans reach the targets through this chain, first hop first. */
  proxies?: ProxyHop[];
  /** UDP: trade exactness for speed under ICMP rate limits. */
  defeatIcmpRatelimit: boolean;
  /** --adler32: SCTP probes checksummed with RFC 2960's Adler-32, not CRC32c. */
  adler32?: boolean;
  /** TCP: a reply proving a port closed never slows the scan (nmap's --defeat-rst-ratelimit). */
  defeatRstRatelimit?: boolean;
  /** Host discovery: a TCP RST does not prove a host up (--discovery-ignore-rst). */
  discoveryIgnoreRst?: boolean;
  /** -v and -d counts. */
  verbose: number;
  debug: number;
}
