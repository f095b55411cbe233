/**
 * -sU: the UDP scan, as the engine calls it (cli/app/run.ts). A
 * zmap-style probe module around {@link UdpHostScan}, which decides what to
 * send when (the witness rule and the ICMP rate pacer live there):
 *
 * - make: one core template per (route, payload), cached for the run; per
 *   probe only destination, ports and IP ID are patched. A probe's source
 *   port is the keyed cookie of (host, port, try) (cookie.ts), so each try
 *   leaves from its own port and a reply names the try it answers.
 * - validate: a UDP reply must come from a scanned host's scanned port to
 *   the cookie port of one of our tries (as in nmap, TFTP answering from a
 *   fresh port and DHCP answering to port 68 prove nothing). An ICMP
 *   error must quote our address, the target, the probed port and a cookie
 *   source port: matched by the quoted header, never by guess.
 * - process: nmap's rules (tcp_rules.ts `icmpErrorVerdict`) give state and
 *   reason; a UDP answer is open / udp-response; TTLs kept.
 *
 * Probes of one poll leave in order, back to back (a template change flushes
 * the batch first): the witness rule depends on that order.
 *
 * @module
 */

import type {
  FrameBatch,
  IpOptions,
  PacketCore,
  ParsedRecords,
  ProbeTemplate,
} from "../../core-wasm/mod.ts";
import { Kind, ParseError, RecordFlag } from "../../core-wasm/mod.ts";
import type { EngineContext } from "../engine/context.ts";
import { type ScanHost, v6Key } from "../engine/host.ts";
import { type RawSession, sessionTemplateBase } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import { newHostTiming } from "../engine/scheduler.ts";
import type { RttEstimator } from "../timing/mod.ts";
import { formatIp } from "../../core-wasm/addr.ts";
import { PortTable } from "./port_table.ts";
import { icmpErrorVerdict } from "./tcp_rules.ts";
import type { ScanListener } from "./probe_scan.ts";
import { UDP_MAX_TRIES, UdpHostScan, type UdpReplyKind } from "./udp_host_scan.ts";
import { udpPayloads } from "./udp_payloads.ts";

/** Sweep pace (probes per second over a route's hosts) when no rate option says otherwise. */
export const DEFAULT_SWEEP_PPS = 10_000;
/** … and for -T4 / -T5. */
export const FAST_SWEEP_PPS = 20_000;

const EMPTY_CAPACITY = 512;
const PAYLOAD_CAPACITY = 32;

/** The sweep rate the options allow, probes per second. */
export function udpSweepRate(ctx: Pick<EngineContext, "opts" | "plan">): number {
  let r = ctx.opts.timing.template >= 4 ? FAST_SWEEP_PPS : DEFAULT_SWEEP_PPS;
  const { maxRate, minRate, scanDelayMs } = ctx.plan;
  if (scanDelayMs > 0) r = Math.min(r, 1000 / scanDelayMs);
  if (maxRate > 0) r = Math.min(r, maxRate);
  if (minRate > 0) r = Math.max(r, minRate);
  return Math.max(0.001, r);
}

/** What the scan needs of a raw session (cli/engine/raw_session.ts). */
export type UdpSession =
  & Pick<
    RawSession<ParsedRecords>,
    "route" | "sendLinkType" | "sendBatch" | "poll" | "wait"
  >
  & Partial<Pick<RawSession<ParsedRecords>, "sendFragmented">>;

/** Templates live in never-freed wasm memory: one set per session for the whole run. */
const templateCache = new WeakMap<UdpSession, Map<string, ProbeTemplate>>();

function templateFor(
  core: PacketCore,
  session: UdpSession,
  payload: Uint8Array,
  shape: { ttl: number; badChecksum?: boolean; ipOptions?: IpOptions },
  src?: string,
): ProbeTemplate {
  let m = templateCache.get(session);
  if (!m) templateCache.set(session, m = new Map());
  let key = `${src ?? "me"}/${payload.length}:`;
  for (const b of payload) key += String.fromCharCode(b);
  let t = m.get(key);
  if (!t) {
    t = core.probeTemplate({
      protocol: "udp",
      ...sessionTemplateBase(session),
      ...(src === undefined ? {} : { src }),
      ...shape,
      payload,
      capacity: payload.length === 0 ? EMPTY_CAPACITY : PAYLOAD_CAPACITY,
    });
    m.set(key, t);
  }
  return t;
}

