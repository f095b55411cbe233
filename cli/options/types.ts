/**
 * The parsed command line: what `parseOptions` (cli/options/mod.ts) returns from
 * nmap-style arguments, and what the engine, discovery, service detection and
 * writers read. Field names follow nmap's long options.
 */

import type { Protocol } from "../model/mod.ts";
import type { DiscoveryOptions, ProbeShaping, ProxyHop, TimingOptions } from "../engine/config.ts";

export type {
  Decoy,
  DiscoveryOptions,
  IpOptionsRequest,
  ProbeShaping,
  ProxyHop,
  TimingOptions,
} from "../engine/config.ts";

/** Port-scan kinds (nmap's -s letters; cli/scans/registry.ts says what each is). */
export type ScanKind =
  | "syn" // -sS
  | "connect" // -sT
  | "bounce" // -b: FTP bounce through an FTP server
  | "fin" // -sF
  | "null" // -sN
  | "xmas" // -sX
  | "ack" // -sA
  | "window" // -sW
  | "maimon" // -sM
  | "udp" // -sU
  | "sctpinit" // -sY
  | "sctpcookieecho" // -sZ
  | "ipproto" // -sO
  | "idle"; // -sI

/** `--shards N --shard I --seed S`: this run scans one of N disjoint parts of the targets. */
export interface ShardSpec {
  /** --shards N, ≥ 1. */
  count: number;
  /** --shard I, in [0, count). */
  index: number;
  /** --seed S, a non-negative integer, the same in every shard. */
  seed: number;
  /** --shard-by: whole hosts per shard (the default), or each host's ports split among the shards. */
  by: "host" | "probe";
}

/** One port to scan with its protocol. */
export interface PortSpec {
  protocol: Protocol;
  port: number;
}

export interface OutputOptions {
  normal?: string; // -oN FILE ("-" = stdout)
  xml?: string; // -oX FILE
  grepable?: string; // -oG FILE
  json?: string; // -oJ FILE (NDJSON)
  skid?: string; // -oS FILE (script kiddie: the normal screen, letters swapped)
  appendOutput: boolean;
  stylesheet?: string;
  noStylesheet: boolean;
  resume?: string; // --resume FILE
  /** --store FILE|postgres://…: also record the scan in the inventory's store. */
  store?: string;
  statsEveryMs: number; // 0 = off
}

