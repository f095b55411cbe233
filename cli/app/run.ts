/**
 * One Porthole run after option parsing: privileges, targets in host
 * groups, discovery, the scans, service detection, and the writers — with
 * Ctrl-C, SIGTERM or SIGHUP writing every finished host, a progress record
 * for each host cut short (never a report: it is not finished), closing
 * every file, and returning the signal's shell status (./signals.ts).
 *
 * The rest of the run has a module each: privileges.ts (raw or connect), host_groups.ts (group
 * size, --randomize-hosts), scan_group.ts (one group: discovery, the scan kinds, detection and
 * ordered emission), resume.ts (--resume's ports), reverse_dns.ts, decoys.ts (-D) and
 * context.ts (the run's context and the engine's configuration built from the options).
 *
 * @module
 */

import type {
  HostResult,
  OutputWriter,
  RunInfo,
  RunSummary,
  ScanInfo,
  TaskEvent,
} from "../model/mod.ts";
import type { Options } from "../options/types.ts";
import { fatal, UsageError } from "../errors.ts";
import {
  firstMissing,
  permissionMessage,
  PRIVILEGE_NEEDS,
  scanPermissionNeeds,
} from "./permissions.ts";
import {
  type ExcludeSet,
  expandTargets,
  preflightTargets,
  readsStdin,
  type Target,
} from "../targets.ts";
import { openWriters } from "../output/mod.ts";
import { compactPortList, escapeTerminal } from "../output/format.ts";
import { PORTHOLE_VERSION } from "../model/product.ts";
import { dataFilesRead } from "../data_files.ts";
import { timingPlan } from "../timing/mod.ts";
import { newCookies, type RunLog, SessionPool } from "../engine/context.ts";
import type { RawRoute } from "../engine/route.ts";
import { engineConfig, type RunContext } from "./context.ts";
import { ScanHost } from "../engine/host.ts";
import { kindsOf, needsRawPackets, SCAN_KINDS } from "../scans/registry.ts";
import { scanPhases } from "./scan_phases.ts";
import { Chatter } from "../engine/chatter.ts";
import { describeFrame, traceTime } from "../engine/packet_trace.ts";
import type { FrameTracer } from "../engine/raw_session.ts";
import { type PartialHost, recordedPorts } from "../output/resume.ts";
import { portsLeft } from "./resume.ts";
import { dieBySignal, signalExitCode, STOP_SIGNALS, type StopSignal } from "./signals.ts";
import { shardPorts, takeShard } from "../engine/shard.ts";
import { requireDescriptors } from "../engine/descriptors.ts";
import { describeError } from "../engine/system.ts";
import { trace } from "./phase_trace.ts";
import { decidePrivileges } from "./privileges.ts";
import { hostGroupSize, RANDOMIZE_BLOCK, shuffleInBlocks } from "./host_groups.ts";
import { RDNS_PARALLEL, reverseResolver } from "./reverse_dns.ts";
import { resolveDecoys } from "./decoys.ts";
import { pingProbeHeaders } from "../discovery/ping_headers.ts";
import { scanProbeHeaders } from "../scans/probe_headers.ts";
import { DeferredTasks, type GroupPlan, type GroupSinks, scanGroup } from "./scan_group.ts";

export { trace } from "./phase_trace.ts";

