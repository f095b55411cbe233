/**
 * The raw TCP scans: -sS, -sF, -sN, -sX, -sA, -sW, -sM and --scanflags, as a
 * zmap-style probe module on the shared scheduler.
 *
 * - make: one template per session (Ethernet/IP/TCP headers built once, MSS
 *   option on SYNs as nmap sends); per probe only destination, ports, seq,
 *   ack and IP ID are patched (core-wasm emitBatch, RFC 1624 checksums).
 * - validate: statelessly. The source port encodes the try number and the
 *   seq is a keyed hash of the flow (cookie.ts); a TCP reply must come from
 *   a scanned host and port, to a port and with an ack (or seq, for RSTs to
 *   ACK probes) that only the holder of this run's key could predict. ICMP
 *   errors must quote our source, the target, both ports and the seq.
 * - process: nmap's rules (tcp_rules.ts) give state and reason; TTL kept.
 *
 * @module
 */

import type { ParsedRecords, ProbeTemplate } from "../../core-wasm/mod.ts";
import { Kind, ParseError, RecordFlag, TcpFlag } from "../../core-wasm/mod.ts";
import type { EngineContext } from "../engine/context.ts";
import { FlowCookies } from "../engine/cookie.ts";
import { type ScanHost, v6Key } from "../engine/host.ts";
import { type RawSession, sessionTemplateBase } from "../engine/raw_session.ts";
import { newHostTiming, type ProbeIo, Scheduler } from "../engine/scheduler.ts";
import { PortTable } from "./port_table.ts";
import { formatIp, formatMac } from "../../core-wasm/addr.ts";
import {
  icmpErrorVerdict,
  type RawTcpScanKind,
  SCAN_FLAGS,
  silenceVerdict,
  tcpReplyVerdict,
} from "./tcp_rules.ts";

/** nmap sends raw probes with a random TTL (37..59); one per run here. */
const RUN_TTL = 37 + Math.floor(Math.random() * 23);

const templates = new WeakMap<object, Map<string, ProbeTemplate>>();
const portIndexes = new WeakMap<readonly number[], Int32Array>();

/** port number → index in `ports` (-1: not scanned), shared by every group of a run. */
function portIndexOf(ports: readonly number[]): Int32Array {
  let idx = portIndexes.get(ports);
  if (!idx) {
    idx = new Int32Array(65536).fill(-1);
    ports.forEach((p, i) => (idx![p] = i));
    portIndexes.set(ports, idx);
  }
  return idx;
}

/** Tries the cookie decoder accepts (beyond any allowance the policy gives). */
export const MAX_TRIES = 64;

const TEMPLATE_CAPACITY = 512;

/** Callbacks while a scan runs (verbose lines, per-host completion). */
export interface ScanListener {
  /** A port's verdict became known (for "Discovered open port"). */
  port?(host: ScanHost, port: number, state: string): void;
  /** All ports of a host are settled; `table.results(h)` are its ports. */
  hostDone?(host: ScanHost, h: number, table: PortTable, timedOut: boolean): void;
}

/**
 * Scan `ports` on `hosts` (all reachable through `session`) with raw TCP
 * probes of scan `kind` (`flags` overrides the probe flags: --scanflags).
 * Fills and returns a PortTable; silent ports get nmap's no-response state.
 */
