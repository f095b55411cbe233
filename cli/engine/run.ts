/**
 * One Porthole run after option parsing: privileges, targets in host
 * groups, discovery, the scans, service detection, and the writers — with
 * Ctrl-C, SIGTERM or SIGHUP writing every finished host, a progress record
 * for each host cut short (never a report: it is not finished), closing
 * every file, and returning the signal's shell status (./signals.ts).
 *
 * @module
 */

import type {
  HostResult,
  OutputWriter,
  PortResult,
  RunInfo,
  RunSummary,
  ScanInfo,
  TaskEvent,
} from "../model.ts";
import type { Decoy, Options, ScanKind } from "../options/types.ts";
import { checkPrivileges } from "../options/mod.ts";
import { fatal, UsageError } from "../errors.ts";
import {
  firstMissing,
  permissionMessage,
  PRIVILEGE_NEEDS,
  scanPermissionNeeds,
} from "../permissions.ts";
import {
  type ExcludeSet,
  expandTargets,
  preflightTargets,
  readsStdin,
  type Target,
} from "../targets.ts";
import { openWriters } from "../output/mod.ts";
import { compactPortList, escapeTerminal } from "../output/format.ts";
import { PORTHOLE_VERSION } from "../help.ts";
import { dataFilesRead } from "../data_files.ts";
import { timingPlan } from "../timing/mod.ts";
import { type EngineContext, newCookies, type RunLog, SessionPool } from "./context.ts";
import { ScanHost } from "./host.ts";
import { sessionKey } from "./route.ts";
import { newHostTiming } from "./scheduler.ts";
import type { PortTable } from "../scans/port_table.ts";
import { type RawTcpScanKind, SCAN_NAMES } from "../scans/tcp_rules.ts";
import { Chatter, completedInfo, nameIp, type TaskRecorder } from "./chatter.ts";
import { describeFrame, traceTime } from "./packet_trace.ts";
import type { FrameTracer } from "./raw_session.ts";
import { type PartialHost, recordedPorts } from "../output/resume.ts";
import { mergeRecorded, portsLeft } from "./resume.ts";
import { dieBySignal, signalExitCode, STOP_SIGNALS, type StopSignal } from "./signals.ts";
import { takeShard } from "./shard.ts";
import { requireDescriptors } from "./descriptors.ts";
import { describeError } from "../../ffi/mod.ts";

/** PORTHOLE_DEBUG_TIMING=1: phase times on stderr (ms since the process started). */
const TRACE = (() => {
  try {
    return Deno.env.get("PORTHOLE_DEBUG_TIMING") === "1";
  } catch {
    return false;
  }
})();

/** Print a phase mark when PORTHOLE_DEBUG_TIMING=1. */
export function trace(label: string): void {
  if (TRACE) console.error(`timing: ${performance.now().toFixed(1)} ms ${label}`);
}

/** Where the run writes. */
export interface RunIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

const RAW_TCP: ReadonlySet<ScanKind> = new Set([
  "syn",
  "fin",
  "null",
  "xmas",
  "ack",
  "window",
  "maimon",
]);

/** Hosts per group: bounded so a group's probe state stays small. */
export function hostGroupSize(opts: Options, portCount: number): number {
  const t = opts.timing;
  // About 25k probes per group: enough parallelism to fill any window, and
  // a bounded set of host results in memory (a /16 × 100 ports stays small).
  let n = opts.discovery.pingOnly ? 4096 : Math.floor(25_000 / Math.max(1, portCount));
  n = Math.max(16, Math.min(4096, n));
  if (t.minHostgroup > 0) n = Math.max(n, t.minHostgroup);
  if (t.maxHostgroup > 0) n = Math.min(n, t.maxHostgroup);
  return Math.max(1, n);
}