export interface Options {
  /** argv as given, for the XML args attribute and the start line. */
  argv: string[];
  /** Target expressions in order (names, literals, CIDR, octet ranges). */
  targets: string[];
  inputList?: string; // -iL FILE ("-" = stdin)
  exclude: string[]; // --exclude (already split on commas)
  excludeFile?: string; // --excludefile
  ipv6: boolean; // -6
  /** Scan kinds requested; empty = default (syn when privileged, else connect). */
  scans: ScanKind[];
  /** --scanflags, as a TCP flag byte, when given. */
  scanFlags?: number;
  /** -sI ZOMBIE[:PROBEPORT]: the idle scan's zombie, as given. */
  idleZombie?: string;
  /** -g, --ttl, --badsum, --data*: how raw probes are shaped (nmap's raw_scan_options). */
  shaping?: ProbeShaping;
  /** Ports to scan, resolved from -p/-F/--top-ports/--port-ratio/--exclude-ports
   * against the services table: TCP then UDP, each ascending, as nmap's scan lists (and
   * its scaninfo) are. Probe order is the engine's: ports.ts scanOrder() shuffles like
   * nmap unless -r (randomizePorts false). */
  ports: PortSpec[];
  /**
   * The same ports as two ascending number lists, when parseOptions() chose them: the engine
   * takes these, and `ports` is then only built when read (65k objects for -p- cost ~20 ms
   * before the first probe). Absent on hand-made Options: use `ports`.
   */
  portLists?: { tcp: number[]; udp: number[]; sctp?: number[]; ip?: number[] };
  /** The user's port expression, or undefined when the default set applies. */
  portExpression?: string;
  randomizePorts: boolean; // false with -r
  discovery: DiscoveryOptions;
  timing: TimingOptions;
  output: OutputOptions;
  dnsMode: "default" | "never" | "always"; // -n / -R
  reason: boolean; // --reason
  openOnly: boolean; // --open
  verbose: number; // -v count
  debug: number; // -d count
  /** -e IFACE */
  iface?: string;
  /** -S ADDR */
  sourceAddress?: string;
  /** --send-eth / --send-ip */
  sendMode: "auto" | "eth" | "ip";
  /** --privileged / --unprivileged overrides. */
  privileged?: boolean;
  serviceDb?: string; // --servicedb
  /** --datadir: searched first for nmap's data files (see data_files.ts). */
  datadir?: string;
  /** -sV and its knobs. */
  versionDetection: boolean;
  versionIntensity: number; // 0..9, default 7
  versionTrace: boolean;
  versionDb?: string; // --versiondb
  /** --version-parallelism N: probes in flight per port (default: the engine's; 1: nmap's schedule). */
  versionParallelism?: number;
  /** -sC and --script*: NSE scripts (cli/scripts/); undefined when none was asked for. */
  scripts?: ScriptOptions;
  /** -O (and -A). */
  osDetection: boolean;
  osdb?: string;
  /** UDP: trade exactness for speed under ICMP rate limits. */
  defeatIcmpRatelimit: boolean;
  /** --adler32: SCTP probes checksummed with RFC 2960's Adler-32, not CRC32c. */
  adler32?: boolean;
  /** --iflist: print interfaces and routes, then exit. */
  ifList: boolean;
  /** --libpcap PATH: the libpcap to load instead of the system's (never from a resume file). */
  libpcap?: string;
  /** --shards N --shard I --seed S: scan only shard I of N (cli/engine/shard.ts). */
  shard?: ShardSpec;
  /** -h/--help, -V/--version or --thc: print helpText()/versionText()/THC_GREETING and exit 0;
   * nothing else is set. */
  show?: "help" | "version" | "thc";
  /** --nsock-engine NAME: one of nmap's engine names (NSOCK_ENGINES); Porthole's I/O is Deno's. */
  nsockEngine?: string;
  /** --route-dst TARGET…: print the route to each before the scan (cli/app/route_dst.ts). */
  routeDst?: string[];
  /** --discovery-ignore-rst: a TCP RST does not prove a host up during host discovery. */
  discoveryIgnoreRst?: boolean;
  /** --allports: -sV probes the ports its probe file's Exclude directive names too. */
  allports?: boolean;
  /** --deprecated-xml-osclass: XML osclass elements beside the osmatch ones, as before nmap 6. */
  deprecatedXmlOsclass?: boolean;
  /** --script-updatedb: rebuild the scripts' script.db (cli/scripts/update_db.ts). */
  scriptUpdateDb?: boolean;
  /** Non-fatal messages for stderr (nmap's warnings), in order. */
  warnings?: string[];
  /** -A given: versionDetection and osDetection are set; OS detection is skipped, not refused,
   * when unprivileged (as nmap does). */
  aggressive?: boolean;
  osscanGuess?: boolean; // --osscan-guess / --fuzzy
  osscanLimit?: boolean; // --osscan-limit
  maxOsTries?: number; // --max-os-tries (nmap default 5)
  /** --traceroute: trace the path to each up host after its scans (cli/trace/). */
  traceroute?: boolean;
  /** --exclude-ports expression (already applied to `ports`). */
  excludePorts?: string;
  /** --defeat-rst-ratelimit (and --open, as nmap does): a closed port's late RST is no sign of
   * congestion, so no time is spent telling closed from filtered. */
  defeatRstRatelimit?: boolean;
  /** -sL: list the targets (with reverse DNS unless -n), send nothing to them. */
  listScan?: boolean;
  /** --packet-trace: a line for every packet sent and received, and every connect(). */
  packetTrace?: boolean;
  /** --noninteractive: no run-time keys read from the terminal. */
  noninteractive?: boolean;
  /** --dns-servers: the servers reverse DNS asks instead of the system's. */
  dnsServers?: string[];
  /** --system-dns: the system's resolver (Porthole's only one; accepted as nmap's). */
  systemDns?: boolean;
  /** --resolve-all: scan every address a name resolves to (of the scan's family). */
  resolveAll?: boolean;
  /** --unique: never scan an address twice. */
  unique?: boolean;
  /** --randomize-hosts / -rH: scan the targets in random order, a block at a time. */
  randomizeHosts?: boolean;
  /** --proxies: TCP connections (-sT, -sV, scripts) go through this chain, first hop first. */
  proxies?: ProxyHop[];
  /** -b: the FTP server the bounce scan relays through. */
  ftpRelay?: FtpRelay;
}

/** -b's FTP server and login. */
export interface FtpRelay {
  user: string;
  pass: string;
  /** A name or an IPv4 address. */
  host: string;
  port: number;
}

/** nmap's NSE options. */
export interface ScriptOptions {
  /** --script rules (comma-split as nmap does); -sC adds "default". */
  rules: string[];
  /** --script-args, as given. */
  args?: string;
  /** --script-args-file FILE. */
  argsFile?: string;
  /** --script-timeout in milliseconds; 0 for none. */
  timeoutMs: number;
  /** --script-write-dir DIR (Porthole's own): the one directory scripts may write under. */
  writeDir?: string;
  /** --script-trace: every script socket operation and its data on stdout (escaped). */
  trace?: boolean;
  /** --script-help RULES: print the chosen scripts' help and exit. */
  help?: string;
}
