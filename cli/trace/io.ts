/**
 * Traceroute probes on the wire: TTL-limited frames (IPv6: hop-limited) built by the packet
 * core in the framing of the engine's route, sent and captured through a raw session of its own
 * whose filter passes ICMP or ICMPv6 to us (time-exceeded from routers, answers from the target)
 * and the target's TCP/UDP. The TTL of a probe is told by its source port (TCP, UDP) or echo
 * sequence (ICMP, ICMPv6), which the target's answers carry back and routers' errors quote.
 *
 * @module
 */

import {
  Kind,
  type PacketCore,
  type ParsedRecords,
  RecordFlag,
  u32ToIpv4,
} from "../../core-wasm/mod.ts";
import type { RawSession, RawSessionOptions } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import { udpPayloads } from "../scans/udp_payloads.ts";
import type { TraceIo, TraceProbe, TraceReply } from "./trace.ts";
import { canonicalIp, formatIpv6 } from "../../core-wasm/addr.ts";

const ZERO_MAC = new Uint8Array(6);

/**
 * Bytes kept of a captured reply: a whole ICMPv6 error (1280 bytes at most, RFC 4443 2.4) in
 * its Ethernet frame, since the core parses no truncated IPv6 packet, and ICMPv4's quotes.
 */
export const TRACE_SNAPLEN = 1600;

/** ICMP's echo-reply and error types, per family. */
const ICMP = {
  4: { echoReply: 0, errors: [11, 3] }, // time exceeded, unreachable
  6: { echoReply: 129, errors: [3, 1] },
} as const;

/** A record's source address, or its quote's destination, as canonical text. */
function address(r: ParsedRecords, i: number, which: "src" | "quotedDst"): string {
  if (r.family(i) === 4) return u32ToIpv4(which === "src" ? r.srcV4(i) : r.quotedDstV4(i));
  return formatIpv6(which === "src" ? r.srcV6(i) : r.quotedDstV6(i));
}

/**
 * The TTL record `i` (a packet the core parsed) answers, or undefined when it is not about our
 * probes to `target` (canonical text): a TCP/UDP answer from the target to port `base + ttl`,
 * an echo reply with our id and sequence `ttl`, or an ICMP error (time exceeded, unreachable)
 * quoting such a probe. The core reads the quote past any IPv6 extension headers.
 */
export function replyTtl(
  r: ParsedRecords,
  i: number,
  target: string,
  probe: TraceProbe,
  base: number,
): { ttl: number; from: string } | undefined {
  const family = r.family(i);
  if (family !== 4 && family !== 6) return undefined;
  const from = address(r, i, "src");
  const ttlOf = (v: number) => {
    const ttl = v - base;
    return ttl >= 1 && ttl <= 255 ? { ttl, from } : undefined;
  };
  const kind = r.kind(i);
  if (kind === Kind.ICMP4 || kind === Kind.ICMP6) {
    if ((kind === Kind.ICMP4) !== (family === 4)) return undefined;
    const icmp = ICMP[family], type = r.icmpType(i);
    if (type === icmp.echoReply) {
      if (probe.proto !== "icmp" || from !== target || r.icmpId(i) !== base) return undefined;
      return ttlOf(base + r.icmpSeq(i));
    }
    if (!(icmp.errors as readonly number[]).includes(type)) return undefined;
    if ((r.flags(i) & RecordFlag.QUOTE) === 0 || address(r, i, "quotedDst") !== target) {
      return undefined;
    }
    const inner = r.quotedProto(i);
    if (probe.proto === "icmp" && inner === (family === 4 ? 1 : 58)) {
      return r.quotedIcmpId(i) === base ? ttlOf(base + r.quotedIcmpSeq(i)) : undefined;
    }
    if ((r.flags(i) & RecordFlag.QUOTE_PORTS) === 0) return undefined;
    if ((probe.proto === "tcp" && inner === 6) || (probe.proto === "udp" && inner === 17)) {
      if (r.quotedDstPort(i) !== probe.port) return undefined;
      return ttlOf(r.quotedSrcPort(i));
    }
    return undefined;
  }
  if (from !== target) return undefined;
  if (
    (probe.proto === "tcp" && kind === Kind.TCP) || (probe.proto === "udp" && kind === Kind.UDP)
  ) {
    if (r.srcPort(i) !== probe.port) return undefined;
    return ttlOf(r.dstPort(i));
  }
  return undefined;
}

