/**
 * -sO, the IP protocol scan, as nmap 7.93 does it (scan_engine_raw.cc): the "ports" are IP
 * protocol numbers, each probed with the core's protocol probe (core-wasm/protocol_probe.ts:
 * a header for ICMP, IGMP, TCP, UDP, SCTP and ICMPv6, an IP header alone for the rest).
 *
 * nmap's rules, which this driver keeps:
 * - any packet from the target in a protocol probed (and sent) opens it: "proto-response";
 * - IPv4: any ICMP from the target opens ICMP (1) once its probe is out — "echo-reply" for an
 *   echo reply, else the ICMP message's own reason (nmap's protoscanicmphack);
 * - an ICMP error quoting one of our probes decides the quoted protocol: protocol unreachable
 *   from the target closed (ICMPv6: parameter problem, unrecognised next header), port
 *   unreachable from the target open (the UDP/TCP/SCTP layer was reached), other unreachables
 *   and time exceeded filtered (ICMPv6 "erroneous header field": open);
 * - silence: open|filtered.
 *
 * nmap matches replies by address and protocol only, so a reply answers the latest try. The
 * protocols' probes differ in kind, so each is built whole by the core (at most 256 per host);
 * the shared template driver (probe_scan.ts) patches one kind of probe and is not used here.
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind, ParseError, RecordFlag } from "../../core-wasm/mod.ts";
import { formatIp, formatMac } from "../../core-wasm/addr.ts";
import type { EngineContext } from "../engine/context.ts";
import { type ScanHost, v6Key } from "../engine/host.ts";
import type { Verdict } from "../engine/probe_module.ts";
import { FrameQueue } from "../engine/frame_queue.ts";
import type { RawSession } from "../engine/raw_session.ts";
import { newHostTiming, type ProbeIo, Scheduler } from "../engine/scheduler.ts";
import { PortTable } from "./port_table.ts";
import { RUN_TTL, runToTable, type ScanListener } from "./probe_scan.ts";
import { icmpReason } from "./tcp_rules.ts";

/** nmap's verdict for a protocol that never answered. */
export const PROTOCOL_SILENT: Verdict = Object.freeze({
  state: "open|filtered",
  reason: "no-response",
});
const PROTO_RESPONSE: Verdict = Object.freeze({ state: "open", reason: "proto-response" });

/**
 * nmap's -sO verdict for an ICMP (IPv4) or ICMPv6 error quoting our probe; `fromTarget`: sent
 * by the scanned host itself. Null for messages nmap does not act on.
 */
export function protocolIcmpVerdict(
  family: 4 | 6,
  type: number,
  code: number,
  fromTarget: boolean,
): Verdict | null {
  const reason = icmpReason(family, type, code);
  const v = (state: Verdict["state"]): Verdict => ({ state, reason });
  if (family === 4) {
    if (type === 11) return v("filtered");
    if (type !== 3) return null;
    if (code === 2) return v(fromTarget ? "closed" : "filtered");
    if (code === 3) return v(fromTarget ? "open" : "filtered");
    if (code === 0 || code === 1 || code === 9 || code === 10 || code === 13) return v("filtered");
    return null;
  }
  if (type === 1) {
    if (code === 4) return v(fromTarget ? "open" : "filtered");
    return code <= 6 ? v("filtered") : null;
  }
  if (type === 4) {
    if (code === 0) return v("open");
    if (code === 1) return v(fromTarget ? "closed" : "filtered");
  }
  return null;
}

/** The reason ICMP (1) is open for when ICMP message `type`/`code` came from the target. */
export function icmpOpenReason(type: number, code: number): string {
  return type === 0 && code === 0 ? "echo-reply" : icmpReason(4, type, code);
}

/**
 * Scan IP protocols `protocols` (0..255) on `hosts`, all reachable through `session` (next-hop
 * MACs resolved). Fills and returns a PortTable of protocol "ip".
 */
