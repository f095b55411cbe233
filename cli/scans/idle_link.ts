/**
 * -sI on the wire: the idle scan's {@link IdleLink} over raw sessions, and the phase that runs it
 * host by host (nmap scans one target at a time through one zombie, qualified once per run).
 *
 * Frames are built by the packet core: nmap's SYN|ACK probes of the zombie (window 1024, MSS
 * 1460), the SYNs spoofed from the zombie to the target, and the spoofing test's SYN|ACKs from
 * the target to the zombie. A capture of our own sees only the zombie's segments to us, so it
 * runs beside the shared sessions without taking their frames.
 *
 * @module
 */

import { type PacketCore, type ParsedRecords, TcpFlag } from "../../core-wasm/mod.ts";
import type { EngineContext } from "../engine/context.ts";
import type { ScanHost } from "../engine/host.ts";
import { RawSession, replyFilter } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import { fatal } from "../errors.ts";
import {
  type IdleLink,
  IdleScan,
  qualifyZombie,
  silentZombie,
  type TargetTiming,
  type Zombie,
  type ZombieReply,
} from "./idle.ts";
import { PortTable } from "./port_table.ts";
import type { ScanListener } from "./probe_scan.ts";
import { moduleShaping } from "./probe_scan.ts";

const ZERO_MAC = new Uint8Array(6);
/** nmap's TCP_SYN_PROBE_OPTIONS: MSS 1460. */
const MSS_1460 = [{ kind: "mss" as const, value: 1460 }];

/** Where a frame goes out: a session and the route its link header comes from. */
interface Leg {
  session: RawSession<ParsedRecords>;
  route: RawRoute;
}

/** The idle scan's link over raw sessions (see the module comment). */
export class SessionIdleLink implements IdleLink {
  readonly #capture: RawSession<ParsedRecords>;
  readonly #queue: ZombieReply[] = [];
  /** The target of the moment: spoofed SYNs go to it, the spoofing test comes from it. */
  target?: { address: string; leg: Leg };