/** Where a trace's session comes from: the run's SessionPool (engine/context.ts). */
export interface SessionOpener {
  readonly core: PacketCore;
  open(o: Omit<RawSessionOptions<ParsedRecords>, "core">): RawSession<ParsedRecords>;
}

/** A {@link TraceIo} over a raw session of its own; `close()` when done. */
export class SessionTraceIo implements TraceIo {
  readonly #session: RawSession<ParsedRecords>;
  readonly #core: PacketCore;
  readonly #route: RawRoute;
  readonly #target: string;
  readonly #probe: TraceProbe;
  /** Source port base (TCP, UDP) or echo id (ICMP). */
  readonly #base: number;
  readonly #replies: TraceReply[] = [];
  /** nmap's first payload for the port (a UDP probe). */
  readonly #udpPayload?: Uint8Array;

  private constructor(
    session: RawSession<ParsedRecords>,
    core: PacketCore,
    route: RawRoute,
    target: string,
    probe: TraceProbe,
  ) {
    this.#session = session;
    this.#core = core;
    this.#route = route;
    this.#target = target;
    this.#probe = probe;
    this.#base = probe.proto === "icmp"
      ? 1 + Math.floor(Math.random() * 0xfffe)
      : 33000 + Math.floor(Math.random() * 30000);
    if (probe.proto === "udp") {
      this.#udpPayload = udpPayloads(probe.port!, {
        family: route.family,
        source: route.sourceBytes,
      })[0];
    }
  }

  /**
   * Opens a capture for the replies to our traces of `target` on `route`, through `sessions`
   * (the run's pool: its --packet-trace and packet counts see the probes).
   */
  static open(
    sessions: SessionOpener,
    route: RawRoute,
    target: string,
    probe: TraceProbe,
  ): SessionTraceIo {
    const [ip, icmp] = route.family === 4 ? ["ip", "icmp"] : ["ip6", "icmp6"];
    const session = sessions.open({
      route,
      filter:
        `${ip} and dst host ${route.source} and (${icmp} or ((tcp or udp) and src host ${target}))`,
      rxFrames: 256,
      snaplen: TRACE_SNAPLEN,
      bufferSize: 1 << 20,
      txBatch: 16,
    });
    return new SessionTraceIo(
      session,
      sessions.core,
      route,
      canonicalIp(target) ?? target,
      probe,
    );
  }

  send(ttl: number): number {
    const link = {
      linkType: this.#session.sendLinkType,
      srcMac: this.#route.srcMac,
      dstMac: this.#route.dstMac ?? ZERO_MAC,
      src: this.#route.source,
      dst: this.#target,
      ttl,
    };
    const p = this.#probe;
    const random16 = () => Math.floor(Math.random() * 0x10000);
    // As nmap's traceroute.cc: a random IP id (IPv4), and a TCP SYN's random window and MSS 1460.
    const frame = p.proto === "tcp"
      ? this.#core.buildTcp({
        ...link,
        ipId: random16(),
        srcPort: this.#base + ttl,
        dstPort: p.port!,
        seq: (Math.random() * 0xffffffff) >>> 0,
        window: random16(),
        options: [{ kind: "mss", value: 1460 }],
      })
      : p.proto === "udp"
      ? this.#core.buildUdp({
        ...link,
        ipId: random16(),
        srcPort: this.#base + ttl,
        dstPort: p.port!,
        payload: this.#udpPayload,
      })
      : this.#core.buildIcmp({
        ...link,
        // Echo request; the core puts the id and sequence of `extra` in their fields.
        type: this.#route.family === 4 ? 8 : 128,
        code: 0,
        extra: ((this.#base << 16) | ttl) >>> 0,
      });
    const at = this.now();
    this.#session.send(frame);
    return at;
  }

  poll(): TraceReply[] {
    this.#session.poll((recs, n) => {
      for (let i = 0; i < n; i++) {
        if (recs.family(i) !== this.#route.family) continue;
        const r = replyTtl(recs, i, this.#target, this.#probe, this.#base);
        // The capture's timestamp, on the clock of now().
        if (r) this.#replies.push({ ...r, at: recs.tsSec(i) * 1000 + recs.tsUsec(i) / 1000 });
      }
    });
    return this.#replies.splice(0);
  }

  async wait(ms: number): Promise<void> {
    await this.#session.wait(ms);
  }

  /** Epoch milliseconds (the capture timestamps' clock), sub-millisecond. */
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  close(): void {
    this.#session.close();
  }
}
