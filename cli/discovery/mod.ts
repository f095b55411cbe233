/**
 * Host discovery, as nmap's massping/arpping do it (see plan.ts for which
 * probes a target gets). Raw pings run on the shared scheduler with the
 * first answer settling a host; connect pings (unprivileged) likewise. Every
 * reply is checked statelessly: ICMP ids, TCP/UDP source ports and seqs are
 * keyed hashes of (host, probe), the try number rides in the ICMP seq or the
 * source port.
 *
 * Sets on each ScanHost: `up`, `statusReason`, `statusReasonTtl`, `mac`,
 * `route` (raw) and `timing` (RTT carried into the port scan).
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind, nmapInit, ParseError, RecordFlag, TcpFlag } from "../../core-wasm/mod.ts";
import type { EngineContext } from "../engine/context.ts";
import { FlowCookies } from "../engine/cookie.ts";
import { type ScanHost, v6Key } from "../engine/host.ts";
import { FrameQueue } from "../engine/frame_queue.ts";
import type { RawSession } from "../engine/raw_session.ts";
import { type RawRoute, sessionKey } from "../engine/route.ts";
import { type HostTiming, type ProbeIo, Scheduler } from "../engine/scheduler.ts";
import { RetryPolicy, RttEstimator } from "../timing/mod.ts";
import { connectVerdict } from "../scans/connect.ts";
import { icmpReason } from "../scans/tcp_rules.ts";
import { tcpProbeModule } from "../scans/tcp_raw.ts";
import { MAX_TRIES, replyTry } from "../scans/probe_scan.ts";
import { sctpInitModule, sctpReplyVerdict } from "../scans/sctp_init.ts";
import { formatMac } from "../../core-wasm/addr.ts";
import { resolveNextHops } from "../engine/next_hop.ts";
import { discoveryMethod, type PingProbe } from "./plan.ts";
import { completedInfo, nameIp } from "../engine/chatter.ts";
import { Connects } from "../engine/connects.ts";

export { DEFAULT_UDP_PING_PORT, discoveryMethod } from "./plan.ts";
export type { DiscoveryMethod, PingProbe, TargetPlace } from "./plan.ts";

/** nmap's INITIAL_ARP_RTT_TIMEOUT: ARP answers fast or not at all. */
const ARP_TIMEOUT_MS = 200;
/** nmap's RLD_TIME_MS, which its ARP/ND ping waits before each new try number: the first
 * frames on a segment just brought up wait for the link, and answer about a second late. */
const ARP_RETRY_HOLD_MS = 1000;
const PING_SALT = 0x50494e47; // "PING"
/**
 * A first contact's second round of pings comes this soon (ms), not after nmap's initial
 * timeout, and a fourth round follows the third: a round's probes leave together, so a burst of
 * drops (a bursty path) takes them all, and three rounds a second apart still lost every one in
 * 50-100 runs of the bursty lab (the host read as down). A round lost to a burst costs a quarter
 * second; a host that is down, a quarter second more.
 */
const EARLY_RETRY_MS = 250;

/** nmap's reason for a TCP or SCTP answer to a ping (scan_engine_raw.cc). */
function pingReason(rec: ParsedRecords, i: number): string {
  if (rec.kind(i) === Kind.SCTP) {
    // INIT ACK or ABORT, and "unknown-response" for any other chunk.
    return sctpReplyVerdict(rec.sctpChunkType(i))?.reason ?? "unknown-response";
  }
  const tf = rec.tcpFlags(i);
  return tf & TcpFlag.RST
    ? "reset"
    : (tf & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)
    ? "syn-ack"
    : "tcp-response";
}

function isLoopbackAddress(h: ScanHost): boolean {
  return h.family === 4 ? h.v4 >>> 24 === 127 : h.address === "::1";
}

/** Timing for a first contact: nmap's initial timeout; three tries (see RetryOptions.minTries),
 * four when the second comes early (see EARLY_RETRY_MS), or nmap's two for ARP/ND, whose second
 * try comes after ARP_RETRY_HOLD_MS. */