/** Decide raw vs connect, and the scan list, as nmap does. Throws UsageError. */
export async function decidePrivileges(
  opts: Options,
  log: RunLog,
): Promise<{ privileged: boolean; scans: ScanKind[] }> {
  let rawOk = false;
  let reason = "";
  if (opts.privileged !== false) {
    try {
      const { rawAccess } = await import("../../ffi/mod.ts");
      const a = rawAccess();
      rawOk = a.ok;
      if (!a.ok) reason = a.reason;
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
  }
  const privileged = opts.privileged ?? rawOk;
  const isRoot = Deno.uid?.() === 0;
  // What asks for raw packets, worded as nmap's "requires root privileges" messages are.
  const wantsRaw = opts.scans.some((k) => k !== "connect")
    ? "You requested a scan type which"
    : opts.osDetection && !opts.aggressive
    ? "TCP/IP fingerprinting (for OS scan)"
    : opts.discovery.udpPorts.length > 0
    ? "UDP Ping (-PU)"
    : undefined;
  if (!privileged && wantsRaw && isRoot && reason && opts.privileged === undefined) {
    // Root, but raw packets are not to be had (no libpcap, no --allow-ffi):
    // say why in one sentence rather than blaming privileges.
    throw new UsageError(`${wantsRaw} requires raw packet access: ${reason}`);
  }
  checkPrivileges(opts, privileged);
  if (opts.scans.length === 0 && !privileged && isRoot && reason && !opts.discovery.pingOnly) {
    log.warn(`Raw packets are unavailable (${reason}); using a TCP connect scan (-sT) instead.`);
  }
  const scans: ScanKind[] = opts.scans.length ? [...opts.scans] : [privileged ? "syn" : "connect"];
  if (opts.shaping && (!privileged || scans.includes("connect"))) {
    log.warn(
      "You have specified some options that require raw socket access.\n" +
        `These options will not be honored ${
          privileged ? "for TCP Connect scan" : "without the necessary privileges"
        }.`,
    );
  }
  return { privileged, scans };
}

/** Calls `fn` on every writer, even when one throws, and rethrows the first
 * error — unless `onError` takes it: once a run is interrupted, a writer that
 * fails (the terminal gone with SIGHUP) must not keep the others from
 * finishing their files. */
async function eachWriter(
  writers: readonly OutputWriter[],
  fn: (w: OutputWriter) => void | Promise<void>,
  onError?: (e: unknown) => void,
): Promise<void> {
  let first: { e: unknown } | undefined;
  for (const w of writers) {
    try {
      await fn(w);
    } catch (e) {
      first ??= { e };
    }
  }
  if (!first) return;
  if (!onError) throw first.e;
  onError(first.e);
}

/** Run the scan described by `opts`; returns the exit status (128 + the
 * signal's number after SIGINT, SIGTERM or SIGHUP: see ./signals.ts). */
export async function runScan(
  opts: Options,
  io: RunIo,
  extra: { skipHosts?: ReadonlySet<string>; partialHosts?: readonly PartialHost[] } = {},
): Promise<number> {
  const abort = new AbortController();
  // Once a stop signal came, a terminal that is gone (SIGHUP) must not keep
  // the files from being finished: writes to it are dropped.
  const guard = (write: (s: string) => void) => (s: string) => {
    try {
      write(s);
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  };
  io = { stdout: guard(io.stdout), stderr: guard(io.stderr) };
  // Lines that may quote targets, banners or input files: no control byte reaches a terminal.
  const log: RunLog = {
    info: (line) => io.stdout(escapeTerminal(line) + "\n"),
    warn: (line) => io.stderr(escapeTerminal(line) + "\n"),
  };
  for (const w of opts.warnings ?? []) log.warn(w);
  trace("options parsed");
  const cannot = firstMissing(PRIVILEGE_NEEDS);
  if (cannot) fatal(cannot);
  const { privileged, scans } = await decidePrivileges(opts, log);
  trace("privileges");
  const missing = firstMissing(scanPermissionNeeds(opts, scans, privileged));
  if (missing) fatal(missing);
  if (opts.iface !== undefined || opts.sourceAddress !== undefined) {
    const { sourceOptionsProblem } = await import("./route.ts");
    const problem = sourceOptionsProblem({
      iface: opts.iface,
      source: opts.sourceAddress,
      family: opts.ipv6 ? 6 : 4,
    });
    if (problem) fatal(problem);
  }
  const excludes: ExcludeSet = await preflightTargets(opts);
  if (opts.versionDetection) {
    // A bad --versiondb is found before any packet is sent.
    const svc = await import("../service/mod.ts");
    try {
      await svc.probeDbFor(opts);
    } catch (e) {
      if (e instanceof svc.ServiceDbError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (opts.osDetection && privileged) {
    // So is a bad --osdb, with the line that is wrong.
    const os = await import("../os/mod.ts");
    try {
      await os.osDbFor(opts);
    } catch (e) {
      if (e instanceof os.OsDbError) throw new UsageError(e.message);
      throw e;
    }
  }

  // parseOptions' number lists when there are (no 65k-object round trip for -p-).
  const tcpPorts = opts.portLists?.tcp ??
    opts.ports.filter((p) => p.protocol === "tcp").map((p) => p.port);
  const udpPorts = opts.portLists?.udp ??
    opts.ports.filter((p) => p.protocol === "udp").map((p) => p.port);
  const tcpKinds = scans.filter((k) => k !== "udp");
  const doUdp = scans.includes("udp");
  // nmap's RawScan(): only a run that sends raw packets looks up routes and ARPs its targets;
  // `-sn -Pn` (or `-Pn -sT` as root) takes every target as up, unprobed.
  const rawScan = privileged &&
    (!opts.discovery.skip || opts.osDetection || opts.traceroute ||
      (!opts.discovery.pingOnly && scans.some((k) => k !== "connect")));

  // --store: the store is reachable and its schema ours before the first packet (and before
  // any output file is opened, so a bad store clobbers none); the scan goes in when it ends
  // (retried, else kept in a file: cli/inventory/record.ts).
  const inv = opts.output.store !== undefined ? await import("../inventory/record.ts") : undefined;
  if (inv && opts.output.store !== undefined) {
    const { StoreError } = await import("../inventory/store.ts");
    try {
      await inv.checkStore(opts.output.store);
    } catch (e) {
      if (e instanceof StoreError) throw new UsageError(e.message);
      throw e;
    }
  }
  const out = await openWriters(opts, io.stdout, {
    stderr: io.stderr,
    resumePartial: new Set(extra.partialHosts?.map((p) => p.address)),
  });
  const writers: OutputWriter[] = out.writers;
  if (inv && opts.output.store !== undefined) {
    const sdb = await import("../services_db.ts");
    const servicesDb = opts.serviceDb !== undefined
      ? sdb.loadServicesFileSync(opts.serviceDb)
      : sdb.defaultServicesDb();
    // A scan the store could not take is kept beside the scan's files (else in the current
    // folder).
    const o = opts.output;
    const file = [o.xml, o.json, o.normal, o.grepable].find((f) => f !== undefined && f !== "-");
    const spoolDir = file?.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
    writers.push(
      new inv.StoreRecorder(opts.output.store, { stderr: io.stderr, servicesDb, spoolDir }),
    );
  }
  const startTime = Date.now();
  const scanInfo: ScanInfo[] = [];
  if (!opts.discovery.pingOnly) {
    for (const k of tcpKinds) {
      scanInfo.push({
        type: SCAN_NAMES[k].type,
        protocol: "tcp",
        services: compactPortList(tcpPorts),
        numServices: tcpPorts.length,
      });
    }
    if (doUdp) {
      scanInfo.push({
        type: "udp",
        protocol: "udp",
        services: compactPortList(udpPorts),
        numServices: udpPorts.length,
      });
    }
  }
  const decoys = opts.shaping?.decoys && privileged
    ? await resolveDecoys(opts.shaping.decoys, opts.ipv6 ? 6 : 4)
    : undefined;
  // --spoof-mac: nmap picks the address (and names its vendor) before the scan starts.
  let spoofed: { mac: Uint8Array; text: string } | undefined;
  if (opts.shaping?.spoofMac !== undefined) {
    const { spoofMacAddress } = await import("../mac_vendors.ts");
    spoofed = await spoofMacAddress(opts.shaping.spoofMac, fatal, opts.datadir);
  }
  const run: RunInfo = {
    spoofedMac: spoofed?.text,
    args: opts.argv,
    startTime,
    version: PORTHOLE_VERSION,
    scanInfo,
    verbose: opts.verbose,
    debugging: opts.debug,
  };
  for (const w of writers) await w.begin(run);
  trace("writers open");

  // Ctrl-C, SIGTERM, SIGHUP: stop sending, write what is known, close the
  // files, then end by that signal (main.ts). A second signal quits at once.
  let caught: StopSignal | undefined;
  let sessions: SessionPool | undefined;
  // Signal handling costs the runtime two descriptors (it panics without
  // them), and a scan needs at least one more.
  requireDescriptors(3, "to run");
  const listeners = STOP_SIGNALS.map((sig) => {
    const fn = () => {
      if (caught) {
        removeListeners();
        sessions?.closeAll(); // also drops ffi's own SIGINT listener
        dieBySignal(sig);
      }
      caught = sig;
      abort.abort();
    };
    Deno.addSignalListener(sig, fn);
    return [sig, fn] as const;
  });
  const removeListeners = () => {
    for (const [sig, fn] of listeners) {
      try {
        Deno.removeSignalListener(sig, fn);
      } catch {
        // already removed
      }
    }
  };

  // --packet-trace, and the p/P keys: SENT/RCVD lines for raw frames, CONN lines for connects.
  let tracing = opts.packetTrace === true;
  const frameTrace: FrameTracer = (direction, frame, linkType) => {
    const what = describeFrame(frame, linkType);
    if (what) log.info(`${direction} ${traceTime()} ${what}`);
  };
  const applyTracing = () => {
    ctx.packetTrace = tracing ? log.info : undefined;
    if (sessions) sessions.trace = tracing ? frameTrace : undefined;
  };
  const { Progress } = await import("../output/mod.ts");
  // nmap's XML <task…> records, for every writer that keeps them.
  const recordTask = (e: TaskEvent) => {
    for (const w of writers) w.task?.(e);
  };
  const progress = new Progress({
    onEstimate: (e) => recordTask({ kind: "progress", ...e }),
    statsEveryMs: opts.output.statsEveryMs,
    verbose: interactiveStdout(opts) ? opts.verbose : 0,
    debug: opts.debug,
    // Keys print the status, unless stdin carries the targets (-iL -) or the exclusions, or
    // --noninteractive says not to read it.
    interactive: opts.noninteractive || readsStdin(opts.inputList) || readsStdin(opts.excludeFile)
      ? false
      : undefined,
    startTime,
    // v/V and d/D change the run's levels, as nmap's keys change o.verbose and o.debugging.
    keys: {
      get verbose() {
        return opts.verbose;
      },
      get debug() {
        return opts.debug;
      },
      setVerbose(level) {
        opts.verbose = level;
        if (ctx.chatter) ctx.chatter.enabled = level > 0 && interactiveStdout(opts);
      },
      setDebug(level) {
        opts.debug = level;
      },
      packetTrace(on) {
        tracing = on;
        applyTracing();
      },
    },
  });
  const { jar, cookies } = newCookies();
  const ctx: EngineContext = {
    opts,
    decoys,
    hops: opts.traceroute ? new (await import("../trace/mod.ts")).HopCache() : undefined,
    plan: timingPlan(opts.timing, opts.argv),
    jar,
    cookies,
    signal: abort.signal,
    log,
    // nmap records tasks with -v, however it was reached (a v key included).
    chatter: new Chatter(opts.verbose > 0 && interactiveStdout(opts), log.info, {
      begin: (task, time) => {
        if (opts.verbose > 0) recordTask({ kind: "begin", task, time });
      },
      end: (task, time, extrainfo) => {
        if (opts.verbose > 0) recordTask({ kind: "end", task, time, extrainfo });
      },
    }),
    progress,
  };
  if (!opts.discovery.skip && !opts.discovery.pingOnly) {
    // nmap's <hosthint>: each host discovery finds up, once, before its port scan.
    const hinted = new WeakSet<ScanHost>();
    ctx.hostHint = (h) => {
      if (hinted.has(h)) return;
      hinted.add(h);
      const r = h.result();
      for (const w of writers) w.hostHint?.(r);
    };
  }
  if (privileged && !opts.listScan) {
    const [{ packetCore }, ffi] = await Promise.all([
      import("../../core-wasm/mod.ts"),
      import("../../ffi/mod.ts"),
    ]);
    // ffi closes its handles on Ctrl-C; the exit is ours (after writing).
    ffi.setOnInterrupt(() => {});
    const core = packetCore();
    trace("core + ffi loaded");
    sessions = new SessionPool(core, {
      iface: opts.iface,
      source: opts.sourceAddress,
      srcMac: spoofed?.mac,
    });
    ctx.raw = { core, sessions };
  }
  applyTracing();

  // Interrupted: a failing writer is reported once and the others go on.
  let writeFailed = false;
  const afterStop = () =>
    abort.signal.aborted
      ? (e: unknown) => {
        if (writeFailed) return;
        writeFailed = true;
        io.stderr(`Writing the results failed: ${e instanceof Error ? e.message : e}\n`);
      }
      : undefined;
  // Counted as written: finished hosts only (a host cut short is unfinished).
  let hostsUp = 0, hostsTotal = 0, unfinished = 0;
  let errorMessage: string | undefined;
  const writeHost = async (r: HostResult) => {
    progress.hostDone(r.status === "up");
    hostsTotal++;
    if (r.status === "up") hostsUp++;
    if (r.mac && r.mac.vendor === undefined) {
      // nmap-mac-prefixes (or the IEEE table) is read only when a MAC line is to be printed.
      const { macVendor } = await import("../mac_vendors.ts");
      const vendor = await macVendor(r.mac.addr, opts.datadir);
      if (vendor !== undefined) r.mac.vendor = vendor;
    }
    await eachWriter(writers, (w) => w.host(r), afterStop());
  };
  try {
    const groupSize = hostGroupSize(opts, tcpPorts.length + udpPorts.length);
    const tasks = ctx.chatter?.tasks;
    const basePlan: GroupPlan = {
      privileged,
      rawScan,
      tcpKinds,
      doUdp,
      tcpPorts,
      udpPorts,
      serviceTasks: tasks ? new DeferredTasks(tasks) : undefined,
    };
    const sinks: GroupSinks = {
      write: writeHost,
      progress: async (p) => {
        unfinished++;
        await eachWriter(writers, (w) => w.progress?.(p), afterStop());
      },
    };
    let group: Target[] = [];
    const runGroup = async () => {
      const g = group;
      group = [];
      await scanGroup(ctx, g, basePlan, sinks);
    };
    // --resume inside a host: hosts the interrupted run had started form
    // their own groups (kept in target order), scanning only the ports some
    // of them still lack; their recorded ports are merged back (./resume.ts).
    const partialByAddress = new Map(extra.partialHosts?.map((p) => [p.address, p]));
    let resumeGroup: Target[] = [];
    const runResumeGroup = async () => {
      const g = resumeGroup;
      resumeGroup = [];
      // Expanded a group at a time, and only the ports this scan asks for.
      const partials = g.map((t) => {
        const p = partialByAddress.get(t.address)!;
        return { address: p.address, ports: recordedPorts(p, { tcp: tcpPorts, udp: udpPorts }) };
      });
      const recorded = partials.map((p) => p.ports);
      const left = {
        tcpPorts: portsLeft(tcpPorts, "tcp", recorded),
        udpPorts: portsLeft(udpPorts, "udp", recorded),
      };
      await scanGroup(
        ctx,
        g,
        {
          ...basePlan,
          ...left,
          tcpKinds: left.tcpPorts.length ? tcpKinds : [],
          doUdp: doUdp && left.udpPorts.length > 0,
        },
        sinks,
        new Map(partials.map((p) => [p.address, p.ports])),
      );
    };
    // NSE: loaded once; prerules run before any host is scanned, postrules after the last.
    if (opts.scripts && !opts.discovery.pingOnly && !opts.listScan) {
      ctx.scripts = await loadScriptRunner(opts, ctx.raw !== undefined, log);
      const pre = await ctx.scripts.phase("pre");
      if (pre.length) await eachWriter(writers, (w) => w.scripts?.("pre", pre), afterStop());
    }
    let targets: AsyncIterable<Target> | Iterable<Target> = expandTargets(opts, {
      excludes,
      warn: (m) => log.warn(m),
    });
    // --shards N --shard I: only this shard's targets, dealt by their position after exclusions
    // and before any --randomize-hosts shuffle, so every shard and every retry deals alike.
    if (opts.shard && opts.shard.count > 1) {
      const { count, index, seed } = opts.shard;
      targets = takeShard(targets, count, index, seed);
    }
    if (opts.randomizeHosts) targets = shuffleInBlocks(targets, RANDOMIZE_BLOCK);
    if (opts.listScan) {
      await listTargets(opts, targets, writeHost, abort.signal);
      targets = [];
    }
    for await (const t of targets) {
      if (abort.signal.aborted) break;
      // --resume: hosts the interrupted run finished are not scanned again.
      if (extra.skipHosts?.has(t.address)) continue;
      if (partialByAddress.has(t.address)) {
        if (group.length) await runGroup();
        if (abort.signal.aborted) break;
        resumeGroup.push(t);
        if (resumeGroup.length >= groupSize) await runResumeGroup();
        continue;
      }
      if (resumeGroup.length) await runResumeGroup();
      if (abort.signal.aborted) break;
      group.push(t);
      if (group.length >= groupSize) await runGroup();
    }
    if (resumeGroup.length && !abort.signal.aborted) await runResumeGroup();
    if (group.length && !abort.signal.aborted) await runGroup();
    if (ctx.scripts && !abort.signal.aborted) {
      const post = await ctx.scripts.phase("post");
      if (post.length) await eachWriter(writers, (w) => w.scripts?.("post", post), afterStop());
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    errorMessage = permissionMessage(e) ?? describeError(e);
  } finally {
    progress.stop();
    ctx.scripts?.close();
    ctx.raw?.sessions.closeAll();
  }

  trace("scan done");
  const endTime = Date.now();
  const summary: RunSummary = {
    endTime,
    elapsedSeconds: (endTime - startTime) / 1000,
    hostsUp,
    hostsDown: hostsTotal - hostsUp,
    hostsTotal,
    exit: errorMessage ? "error" : "success",
  };
  if (errorMessage) summary.errorMessage = errorMessage;
  if (ctx.raw) summary.rawPackets = ctx.raw.sessions.totals();
  if (abort.signal.aborted) {
    summary.interrupted = true;
    if (caught) summary.signal = caught;
    summary.unfinishedHosts = unfinished;
  }
  summary.dataFiles = dataFilesRead();
  try {
    await eachWriter(writers, (w) => w.end(summary), afterStop());
  } finally {
    await out.close();
    removeListeners();
  }
  trace("writers closed");
  if (errorMessage) io.stderr(`${errorMessage}\nQUITTING!\n`);
  if (caught) return signalExitCode(caught);
  return errorMessage ? 1 : 0;
}

/** Hosts shuffled at a time by --randomize-hosts (nmap reads ahead this many too). */
const RANDOMIZE_BLOCK = 2048;

/** Yields `source` in blocks of `size`, each in random order (Fisher–Yates). */
export async function* shuffleInBlocks<T>(
  source: AsyncIterable<T> | Iterable<T>,
  size: number,
  random: () => number = Math.random,
): AsyncGenerator<T> {
  let block: T[] = [];
  const flush = function* () {
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [block[i], block[j]] = [block[j]!, block[i]!];
    }
    yield* block;
    block = [];
  };
  for await (const t of source) {
    block.push(t);
    if (block.length >= size) yield* flush();
  }
  yield* flush();
}

/**
 * -sL: every target written as "unknown", with its reverse-DNS name (unless -n), in target
 * order; no packet goes to any of them.
 */
async function listTargets(
  opts: Options,
  targets: AsyncIterable<Target> | Iterable<Target>,
  write: (r: HostResult) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const resolver = opts.dnsMode === "never" ? undefined : await reverseResolver(opts.dnsServers);
  // Lookups run ahead of the writing, a window at a time, so a slow PTR does not serialise.
  const window: { t: Target; name: Promise<string | undefined>; time: number }[] = [];
  const writeFirst = async () => {
    const { t, name, time } = window.shift()!;
    const r: HostResult = {
      address: t.address,
      family: t.family,
      userHostname: t.userHostname,
      otherAddresses: t.otherAddresses,
      status: "unknown",
      statusReason: "user-set",
      ports: [],
      startTime: time,
      endTime: time,
    };
    const ptr = await name;
    if (ptr) r.ptrHostname = ptr;
    await write(r);
  };
  for await (const t of targets) {
    if (signal.aborted) return;
    const name = resolver?.reverse(t.address).catch(() => undefined) ?? Promise.resolve(undefined);
    window.push({ t, name, time: Date.now() });
    if (window.length >= RDNS_PARALLEL) await writeFirst();
  }
  while (window.length && !signal.aborted) await writeFirst();
}

/**
 * Service detection starts on a host as soon as its ports are known, while the port scan goes
 * on for others; its task records wait until the open phase has ended, so the XML reads in
 * nmap's order (a phase's <taskend>, then the service scan's <taskbegin>).
 */
class DeferredTasks implements TaskRecorder {
  #open = 0;
  #queue: (() => void)[] = [];
  constructor(readonly inner: TaskRecorder) {}
  /** A port-scan phase begins. */
  hold(): void {
    this.#open++;
  }
  /** It ended: what waited is recorded. */
  release(): void {
    if (--this.#open > 0) return;
    const q = this.#queue;
    this.#queue = [];
    for (const record of q) record();
  }
  begin(task: string, time: number): void {
    this.#record(() => this.inner.begin(task, time));
  }
  end(task: string, time: number, extrainfo: string): void {
    this.#record(() => this.inner.end(task, time, extrainfo));
  }
  #record(record: () => void): void {
    if (this.#open > 0) this.#queue.push(record);
    else record();
  }
}

interface GroupPlan {
  /** -v's task records of service detection (XML), in nmap's order. */
  serviceTasks?: DeferredTasks;
  privileged: boolean;
  /** The run sends raw packets (nmap's RawScan()): discovery may look up routes and ARP. */
  rawScan: boolean;
  tcpKinds: ScanKind[];
  doUdp: boolean;
  tcpPorts: number[];
  udpPorts: number[];
}

interface GroupSinks {
  write(r: HostResult): Promise<void>;
  progress(p: { address: string; ports: HostResult["ports"]; time: number }): Promise<void>;
}

/**
 * Discover and scan one host group; hosts are written in target order as
 * soon as they and every host before them are finished (or, after Ctrl-C,
 * as progress records when cut short).
 * `recorded` (--resume): ports an interrupted run settled, by address,
 * merged into those hosts' results.
 */
async function scanGroup(
  ctx: EngineContext,
  targets: Target[],
  plan: GroupPlan,
  sinks: GroupSinks,
  recorded?: ReadonlyMap<string, PortResult[]>,
): Promise<void> {
  const hosts = targets.map((t) => new ScanHost(t, ctx.jar));
  /** The host's result, with the ports an interrupted run recorded (--resume). */
  const resultOf = (h: ScanHost): HostResult => {
    const r = h.result();
    const old = recorded?.get(h.address);
    if (old && r.status === "up") r.ports = mergeRecorded(r.ports, old);
    return r;
  };
  // Written with only part of their ports (Ctrl-C): each gets a progress
  // record after its report, so --resume continues inside it.
  const unfinished = new Set<ScanHost>();
  const finished = new Set<ScanHost>();
  const { discoverHosts, resolveNextHops } = await import("../discovery/mod.ts");
  ctx.progress?.setPhase("Ping Scan", hosts.length);
  trace(`group of ${hosts.length}: discovery`);
  await discoverHosts(ctx, hosts, plan.rawScan);
  trace("discovery done");

  // Ordered emission: results[i] is set when host i is complete.
  const results: (HostResult | undefined)[] = new Array(hosts.length);
  let next = 0;
  let chain = Promise.resolve();
  // With -v, nmap prints a group's reports after its "Completed …" lines.
  let openGate = () => {};
  // So does its XML: <taskend> before the <host>s.
  const gate = ctx.chatter?.enabled || ctx.opts.verbose > 0
    ? new Promise<void>((r) => (openGate = r))
    : Promise.resolve();
  const flush = () => {
    chain = chain.then(() => gate).then(async () => {
      while (next < hosts.length && results[next]) {
        const r = results[next]!;
        results[next] = undefined;
        await emit(next++, r);
      }
    });
    return chain;
  };

  const up = hosts.filter((h) => h.up);
  const scanning = !ctx.opts.discovery.pingOnly && !ctx.signal.aborted;
  const phases = scanning ? plan.tcpKinds.length + (plan.doUdp ? 1 : 0) : 0;
  const remaining = new Map<ScanHost, number>(up.map((h) => [h, phases]));
  const index = new Map<ScanHost, number>(hosts.map((h, i) => [h, i]));
  const service = ctx.opts.versionDetection
    ? await loadServiceDetection(ctx.log, plan.serviceTasks)
    : undefined;
  const scripts = ctx.scripts;
  const pendingServices: Promise<void>[] = [];

  // Reverse DNS (nmap's mass rDNS) runs beside the scans: up hosts by
  // default, every host with -R, none with -n.
  const mode = ctx.opts.dnsMode;
  const names = new Map<ScanHost, Promise<string | undefined>>();
  if (mode !== "never") {
    const resolver = await reverseResolver(ctx.opts.dnsServers);
    for (const h of hosts) {
      if (h.up || mode === "always") {
        names.set(
          h,
          resolver.reverse(h.address).catch(() => undefined),
        );
      }
    }
  }

  // --traceroute: traces[i] settles when host i's trace is done (or it has none).
  const hopCache = ctx.hops;
  const traces = hopCache ? hosts.map(() => Promise.withResolvers<void>()) : [];
  const aborted = hopCache &&
    new Promise<void>((res) => ctx.signal.addEventListener("abort", () => res(), { once: true }));

  const finishHost = (h: ScanHost) => {
    const i = index.get(h)!;
    finished.add(h);
    const r = resultOf(h);
    const job = (async () => {
      const probeable = r.ports.some((p) => p.state === "open" || p.state === "open|filtered");
      if (service && probeable && !ctx.signal.aborted) {
        try {
          await service(r, ctx.opts);
        } catch (e) {
          ctx.log.warn(`Service detection failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      const ptr = await names.get(h);
      if (ptr) r.ptrHostname = ptr;
      if (ctx.opts.osDetection && ctx.raw && r.status === "up" && !ctx.signal.aborted) {
        try {
          const { detectOs } = await import("../os/mod.ts");
          const route = h.route ?? ctx.raw.sessions.route(h.address);
          const os = await detectOs(r, ctx.raw.sessions.get(route), ctx.opts, {
            log: ctx.log.info,
            signal: ctx.signal,
          });
          if (os) r.os = os;
        } catch (e) {
          ctx.log.warn(`OS detection failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      if (ctx.opts.traceroute && ctx.raw && r.status === "up" && !ctx.signal.aborted) {
        // In host order, so that a hop two traces share is told as the earlier host's.
        try {
          await Promise.race([Promise.all(traces.slice(0, i).map((t) => t.promise)), aborted]);
          const { traceroute } = await import("../trace/mod.ts");
          const route = h.route ?? ctx.raw.sessions.route(h.address);
          const resolver = mode === "never"
            ? undefined
            : await reverseResolver(ctx.opts.dnsServers);
          const trace = await traceroute(
            r,
            ctx.raw.sessions.get(route),
            ctx.opts,
            hopCache!,
            resolver && ((a) => resolver.reverse(a).catch(() => undefined)),
            ctx.signal,
          );
          if (trace) r.trace = trace;
        } catch (e) {
          ctx.log.warn(`Traceroute failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      traces[i]?.resolve();
      if (scripts && r.status === "up" && !ctx.signal.aborted) {
        try {
          await scripts.host(r);
        } catch (e) {
          ctx.log.warn(`NSE failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      results[i] = r;
      await flush();
    })();
    pendingServices.push(job);
  };

  // Interrupted during discovery: hosts not yet seen up are unknown, not down.
  const undecided = ctx.signal.aborted ? new Set(hosts.filter((h) => !h.up)) : new Set();
  for (const h of hosts) {
    if ((!h.up || phases === 0) && !undecided.has(h)) finishHost(h);
  }

  const onPhaseDone = (h: ScanHost, table: PortTable, hi: number) => {
    h.ports.push(...table.results(hi));
    table.clearHost(hi);
    const left = (remaining.get(h) ?? 1) - 1;
    remaining.set(h, left);
    if (left === 0) finishHost(h);
  };
  const chatter = ctx.chatter;
  const listenerFor = (protocol: "tcp" | "udp") => ({
    port(host: ScanHost, port: number, state: string) {
      if (state === "open") chatter?.open(port, protocol, host.address);
    },
    hostDone(host: ScanHost, hi: number, table: PortTable) {
      onPhaseDone(host, table, hi);
    },
  });
  const listener = listenerFor("tcp");
  // nmap names a lone host "name (addr)" in its -v lines, rDNS included.
  const label = async (hs: ScanHost[]) =>
    hs.length === 1 && chatter?.enabled
      ? [nameIp(hs[0]!.address, hs[0]!.target.userHostname ?? await names.get(hs[0]!))]
      : hs.map((h) => h.address);
  const phase = async (
    title: string,
    hs: ScanHost[],
    ports: number,
    body: () => Promise<void>,
  ) => {
    ctx.progress?.setPhase(title, hs.length);
    const task = chatter?.start(title, await label(hs), ports);
    plan.serviceTasks?.hold();
    try {
      await body();
      const timedOut = hs.filter((h) => h.timedOut).length;
      task?.done(completedInfo("ports", hs.length, ports, timedOut));
    } finally {
      plan.serviceTasks?.release();
    }
  };

  if (scanning && up.length) {
    for (const kind of plan.tcpKinds) {
      if (ctx.signal.aborted) break;
      const title = SCAN_NAMES[plan.privileged ? kind : "connect"].title;
      if (kind === "connect" || !plan.privileged) {
        const { connectScan } = await import("../scans/connect.ts");
        await phase(title, up, plan.tcpPorts.length, async () => {
          for (const h of up) h.timing = carryTiming(ctx, h, plan.tcpPorts.length);
          const table = await connectScan(ctx, up, plan.tcpPorts, listener);
          if (ctx.signal.aborted) partial(up, table);
        });
        continue;
      }
      if (!RAW_TCP.has(kind)) continue;
      const { rawTcpScan } = await import("../scans/tcp_raw.ts");
      const bySession = new Map<string, ScanHost[]>();
      for (const h of up) {
        if (!h.route) {
          try {
            h.route = ctx.raw!.sessions.route(h.address);
          } catch (e) {
            ctx.log.warn(`Failed to determine route to ${h.address}: ${(e as Error).message}`);
            onPhaseDone(h, emptyTable(plan.tcpPorts), 0);
            continue;
          }
        }
        const key = sessionKey(h.route);
        bySession.set(key, [...(bySession.get(key) ?? []), h]);
      }
      await phase(title, up, plan.tcpPorts.length, async () => {
        await Promise.all([...bySession.values()].map(async (all) => {
          const failed = await resolveNextHops(ctx, all.map((h) => h.route!));
          for (const r of failed) {
            if (r.gateway) {
              ctx.log.warn(`Failed to determine dst MAC address for next hop ${r.nextHop}`);
            }
          }
          const group = all.filter((h) => !failed.has(h.route!));
          const t = emptyTable(plan.tcpPorts);
          for (const h of all) if (failed.has(h.route!)) onPhaseDone(h, t, 0);
          if (group.length === 0) return;
          for (const h of group) h.timing = carryTiming(ctx, h, plan.tcpPorts.length);
          const session = ctx.raw!.sessions.get(group[0]!.route!);
          const table = await rawTcpScan(
            ctx,
            session,
            group,
            plan.tcpPorts,
            kind as RawTcpScanKind,
            listener,
            ctx.opts.scanFlags,
          );
          if (ctx.signal.aborted) partial(group, table);
        }));
      });
    }
    if (plan.doUdp && !ctx.signal.aborted) {
      const { udpScan } = await import("../scans/udp.ts");
      await phase("UDP Scan", up, plan.udpPorts.length, async () => {
        const table = await udpScan(ctx, up, plan.udpPorts, listenerFor("udp"));
        if (ctx.signal.aborted) partial(up, table);
      });
    }
  }

  openGate();

  // Ctrl-C: hosts still in flight are written with what is known.
  function partial(group: ScanHost[], table: PortTable) {
    for (const h of group) {
      const i = index.get(h)!;
      if (results[i] || next > i || finished.has(h)) continue;
      const hi = group.indexOf(h);
      h.ports.push(...table.results(hi));
      unfinished.add(h);
      results[i] = resultOf(h);
    }
  }

  /** Write host i: its report when it is finished; for a host cut short by
   * Ctrl-C only its progress record (every port settled so far, recorded
   * ones included), so no file shows it as finished and --resume continues it. */
  async function emit(i: number, r: HostResult) {
    if (unfinished.has(hosts[i]!)) {
      await sinks.progress({ address: r.address, ports: r.ports, time: Date.now() });
    } else {
      await sinks.write(r);
    }
  }

  if (ctx.signal.aborted) {
    // Write every host that is complete or partially known, in order.
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!;
      if (
        !results[i] && next <= i && !finished.has(h) &&
        (h.ports.length > 0 || (h.up && recorded?.has(h.address)))
      ) {
        unfinished.add(h);
        results[i] = resultOf(h);
      }
    }
  }
  await Promise.all(pendingServices);
  await flush();
  if (ctx.signal.aborted) {
    // Ctrl-C: write what is known, in order, skipping hosts never reached.
    await chain;
    for (; next < hosts.length; next++) {
      const r = results[next];
      if (r) await emit(next, r);
    }
  }
}

/** Port-scan timing for a host: RTT from discovery, a retry policy sized to the scan. */
function carryTiming(ctx: EngineContext, h: ScanHost, ports: number) {
  const t = newHostTiming(ctx.plan, ports);
  if (h.timing) t.rtt = h.timing.rtt;
  return t;
}

function emptyTable(ports: number[], protocol: "tcp" | "udp" = "tcp"): PortTable {
  // A table with nothing decided: results() is empty.
  return { results: () => [], clearHost() {}, protocol, ports } as unknown as PortTable;
}

type ServiceFn = (host: HostResult, opts: Options) => Promise<void>;

/** -sC/--script: cli/scripts/mod.ts (loaded only when asked for); a bad selection is a usage
 * error before any script runs. */
async function loadScriptRunner(opts: Options, privileged: boolean, log: RunLog) {
  const m = await import("../scripts/mod.ts");
  try {
    return await m.loadScripts(opts.scripts!, {
      verbose: opts.verbose,
      debug: opts.debug,
      privileged,
      log: log.info,
      versionScan: opts.versionDetection,
      versionIntensity: opts.versionIntensity,
    });
  } catch (e) {
    if (e instanceof m.ScriptSetupError) throw new UsageError(e.message);
    throw e;
  }
}

/** -sV: cli/service/mod.ts's detectServices (loaded only when asked for). */
async function loadServiceDetection(log: RunLog, tasks?: TaskRecorder): Promise<ServiceFn> {
  const m = await import("../service/mod.ts");
  return (host, opts) => m.detectServices(host, opts, log.warn, { tasks });
}

let resolverPromise: Promise<{ reverse(a: string): Promise<string | undefined> }> | undefined;

/** Reverse lookups in flight at most. */
const RDNS_PARALLEL = 32;
/** Timeout per reverse lookup, ms. */
const RDNS_TIMEOUT_MS = 2000;

/**
 * One reverse resolver per run: /etc/hosts, then DNS with at most
 * RDNS_PARALLEL queries in flight; after three timeouts in a row DNS is
 * taken to be unreachable and only the hosts file is asked (so a /16 does
 * not queue 65536 doomed queries).
 */
function reverseResolver(
  servers?: readonly string[],
): Promise<{ reverse(a: string): Promise<string | undefined> }> {
  resolverPromise ??= import("../dns.ts").then((m) => {
    const dns = new m.SystemResolver({
      timeoutMs: RDNS_TIMEOUT_MS,
      resolveDns: servers ? m.askServers(servers) : undefined,
    });
    const hostsOnly = new m.SystemResolver({
      resolveDns: () => Promise.resolve([]),
    });
    let active = 0, timeouts = 0;
    const queue: (() => void)[] = [];
    return {
      async reverse(a: string): Promise<string | undefined> {
        if (timeouts >= 3) return hostsOnly.reverse(a);
        if (active >= RDNS_PARALLEL) await new Promise<void>((r) => queue.push(r));
        active++;
        const t0 = performance.now();
        try {
          const name = await (timeouts >= 3 ? hostsOnly : dns).reverse(a);
          if (name === undefined && performance.now() - t0 >= RDNS_TIMEOUT_MS * 0.9) timeouts++;
          else timeouts = 0;
          return name;
        } finally {
          active--;
          queue.shift()?.();
        }
      },
    };
  });
  return resolverPromise;
}

/** Is stdout the interactive normal output (no format written to "-")? */
function interactiveStdout(opts: Options): boolean {
  const o = opts.output;
  return ![o.normal, o.xml, o.grepable, o.json, o.skid].includes("-");
}

/** The IPv4 ranges nmap's ip_is_reserved() keeps random decoys out of (RFC 6890 and multicast). */
const RESERVED_V4: [number, number][] = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0000000, 24],
  [0xc0000200, 24],
  [0xc0586300, 24],
  [0xc0a80000, 16],
  [0xc6120000, 15],
  [0xc6336400, 24],
  [0xcb007100, 24],
  [0xe0000000, 3],
];

/** -D's entries as source addresses (null: ME, placed at random when not given, as nmap does). */
async function resolveDecoys(list: Decoy[], family: 4 | 6): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const d of list) {
    if (d.kind === "me") out.push(null);
    else if (d.kind === "rnd") {
      for (let i = 0; i < d.count; i++) {
        let a: number;
        do a = crypto.getRandomValues(new Uint32Array(1))[0]!; while (
          RESERVED_V4.some(([net, len]) => (a >>> (32 - len)) === (net >>> (32 - len)))
        );
        out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
      }
    } else {
      const { SystemResolver } = await import("../dns.ts");
      const literal = family === 6 ? d.name.includes(":") : /^\d+\.\d+\.\d+\.\d+$/.test(d.name);
      let found: string[] = [];
      try {
        found = literal ? [d.name] : await new SystemResolver().lookup(d.name);
      } catch {
        // reported below
      }
      const a = found.find((x) => (x.includes(":") ? 6 : 4) === family);
      if (!a) fatal(`Failed to resolve decoy host "${d.name}": Name or service not known`);
      out.push(a);
    }
  }
  if (!out.includes(null)) out.splice(Math.floor(Math.random() * (out.length + 1)), 0, null);
  return out;
}
