/**
 * Traceroute probes on the wire: TTL-limited frames (IPv6: hop-limited) built by the packet
 * core in the framing of the engine's route, sent and captured through a raw session of its own
 * whose filter passes ICMP or ICMPv6 to us (time-exceeded from routers, answers from the target)
 * and the target's TCP/UDP. The TTL of a probe is told by its source port (TCP, UDP) or echo
 * sequence (ICMP, ICMPv6), which the target's answers carry back and routers' errors quote.
 *
 * @module
 */

import type { PacketCore, ParsedRecords } from "../../core-wasm/mod.ts";
import type { RawSession, RawSessionOptions } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import { udpPayloads } from "../scans/udp_payloads.ts";
import type { TraceIo, TraceProbe, TraceReply } from "./trace.ts";
import { canonicalIp, formatIpv4, formatIpv6 } from "../../core-wasm/addr.ts";

const ZERO_MAC = new Uint8Array(6);

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** The IP header at `at` (IPv4, or IPv6 without extension headers), or undefined. */
function ipHeader(
  b: Uint8Array,
  at: number,
): { family: 4 | 6; proto: number; src: string; dst: string; l4: number } | undefined {
  const version = b.length > at ? b[at]! >> 4 : 0;
  if (version === 4 && b.length >= at + 20) {
    return {
      family: 4,
      proto: b[at + 9]!,
      src: formatIpv4(b.subarray(at + 12, at + 16)),
      dst: formatIpv4(b.subarray(at + 16, at + 20)),
      l4: at + (b[at]! & 0x0f) * 4,
    };
  }
  if (version === 6 && b.length >= at + 40) {
    return {
      family: 6,
      proto: b[at + 6]!,
      src: formatIpv6(b.subarray(at + 8, at + 24)),
      dst: formatIpv6(b.subarray(at + 24, at + 40)),
      l4: at + 40,
    };
  }
  return undefined;
}

/** ICMP's protocol number and its echo-reply and error types, per family. */
const ICMP = {
  4: { proto: 1, echoReply: 0, errors: [11, 3] }, // time exceeded, unreachable
  6: { proto: 58, echoReply: 129, errors: [3, 1] },
} as const;

/**
 * The TTL a reply (an IPv4 or IPv6 packet) answers, or undefined when it is not about our
 * probes to `target` (canonical text): a TCP/UDP answer from the target to port `base + ttl`,
 * an echo reply with our id and sequence `ttl`, or an ICMP error (time exceeded, unreachable)
 * quoting such a probe.
 */
export function replyTtl(
  pkt: Uint8Array,
  target: string,
  probe: TraceProbe,
  base: number,
): { ttl: number; from: string } | undefined {
  const ip = ipHeader(pkt, 0);
  if (!ip) return undefined;
  const { proto, src: from, l4 } = ip;
  const icmp = ICMP[ip.family];
  const ttlOf = (v: number) => {
    const ttl = v - base;
    return ttl >= 1 && ttl <= 255 ? { ttl, from } : undefined;
  };
  if (proto === icmp.proto) {
    if (pkt.length < l4 + 8) return undefined;
    const type = pkt[l4]!;
    if (type === icmp.echoReply) {
      if (probe.proto !== "icmp" || from !== target || u16(pkt, l4 + 4) !== base) return undefined;
      return ttlOf(base + u16(pkt, l4 + 6));
    }
    if (!(icmp.errors as readonly number[]).includes(type)) return undefined;
    const inner = ipHeader(pkt, l4 + 8);
    if (!inner || inner.family !== ip.family || inner.dst !== target) return undefined;
    const il4 = inner.l4;
    if (pkt.length < il4 + 8) return undefined;
    if (probe.proto === "icmp" && inner.proto === icmp.proto && u16(pkt, il4 + 4) === base) {
      return ttlOf(base + u16(pkt, il4 + 6));
    }
    if (
      (probe.proto === "tcp" && inner.proto === 6) || (probe.proto === "udp" && inner.proto === 17)
    ) {
      if (u16(pkt, il4 + 2) !== probe.port) return undefined;
      return ttlOf(u16(pkt, il4));
    }
    return undefined;
  }
  if (from !== target || pkt.length < l4 + 4) return undefined;
  if ((probe.proto === "tcp" && proto === 6) || (probe.proto === "udp" && proto === 17)) {
    if (u16(pkt, l4) !== probe.port) return undefined;
    return ttlOf(u16(pkt, l4 + 2));
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
      snaplen: 256,
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
        const r = replyTtl(
          recs.frame(i).subarray(recs.l3Offset(i)),
          this.#target,
          this.#probe,
          this.#base,
        );
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