export async function rawTcpScan(
  ctx: EngineContext,
  session: RawSession<ParsedRecords>,
  hosts: ScanHost[],
  ports: readonly number[],
  kind: RawTcpScanKind,
  listener: ScanListener = {},
  flags: number = SCAN_FLAGS[kind],
): Promise<PortTable> {
  const core = ctx.raw!.core;
  const route = session.route;
  const table = new PortTable(hosts.length, ports, "tcp");
  const silence = silenceVerdict(kind);
  const cookies = ctx.cookies;
  const H = hosts.length;
  const shaping = ctx.opts.shaping ?? {};
  // -g: every probe leaves from one port, so the try number rides in the seq (as nmap's does).
  const fixedPort = shaping.sourcePort;
  // A RST acknowledges the probe's payload too (RFC 9293 3.10.7.1); a SYN-ACK only the SYN.
  const payloadLen = shaping.payload?.length ?? 0;

  // Reply → host: numeric keys for IPv4 (no string per reply), bytes-as-text for IPv6.
  const byV4 = new Map<number, number>();
  const byKey = new Map<string, number>();
  hosts.forEach((h, i) => (h.family === 4 ? byV4.set(h.v4, i) : byKey.set(h.key, i)));
  const portIndex = portIndexOf(ports);

  // Templates live in the core's fixed memory and are never freed: one per
  // session and flags for the whole run, however many host groups pass.
  let perSession = templates.get(session);
  if (!perSession) templates.set(session, perSession = new Map());
  // One run has one shaping, so the flags and the source key a session's templates. -D: a
  // template per decoy source as well, patched like ours (ours is null).
  const sources = (ctx.decoys ?? [null]).filter((a) =>
    a === null || (a.includes(":") ? 6 : 4) === route.family
  );
  const templateFor = (src: string | null): ProbeTemplate => {
    const key = `${flags}/${src ?? "me"}`;
    let template = perSession!.get(key);
    if (template) return template;
    template = core.probeTemplate({
      protocol: "tcp",
      ...sessionTemplateBase(session),
      ...(src === null ? {} : { src }),
      flags,
      // nmap's window 1024 and MSS 1460 on SYNs; a random TTL as nmap's (per run).
      window: 1024,
      ttl: shaping.ttl ?? RUN_TTL,
      options: flags & TcpFlag.SYN ? [{ kind: "mss", value: 1460 }] : undefined,
      payload: shaping.payload,
      badChecksum: shaping.badsum,
      capacity: TEMPLATE_CAPACITY,
    });
    perSession!.set(key, template);
    return template;
  };
  const tpl: ProbeTemplate = templateFor(null);
  const decoyTpls = sources.filter((a) => a !== null).map(templateFor);
  const carriesAck = (flags & TcpFlag.ACK) !== 0;
  const seqSpace = FlowCookies.sequenceSpace(flags);

  const sched = new Scheduler({
    hosts: H,
    perHost: ports.length,
    plan: ctx.plan,
    randomize: ctx.opts.randomizePorts,
    signal: ctx.signal,
    onProgress: ctx.progress && ((d, t) => ctx.progress!.update(d, t)),
    timings: hosts.map((h) => (h.timing ??= newHostTiming(ctx.plan, ports.length))),
  });

  // Hosts may sit behind different next hops on the session's link (a LAN),
  // and a cached template serves many groups: on Ethernet every frame gets
  // its host's next-hop MAC written after the template is patched.
  const ethernet = session.sendLinkType === 1;
  const zeroMac = new Uint8Array(6);
  const macOf = hosts.map((h) => h.route?.dstMac ?? route.dstMac ?? zeroMac);
  const queuedMac: Uint8Array[] = new Array(TEMPLATE_CAPACITY);
  let queued = 0;
  let ipIdState = (Math.random() * 0x7fffffff) | 1;
  const send = (t: ProbeTemplate) => {
    const batch = core.emitBatch(t, queued);
    if (ethernet) {
      for (let k = 0; k < queued; k++) batch.data.set(queuedMac[k]!, batch.index[k * 4]!);
    }
    if (shaping.fragment) session.sendFragmented(batch, queued, shaping.fragment);
    else session.sendBatch(batch, queued);
  };
  const io: ProbeIo = {
    emit(h, p, tryNo) {
      if (queued >= TEMPLATE_CAPACITY) return false;
      const host = hosts[h]!;
      queuedMac[queued] = macOf[h]!;
      const dport = ports[p]!;
      const sport = fixedPort ?? cookies.sourcePort(host.digest, dport, tryNo);
      const seq = fixedPort === undefined
        ? cookies.sequence(host.digest, dport, sport)
        : FlowCookies.withTry(cookies.sequence(host.digest, dport, sport), tryNo);
      if (host.family === 4) tpl.dstV4[queued] = host.v4;
      else tpl.dstV6.set(host.v6!, queued * 16);
      tpl.dstPort[queued] = dport;
      tpl.srcPort[queued] = sport;
      tpl.seq[queued] = seq;
      tpl.ack[queued] = carriesAck ? seq : 0;
      // xorshift32 for the IP ID: Math.random() would box a double per probe.
      ipIdState ^= ipIdState << 13;
      ipIdState ^= ipIdState >>> 17;
      ipIdState ^= ipIdState << 5;
      tpl.ipId[queued] = ipIdState & 0xffff;
      queued++;
      return true;
    },
    flush() {
      if (queued === 0) return;
      // -D: the decoys' copies first, then ours, whose send time the scheduler keeps.
      for (const d of decoyTpls) {
        d.dstV4.set(tpl.dstV4.subarray(0, queued));
        d.dstV6.set(tpl.dstV6.subarray(0, queued * 16));
        d.dstPort.set(tpl.dstPort.subarray(0, queued));
        d.srcPort.set(tpl.srcPort.subarray(0, queued));
        d.seq.set(tpl.seq.subarray(0, queued));
        d.ack.set(tpl.ack.subarray(0, queued));
        d.ipId.set(tpl.ipId.subarray(0, queued));
        send(d);
      }
      send(tpl);
      queued = 0;
      return session.lastSend;
    },
    poll() {
      session.poll(handle);
    },
    async wait(ms) {
      await session.wait(ms);
    },
  };

  // On a shared Ethernet a reply's source MAC is the host's (nmap shows it).
  const learnMac = hosts.map((h) => !!h.route?.onLink && h.route.linkKind === "ethernet");
  const ourV4 = route.family === 4
    ? new DataView(route.sourceBytes.buffer, route.sourceBytes.byteOffset).getUint32(0)
    : 0;
  const ourV6 = route.family === 6 ? v6Key(route.sourceBytes) : "";

  function handle(rec: ParsedRecords, n: number): void {
    const pollTime = performance.now();
    const origin = performance.timeOrigin;
    for (let i = 0; i < n; i++) {
      if (rec.status(i) !== ParseError.OK) continue;
      // The capture's timestamp is when the reply arrived; polling comes later.
      const at = rec.tsSec(i) * 1000 + rec.tsUsec(i) / 1000 - origin;
      sched.replyAt = at > 0 && at <= pollTime ? at : pollTime;
      const k = rec.kind(i);
      if (k === Kind.TCP) {
        const h = rec.family(i) === 4 ? byV4.get(rec.srcV4(i)) : byKey.get(v6Key(rec.srcV6(i)));
        if (h === undefined) continue;
        const dport = rec.srcPort(i);
        const p = portIndex[dport]!;
        if (p < 0) continue;
        const host = hosts[h]!;
        const sport = rec.dstPort(i);
        const tf = rec.tcpFlags(i);
        let tryNo: number;
        if (fixedPort === undefined) {
          tryNo = cookies.tryNumber(host.digest, dport, sport, MAX_TRIES);
          if (tryNo < 0) continue;
          const seq = cookies.sequence(host.digest, dport, sport);
          if (
            !FlowCookies.matches(seq, tf, rec.seq(i), rec.ack(i), seqSpace) &&
            !(payloadLen &&
              FlowCookies.matches(seq, tf, rec.seq(i), rec.ack(i), seqSpace + payloadLen))
          ) continue;
        } else {
          if (sport !== fixedPort) continue;
          const base = cookies.sequence(host.digest, dport, sport);
          const got = tf & TcpFlag.ACK ? rec.ack(i) - seqSpace : rec.seq(i);
          tryNo = FlowCookies.tryOf(base, got, MAX_TRIES);
          if (tryNo < 0 && payloadLen && tf & TcpFlag.ACK) {
            tryNo = FlowCookies.tryOf(base, got - payloadLen, MAX_TRIES);
          }
          if (tryNo < 0) continue;
        }
        const v = tcpReplyVerdict(kind, tf, rec.window(i));
        if (!v) continue;
        if (sched.answer(h, p, tryNo)) {
          table.set(h, p, v, rec.ttl(i));
          if (learnMac[h] && !host.mac) {
            host.mac = { addr: formatMac(rec.srcMac(i)), addrtype: "mac" };
          }
          listener.port?.(host, dport, v.state);
        }
      } else if (k === Kind.ICMP4 || k === Kind.ICMP6) {
        if (!(rec.flags(i) & RecordFlag.QUOTE_PORTS) || rec.quotedProto(i) !== 6) continue;
        const fam = rec.family(i) as 4 | 6;
        let h: number | undefined;
        let fromTarget: boolean;
        if (fam === 4) {
          if (rec.quotedSrcV4(i) !== ourV4) continue;
          h = byV4.get(rec.quotedDstV4(i));
          fromTarget = h !== undefined && rec.srcV4(i) === hosts[h]!.v4;
        } else {
          if (v6Key(rec.quotedSrcV6(i)) !== ourV6) continue;
          const key = v6Key(rec.quotedDstV6(i));
          h = byKey.get(key);
          fromTarget = h !== undefined && v6Key(rec.srcV6(i)) === key;
        }
        if (h === undefined) continue;
        const host = hosts[h]!;
        const dport = rec.quotedDstPort(i);
        const p = portIndex[dport]!;
        if (p < 0) continue;
        const sport = rec.quotedSrcPort(i);
        let tryNo: number;
        if (fixedPort === undefined) {
          tryNo = cookies.tryNumber(host.digest, dport, sport, MAX_TRIES);
          if (tryNo < 0) continue;
          if (rec.quotedSeq(i) >>> 0 !== cookies.sequence(host.digest, dport, sport) >>> 0) {
            continue;
          }
        } else {
          if (sport !== fixedPort) continue;
          const base = cookies.sequence(host.digest, dport, sport);
          tryNo = FlowCookies.tryOf(base, rec.quotedSeq(i), MAX_TRIES);
          if (tryNo < 0) continue;
        }
        const v = icmpErrorVerdict(fam, rec.icmpType(i), rec.icmpCode(i), "tcp", fromTarget);
        if (!v) continue;
        if (sched.answer(h, p, tryNo)) {
          const from = fromTarget ? undefined : formatSource(rec, i, fam);
          table.set(h, p, v, rec.ttl(i), from);
          listener.port?.(host, dport, v.state);
        }
      }
    }
  }

  await sched.run(io, {
    silent(h, p) {
      table.set(h, p, silence);
    },
    hostDone(h, timedOut) {
      const host = hosts[h]!;
      if (timedOut) host.timedOut = true;
      listener.hostDone?.(host, h, table, timedOut);
    },
  });
  return table;
}

function formatSource(rec: ParsedRecords, i: number, fam: 4 | 6): string {
  if (fam === 6) return formatIp(rec.srcV6(i).slice());
  const a = rec.srcV4(i);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
