/**
 * A host group's port-scan phases, looked up in the scan registry (cli/scans/registry.ts): which
 * kinds run, in nmap's order, on which ports, and how each is driven — a probe module per raw
 * session, the connect scan, or the UDP scan's own driver. No scan kind is named here.
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import type { RunContext } from "./context.ts";
import type { ScanHost } from "../engine/host.ts";
import type { RawSession } from "../engine/raw_session.ts";
import { type RawRoute, sessionKey } from "../engine/route.ts";
import { newHostTiming } from "../engine/scheduler.ts";
import type { Protocol } from "../model/mod.ts";
import type { ScanKind } from "../options/types.ts";
import type { PortTable } from "../scans/port_table.ts";
import type { ScanListener } from "../scans/probe_scan.ts";
import { needsRawPackets, SCAN_KINDS } from "../scans/registry.ts";
import { nameIp } from "../engine/chatter.ts";
import type { ZombieTarget } from "../scans/idle_link.ts";
import { fatal } from "../errors.ts";
import { isIpLiteral } from "../options/values.ts";

/** One phase: a scan kind over its protocol's ports. */
export interface ScanPhase {
  kind: ScanKind;
  ports: number[];
}

/**
 * The phases of `kinds` over `ports` (by protocol), in registry order (nmap's: TCP kinds, UDP,
 * SCTP). A kind whose protocol has no ports still runs, empty, as nmap's does ("Initiating …").
 * Unprivileged, every TCP kind is the connect scan (nmap's fallback).
 */
export function scanPhases(
  kinds: readonly ScanKind[],
  ports: Readonly<Record<Protocol, readonly number[]>>,
  privileged: boolean,
): ScanPhase[] {
  const out: ScanPhase[] = [];
  for (const kind of Object.keys(SCAN_KINDS) as ScanKind[]) {
    if (!kinds.includes(kind)) continue;
    const e = SCAN_KINDS[kind];
    const list = ports[e.protocol];
    const run = !privileged && e.protocol === "tcp" && needsRawPackets(kind) ? "connect" : kind;
    if (out.some((p) => p.kind === run)) continue;
    out.push({ kind: run, ports: [...list] });
  }
  return out;
}

/** What a phase needs from the group that runs it. */
export interface PhaseHooks {
  /**
   * Runs `body` as the named phase (chatter, progress, task records); `announce` false: the
   * phase says its own lines (the idle scan's per host).
   */
  phase(
    title: string,
    hosts: ScanHost[],
    ports: number,
    body: () => Promise<void>,
    announce?: boolean,
  ): Promise<void>;
  /** The listener that files a host's ports when its phase (a scan of `kind`) is done. */
  listener(protocol: Protocol, kind: ScanKind): ScanListener;
  /** A host leaves the phase with nothing decided (no route, no next-hop MAC). */
  skip(host: ScanHost): void;
  /** Ctrl-C: what `table` knows of `hosts` is written. */
  partial(hosts: ScanHost[], table: PortTable): void;
  /** Resolves next-hop MACs; returns the routes that failed. */
  resolveNextHops(routes: RawRoute[]): Promise<Set<RawRoute>>;
}

/** Port-scan timing for a host: RTT from discovery, a retry policy sized to the scan. */
function carryTiming(ctx: RunContext, h: ScanHost, ports: number) {
  const t = newHostTiming(ctx.plan, ports);
  if (h.timing) t.rtt = h.timing.rtt;
  return t;
}

