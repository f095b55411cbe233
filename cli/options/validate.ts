/**
 * nmap's rules between options (NmapOps::ValidateOptions and parse_options' port checks), the
 * target syntax check, Porthole's sharding rule, and the privilege check the run makes once it
 * knows whether raw sockets are available. Each throws a UsageError with nmap's wording.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { checkTargetSyntax } from "../targets.ts";
import type { ParseState, ShardArgs } from "./state.ts";
import type { Options, ShardSpec } from "./types.ts";
import { fmtG } from "./values.ts";
import { applyProxyRules } from "./proxies.ts";

/** NmapOps::ValidateOptions, and the -p/-F combinations nmap refuses before reading ports. */
export function validateOptions(s: ParseState): void {
  const { o, timing: t, warnings } = s;
  if (s.pingNone) {
    o.discovery.skip = true;
    if (o.verbose > 0) {
      warnings.push(
        "Host discovery disabled (-Pn). All addresses will be marked 'up' and scan times may be slower.",
      );
    }
  }
  o.scans = [...s.scanKinds];
  applyProxyRules(s);
  if (s.scanKinds.has("bounce")) {
    if (o.ipv6) {
      fatal("Random targets, FTP bounce scan, and fragmentation are not supported with IPv6.");
    }
    if (!o.discovery.skip) {
      warnings.push(
        "Hint: if your bounce scan target hosts aren't reachable from here, remember to use -Pn so we don't try and ping them prior to the scan",
      );
    }
  }
  if (s.tcpScanCount > 1) {
    fatal(
      "You specified more than one type of TCP scan.  Please choose only one of -sA, -b, -sT, -sF, -sI, -sM, -sN, -sS, -sW, and -sX",
    );
  }
  if (o.scans.includes("idle")) {
    // nmap's IPv6 idle scan needs a zombie that fragments (IPv6 IDs live in fragment headers).
    if (o.ipv6) fatal("Porthole does not support -sI (idle scan) with -6.");
    if (!o.discovery.skip) {
      warnings.push(
        "WARNING: Many people use -Pn w/Idlescan to prevent pings from their true IP.  On the other hand, timing info Nmap gains from pings can allow for faster, more reliable scans.",
      );
    }
    if ((o.shaping?.decoys?.length ?? 0) > 0) {
      warnings.push(
        "WARNING: Your decoys won't be used in the Idlescan portion of your scanning (although all packets sent to the target are spoofed anyway",
      );
    }
  }
  if (o.traceroute && o.scans.includes("idle")) fatal("Traceroute does not support idle scan");
  if (o.discovery.pingOnly && o.scans.length > 0) {
    fatal("-sL and -sn (skip port scan) are not valid with any other scan types");
  }
  if (s.scanKinds.has("ipproto") && s.scanKinds.size > 1) {
    fatal(
      "Sorry, the IPProtoscan (-sO) must currently be used alone rather than combined with other scan types.",
    );
  }
  if (o.ipv6 && (o.discovery.mask || o.discovery.timestamp)) {
    fatal("ICMP Timestamp and Address Mask pings are only valid for IPv4.");
  }
  if (o.osDetection && o.discovery.pingOnly) {
    fatal(
      "WARNING: OS Scan is unreliable without a port scan.  You need to use a scan type along with it, such as -sS, -sT, -sF, etc instead of -sn",
    );
  }
  if (o.versionDetection && o.discovery.pingOnly) o.versionDetection = false;
  if (s.scanKinds.has("ipproto") && o.osDetection) {
    warnings.push(
      "WARNING: Disabling OS Scan (-O) as it is incompatible with the IPProto Scan (-sO)",
    );
    o.osDetection = false;
  }
  if (s.scanKinds.has("ipproto") && o.versionDetection) {
    warnings.push(
      "WARNING: Disabling Service Scan (-sV) as it is incompatible with the IPProto Scan (-sO)",
    );
    o.versionDetection = false;
  }
  if (o.osDetection && o.ipv6) {
    // nmap fingerprints IPv6 hosts; Porthole cannot yet. Worded as nmap's own warning for an OS
    // scan it drops (-O with -sO), so the report never says "OS detection performed".
    warnings.push(
      "WARNING: Disabling OS Scan (-O) as Porthole's OS detection does not support IPv6 yet",
    );
    o.osDetection = false;
  }
  if (o.defeatIcmpRatelimit && !s.scanKinds.has("udp")) {
    fatal("Option --defeat-icmp-ratelimit works only with a UDP scan (-sU)");
  }
  if (t.maxParallelism && t.minParallelism && t.minParallelism > t.maxParallelism) {
    fatal(
      `--min-parallelism=${t.minParallelism} must be less than or equal to --max-parallelism=${t.maxParallelism}`,
    );
  }
  if (t.minRate !== 0 && t.maxRate !== 0 && t.minRate > t.maxRate) {
    fatal(
      `--min-rate=${fmtG(t.minRate)} must be less than or equal to --max-rate=${fmtG(t.maxRate)}`,
    );
  }
  if (o.shaping?.ipOptions && o.osDetection) {
    warnings.push("WARNING: IP options are NOT used while OS scanning!");
  }
  if (o.discovery.pingOnly && (o.portExpression !== undefined || s.fast)) {
    fatal(
      "You cannot use -F (fast scan) or -p (explicit port selection) when not doing a port scan",
    );
  }
  if (o.portExpression !== undefined && s.fast) {
    fatal(
      "You cannot use -F (fast scan) with -p (explicit port selection) but see --top-ports and --port-ratio to fast scan a range of ports",
    );
  }
}

