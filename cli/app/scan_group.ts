/**
 * One host group: discovery, the scans (the scan-kind selection), service and OS detection,
 * traceroute and scripts per host, and ordered emission: hosts are written in target order as
 * soon as they and every host before them are finished.
 *
 * @module
 */

import type { HostResult, PortResult, Protocol } from "../model/mod.ts";
import type { Options, ScanKind } from "../options/types.ts";
import type { Target } from "../targets.ts";
import type { RunLog } from "../engine/context.ts";
import type { RunContext } from "./context.ts";
import { ScanHost } from "../engine/host.ts";
import { mergeScanResults } from "../scans/port_merge.ts";
import type { PortTable } from "../scans/port_table.ts";
import { type PhaseHooks, runScanPhase, type ScanPhase } from "./scan_phases.ts";
import { completedInfo, nameIp, type TaskRecorder } from "../engine/chatter.ts";
import { mergeRecorded } from "./resume.ts";
import { trace } from "./phase_trace.ts";
import { reverseResolver } from "./reverse_dns.ts";

/**
 * Service detection starts on a host as soon as its ports are known, while the port scan goes
 * on for others; its task records wait until the open phase has ended, so the XML reads in
 * nmap's order (a phase's <taskend>, then the service scan's <taskbegin>).
 */
export class DeferredTasks implements TaskRecorder {
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
  end(task: string, time: number, extrainfo?: string): void {
    this.#record(() => this.inner.end(task, time, extrainfo));
  }
  #record(record: () => void): void {
    if (this.#open > 0) this.#queue.push(record);
    else record();
  }
}

export interface GroupPlan {
  /** -v's task records of service detection (XML), in nmap's order. */
  serviceTasks?: DeferredTasks;
  privileged: boolean;
  /** The run sends raw packets (nmap's RawScan()): discovery may look up routes and ARP. */
  rawScan: boolean;
  /** The port-scan phases, in order (./scan_phases.ts). */
  phases: ScanPhase[];
}