/** Runs one phase on the group's up hosts. */
export async function runScanPhase(
  ctx: RunContext,
  phase: ScanPhase,
  up: ScanHost[],
  hooks: PhaseHooks,
): Promise<void> {
  const e = SCAN_KINDS[phase.kind];
  const { ports } = phase;
  const listener = hooks.listener(e.protocol, phase.kind);
  const driver = e.driver;
  if (driver.kind === "connect") {
    const { connectScan } = await import("../scans/connect.ts");
    await hooks.phase(e.title, up, ports.length, async () => {
      for (const h of up) h.timing = carryTiming(ctx, h, ports.length);
      const table = await connectScan(ctx, up, ports, listener);
      if (ctx.signal.aborted) hooks.partial(up, table);
    });
    return;
  }
  if (driver.kind === "bounce") {
    const { bounceScan } = await import("../scans/ftp_bounce.ts");
    await hooks.phase(e.title, up, ports.length, async () => {
      const table = await bounceScan(ctx, ctx.options.ftpRelay!, up, ports, listener);
      if (ctx.signal.aborted) hooks.partial(up, table);
    });
    return;
  }
  if (driver.kind === "udp") {
    const { udpScan } = await import("../scans/udp.ts");
    // nmap's payloads when its nmap-payloads is found (traceroute then sends them too).
    const { useNmapPayloads } = await import("../scans/udp_payloads.ts");
    const { nmapPayloadsFor } = await import("./udp_payload_file.ts");
    useNmapPayloads(nmapPayloadsFor(ctx.options, ctx.log.warn));
    await hooks.phase(e.title, up, ports.length, async () => {
      const table = await udpScan(ctx, up, ports, listener);
      if (ctx.signal.aborted) hooks.partial(up, table);
    });
    return;
  }
  if (driver.kind === "idle") {
    const { idleScanHosts } = await import("../scans/idle_link.ts");
    const zombie = await resolveZombie(ctx);
    await hooks.phase(e.title, up, ports.length, async () => {
      await idleScanHosts(ctx, up, ports, zombie, listener, {
        resolveNextHops: hooks.resolveNextHops,
        skip: hooks.skip,
        say: ctx.log.plain ?? ctx.log.info,
        // nmap's task is per target: "Initiating idle scan against NAME (ADDR) at …".
        task: (h) =>
          ctx.chatter?.startPlain(`idle scan against ${nameIp(h.address, h.target.userHostname)}`),
      });
    }, false);
    return;
  }
  // A probe module (or the IP protocol scan): one driver per raw session (interface and
  // source), after the hosts' next hops are resolved.
  const { moduleShaping, probeScan } = await import("../scans/probe_scan.ts");
  const protocols = driver.kind === "protocol" ? await import("../scans/ip_protocol.ts") : null;
  const module = driver.kind === "module"
    ? driver.module(moduleShaping(ctx), ctx.options.scanFlags)
    : null;
  const templateKey = `${phase.kind}/${ctx.options.scanFlags ?? ""}`;
  const bySession = new Map<string, ScanHost[]>();
  for (const h of up) {
    if (!h.route) {
      try {
        h.route = ctx.raw!.sessions.route(h.address);
      } catch (err) {
        ctx.log.warn(`Failed to determine route to ${h.address}: ${(err as Error).message}`);
        hooks.skip(h);
        continue;
      }
    }
    const key = sessionKey(h.route);
    bySession.set(key, [...(bySession.get(key) ?? []), h]);
  }
  await hooks.phase(e.title, up, ports.length, async () => {
    await Promise.all([...bySession.values()].map(async (all) => {
      const failed = await hooks.resolveNextHops(all.map((h) => h.route!));
      for (const r of failed) {
        if (r.gateway) {
          ctx.log.warn(`Failed to determine dst MAC address for next hop ${r.nextHop}`);
        }
      }
      for (const h of all) if (failed.has(h.route!)) hooks.skip(h);
      const group = all.filter((h) => !failed.has(h.route!));
      if (group.length === 0) return;
      for (const h of group) h.timing = carryTiming(ctx, h, ports.length);
      const session: RawSession<ParsedRecords> = ctx.raw!.sessions.get(group[0]!.route!);
      const table = protocols
        ? await protocols.protocolScan(ctx, session, group, ports, listener)
        : await probeScan(ctx, session, group, ports, module!, templateKey, listener);
      if (ctx.signal.aborted) hooks.partial(group, table);
    }));
  });
}

/** -sI's zombie: its name and probe port as given (or nmap's default), its IPv4 address. */
async function resolveZombie(ctx: RunContext): Promise<ZombieTarget> {
  const { defaultProbePort, parseZombieSpec } = await import("../scans/idle_link.ts");
  const spec = ctx.options.idleZombie ?? "";
  const { name, port } = parseZombieSpec(spec);
  const probePort = port ?? defaultProbePort(ctx.options.discovery);
  let address = name;
  if (!isIpLiteral(name, 4)) {
    const { SystemResolver } = await import("../dns.ts");
    const found = await new SystemResolver().lookup(name).catch(() => []);
    const v4 = found.find((a) => !a.includes(":"));
    if (!v4) {
      fatal(
        `Could not resolve idle scan zombie host "${name}": Name or service not known`,
      );
    }
    address = v4;
  }
  return { name, address, probePort };
}
