/**
 * Traceroute probes on the wire: TTL-limited frames built by the packet core in the framing of
 * the engine's route, sent and captured through a raw session of its own whose filter passes
 * ICMP to us (time-exceeded from routers, answers from the target) and the target's TCP/UDP.
 * The TTL of a probe is told by its source port (TCP, UDP) or echo sequence (ICMP), which the
 * target's answers carry back and routers' ICMP errors quote.
 *
 * @module
 */

import type { PacketCore, ParsedRecords } from "../../core-wasm/mod.ts";
import { RawSession } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import { udpPayloads } from "../scans/udp_payloads.ts";
import type { TraceIo, TraceProbe, TraceReply } from "./trace.ts";

const ZERO_MAC = new Uint8Array(6);

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/**
 * The TTL a reply (an IPv4 packet) answers, or undefined when it is not about our probes to
 * `target`: a TCP/UDP answer from the target to port `base + ttl`, an echo reply with our id
 * and sequence `ttl`, or an ICMP error quoting such a probe.
 */
export function replyTtl(
  pkt: Uint8Array,
  target: string,
  probe: TraceProbe,
  base: number,
): { ttl: number; from: string } | undefined {
  if (pkt.length < 20 || pkt[0]! >> 4 !== 4) return undefined;
  const ihl = (pkt[0]! & 0x0f) * 4;
  const proto = pkt[9]!;
  const from = ipv4(pkt, 12);
  const l4 = ihl;
  const ttlOf = (v: number) => {
    const ttl = v - base;
    return ttl >= 1 && ttl <= 255 ? { ttl, from } : undefined;
  };
  if (proto === 1) {
    if (pkt.length < l4 + 8) return undefined;
    const type = pkt[l4]!;
    if (type === 0) {
      if (probe.proto !== "icmp" || from !== target || u16(pkt, l4 + 4) !== base) return undefined;
      return ttlOf(base + u16(pkt, l4 + 6));
    }
    if (type !== 11 && type !== 3) return undefined;
    const inner = l4 + 8;
    if (pkt.length < inner + 20 || pkt[inner]! >> 4 !== 4) return undefined;
    const iihl = (pkt[inner]! & 0x0f) * 4;
    const il4 = inner + iihl;
    if (ipv4(pkt, inner + 16) !== target || pkt.length < il4 + 8) return undefined;
    const iproto = pkt[inner + 9]!;
    if (probe.proto === "icmp" && iproto === 1 && u16(pkt, il4 + 4) === base) {
      return ttlOf(base + u16(pkt, il4 + 6));
    }
    if (
      (probe.proto === "tcp" && iproto === 6) || (probe.proto === "udp" && iproto === 17)
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
      this.#udpPayload = udpPayloads(probe.port!, { family: 4, source: route.sourceBytes })[0];
    }
  }

  /** Opens a capture for the replies to our traces of `target` on `route`. */
  static open(
    core: PacketCore,
    route: RawRoute,
    target: string,
    probe: TraceProbe,
  ): SessionTraceIo {
    const session = RawSession.open({
      route,
      core,
      filter: `ip and dst host ${route.source} and (icmp or ((tcp or udp) and src host ${target}))`,
      rxFrames: 256,
      snaplen: 256,
      bufferSize: 1 << 20,
      txBatch: 16,
    });
    return new SessionTraceIo(session, core, route, target, probe);
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
    const frame = p.proto === "tcp"
      ? this.#core.buildTcp({
        ...link,
        srcPort: this.#base + ttl,
        dstPort: p.port!,
        seq: (Math.random() * 0xffffffff) >>> 0,
      })
      : p.proto === "udp"
      ? this.#core.buildUdp({
        ...link,
        srcPort: this.#base + ttl,
        dstPort: p.port!,
        payload: this.#udpPayload,
      })
      : this.#core.buildIcmp({
        ...link,
        type: 8,
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
        if (recs.family(i) !== 4) continue;
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