export interface GroupSinks {
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
export async function scanGroup(
  ctx: RunContext,
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
  const { discoverHosts } = await import("../discovery/mod.ts");
  const { resolveNextHops } = await import("../engine/next_hop.ts");
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
  const gate = ctx.chatter?.enabled || ctx.options.verbose > 0
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
  const scanning = !ctx.options.discovery.pingOnly && !ctx.signal.aborted;
  const phases = scanning ? plan.phases.length : 0;
  const remaining = new Map<ScanHost, number>(up.map((h) => [h, phases]));
  const index = new Map<ScanHost, number>(hosts.map((h, i) => [h, i]));
  const service = ctx.options.versionDetection
    ? await loadServiceDetection(ctx.log, plan.serviceTasks)
    : undefined;
  const scripts = ctx.scripts;
  const pendingServices: Promise<void>[] = [];

  // Reverse DNS (nmap's mass rDNS) runs beside the scans: up hosts by
  // default, every host with -R, none with -n.
  const mode = ctx.options.dnsMode;
  const names = new Map<ScanHost, Promise<string | undefined>>();
  if (mode !== "never") {
    const resolver = await reverseResolver(ctx.options.dnsServers);
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
  // -v: one "Initiating/Completed Traceroute" for the group, as nmap traces a group at once;
  // begun by the first trace, done when every host's trace is.
  let traceTask: { done(): void } | undefined;
  // Traces begin when the group's scan phases have ended (and said so), as nmap's.
  const scansDone = Promise.withResolvers<void>();
  const tracesDone = hopCache
    ? Promise.race([Promise.all(traces.map((t) => t.promise)), aborted]).then(() =>
      traceTask?.done()
    )
    : Promise.resolve();

  const finishHost = (h: ScanHost) => {
    const i = index.get(h)!;
    finished.add(h);
    const r = resultOf(h);
    const job = (async () => {
      const probeable = r.ports.some((p) => p.state === "open" || p.state === "open|filtered");
      if (service && probeable && !ctx.signal.aborted) {
        try {
          await service(r, ctx.options);
        } catch (e) {
          ctx.log.warn(`Service detection failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      const ptr = await names.get(h);
      if (ptr) r.ptrHostname = ptr;
      if (ctx.options.osDetection && ctx.raw && r.status === "up" && !ctx.signal.aborted) {
        try {
          const { detectOs } = await import("../os/mod.ts");
          const route = h.route ?? ctx.raw.sessions.route(h.address);
          const os = await detectOs(r, ctx.raw.sessions.get(route), ctx.options, {
            log: ctx.log.info,
            signal: ctx.signal,
          });
          if (os) r.os = os;
        } catch (e) {
          ctx.log.warn(`OS detection failed for ${h.address}: ${(e as Error).message}`);
        }
      }
      if (ctx.options.traceroute && ctx.raw && r.status === "up" && !ctx.signal.aborted) {
        // In host order, so that a hop two traces share is told as the earlier host's.
        try {
          await Promise.race([
            Promise.all([scansDone.promise, ...traces.slice(0, i).map((t) => t.promise)]),
            aborted,
          ]);
          const { traceroute } = await import("../trace/mod.ts");
          traceTask ??= ctx.chatter?.startPlain("Traceroute");
          const route = h.route ?? ctx.raw.sessions.route(h.address);
          const resolver = mode === "never"
            ? undefined
            : await reverseResolver(ctx.options.dnsServers);
          const trace = await traceroute(
            r,
            route,
            ctx.raw.sessions,
            ctx.options,
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

  const onPhaseDone = (h: ScanHost, table: PortTable, hi: number, kind?: ScanKind) => {
    // A protocol's second scan (-sY then -sZ) updates its ports as nmap's port list does.
    const results = table.results(hi);
    // A host's first scan takes its fresh list as it is (-p-: no copy of 65,535 results).
    if (h.ports.length === 0) h.ports = results;
    else if (kind) mergeScanResults(h.ports, results, kind);
    else for (const r of results) h.ports.push(r);
    table.clearHost(hi);
    const left = (remaining.get(h) ?? 1) - 1;
    remaining.set(h, left);
    if (left === 0) finishHost(h);
  };
  const chatter = ctx.chatter;
  const listenerFor = (protocol: Protocol, kind: ScanKind) => ({
    port(host: ScanHost, port: number, state: string) {
      if (state === "open") chatter?.open(port, protocol, host.address);
    },
    hostDone(host: ScanHost, hi: number, table: PortTable) {
      onPhaseDone(host, table, hi, kind);
    },
  });
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
    announce = true,
  ) => {
    ctx.progress?.setPhase(title, hs.length);
    const task = announce ? chatter?.start(title, await label(hs), ports) : undefined;
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
    const hooks: PhaseHooks = {
      phase,
      listener: listenerFor,
      skip: (h) => onPhaseDone(h, emptyTable([]), 0),
      partial,
      resolveNextHops: (routes) => resolveNextHops(ctx, routes),
    };
    for (const ph of plan.phases) {
      if (ctx.signal.aborted) break;
      await runScanPhase(ctx, ph, up, hooks);
    }
  }

  // The group's reports follow its Completed lines, the traceroute's too (nmap traces the
  // group before writing it).
  scansDone.resolve();
  void tracesDone.then(openGate);

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

function emptyTable(ports: number[], protocol: "tcp" | "udp" = "tcp"): PortTable {
  // A table with nothing decided: results() is empty.
  return { results: () => [], clearHost() {}, protocol, ports } as unknown as PortTable;
}

type ServiceFn = (host: HostResult, opts: Options) => Promise<void>;

/** -sV: cli/service/mod.ts's detectServices (loaded only when asked for). */
async function loadServiceDetection(log: RunLog, tasks?: TaskRecorder): Promise<ServiceFn> {
  const m = await import("../service/mod.ts");
  return (host, opts) => m.detectServices(host, opts, log.warn, { tasks });
}