/** nmap sends raw probes with a random TTL; one per run here. */
const RUN_TTL = 37 + Math.floor(Math.random() * 23);

/**
 * Scan `ports` (UDP) on `hosts`: groups them by route, resolves next hops,
 * and runs one {@link UdpHostScan} per host. Each host is reported through
 * `listener.hostDone` as soon as all its ports are decided. Returns the
 * table (undecided ports of hosts cut short stay undecided).
 */
export async function udpScan(
  ctx: EngineContext,
  hosts: ScanHost[],
  ports: readonly number[],
  listener: ScanListener = {},
): Promise<PortTable> {
  const table = new PortTable(hosts.length, ports, "udp");
  const done = (i: number, timedOut = false) => {
    const h = hosts[i]!;
    if (timedOut) h.timedOut = true;
    listener.hostDone?.(h, i, table, timedOut);
  };
  if (!ctx.raw) {
    // The option checks require privileges for -sU; nothing to send with.
    ctx.log.warn("UDP scan (-sU) needs raw packet access.");
    hosts.forEach((_, i) => done(i));
    return table;
  }
  const { ensureNextHopMac } = await import("../engine/next_hop.ts");
  const byRoute = new Map<RawRoute, number[]>();
  hosts.forEach((h, i) => {
    if (!h.route) {
      try {
        h.route = ctx.raw!.sessions.route(h.address);
      } catch (e) {
        ctx.log.warn(`Failed to determine route to ${h.address}: ${(e as Error).message}`);
        done(i);
        return;
      }
    }
    byRoute.set(h.route, [...(byRoute.get(h.route) ?? []), i]);
  });
  await Promise.all([...byRoute].map(async ([route, members]) => {
    if (route.linkKind === "ethernet" && !route.loopback && !(await ensureNextHopMac(ctx, route))) {
      ctx.log.warn(`Failed to determine dst MAC address for next hop ${route.nextHop}`);
      for (const i of members) done(i);
      return;
    }
    const session = ctx.raw!.sessions.get(route);
    await scanRoute(ctx, session, hosts, members, ports, table, listener, done);
  }));
  return table;
}

interface HostRun {
  /** Index into the caller's hosts (and the table). */
  i: number;
  host: ScanHost;
  scan: UdpHostScan;
  rtt: RttEstimator;
  start: number;
  finished: boolean;
}

/**
 * Scan `ports` on `hosts`, all reachable through `session` (whose route's
 * next-hop MAC is known): the per-route part of {@link udpScan}, for callers
 * that hold a session already.
 */
export async function udpScanSession(
  ctx: EngineContext,
  session: UdpSession,
  hosts: ScanHost[],
  ports: readonly number[],
  listener: ScanListener = {},
): Promise<PortTable> {
  const table = new PortTable(hosts.length, ports, "udp");
  const done = (i: number, timedOut = false) => {
    const h = hosts[i]!;
    if (timedOut) h.timedOut = true;
    listener.hostDone?.(h, i, table, timedOut);
  };
  const members = hosts.map((_, i) => i);
  await scanRoute(ctx, session, hosts, members, ports, table, listener, done);
  return table;
}