//** Where the run writes. */
export interface RunIo {
  stdout(s: string): void;
  stderr(s: string): void;
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
  extra: {
    skipHosts?: ReadonlySet<string>;
    partialHosts?: readonly PartialHost[];
    /** How --store records this scan (`inventory watch`: finished scans only, and their id). */
    store?: { onlyFinished?: boolean; onStored?: (id: number) => void };
  } = {},
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
  if ((opts.debug > 0 || opts.packetTrace) && opts.shaping?.ipOptions) {
    // nmap's "Binary/Parsed ip options to be send" lines, before anything else on stdout.
    const [{ packetCore }, { ipOptionsAnnouncement }] = await Promise.all([
      import("../../core-wasm/mod.ts"),
      import("../engine/ip_options_text.ts"),
    ]);
    io.stdout(ipOptionsAnnouncement(packetCore().buildIpOptions(opts.shaping.ipOptions).bytes));
  }
  const missing = firstMissing(scanPermissionNeeds(opts, scans, privileged));
  if (missing) fatal(missing);
  if (opts.iface !== undefined || opts.sourceAddress !== undefined) {
    const { sourceOptionsProblem } = await import("../engine/route.ts");
    const problem = sourceOptionsProblem({
      iface: opts.iface,
      source: opts.sourceAddress,
      family: opts.ipv6 ? 6 : 4,
    });
    if (problem) fatal(problem);
  }
  if (opts.proxies && !opts.listScan) {
    const { proxyChainProblem } = await import("../engine/proxy_chain.ts");
    const problem = await proxyChainProblem(opts.proxies);
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
  const allPortsOf = {
    tcp: opts.portLists?.tcp ?? opts.ports.filter((p) => p.protocol === "tcp").map((p) => p.port),
    udp: opts.portLists?.udp ?? opts.ports.filter((p) => p.protocol === "udp").map((p) => p.port),
    sctp: opts.portLists?.sctp ??
      opts.ports.filter((p) => p.protocol === "sctp").map((p) => p.port),
    ip: opts.portLists?.ip ?? opts.ports.filter((p) => p.protocol === "ip").map((p) => p.port),
  };
  // --shard-by probe: every host, only this shard's part of its ports (the scaninfo still
  // names them all: it is the whole scan's, as the merged file's must be).
  const probeShard = opts.shard && opts.shard.by === "probe" && opts.shard.count > 1
    ? opts.shard
    : undefined;
  const portsOf = probeShard
    ? {
      ...shardPorts(allPortsOf, probeShard.count, probeShard.index, probeShard.seed),
      ip: allPortsOf.ip,
    }
    : allPortsOf;
  const { tcp: tcpPorts, udp: udpPorts, sctp: sctpPorts, ip: ipProtocols } = portsOf;
  // nmap's RawScan(): only a run that sends raw packets looks up routes and ARPs its targets;
  // `-sn -Pn` (or `-Pn -sT` as root) takes every target as up, unprobed.
  const rawScan = privileged &&
    (!opts.discovery.skip || opts.osDetection || opts.traceroute ||
      (!opts.discovery.pingOnly && scans.some((k) => needsRawPackets(k))));

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
    // A shard's hosts go into the one scan its shards share (cli/shard_scan.ts).
    const ss = opts.shard && opts.shard.count > 1
      ? await import("../options/shard_scan.ts")
      : undefined;
    const shard = ss && opts.shard
      ? {
        index: opts.shard.index,
        count: opts.shard.count,
        key: await ss.shardedScanKey(opts),
        scanArgs: ss.withoutShardIndex(opts.argv),
      }
      : undefined;
    writers.push(
      new inv.StoreRecorder(opts.output.store, {
        stderr: io.stderr,
        servicesDb,
        spoolDir,
        shard,
        ...extra.store,
      }),
    );
  }
  const startTime = Date.now();
  const scanInfo: ScanInfo[] = [];
  if (!opts.discovery.pingOnly) {
    // nmap's <scaninfo> per scan kind, in its phase order (the registry's).
    const kinds = ["tcp", "udp", "sctp", "ip"] as const;
    for (const k of kinds.flatMap((protocol) => kindsOf(scans, protocol))) {
      const e = SCAN_KINDS[k];
      scanInfo.push({
        ...(e.xmlType === null ? { notInXml: true } : {}),
        type: e.xmlType ?? k,
        protocol: e.protocol,
        services: compactPortList(allPortsOf[e.protocol]),
        numServices: allPortsOf[e.protocol].length,
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
  if (opts.routeDst) {
    // nmap prints these with printf once its start line is out: stdout only, no -o file.
    const { routeDstText } = await import("./route_dst.ts");
    io.stdout(await routeDstText(opts.routeDst, opts));
  }
  log.plain = (line) => {
    for (const w of writers) w.plain?.(line);
  };

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
  const ctx: RunContext = {
    opts: engineConfig(opts),
    options: opts,
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
      import("../engine/system.ts"),
    ]);
    // ffi closes its handles on Ctrl-C; the exit is ours (after writing).
    ffi.setOnInterrupt(() => {});
    const core = packetCore();
    trace("core + ffi loaded");
    // Probes too large for their interface are refused when its session would open, before a packet.
    const { discoveryMethod } = await import("../discovery/plan.ts");
    const pingsBy = (route: RawRoute) => {
      const m = discoveryMethod(opts.discovery, {
        family: route.family,
        loopback: route.loopback,
        onLinkEthernet: route.onLink && route.linkKind === "ethernet" && opts.sendMode !== "ip",
      }, true);
      return m.kind === "probe" ? pingProbeHeaders(m.probes) : [];
    };
    const payloadBytes = opts.shaping?.payload?.length ?? 0;
    const fragment = opts.shaping?.fragment;
    sessions = new SessionPool(
      core,
      { iface: opts.iface, source: opts.sourceAddress, srcMac: spoofed?.mac },
      payloadBytes || fragment
        ? {
          kinds: (route) => [
            ...(opts.discovery.pingOnly ? [] : scanProbeHeaders(scans, ipProtocols)),
            ...pingsBy(route),
          ],
          sizing: { payloadBytes, ...(fragment ? { fragment } : {}) },
        }
        : undefined,
    );
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
    const groupSize = hostGroupSize(
      opts,
      tcpPorts.length + udpPorts.length + sctpPorts.length + ipProtocols.length,
    );
    const tasks = ctx.chatter?.tasks;
    const basePlan: GroupPlan = {
      privileged,
      rawScan,
      phases: scanPhases(scans, portsOf, privileged),
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
        return { address: p.address, ports: recordedPorts(p, portsOf) };
      });
      const recorded = partials.map((p) => p.ports);
      const left = {
        tcp: portsLeft(tcpPorts, "tcp", recorded),
        udp: portsLeft(udpPorts, "udp", recorded),
        sctp: portsLeft(sctpPorts, "sctp", recorded),
        ip: portsLeft(ipProtocols, "ip", recorded),
      };
      // Only the kinds whose protocol still has ports to scan.
      const kinds = scans.filter((k) => left[SCAN_KINDS[k].protocol].length > 0);
      await scanGroup(
        ctx,
        g,
        { ...basePlan, phases: scanPhases(kinds, left, privileged) },
        sinks,
        new Map(partials.map((p) => [p.address, p.ports])),
      );
    };
    // nmap rebuilds script.db when NSE opens, before the prerules.
    if (opts.scriptUpdateDb) await updateScriptDatabase(opts, log);
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
    if (opts.shard && opts.shard.count > 1 && opts.shard.by === "host") {
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
      timing: opts.timing.template,
      family: opts.ipv6 ? 6 : 4,
      maxParallelism: opts.timing.maxParallelism,
      proxies: opts.proxies,
      datadir: opts.datadir,
    });
  } catch (e) {
    if (e instanceof m.ScriptSetupError) throw new UsageError(e.message);
    throw e;
  }
}

/** --script-updatedb: script.db rebuilt in the first data directory with a scripts/ folder. */
async function updateScriptDatabase(opts: Options, log: RunLog): Promise<void> {
  const { dataDirs } = await import("../data_files.ts");
  const m = await import("../scripts/update_db.ts");
  const dirs = dataDirs(opts.datadir);
  const scriptsDir = m.scriptsDirIn(dirs);
  if (scriptsDir === undefined) {
    fatal("Could not locate the scripts directory for --script-updatedb");
  }
  try {
    await m.updateScriptDb(scriptsDir, dirs, log.info);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("Could not save")) fatal(e.message);
    throw e;
  }
}

/** Is stdout the interactive normal output (no format written to "-")? */
function interactiveStdout(opts: Options): boolean {
  const o = opts.output;
  return ![o.normal, o.xml, o.grepable, o.json, o.skid].includes("-");
}