export async function protocolScan(
  ctx: EngineContext,
  session: RawSession<ParsedRecords>,
  hosts: ScanHost[],
  protocols: readonly number[],
  listener: ScanListener = {},
): Promise<PortTable> {
  const core = ctx.raw!.core;
  const route = session.route;
  const table = new PortTable(hosts.length, protocols, "ip");
  const cookies = ctx.cookies;
  const shaping = ctx.opts.shaping ?? {};
  const fixedPort = shaping.sourcePort;
  const ttl = shaping.ttl ?? RUN_TTL;
  const P = protocols.length;

  const byKey = new Map<string, number>();
  hosts.forEach((h, i) => byKey.set(h.key, i));
  const protoIndex = new Int16Array(256).fill(-1);
  protocols.forEach((n, i) => (protoIndex[n] = i));
  const icmpP = route.family === 4 ? protoIndex[1]! : -1;
  // The IP ID of each protocol's latest probe: on loopback our own probe is captured too.
  const sentIpId = new Int32Array(hosts.length * P).fill(-1);

  const sched = new Scheduler({
    hosts: hosts.length,
    perHost: P,
    plan: ctx.plan,
    randomize: ctx.opts.randomizePorts,
    signal: ctx.signal,
    onProgress: ctx.progress && ((d, t) => ctx.progress!.update(d, t)),
    timings: hosts.map((h) => (h.timing ??= newHostTiming(ctx.plan, P))),
  });

  const zeroMac = new Uint8Array(6);
  const decoySources = (ctx.decoys ?? []).filter((a): a is string =>
    a !== null && (a.includes(":") ? 6 : 4) === route.family
  );
  const queue = new FrameQueue(session, shaping.fragment);
  let ipIdState = (Math.random() * 0x7fffffff) | 1;

  function build(h: number, p: number, tryNo: number, ipId: number, src?: string): Uint8Array {
    const host = hosts[h]!;
    const protocol = protocols[p]!;
    const srcPort = fixedPort ?? cookies.sourcePort(host.digest, protocol, tryNo);
    return core.buildProtocolProbe({
      linkType: session.sendLinkType,
      srcMac: route.srcMac,
      dstMac: host.route?.dstMac ?? route.dstMac ?? zeroMac,
      src: src ?? route.sourceBytes,
      dst: host.family === 4 ? host.v4 : host.v6!,
      ttl,
      ipId,
      protocol,
      srcPort,
      tag: cookies.sequence(host.digest, protocol, srcPort),
      payload: shaping.payload,
      badChecksum: shaping.badsum,
    });
  }

  const io: ProbeIo = {
    emit(h, p, tryNo) {
      ipIdState ^= ipIdState << 13;
      ipIdState ^= ipIdState >>> 17;
      ipIdState ^= ipIdState << 5;
      const ipId = ipIdState & 0xffff;
      // -D: the decoys' copies first, then ours.
      const frames = [
        ...decoySources.map((s) => build(h, p, tryNo, ipId, s)),
        build(h, p, tryNo, ipId),
      ];
      if (!queue.push(frames)) return false;
      sentIpId[h * P + p] = ipId;
      return true;
    },
    flush: () => queue.flush(),
    poll() {
      session.poll(handle);
    },
    async wait(ms) {
      await session.wait(ms);
    },
  };

  const learnMac = hosts.map((h) => !!h.route?.onLink && h.route.linkKind === "ethernet");
  const ourKey = route.family === 4
    ? String(new DataView(route.sourceBytes.buffer, route.sourceBytes.byteOffset).getUint32(0))
    : v6Key(route.sourceBytes);

  /** Settles protocol `p` of host `h` with `v` from reply `i`, if it is still open to answers. */
  function settle(rec: ParsedRecords, i: number, h: number, p: number, v: Verdict, from?: string) {
    const tries = sched.triesSent(h, p);
    if (tries === 0 || !sched.answer(h, p, tries - 1)) return;
    const host = hosts[h]!;
    table.set(h, p, v, rec.ttl(i), from);
    if (learnMac[h] && !host.mac) host.mac = { addr: formatMac(rec.srcMac(i)), addrtype: "mac" };
    listener.port?.(host, protocols[p]!, v.state);
  }

  function handle(rec: ParsedRecords, n: number): void {
    const pollTime = performance.now();
    const origin = performance.timeOrigin;
    for (let i = 0; i < n; i++) {
      if (rec.status(i) !== ParseError.OK) continue;
      const at = rec.tsSec(i) * 1000 + rec.tsUsec(i) / 1000 - origin;
      sched.replyAt = at > 0 && at <= pollTime ? at : pollTime;
      const fam = rec.family(i) as 4 | 6;
      const srcKey = fam === 4 ? String(rec.srcV4(i)) : v6Key(rec.srcV6(i));
      const dstKey = fam === 4 ? String(rec.dstV4(i)) : v6Key(rec.dstV6(i));
      if (dstKey !== ourKey) continue;
      const h = byKey.get(srcKey);
      const kind = rec.kind(i);
      const isError = kind === Kind.ICMP4 || (kind === Kind.ICMP6 && rec.icmpType(i) < 128);
      if (isError && rec.flags(i) & RecordFlag.QUOTE) {
        const qSrc = fam === 4 ? String(rec.quotedSrcV4(i)) : v6Key(rec.quotedSrcV6(i));
        const qDst = fam === 4 ? String(rec.quotedDstV4(i)) : v6Key(rec.quotedDstV6(i));
        const target = byKey.get(qDst);
        const p = protoIndex[rec.quotedProto(i)]!;
        if (qSrc === ourKey && target !== undefined && p >= 0) {
          const fromTarget = target === h;
          const v = protocolIcmpVerdict(fam, rec.icmpType(i), rec.icmpCode(i), fromTarget);
          if (v) settle(rec, i, target, p, v, fromTarget ? undefined : formatIp(srcBytes(rec, i)));
        }
      }
      if (h === undefined) continue;
      if (kind === Kind.ICMP4) {
        // nmap's protoscanicmphack: any ICMP from the target opens ICMP, after the above.
        if (icmpP >= 0) {
          settle(rec, i, h, icmpP, {
            state: "open",
            reason: icmpOpenReason(rec.icmpType(i), rec.icmpCode(i)),
          });
        }
        continue;
      }
      if (isError) continue;
      const p = protoIndex[rec.ipProto(i)]!;
      if (p < 0) continue;
      // Scanning ourselves, our own probe is captured: nmap tells it by its IP ID.
      const id = fam === 4 ? rec.ipId(i) : rec.flowLabel(i);
      if (srcKey === dstKey && id === sentIpId[h * P + p]) continue;
      settle(rec, i, h, p, PROTO_RESPONSE);
    }
  }

  return await runToTable(sched, io, hosts, table, PROTOCOL_SILENT, listener);
}

function srcBytes(rec: ParsedRecords, i: number): Uint8Array {
  if (rec.family(i) === 6) return rec.srcV6(i).slice();
  const a = rec.srcV4(i);
  return new Uint8Array([a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255]);
}
