/**
 * What the option handlers write while the command line is read, and the handler types. The
 * handlers (one table per --help section) fill a {@link ParseState}; delayed.ts, validate.ts and
 * the later steps (port_lists.ts, file_checks.ts) turn it into the finished {@link Options}.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { TimingState } from "./timing_state.ts";
import type { Opt } from "./tokenize.ts";
import type { Options, ProbeShaping, ScanKind, ScriptOptions } from "./types.ts";

/** nmap's "pre_" values: explicit timing options win over -T whatever the order. */
export interface PreTiming {
  maxParallelism?: number;
  scanDelay?: number;
  maxScanDelay?: number;
  initRtt?: number;
  minRtt?: number;
  maxRtt?: number;
  maxRetries?: number;
  hostTimeout?: number;
}

/** The port lists of -PS, -PA, -PU and -PY as given, read against the services table later. */
export type PingPorts = { S?: string; A?: string; U?: string; Y?: string; O?: string };

/** --shards, --shard, --seed and --shard-by as given (the last of each wins, as nmap's options do). */
export type ShardArgs = { shards?: string; shard?: string; seed?: string; "shard-by"?: string };

/** The command line read so far: the Options being built and what later steps still need. */
export interface ParseState {
  readonly o: Options;
  /** nmap's timing fields and setters; copied into `o.timing` by the delayed options. */
  readonly timing: TimingState;
  readonly pre: PreTiming;
  readonly warnings: string[];
  /** Deprecation notes: shown only with -v, before the other warnings. */
  readonly verboseNotes: string[];
  /** Clock for %-escapes in output file names. */
  readonly now: Date;
  /** Targets, in order. */
  readonly operands: string[];
  /** -4 / -6. */
  af?: 4 | 6;
  /** -F (or --servicedb). */
  fast: boolean;
  topPorts?: number;
  portRatio?: number;
  excludePorts?: string;
  /** -Pn. */
  pingNone: boolean;
  readonly scanKinds: Set<ScanKind>;
  /** Distinct TCP scan kinds given (nmap allows one). */
  tcpScanCount: number;
  /** --servicedb FILE. */
  servicedb?: string;
  /** --exclude as given. */
  excludeSpec?: string;
  /** -A. */
  advanced: boolean;
  /** --script-trace. */
  scriptTrace: boolean;
  readonly pingPorts: PingPorts;
  readonly shardArgs: ShardArgs;
}

/**
 * What one option does. `arg` is the option's argument ("" when it takes none); options whose
 * argument is optional read `opt.arg` (undefined when absent). "stop" ends parsing (-h, -V).
 */
export type OptionHandler = (s: ParseState, arg: string, opt: Opt) => void | "stop";

/** Handlers by name: a long option's ("max-retries") or a short option's letter ("T"). */
export type OptionTable = Readonly<Record<string, OptionHandler>>;

/** One --help section's options. */
export interface OptionFamily {
  /** Its options, by getopt name. */
  options: OptionTable;
  /** The -s letters it owns ("V" for -sV), run by the -s handler. */
  scanTypes?: OptionTable;
}

/** Options before any argument: nmap's defaults. */
export function defaultOptions(program: string, argv: string[]): Options {
  return {
    argv: [program, ...argv],
    targets: [],
    exclude: [],
    ipv6: false,
    scans: [],
    ports: [],
    randomizePorts: true,
    discovery: {
      skip: false,
      pingOnly: false,
      synPorts: [],
      ackPorts: [],
      udpPorts: [],
      echo: false,
      timestamp: false,
      mask: false,
      arp: false,
      disableArp: false,
      explicit: false,
    },
    timing: {
      template: 3,
      minRttTimeoutMs: 100,
      maxRttTimeoutMs: 10000,
      initialRttTimeoutMs: 1000,
      maxRetries: 10,
      hostTimeoutMs: 0,
      scanDelayMs: 0,
      maxScanDelayMs: 1000,
      maxUdpScanDelayMs: 1000,
      minRate: 0,
      maxRate: 0,
      minParallelism: 0,
      maxParallelism: 0,
      minHostgroup: 0,
      maxHostgroup: 0,
    },
    output: { appendOutput: false, noStylesheet: false, statsEveryMs: 0 },
    dnsMode: "default",
    reason: false,
    openOnly: false,
    verbose: 0,
    debug: 0,
    sendMode: "auto",
    versionDetection: false,
    versionIntensity: 7,
    versionTrace: false,
    osDetection: false,
    defeatIcmpRatelimit: false,
    ifList: false,
    warnings: [],
  };
}

/** A fresh state for `argv` (without the program name). */
export function newParseState(program: string, argv: string[], now: Date): ParseState {
  return {
    o: defaultOptions(program, argv),
    timing: new TimingState(),
    pre: {},
    warnings: [],
    verboseNotes: [],
    now,
    operands: [],
    fast: false,
    pingNone: false,
    scanKinds: new Set(),
    tcpScanCount: 0,
    advanced: false,
    scriptTrace: false,
    pingPorts: {},
    shardArgs: {},
  };
}

/** nmap's note for an old spelling (-sP, -PT, -oM…), shown at -v. */
export function deprecated(s: ParseState, given: string, replacement: string): void {
  s.verboseNotes.push(`Warning: The -${given} option is deprecated. Please use -${replacement}`);
}

/** The NSE options, created by the first script option. */
export function scriptOptions(s: ParseState): ScriptOptions {
  return s.o.scripts ??= { rules: [], timeoutMs: 0 };
}

/** The probe shaping options, created by the first of them. */
export function shaping(s: ParseState): ProbeShaping {
  return s.o.shaping ??= {};
}

/** Refuses an nmap feature Porthole lacks. */
export function unsupported(what: string): never {
  fatal(`Porthole does not support ${what}.`);
}