/** The targets' and --exclude's syntax, for the scan's address family. */
export function checkTargets(o: Options): void {
  for (const target of o.targets) checkTargetSyntax(target, o.ipv6 ? 6 : 4, "target");
  for (const ex of o.exclude) checkTargetSyntax(ex, o.ipv6 ? 6 : 4, "exclude");
}

/** The sharding of the run, checked: all three options or none. */
export function shardSpec(a: ShardArgs, o?: Options): ShardSpec | undefined {
  if (a.shards === undefined && a.shard === undefined && a.seed === undefined) {
    if (a["shard-by"] !== undefined) {
      fatal(
        "--shard-by is used only to split a scan: give --shards N, --shard I and --seed S with it.",
      );
    }
    return undefined;
  }
  const whole = (s: string | undefined) => s !== undefined && /^\d{1,15}$/.test(s.trim());
  if (a.shards === undefined) {
    fatal(
      a.shard !== undefined
        ? "--shard I needs --shards N, the number of shards the scan is split into."
        : "--seed is used only to split a scan: give --shards N and --shard I with it.",
    );
  }
  if (!whole(a.shards) || Number(a.shards) < 1) {
    fatal(`--shards must be a whole number, 1 or more, not "${a.shards}".`);
  }
  const count = Number(a.shards);
  if (a.shard === undefined) {
    fatal(`--shards ${count} needs --shard I: which shard (0 to ${count - 1}) this run scans.`);
  }
  if (!whole(a.shard)) {
    fatal(`--shard must be a whole number from 0 to ${count - 1}, not "${a.shard}".`);
  }
  const index = Number(a.shard);
  if (index >= count) {
    fatal(
      `--shard ${index} is out of range: with --shards ${count} the shards are 0 to ${count - 1}.`,
    );
  }
  if (a.seed === undefined) {
    fatal(
      "--shards needs --seed S (a whole number), the same in every shard: the shards split the targets by it.",
    );
  }
  if (!whole(a.seed)) fatal(`--seed must be a whole number (0 to 15 digits), not "${a.seed}".`);
  const by = a["shard-by"] ?? "host";
  if (by !== "host" && by !== "probe") {
    fatal(`--shard-by must be "host" or "probe", not "${by}".`);
  }
  if (by === "probe" && o) refuseWholeHostWork(o);
  return { count, index, seed: Number(a.seed), by };
}

/**
 * --shard-by probe splits each host's ports among the shards, so nothing that
 * needs a host's whole port table can run in one shard: -O (an open and a
 * closed port), host and post-rule scripts, --traceroute (a port that
 * answers) and --open (which host to show). They are refused; shard such scans
 * by host.
 */
function refuseWholeHostWork(o: Options): void {
  const refuse = (what: string) =>
    fatal(
      `${what} needs each host's whole scan, which --shard-by probe splits among the shards: shard by host (the default) instead.`,
    );
  if (o.osDetection && !o.aggressive) refuse("OS detection (-O)");
  if (o.aggressive) refuse("-A (OS detection, scripts and traceroute)");
  if (o.scripts) refuse("Script scanning (-sC, --script)");
  if (o.traceroute) refuse("--traceroute");
  if (o.scans.includes("ipproto")) refuse("IP protocol scan (-sO)");
  // A shard that found none of a host's open ports would drop the host, and its ports with it.
  if (o.openOnly) refuse("--open");
  if (o.output.store !== undefined) {
    fatal(
      "--store keeps whole hosts, which --shard-by probe splits among the shards: merge the shards' -oX files (porthole --merge), then porthole inventory import the merged file.",
    );
  }
}

/**
 * nmap's privilege checks (NmapOps::ValidateOptions), for the engine to call
 * once it knows whether raw sockets are available (`opts.privileged` wins
 * when set). Throws UsageError with nmap's wording.
 */
export function checkPrivileges(opts: Options, haveRawAccess: boolean): void {
  const root = opts.privileged ?? haveRawAccess;
  // nmap checks this once the default scan is chosen: SYN for root, connect otherwise, none
  // with -sn/-sL. --open sets it too, and is exempt.
  const syn = opts.scans.length > 0 ? opts.scans.includes("syn") : root && !opts.discovery.pingOnly;
  if (opts.defeatRstRatelimit && !syn && !opts.openOnly) {
    fatal("Option --defeat-rst-ratelimit works only with a SYN scan (-sS)");
  }
  if (root) return;
  const privreq = "root privileges.";
  // The connect and bounce scans are made of ordinary TCP connections.
  if (opts.scans.some((k) => k !== "connect" && k !== "bounce")) {
    fatal(`You requested a scan type which requires ${privreq}`);
  }
  if (opts.osDetection && !opts.aggressive) {
    fatal(`TCP/IP fingerprinting (for OS scan) requires ${privreq}`);
  }
  if (opts.traceroute && !opts.aggressive) fatal("Traceroute has to be run as root");
  if (opts.discovery.udpPorts.length > 0) {
    fatal(
      "Sorry, UDP Ping (-PU) only works if you are root (because we need to read raw responses off the wire)",
    );
  }
  if ((opts.discovery.sctpPorts?.length ?? 0) > 0) {
    fatal(
      "Sorry, SCTP INIT Ping (-PY) only works if you are root (because we need to read raw responses off the wire)",
    );
  }
  if ((opts.discovery.protocols?.length ?? 0) > 0) {
    fatal(
      "Sorry, IPProto Ping (-PO) only works if you are root (because we need to read raw responses off the wire)",
    );
  }
}