async function scanRoute(
  ctx: EngineContext,
  session: UdpSession,
  hosts: ScanHost[],
  members: number[],
  ports: readonly number[],
  table: PortTable,
  listener: ScanListener,
  done: (i: number, timedOut?: boolean) => void,
): Promise<void> {
  const core = ctx.raw!.core;
  const route = session.route;
  const cookies = ctx.cookies;
  const opts = ctx.opts;

  // The sweep order: nmap's random order unless -r (the same for every host).
  const order = [...ports];
  if (opts.randomizePorts) {
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(Math.random() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
  }
  const tableIndex = new Map<number, number>(ports.map((p, i) => [p, i]));
  const orderIndex = new Int32Array(65536).fill(-1);
  order.forEach((p, i) => (orderIndex[p] = i));

  const ctxPayload = { family: route.family, source: route.sourceBytes };
  const shaping = opts.shaping ?? {};
  const shape = {
    ttl: shaping.ttl ?? RUN_TTL,
    badChecksum: shaping.badsum,
    ...(shaping.ipOptions ? { ipOptions: core.buildIpOptions(shaping.ipOptions) } : {}),
  };
  // --data*: nmap sends the user's payload to every port instead of the port's own.
  const payloads = order.map((p) =>
    shaping.payload ? [shaping.payload] : udpPayloads(p, ctxPayload)
  );
  const templates = payloads.map((list) => list.map((pl) => templateFor(core, session, pl, shape)));
  // -D: each probe is copied from every decoy source (templates alike but for the source).
  const decoySources = (ctx.decoys ?? []).filter((a): a is string =>
    a !== null && (a.includes(":") ? 6 : 4) === route.family
  );
  const decoyCopies = new Map<ProbeTemplate, ProbeTemplate[]>();
  payloads.forEach((list, i) =>
    list.forEach((pl, k) =>
      decoyCopies.set(
        templates[i]![k]!,
        decoySources.map((src) => templateFor(core, session, pl, shape, src)),
      )
    )
  );
  // -g: one source port for every probe, so a reply cannot tell which try it answers (-1).
  const fixedPort = shaping.sourcePort;

  const sweepRate = udpSweepRate(ctx) / Math.max(1, members.length);
  const runs: HostRun[] = members.map((i) => {
    const host = hosts[i]!;
    const timing = host.timing ?? (host.timing = newHostTiming(ctx.plan, ports.length));
    const rtt = timing.rtt;
    const start = performance.now();
    const scan = new UdpHostScan({
      ports: order,
      maxRetries: opts.timing.maxRetries,
      defeatIcmpRatelimit: opts.defeatIcmpRatelimit,
      sweepRate,
      minGroupGapMs: Math.max(1, ctx.plan.scanDelayMs),
      start,
      timeouts: {
        // Replies are judged after about the round trip; silence is final
        // only after nmap's retransmission timeout.
        settleMs: () =>
          rtt.srtt === undefined ? rtt.timeout : Math.min(rtt.timeout, 2 * rtt.srtt + 5),
        finalMs: () => rtt.timeout,
      },
    });
    return { i, host, scan, rtt, start, finished: false };
  });
  const byKey = new Map<string, HostRun>(runs.map((r) => [r.host.key, r]));

  const ourV4 = route.family === 4
    ? new DataView(route.sourceBytes.buffer, route.sourceBytes.byteOffset).getUint32(0)
    : 0;
  const ourV6 = route.family === 6 ? v6Key(route.sourceBytes) : "";

  // --- Sending, in order ---
  let cur: ProbeTemplate | undefined;
  let queued = 0;
  const send = (b: FrameBatch) =>
    shaping.fragment && session.sendFragmented
      ? session.sendFragmented(b, queued, shaping.fragment)
      : session.sendBatch(b, queued);
  const flush = () => {
    if (!cur || queued === 0) return;
    for (const d of decoyCopies.get(cur) ?? []) {
      d.dstV4.set(cur.dstV4.subarray(0, queued));
      d.dstV6.set(cur.dstV6.subarray(0, queued * 16));
      d.dstPort.set(cur.dstPort.subarray(0, queued));
      d.srcPort.set(cur.srcPort.subarray(0, queued));
      d.ipId.set(cur.ipId.subarray(0, queued));
      send(core.emitBatch(d, queued));
    }
    const batch = core.emitBatch(cur, queued);
    if (shaping.fragment && session.sendFragmented) {
      session.sendFragmented(batch, queued, shaping.fragment);
      queued = 0;
      return;
    }
    let left = queued - session.sendBatch(batch, queued);
    if (left > 0) {
      // A full socket buffer took part of the batch: offer the rest again,
      // in order, then put the template's index back as emitBatch expects.
      const saved = batch.index.slice(0, queued * 4);
      for (let tries = 0; left > 0 && tries < 4; tries++) {
        const from = queued - left;
        batch.index.copyWithin(0, from * 4, queued * 4);
        left -= session.sendBatch(batch, left);
        batch.index.set(saved);
      }
    }
    queued = 0;
  };
  // Each try carries every payload of its port, back to back from the try's one source port, as
  // nmap's sendIPScanProbe() does: an answer to any of them names the try.
  const emit = (run: HostRun, idx: number, tryNo: number) => {
    const dport = order[idx]!;
    const host = run.host;
    const sport = fixedPort ?? cookies.sourcePort(host.digest, dport, tryNo);
    for (const t of templates[idx]!) {
      if (t !== cur || queued >= t.capacity) {
        flush();
        cur = t;
      }
      if (host.family === 4) t.dstV4[queued] = host.v4;
      else t.dstV6.set(host.v6!, queued * 16);
      t.dstPort[queued] = dport;
      t.srcPort[queued] = sport;
      t.ipId[queued] = (Math.random() * 65536) | 0;
      queued++;
    }
  };

  // --- Receiving ---
  const reply = (
    run: HostRun,
    idx: number,
    tryNo: number,
    kind: UdpReplyKind,
    state: Parameters<UdpHostScan["onReply"]>[3],
    ttl: number,
    at: number,
    from?: string,
  ) => {
    const wasOpen = run.scan.isResolved(idx);
    const rtt = run.scan.onReply(idx, tryNo, kind, state, ttl, at, from);
    if (rtt !== undefined && rtt >= 0) run.rtt.sample(rtt);
    if (!wasOpen && run.scan.isResolved(idx)) {
      listener.port?.(run.host, order[idx]!, run.scan.result(idx)!.state);
    }
  };

  const handle = (rec: ParsedRecords, n: number) => {
    const pollTime = performance.now();
    const origin = performance.timeOrigin;
    for (let i = 0; i < n; i++) {
      if (rec.status(i) !== ParseError.OK) continue;
      const at0 = rec.tsSec(i) * 1000 + rec.tsUsec(i) / 1000 - origin;
      const at = at0 > 0 && at0 <= pollTime ? at0 : pollTime;
      const k = rec.kind(i);
      if (k === Kind.UDP) {
        const fam = rec.family(i);
        const run = byKey.get(fam === 4 ? String(rec.srcV4(i)) : v6Key(rec.srcV6(i)));
        if (!run) continue;
        const sport = rec.srcPort(i);
        const dport = rec.dstPort(i);
        const digest = run.host.digest;
        const idx = orderIndex[sport]!;
        const tryNo = idx >= 0 ? cookies.tryNumber(digest, sport, dport, UDP_MAX_TRIES) : -1;
        if (fixedPort !== undefined) {
          if (dport !== fixedPort || idx < 0) continue;
        } else if (tryNo < 0) {
          // Not from the probed port to one of its tries' ports: nmap credits no such reply (a
          // TFTP server answering from a fresh port, DHCP answering to port 68), and neither
          // do we, so that such ports stay open|filtered as in nmap.
          continue;
        }
        reply(run, idx, tryNo, "udp", { state: "open", reason: "udp-response" }, rec.ttl(i), at);
      } else if (k === Kind.ICMP4 || k === Kind.ICMP6) {
        if (!(rec.flags(i) & RecordFlag.QUOTE_PORTS) || rec.quotedProto(i) !== 17) continue;
        const fam = rec.family(i) as 4 | 6;
        let run: HostRun | undefined;
        let fromTarget: boolean;
        if (fam === 4) {
          if (rec.quotedSrcV4(i) !== ourV4) continue;
          run = byKey.get(String(rec.quotedDstV4(i)));
          fromTarget = run !== undefined && rec.srcV4(i) === run.host.v4;
        } else {
          if (v6Key(rec.quotedSrcV6(i)) !== ourV6) continue;
          const key = v6Key(rec.quotedDstV6(i));
          run = byKey.get(key);
          fromTarget = run !== undefined && v6Key(rec.srcV6(i)) === key;
        }
        if (!run) continue;
        const dport = rec.quotedDstPort(i);
        const idx = orderIndex[dport]!;
        if (idx < 0) continue;
        const tryNo = fixedPort === undefined
          ? cookies.tryNumber(run.host.digest, dport, rec.quotedSrcPort(i), UDP_MAX_TRIES)
          : -1;
        if (fixedPort === undefined ? tryNo < 0 : rec.quotedSrcPort(i) !== fixedPort) continue;
        const type = rec.icmpType(i);
        const v = icmpErrorVerdict(fam, type, rec.icmpCode(i), "udp", fromTarget);
        if (!v) continue;
        // Only the target's own destination-unreachable errors come out of
        // the bucket the pacer measures (and can witness).
        const unreach = fam === 4 ? type === 3 : type === 1;
        const kind: UdpReplyKind = fromTarget && unreach ? "icmp-target" : "icmp-other";
        const from = fromTarget ? undefined : formatSource(rec, i, fam);
        reply(run, idx, tryNo, kind, v, rec.ttl(i), at, from);
      }
    }
  };

  // --- The loop ---
  const finish = (run: HostRun, timedOut: boolean) => {
    if (run.finished) return;
    run.finished = true;
    const now = performance.now();
    for (const r of run.scan.results()) {
      const p = tableIndex.get(r.port)!;
      const v = { state: r.state, reason: r.reason };
      table.set(run.i, p, v, r.reasonTtl, r.reasonAddr);
    }
    reportNotes(ctx, run, now);
    done(run.i, timedOut);
  };
  const hostTimeout = ctx.plan.hostTimeoutMs;
  let active = runs.length;
  // The status line's "% done; ETC" (a key pressed, --stats-every, -v): ports settled so far.
  const total = runs.length * order.length;
  let lastProgress = -Infinity;
  const progress = () => {
    let left = 0;
    for (const r of runs) if (!r.finished) left += r.scan.unresolved;
    ctx.progress?.update(total - left, total);
  };
  while (active > 0) {
    session.poll(handle);
    const now = performance.now();
    if (ctx.signal.aborted) {
      // Ctrl-C: report what is known, decide nothing more.
      for (const r of runs) {
        if (!r.finished) {
          r.scan.abort();
          finish(r, false);
        }
      }
      break;
    }
    let wake = Infinity;
    for (const r of runs) {
      if (r.finished) continue;
      if (hostTimeout > 0 && now - r.start >= hostTimeout) {
        r.scan.abort();
        finish(r, true);
        active--;
        continue;
      }
      for (const p of r.scan.poll(now)) emit(r, p.index, p.tryNo);
      flush();
      if (r.scan.done) {
        finish(r, false);
        active--;
        continue;
      }
      wake = Math.min(wake, r.scan.nextWakeAt(now));
      if (hostTimeout > 0) wake = Math.min(wake, r.start + hostTimeout);
    }
    if (active === 0) break;
    if (ctx.progress && now - lastProgress >= 250) {
      lastProgress = now;
      progress();
    }
    const sleep = Math.min(1000, Math.max(0, wake - performance.now()));
    if (sleep > 0) await session.wait(sleep);
  }
}

function reportNotes(
  ctx: EngineContext,
  run: HostRun,
  now: number,
): void {
  for (const note of run.scan.notes) {
    if (note.startsWith("target sent no ICMP")) {
      ctx.log.warn(`Warning: ${run.host.address}: ${note}.`);
    } else if (ctx.opts.verbose > 0) {
      ctx.log.info(`UDP scan of ${run.host.address}: ${note}.`);
    }
  }
  if (ctx.opts.debug > 0) {
    const s = run.scan.stats(now);
    ctx.log.info(
      `UDP scan of ${run.host.address}: ${s.probesSent} probes in ${s.groups} groups, ` +
        `${s.icmpFromTarget} ICMP errors, fair tries needed ${s.fairTriesNeeded}, ` +
        `loss estimate ${s.lossEstimate.toFixed(4)}` +
        (s.icmpRatePerSecond !== undefined
          ? `, ICMP rate ${s.icmpRatePerSecond.toFixed(3)}/s`
          : "") +
        (s.icmpBurst !== undefined ? `, burst ${s.icmpBurst}` : ""),
    );
  }
}

function formatSource(rec: ParsedRecords, i: number, fam: 4 | 6): string {
  if (fam === 6) return formatIp(rec.srcV6(i).slice());
  const a = rec.srcV4(i);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