function pingTiming(ctx: EngineContext, arp: boolean, early = false): HostTiming {
  const r = ctx.plan.rtt;
  const initial = arp
    ? Math.min(Math.max(r.minRttTimeoutMs, ARP_TIMEOUT_MS), r.initialRttTimeoutMs)
    : r.initialRttTimeoutMs;
  return {
    rtt: new RttEstimator({ ...r, initialRttTimeoutMs: initial }),
    retry: new RetryPolicy({ ...ctx.plan.retry, minTries: arp ? 2 : early ? 4 : 3 }, 1),
  };
}

/**
 * Decide which of `hosts` are up. `privileged`: raw packets available.
 * Hosts whose route cannot be found are reported down (with a warning).
 */
export async function discoverHosts(
  ctx: EngineContext,
  hosts: ScanHost[],
  privileged: boolean,
): Promise<void> {
  const d = ctx.opts.discovery;
  const rawGroups = new Map<
    string,
    { session: string; neighbour: boolean; hosts: ScanHost[]; probes: PingProbe[][] }
  >();
  const connectHosts: ScanHost[] = [];
  const connectProbes: PingProbe[][] = [];
  for (const h of hosts) {
    let route: RawRoute | undefined;
    if (privileged && ctx.raw) {
      try {
        route = ctx.raw.sessions.route(h.address);
        h.route = route;
      } catch (e) {
        ctx.log.warn(`Failed to determine route to ${h.address}: ${(e as Error).message}`);
        h.up = false;
        h.statusReason = "no-route";
        continue;
      }
    }
    const place = {
      family: h.family,
      loopback: route ? route.loopback : isLoopbackAddress(h),
      // nmap ARP/ND-pings only when it sends frames: not with --send-ip (targets.cc).
      onLinkEthernet: !!route && route.onLink && route.linkKind === "ethernet" &&
        ctx.opts.sendMode !== "ip",
    };
    const m = discoveryMethod(d, place, privileged && !!ctx.raw);
    if (m.kind === "assume") {
      h.up = true;
      h.statusReason = m.reason;
      continue;
    }
    if (m.raw && route) {
      // One group per capture session (interface + source), whatever the next hop.
      const session = sessionKey(route);
      const neighbour = m.probes[0]?.type === "arp" || m.probes[0]?.type === "nd";
      const key = `${session}|${neighbour}`;
      let g = rawGroups.get(key);
      if (!g) rawGroups.set(key, g = { session, neighbour, hosts: [], probes: [] });
      g.hosts.push(h);
      g.probes.push(m.probes);
    } else {
      connectHosts.push(h);
      connectProbes.push(m.probes);
    }
  }
  // Groups on one session take turns (ARP/ND first, as nmap puts on-link hosts in a host group
  // of their own): the session has one reader, and two pings polling it at once would steal each
  // other's replies — an on-link gateway's ND answer eaten by the next-hop resolution of a host
  // behind it.
  const bySession = new Map<string, (() => Promise<void>)[]>();
  for (const g of rawGroups.values()) {
    const kind = g.probes[0]?.[0]?.type;
    const title = kind === "arp" ? "ARP Ping Scan" : kind === "nd" ? "ND Ping Scan" : "Ping Scan";
    const turns = bySession.get(g.session) ?? [];
    bySession.set(g.session, turns);
    const run = () => chatty(ctx, title, g.hosts, g.probes, () => rawPing(ctx, g.hosts, g.probes));
    if (g.neighbour) turns.unshift(run);
    else turns.push(run);
  }
  const jobs: Promise<void>[] = [];
  for (const turns of bySession.values()) {
    jobs.push((async () => {
      for (const run of turns) await run();
    })());
  }
  if (connectHosts.length) {
    jobs.push(
      chatty(
        ctx,
        "Ping Scan",
        connectHosts,
        connectProbes,
        () => connectPing(ctx, connectHosts, connectProbes),
      ),
    );
  }
  await Promise.all(jobs);
}

