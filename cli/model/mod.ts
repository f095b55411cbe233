/**
 * The scan result model every room shares: the engine fills it, service
 * detection enriches it, and each output writer renders it. Plain data only,
 * so results can be serialised, resumed and compared.
 */

import type { OsResult } from "./os.ts";

export type Protocol = "tcp" | "udp" | "sctp" | "ip";

/** nmap's port states, spelled as nmap prints them. */
export type PortState =
  | "open"
  | "closed"
  | "filtered"
  | "unfiltered"
  | "open|filtered"
  | "closed|filtered";

/** What service detection (or the services table) says runs on a port. */
export interface ServiceInfo {
  /** Service name, e.g. "ssh"; "unknown" when the table has none. */
  name: string;
  /** "table": looked up in the services file; "probed": found by -sV. */
  method: "table" | "probed";
  /** nmap's conf attribute: 3 for table lookups, 10 for probe matches. */
  confidence: number;
  product?: string;
  version?: string;
  extraInfo?: string;
  hostname?: string;
  osType?: string;
  deviceType?: string;
  /** "ssl" when the service was found inside TLS. */
  tunnel?: "ssl";
  cpe?: string[];
  /** nmap's SF: fingerprint of an unrecognised service. */
  fingerprint?: string;
}

/** One element of a script's structured output (nmap's <elem key=> or <table key=>). */
export type ScriptElem =
  | { key?: string; value: string }
  | { key?: string; table: ScriptElem[] };

/** What one NSE script printed (cli/scripts/): nmap's `| id: output` and <script> element. */
export interface ScriptOutput {
  id: string;
  output: string;
  /** Structured output, when the script returned a table. */
  elems?: ScriptElem[];
}

export interface PortResult {
  protocol: Protocol;
  port: number;
  state: PortState;
  /** nmap's reason word: "syn-ack", "reset", "conn-refused", "no-response",
   * "port-unreach", "udp-response", "admin-prohibited", "host-unreach", ... */
  reason: string;
  /** TTL (IPv4) or hop limit (IPv6) of the reply that decided the state. */
  reasonTtl?: number;
  /** Source of the deciding reply when it is not the target (an ICMP error
   * from a router): nmap prints "host-unreach from 10.0.0.1" and XML
   * reason_ip. Added by the engine. */
  reasonAddr?: string;
  service?: ServiceInfo;
  /** Output of NSE port scripts, sorted by script id. */
  scripts?: ScriptOutput[];
}

export interface HostAddress {
  addr: string;
  addrtype: "ipv4" | "ipv6" | "mac";
  /** MAC vendor from nmap-mac-prefixes, for addrtype "mac". */
  vendor?: string;
}

export interface HostResult {
  /** The scanned address (IPv4 dotted quad or IPv6 text). */
  address: string;
  family: 4 | 6;
  /** Next-hop MAC when the host is on the local link. */
  mac?: HostAddress;
  /** The name the user gave (target specification), if any. */
  userHostname?: string;
  /** Reverse-DNS name, if resolved. */
  ptrHostname?: string;
  /** Other addresses the user's name resolved to, not scanned. */
  otherAddresses: string[];
  /** "unknown": listed, never probed (-sL). */
  status: "up" | "down" | "unknown";
  /** Why the host is up/down: "arp-response", "echo-reply", "syn-ack",
   * "reset", "user-set", "localhost-response", "conn-refused", "no-response". */
  statusReason: string;
  statusReasonTtl?: number;
  /** Round-trip latency from host discovery, seconds. */
  latencySeconds?: number;
  /** Every scanned port with its state, including closed and filtered. */
  ports: PortResult[];
  /** Scan start/end, epoch milliseconds. */
  startTime: number;
  endTime: number;
  /** Set when --host-timeout cut the host short. */
  timedOut?: boolean;
  /** The engine's final RTT figures for the host, microseconds (nmap's
   * <times srtt rttvar to>); omitted when no round trip was timed. */
  times?: { srtt: number; rttvar: number; timeout: number };
  /** OS detection (-O) results, when it ran (cli/os/). */
  os?: OsResult;
  /** Output of NSE host scripts ("Host script results"), sorted by script id. */
  hostScripts?: ScriptOutput[];
  /** --traceroute's hops, when it ran (cli/trace/). */
  trace?: TraceResult;
}

/** One hop of a trace (nmap's TracerouteHop). */
export interface TraceHop {
  ttl: number;
  /** Who answered; absent when no answer came at this TTL (nmap's "..."). */
  ipaddr?: string;
  /** Round trip, milliseconds. */
  rttMs?: number;
  /** Reverse-DNS name of `ipaddr`. */
  host?: string;
  /** The target whose trace found this hop first: another target's address means the hop is
   * shared with that target's trace ("Hops 1-3 are the same as for …"). */
  tag: string;
}