  constructor(
    readonly core: PacketCore,
    readonly zombie: { address: string; probePort: number; route: RawRoute },
    readonly ttl: number,
    trace?: RawSession<ParsedRecords>["trace"],
    readonly signal?: AbortSignal,
  ) {
    this.#capture = RawSession.open({
      route: zombie.route,
      core,
      filter: replyFilter({ localAddresses: [zombie.route.source], targets: [zombie.address] }),
      rxFrames: 64,
      snaplen: 256,
      bufferSize: 1 << 20,
      txBatch: 16,
    });
    this.#capture.trace = trace;
  }

  /** The session that captures the zombie's answers (and sends to the zombie). */
  get session(): RawSession<ParsedRecords> {
    return this.#capture;
  }

  #send(
    leg: Leg,
    f: { src: string; dst: string; srcPort: number; dstPort: number; seq: number; ack: number },
    flags: number,
  ): void {
    const { session, route } = leg;
    session.send(this.core.buildTcp({
      linkType: session.sendLinkType,
      srcMac: route.srcMac,
      dstMac: route.dstMac ?? ZERO_MAC,
      ...f,
      flags,
      window: 1024,
      options: MSS_1460,
      ttl: this.ttl,
      ipId: 1 + Math.floor(Math.random() * 0xfffe),
    }));
  }

  get #zombieLeg(): Leg {
    return { session: this.#capture, route: this.zombie.route };
  }

  probeZombie(srcPort: number, seq: number, ack: number): void {
    const z = this.zombie;
    this.#send(this.#zombieLeg, {
      src: z.route.source,
      dst: z.address,
      srcPort,
      dstPort: z.probePort,
      seq,
      ack,
    }, TcpFlag.SYN | TcpFlag.ACK);
  }

  spoofSyn(dstPort: number, seq: number): void {
    const t = this.target!;
    this.#send(t.leg, {
      src: this.zombie.address,
      dst: t.address,
      srcPort: this.zombie.probePort,
      dstPort,
      seq,
      ack: 0,
    }, TcpFlag.SYN);
  }

  spoofToZombie(srcPort: number, seq: number, ack: number): void {
    this.#send(this.#zombieLeg, {
      src: this.target!.address,
      dst: this.zombie.address,
      srcPort,
      dstPort: this.zombie.probePort,
      seq,
      ack,
    }, TcpFlag.SYN | TcpFlag.ACK);
  }

  #drain(): void {
    const at = this.now();
    this.#capture.poll((recs, n) => {
      for (let i = 0; i < n; i++) {
        if (recs.family(i) !== 4 || recs.ipProto(i) !== 6) continue;
        if (recs.srcPort(i) !== this.zombie.probePort) continue;
        this.#queue.push({
          dstPort: recs.dstPort(i),
          rst: (recs.tcpFlags(i) & TcpFlag.RST) !== 0,
          ipId: recs.ipId(i),
          at,
        });
      }
    });
  }

  async receive(ms: number): Promise<ZombieReply | null> {
    const deadline = this.now() + ms;
    for (;;) {
      this.#drain();
      const r = this.#queue.shift();
      if (r) return r;
      const left = deadline - this.now();
      if (left <= 0 || this.#capture.closed || this.aborted()) return null;
      await this.#capture.wait(left);
    }
  }

  now(): number {
    return performance.now();
  }

  sleep(ms: number): Promise<void> {
    const signal = this.signal;
    if (signal?.aborted) return Promise.resolve();
    return new Promise((r) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        r();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  aborted(): boolean {
    return this.signal?.aborted ?? false;
  }
}

/** -sI ZOMBIE[:PORT] split as nmap splits it (IPv4: at the first colon). */
export function parseZombieSpec(spec: string): { name: string; port?: number } {
  const colon = spec.indexOf(":");
  if (colon < 0) return { name: spec };
  const tail = spec.slice(colon + 1);
  // strtoul: leading blanks and a sign are accepted, the rest must be digits, and 0 is refused.
  const m = /^\s*[+-]?(\d+)$/.exec(tail);
  const port = m ? Number(m[1]) % 2 ** 16 : 0;
  if (!m || port === 0) fatal(`Invalid port number given in IP ID zombie specification: ${spec}`);
  return { name: spec.slice(0, colon), port };
}

/**
 * The zombie's probe port when -sI names none (idle_scan.cc): the first -PS port, else the first
 * -PA port, else 443 when nmap's default pings run (they include a SYN to 443), else 80.
 */
export function defaultProbePort(
  d: { synPorts: number[]; ackPorts: number[]; skip: boolean; explicit: boolean },
): number {
  return d.synPorts[0] ?? d.ackPorts[0] ?? (!d.skip && !d.explicit ? 443 : 80);
}

/** The zombie as resolved by the run. */
export interface ZombieTarget {
  name: string;
  address: string;
  probePort: number;
}

/** What an idle phase needs from the run. */
export interface IdlePhaseHooks {
  /** Resolves next-hop MACs; returns the routes that failed. */
  resolveNextHops(routes: RawRoute[]): Promise<Set<RawRoute>>;
  /** A host leaves the phase with nothing decided. */
  skip(host: ScanHost): void;
  /** nmap's LOG_PLAIN lines, screen and -oN (the zombie's class). */
  say(line: string): void;
  /** -v's task of one target: "Initiating …", then "Completed … (N ports)". */
  task?(host: ScanHost): { done(info: string): void } | undefined;
}

/** Per run: the zombie qualified at the first target, and its link. */
const zombies = new WeakMap<object, { zombie: Zombie; link: SessionIdleLink }>();

/**
 * The idle scan of `hosts`' TCP `ports` through `zombie`, one host after another; each host's
 * ports go to `listener` as it finishes. Throws nmap's fatal messages (a zombie refused).
 */
export async function idleScanHosts(
  ctx: EngineContext,
  hosts: ScanHost[],
  ports: readonly number[],
  zombie: ZombieTarget,
  listener: ScanListener,
  hooks: IdlePhaseHooks,
): Promise<void> {
  const raw = ctx.raw!;
  const timing = ctx.opts.timing;
  for (const h of hosts) {
    if (ctx.signal.aborted) return;
    const route = h.route ??= raw.sessions.route(h.address);
    if (route.loopback) {
      // nmap's LOG_STDOUT: the screen only.
      ctx.log.info(
        `Skipping Idle Scan against ${h.address} -- you can't idle scan your own machine (localhost).`,
      );
      hooks.skip(h);
      continue;
    }
    // nmap begins the target's task before it qualifies the zombie.
    const task = hooks.task?.(h);
    let state = zombies.get(ctx);
    const zr = state ? undefined : raw.sessions.route(zombie.address);
    const failed = await hooks.resolveNextHops(zr ? [zr, route] : [route]);
    // No answer to ARP either: nothing of ours would come back (nmap waits for its probes).
    if (zr && failed.has(zr)) {
      silentZombie({ zombieName: zombie.name, zombieAddress: zombie.address, ...zombie });
    }
    if (failed.has(route)) {
      ctx.log.warn(`Failed to determine dst MAC address for next hop ${route.nextHop}`);
      hooks.skip(h);
      continue;
    }
    const leg = { session: raw.sessions.get(route), route };
    if (!state) {
      const link = new SessionIdleLink(
        raw.core,
        { address: zombie.address, probePort: zombie.probePort, route: zr! },
        moduleShaping(ctx).ttl,
        (d, f, l) => raw.sessions.trace?.(d, f, l),
        ctx.signal,
      );
      // The run closes it with its own sessions (and counts its packets).
      raw.sessions.adopt(link.session);
      // nmap qualifies the zombie once, spoofing the spoofing test from the first target.
      link.target = { address: h.address, leg };
      const shaping = ctx.opts.shaping;
      const z = await qualifyZombie(link, {
        zombieName: zombie.name,
        zombieAddress: zombie.address,
        probePort: zombie.probePort,
        magicPort: shaping?.sourcePort ?? 33000 + Math.floor(Math.random() * 31000),
        magicPortSet: shaping?.sourcePort !== undefined,
        minParallelism: timing.minParallelism,
        maxParallelism: timing.maxParallelism,
        minRttTimeoutMs: timing.minRttTimeoutMs,
        maxRttTimeoutMs: timing.maxRttTimeoutMs,
        scanDelayMs: timing.scanDelayMs,
        debug: ctx.opts.debug > 0 ? ctx.log.warn : undefined,
      }, hooks.say);
      state = { zombie: z, link };
      zombies.set(ctx, state);
    }
    state.link.target = { address: h.address, leg };
    const scan = new IdleScan(
      state.zombie,
      ctx.opts.verbose > 0 ? ctx.log.warn : undefined,
      discoveryTiming(h),
    );
    scan.onOpen = (port) => listener.port?.(h, port, "open");
    const results = await scan.run(ports);
    if (!results) return; // Ctrl-C: the host is written as it stands
    task?.done(`${ports.length} ports`);
    const table = new PortTable(1, ports, "tcp");
    results.forEach((r, p) => table.set(0, p, { state: r.state, reason: r.reason }));
    listener.hostDone?.(h, 0, table, false);
  }
}

/** The target's timing from discovery, ms: its RTT estimate, or one ARP/ping reply's latency. */
function discoveryTiming(h: ScanHost): TargetTiming | undefined {
  const rtt = h.timing?.rtt;
  if (rtt?.srtt !== undefined && rtt.rttvar !== undefined) {
    return { srtt: rtt.srtt, rttvar: rtt.rttvar };
  }
  if (h.latencySeconds === undefined) return undefined;
  // One sample, as nmap's adjust_timeouts2 takes its first.
  const srtt = h.latencySeconds * 1000;
  return { srtt, rttvar: Math.min(2000, Math.max(5, srtt)) };
}