/** Wrap a ping phase in nmap's -v "Initiating / Scanning / Completed" lines. */
async function chatty(
  ctx: EngineContext,
  title: string,
  hosts: ScanHost[],
  probes: PingProbe[][],
  body: () => Promise<void>,
): Promise<void> {
  const names = hosts.map((h) => nameIp(h.address, h.target.userHostname));
  const task = ctx.chatter?.start(title, names, Math.max(...probes.map((l) => l.length)));
  await body();
  if (ctx.hostHint) { for (const h of hosts) if (h.up) ctx.hostHint(h); }
  task?.done(completedInfo("hosts", hosts.length, 0, 0));
}

/** Raw pings to `hosts` (all on `route`); probes[h] lists host h's probes. */
async function rawPing(
  ctx: EngineContext,
  allHosts: ScanHost[],
  allProbes: PingProbe[][],
): Promise<void> {
  const core = ctx.raw!.core;
  // IP probes need each next hop's MAC; hosts behind a silent one are down.
  const ipRoutes = allHosts.filter((_, i) =>
    allProbes[i]!.some((p) => p.type !== "arp" && p.type !== "nd")
  ).map((h) => h.route!);
  const failed = await resolveNextHops(ctx, ipRoutes);
  for (const r of failed) {
    // An on-link target that does not answer ARP/ND is simply down (the
    // kernel would fail the same way); a silent gateway deserves a word.
    if (r.gateway) ctx.log.warn(`Failed to determine dst MAC address for next hop ${r.nextHop}`);
  }
  const keep = allHosts.map((h) => !failed.has(h.route!));
  const hosts = allHosts.filter((_, i) => keep[i]);
  const probes = allProbes.filter((_, i) => keep[i]);
  for (const h of allHosts) if (failed.has(h.route!)) h.statusReason = "no-route";
  if (hosts.length === 0) return;
  const route = hosts[0]!.route!;
  const session: RawSession<ParsedRecords> = ctx.raw!.sessions.get(route);
  const perHost = Math.max(...probes.map((l) => l.length));
  const cookies = ctx.cookies;
  const jar = ctx.jar;
  const byKey = new Map<string, number>();
  hosts.forEach((h, i) => byKey.set(h.key, i));
  const isArp = probes.every((l) => l.every((p) => p.type === "arp" || p.type === "nd"));
  const timings = hosts.map(() => pingTiming(ctx, isArp, !isArp));
  hosts.forEach((h, i) => (h.timing = timings[i]));
  const sched = new Scheduler({
    hosts: hosts.length,
    perHost,
    plan: ctx.plan,
    // nmap's order: every host's echo, then SYN 443, ACK 80, timestamp; the
    // reason shown is the first reply, usually the echo reply.
    randomize: false,
    signal: ctx.signal,
    timings,
    firstAnswerFinishesHost: true,
    retryHoldMs: isArp ? ARP_RETRY_HOLD_MS : 0,
    firstRetryMs: isArp ? 0 : EARLY_RETRY_MS,
  });
  // Hosts with fewer probes than perHost: settle the missing slots at once.
  const probeDigest = (h: number, p: number) => jar.hash3(hosts[h]!.digest, p, PING_SALT);
  const linkType = session.sendLinkType;
  const zeroMac = new Uint8Array(6);

  // --ttl, --data*, --badsum, --ip-options, -g and -D shape pings as they shape port scan probes
  // (nmap's).
  const shaping = ctx.opts.shaping ?? {};
  const fixedPort = shaping.sourcePort;
  const ignoreRst = ctx.opts.discoveryIgnoreRst === true;
  const decoySources = (ctx.decoys ?? []).filter((a): a is string =>
    a !== null && (a.includes(":") ? 6 : 4) === route.family
  );

  const ipOptions = shaping.ipOptions && core.buildIpOptions(shaping.ipOptions);

  /** Probe p of host h, try tryNo; from `src` (a decoy) instead of our address when given. */
  function build(h: number, p: number, tryNo: number, src?: string): Uint8Array | null {
    const host = hosts[h]!;
    const probe = probes[h]![p];
    if (!probe) return null;
    const pd = probeDigest(h, p);
    const base = {
      linkType,
      srcMac: route.srcMac,
      dstMac: host.route?.dstMac ?? zeroMac,
      src: src ?? route.sourceBytes,
      dst: host.family === 4 ? host.v4 : host.v6!,
      ...(shaping.ttl === undefined ? {} : { ttl: shaping.ttl }),
      ...(ipOptions ? { ipOptions } : {}),
    };
    switch (probe.type) {
      case "echo":
        return core.buildIcmpEcho({
          ...base,
          id: pd & 0xffff,
          seq: tryNo,
          payload: shaping.payload,
        });
      case "timestamp":
        return core.buildIcmpTimestamp({
          ...base,
          id: pd & 0xffff,
          seq: tryNo,
          originate: Date.now() % 86_400_000,
        });
      case "mask":
        return core.buildIcmpMask({ ...base, id: pd & 0xffff, seq: tryNo });
      case "syn":
      case "ack": {
        const sport = fixedPort ?? cookies.sourcePort(pd, probe.port, tryNo);
        // -g: the try rides in the seq, as in the port scan (tcp_raw.ts).
        const seq = fixedPort === undefined
          ? cookies.sequence(pd, probe.port, sport)
          : FlowCookies.withTry(cookies.sequence(pd, probe.port, sport), tryNo);
        const flags = probe.type === "syn" ? TcpFlag.SYN : TcpFlag.ACK;
        return core.buildTcp({
          ...base,
          srcPort: sport,
          dstPort: probe.port,
          seq,
          ack: flags === TcpFlag.ACK ? seq : 0,
          flags,
          window: 1024,
          options: flags === TcpFlag.SYN ? [{ kind: "mss", value: 1460 }] : undefined,
          payload: shaping.payload,
          badChecksum: shaping.badsum,
        });
      }
      case "sctp": {
        // -PY: the -sY module's INIT; the tag (initiate tag) as the port scan's.
        const sport = fixedPort ?? cookies.sourcePort(pd, probe.port, tryNo);
        const cookie = cookies.sequence(pd, probe.port, sport);
        return core.buildSctp({
          ...base,
          srcPort: sport,
          dstPort: probe.port,
          vtag: 0,
          chunks: [
            nmapInit(fixedPort === undefined ? cookie : FlowCookies.withTry(cookie, tryNo), pd),
          ],
          badChecksum: shaping.badsum,
          adler32: ctx.opts.adler32,
        });
      }
      case "udp":
        return core.buildUdp({
          ...base,
          srcPort: fixedPort ?? cookies.sourcePort(pd, probe.port, tryNo),
          dstPort: probe.port,
          payload: shaping.payload,
          badChecksum: shaping.badsum,
        });
      case "proto": {
        // -PO: the -sO probe of the protocol; the source port and tag as the port scan's.
        const srcPort = fixedPort ?? cookies.sourcePort(pd, probe.protocol, tryNo);
        return core.buildProtocolProbe({
          ...base,
          protocol: probe.protocol,
          srcPort,
          tag: cookies.sequence(pd, probe.protocol, srcPort),
          payload: shaping.payload,
          badChecksum: shaping.badsum,
        });
      }
      case "arp":
        return core.buildArpRequest({
          senderMac: route.srcMac,
          senderIp: route.sourceBytes,
          targetIp: host.v4,
        });
      case "nd":
        return core.buildNeighborSolicitation({
          srcMac: route.srcMac,
          src: route.sourceBytes,
          target: host.v6!,
        });
      default:
        return null;
    }
  }

  // A probe with no frame, or with decoys' copies, unpairs the send's stamps (FrameQueue).
  const queue = new FrameQueue(session, shaping.fragment, 256, 256 * 128);
  const io: ProbeIo = {
    emit(h, p, tryNo) {
      const f = build(h, p, tryNo);
      if (!f) return queue.unpair(), true; // no such probe for this host: nothing to send
      const type = probes[h]![p]!.type;
      // -D: the decoys' copies first (never of ARP/ND).
      const frames = type === "arp" || type === "nd"
        ? [f]
        : [...decoySources.map((src) => build(h, p, tryNo, src)!), f];
      return queue.push(frames);
    },
    flush: () => queue.flush(),
    poll() {
      session.poll(handle);
    },
    async wait(ms) {
      await session.wait(ms);
    },
  };

  // The port scan's modules for the TCP and SCTP pings (their probes are built below, one by one).
  const moduleShaping = {
    ttl: shaping.ttl ?? 64,
    payload: shaping.payload,
    badsum: shaping.badsum,
  };
  const pingModules = {
    syn: tcpProbeModule("syn", moduleShaping),
    ack: tcpProbeModule("ack", moduleShaping),
    sctp: sctpInitModule(moduleShaping),
  };

  const protocolPings = probes.some((l) => l.some((p) => p.type === "proto"));

  // On a shared Ethernet the reply's source MAC is the host's (nmap's
  // setTargetMACIfAvailable), even when ARP ping was not used.
  const learnMac = route.onLink && route.linkKind === "ethernet";
  let recs: ParsedRecords | undefined;
  let recIndex = 0;

  function up(h: number, p: number, tryNo: number, at: number, reason: string, ttl?: number) {
    if (!sched.answer(h, p, tryNo, at)) return false;
    const host = hosts[h]!;
    host.up = true;
    host.statusReason = reason;
    host.statusReasonTtl = ttl;
    if (learnMac && !host.mac && recs) {
      host.mac = { addr: formatMac(recs.srcMac(recIndex)), addrtype: "mac" };
    }
    return true;
  }

  function hostOf(rec: ParsedRecords, i: number): number | undefined {
    return byKey.get(rec.family(i) === 4 ? String(rec.srcV4(i)) : v6Key(rec.srcV6(i)));
  }

  /**
   * -PO (nmap's ping with rawprotoscan): an ICMP protocol or port unreachable from the host
   * quoting a protocol probe, or any other packet from it in a protocol probed, proves it up.
   * True when the record was an answer to a protocol probe.
   */
  function protocolAnswer(rec: ParsedRecords, i: number, at: number): boolean {
    const h = hostOf(rec, i);
    if (h === undefined) return false;
    const list = probes[h]!;
    const k = rec.kind(i);
    const fam = rec.family(i) as 4 | 6;
    const type = rec.icmpType(i);
    const isError = (k === Kind.ICMP4 && (type === 3 || type === 4 || type === 11)) ||
      (k === Kind.ICMP6 && type < 128);
    let proto = rec.ipProto(i);
    if (isError) {
      if (!(rec.flags(i) & RecordFlag.QUOTE)) return false;
      const qdst = fam === 4 ? String(rec.quotedDstV4(i)) : v6Key(rec.quotedDstV6(i));
      if (qdst !== hosts[h]!.key) return false;
      proto = rec.quotedProto(i);
    }
    const p = list.findIndex((x) => x.type === "proto" && x.protocol === proto);
    if (p < 0) return false;
    const code = rec.icmpCode(i);
    const tryNo = sched.triesSent(h, p) - 1;
    if (tryNo < 0) return false;
    if (!isError) return up(h, p, tryNo, at, "proto-response", rec.ttl(i)), true;
    // Other unreachables are hints, not proof (RFC 1122), as nmap reads them.
    const proof = fam === 4 ? type === 3 && (code === 2 || code === 3) : type === 1 && code === 4;
    if (proof) up(h, p, tryNo, at, icmpReason(fam, type, code), rec.ttl(i));
    return true;
  }

  function handle(rec: ParsedRecords, n: number): void {
    const pollTime = performance.now();
    recs = rec;
    for (let i = 0; i < n; i++) {
      if (rec.status(i) !== ParseError.OK) continue;
      recIndex = i;
      const at0 = rec.tsSec(i) * 1000 + rec.tsUsec(i) / 1000 - performance.timeOrigin;
      const at = at0 > 0 && at0 <= pollTime ? at0 : pollTime;
      if (protocolPings && protocolAnswer(rec, i, at)) continue;
      const k = rec.kind(i);
      if (k === Kind.ARP) {
        if (rec.arpOp(i) !== 2) continue;
        const h = byKey.get(String(rec.arpSenderIp(i)));
        if (h === undefined) continue;
        const p = probes[h]!.findIndex((x) => x.type === "arp");
        if (p < 0) continue;
        const t = sched.triesSent(h, p) - 1;
        if (up(h, p, t, at, "arp-response")) {
          const mac = rec.arpSenderMac(i);
          hosts[h]!.mac = { addr: formatMac(mac), addrtype: "mac" };
          const r = hosts[h]!.route;
          if (r && r.nextHop === hosts[h]!.address) r.dstMac ??= mac.slice();
        }
      } else if (k === Kind.NDP_NA) {
        const h = byKey.get(v6Key(rec.ndpTarget(i)));
        if (h === undefined) continue;
        const p = probes[h]!.findIndex((x) => x.type === "nd");
        if (p < 0) continue;
        const t = sched.triesSent(h, p) - 1;
        if (up(h, p, t, at, "nd-response")) {
          const mac = rec.ndpLinkAddr(i) ?? rec.srcMac(i);
          hosts[h]!.mac = { addr: formatMac(mac), addrtype: "mac" };
          const r = hosts[h]!.route;
          if (r && r.nextHop === hosts[h]!.address) r.dstMac ??= mac.slice();
        }
      } else if (k === Kind.ICMP4 || k === Kind.ICMP6) {
        const type = rec.icmpType(i);
        const fam = rec.family(i) as 4 | 6;
        const isReply = fam === 4 ? type === 0 || type === 14 || type === 18 : type === 129;
        if (isReply) {
          const h = hostOf(rec, i);
          if (h === undefined) continue;
          const want = type === 0 || type === 129 ? "echo" : type === 14 ? "timestamp" : "mask";
          const p = probes[h]!.findIndex((x) => x.type === want);
          if (p < 0 || rec.icmpId(i) !== (probeDigest(h, p) & 0xffff)) continue;
          const tryNo = rec.icmpSeq(i);
          if (tryNo >= MAX_TRIES) continue;
          up(h, p, tryNo, at, icmpReason(fam, type, rec.icmpCode(i)), rec.ttl(i));
          continue;
        }
        // An error quoting our UDP/TCP/ICMP probe, sent by the target itself
        // (port or protocol unreachable): the host is up.
        if (!(rec.flags(i) & RecordFlag.QUOTE)) continue;
        const h = hostOf(rec, i);
        if (h === undefined) continue;
        const host = hosts[h]!;
        const qdst = fam === 4 ? String(rec.quotedDstV4(i)) : v6Key(rec.quotedDstV6(i));
        if (qdst !== host.key) continue;
        const qp = rec.quotedProto(i);
        const match = matchQuoted(h, qp, rec, i);
        if (!match) continue;
        up(h, match.p, match.tryNo, at, icmpReason(fam, type, rec.icmpCode(i)), rec.ttl(i));
      } else if (k === Kind.TCP || k === Kind.SCTP) {
        // SYN, ACK and SCTP INIT pings: the port scan's probe modules validate the replies.
        // --discovery-ignore-rst: a RST is dropped unread, as nmap's get_ping_pcap_result does.
        if (ignoreRst && k === Kind.TCP && rec.tcpFlags(i) & TcpFlag.RST) continue;
        const h = hostOf(rec, i);
        if (h === undefined) continue;
        const port = rec.srcPort(i);
        const list = probes[h]!;
        for (let p = 0; p < list.length; p++) {
          const pr = list[p]!;
          if (pr.type !== "syn" && pr.type !== "ack" && pr.type !== "sctp") continue;
          const module = pingModules[pr.type];
          if (module.replyKind !== k || pr.port !== port) continue;
          const tryNo = replyTry(
            cookies,
            probeDigest(h, p),
            port,
            rec.dstPort(i),
            fixedPort,
            module,
            rec,
            i,
            false,
          );
          if (tryNo < 0) continue;
          up(h, p, tryNo, at, pingReason(rec, i), rec.ttl(i));
          break;
        }
      } else if (k === Kind.UDP) {
        const h = hostOf(rec, i);
        if (h === undefined) continue;
        const port = rec.srcPort(i);
        const list = probes[h]!;
        for (let p = 0; p < list.length; p++) {
          const pr = list[p]!;
          if (pr.type !== "udp" || pr.port !== port) continue;
          // -g: a datagram's try cannot be told; the first stands for it.
          const tryNo = fixedPort === undefined
            ? cookies.tryNumber(probeDigest(h, p), port, rec.dstPort(i), MAX_TRIES)
            : rec.dstPort(i) === fixedPort
            ? 0
            : -1;
          if (tryNo < 0) continue;
          up(h, p, tryNo, at, "udp-response", rec.ttl(i));
          break;
        }
      }
    }
  }

  function matchQuoted(
    h: number,
    proto: number,
    rec: ParsedRecords,
    i: number,
  ): { p: number; tryNo: number } | null {
    const list = probes[h]!;
    for (let p = 0; p < list.length; p++) {
      const pr = list[p]!;
      const pd = probeDigest(h, p);
      if (
        (proto === 1 || proto === 58) &&
        (pr.type === "echo" || pr.type === "timestamp" || pr.type === "mask")
      ) {
        if (rec.quotedIcmpId(i) === (pd & 0xffff)) return { p, tryNo: rec.quotedIcmpSeq(i) };
      } else if (proto === 6 && (pr.type === "syn" || pr.type === "ack")) {
        if (rec.quotedDstPort(i) !== pr.port) continue;
        const module = pingModules[pr.type];
        const sport = rec.quotedSrcPort(i);
        const tryNo = replyTry(cookies, pd, pr.port, sport, fixedPort, module, rec, i, true);
        if (tryNo >= 0) return { p, tryNo };
      } else if ((proto === 17 && pr.type === "udp") || (proto === 132 && pr.type === "sctp")) {
        // A UDP quote has nothing keyed but the port; an SCTP one quotes our zero verification
        // tag: the source-port cookie vouches alone (-g: the try cannot be told; the first).
        if (rec.quotedDstPort(i) !== pr.port) continue;
        const tryNo = fixedPort === undefined
          ? cookies.tryNumber(pd, pr.port, rec.quotedSrcPort(i), MAX_TRIES)
          : rec.quotedSrcPort(i) === fixedPort
          ? 0
          : -1;
        if (tryNo >= 0) return { p, tryNo };
      }
    }
    return null;
  }

  await sched.run(io, { silent() {}, hostDone() {} });
}