/** --traceroute's result for one host (nmap's <trace>). */
export interface TraceResult {
  /**
   * The probe used (an IPv6 target's echo is "icmpv6"); absent for a directly connected target
   * (no probe sent).
   */
  proto?: "tcp" | "udp" | "icmp" | "icmpv6";
  /** Destination port of a TCP or UDP probe. */
  port?: number;
  /** Hops by TTL, from 1, ending with the target when it answered. */
  hops: TraceHop[];
}

/**
 * A host still being scanned: the ports that already have their final state.
 * The engine hands it to writers now and then (and before it stops on Ctrl-C),
 * so `--resume` can continue inside a host, not only after the last one done.
 */
export interface HostProgress {
  address: string;
  /** Ports whose state is final so far, in any order. */
  ports: PortResult[];
  /** Epoch milliseconds. */
  time: number;
}

/** One scan type as nmap's <scaninfo> describes it. */
export interface ScanInfo {
  /** nmap's type word: "syn", "connect", "fin", "null", "xmas", "ack",
   * "window", "maimon", "udp". */
  type: string;
  protocol: Protocol;
  /** Port list in nmap's compact form: "1,3-4,6-7,9,...". */
  services: string;
  numServices: number;
  /** nmap writes no `<scaninfo>` for it, though its ports count as scanned (-sI: output.cc). */
  notInXml?: boolean;
}

export interface RunInfo {
  /** Command line as the user typed it (program name first). */
  args: string[];
  /** Epoch milliseconds. */
  startTime: number;
  version: string;
  scanInfo: ScanInfo[];
  verbose: number;
  debugging: number;
  /** --spoof-mac: the address frames leave from, with its vendor ("02:70:… (No registered vendor)"). */
  spoofedMac?: string;
}

export interface RunSummary {
  endTime: number;
  elapsedSeconds: number;
  hostsUp: number;
  hostsDown: number;
  /** Finished hosts (up, down, total): an interrupted run's unfinished
   * hosts are not counted here but in `unfinishedHosts`. */
  hostsTotal: number;
  exit: "success" | "error";
  errorMessage?: string;
  /** Set when the user interrupted the scan. */
  interrupted?: boolean;
  /** The signal that interrupted it ("SIGINT", "SIGTERM", "SIGHUP"). */
  signal?: string;
  /** Interrupted: hosts cut short, written as progress records only. */
  unfinishedHosts?: number;
  /** Raw packets sent and received, IP-level bytes (nmap's -v "Raw packets
   * sent: 8 (328B) | Rcvd: 3 (116B)"); absent when no raw packets were used.
   * Added by the engine. */
  rawPackets?: { sent: number; sentBytes: number; received: number; receivedBytes: number };
  /** Data files read from disk, by name (nmap-services → its path), for -v's "Read data files
   * from:". Built-in data is not listed. */
  dataFiles?: Record<string, string>;
}

/**
 * A scan phase starting, progressing or ending, as nmap's XML records it (<taskbegin>,
 * <taskprogress>, <taskend>): begin and end with -v, progress whenever a timing estimate
 * is printed (--stats-every, a key pressed, -v's own reports).
 */
export type TaskEvent =
  | { kind: "begin"; task: string; time: number }
  | { kind: "end"; task: string; time: number; extrainfo?: string }
  | {
    kind: "progress";
    task: string;
    time: number;
    /** Percent done, 0..100. */
    percent: number;
    /** Seconds left. */
    remaining: number;
    /** Estimated completion, epoch ms. */
    etc: number;
  };

/**
 * One writer per output format (normal, XML, grepable, JSON). Hosts arrive as
 * they finish, so files are useful while a scan is still running.
 */
export interface OutputWriter {
  begin(run: RunInfo): void | Promise<void>;
  host(host: HostResult): void | Promise<void>;
  /** Record the progress of a host that is not finished (after Ctrl-C, in
   * place of its report): the ports settled so far, for --resume. */
  progress?(progress: HostProgress): void | Promise<void>;
  end(summary: RunSummary): void | Promise<void>;
  /** A scan phase began, progressed or ended (times are epoch ms). */
  task?(event: TaskEvent): void;
  /** A line nmap writes to its normal output, screen and -oN alike (LOG_PLAIN), between the
   * reports: the idle scan's "Idle scan using zombie …". */
  plain?(line: string): void;
  /** Host discovery found this host up and a port scan follows (nmap's <hosthint>). */
  hostHint?(host: HostResult): void;
  /** NSE prerule ("pre", before the first host) or postrule ("post", before end()) output. */
  scripts?(phase: "pre" | "post", results: ScriptOutput[]): void;
}