/** Unprivileged discovery: TCP connects (a refusal proves the host is up). */
async function connectPing(
  ctx: EngineContext,
  hosts: ScanHost[],
  probes: PingProbe[][],
): Promise<void> {
  const perHost = Math.max(...probes.map((l) => l.length));
  const timings = hosts.map(() => pingTiming(ctx, false));
  hosts.forEach((h, i) => (h.timing = timings[i]));
  const sched = new Scheduler({
    hosts: hosts.length,
    perHost,
    plan: ctx.plan,
    randomize: true,
    signal: ctx.signal,
    timings,
    firstAnswerFinishesHost: true,
    maxInFlight: 256,
    // Connect completions come through the event loop, not in send order.
    rack: false,
  });
  // Descriptors are budgeted; a local shortage withdraws the attempt (see Connects).
  using conns = new Connects(sched);
  const io: ProbeIo = {
    emit(h, p, tryNo) {
      const probe = probes[h]![p];
      if (probe?.type === "connect") conns.open(h, p, tryNo, hosts[h]!.address, probe.port);
      return true;
    },
    flush() {},
    poll() {
      for (const f of conns.drain()) {
        const v = connectVerdict(f.error);
        if (!v || v.state === "filtered") continue;
        // --discovery-ignore-rst: a refused connect (the target's RST) does not prove it up.
        if (v.state === "closed" && ctx.opts.discoveryIgnoreRst) continue;
        if (sched.answer(f.h, f.p, f.tryNo, f.at)) {
          hosts[f.h]!.up = true;
          hosts[f.h]!.statusReason = v.reason;
        }
        // The first answer settles the host: its other connects are moot.
        if (sched.isHostDone(f.h)) { for (let p = 0; p < perHost; p++) conns.settle(f.h, p); }
      }
    },
    wait: (ms) => conns.wait(ms),
    room: () => conns.room(),
  };
  await sched.run(io, { silent() {}, hostDone() {} });
}
