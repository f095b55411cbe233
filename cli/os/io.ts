/**
 * OS detection's probes on the wire: frames built by the packet core in the framing of the
 * engine's route (Ethernet, or raw IP on loopback), sent and captured through a raw session of
 * its own whose BPF filter passes only the target's packets to us — so it can run beside the
 * engine's own receivers without taking their frames.
 *
 * @module
 */

import { LinkType, type PacketCore, type ParsedRecords } from "../../core-wasm/mod.ts";
import { RawSession, replyFilter } from "../engine/raw_session.ts";
import type { RawRoute } from "../engine/route.ts";
import type { EchoProbe, OsIo, TcpProbe, UdpProbe } from "./round.ts";

const ZERO_MAC = new Uint8Array(6);

/** Builds OS probes as frames of `linkType` (1: Ethernet, 12: raw IPv4) for `route`. */
export class ProbeBuilder {
  constructor(
    readonly core: PacketCore,
    readonly route: RawRoute,
    readonly target: string,
    readonly linkType: number,
  ) {}

  #link() {
    return {
      linkType: this.linkType,
      srcMac: this.route.srcMac,
      dstMac: this.route.dstMac ?? ZERO_MAC,
      src: this.route.source,
      dst: this.target,
    };
  }

  /** Where the IP header starts in our frames. */
  get l3(): number {
    return this.linkType === LinkType.EN10MB ? 14 : 0;
  }

  tcp(p: TcpProbe): Uint8Array {
    const f = this.core.buildTcp({
      ...this.#link(),
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: p.seq,
      ack: p.ack,
      flags: p.flags,
      window: p.window,
      urgent: p.urgent,
      options: p.options,
      df: p.df,
      ttl: p.ttl,
      ipId: p.ipId,
    });
    if (p.reserved) {
      // The core has no field for the bits after the data offset (ECN's probe sets one):
      // set them and mend the checksum (RFC 1624).
      const t = this.l3 + 20;
      const old = (f[t + 12]! << 8) | f[t + 13]!;
      f[t + 12] = (f[t + 12]! & 0xf0) | (p.reserved & 0x0f);
      const now = (f[t + 12]! << 8) | f[t + 13]!;
      const ck = this.core.checksumAdjust((f[t + 16]! << 8) | f[t + 17]!, old, now);
      f[t + 16] = ck >> 8;
      f[t + 17] = ck & 0xff;
    }
    return f;
  }

  /** The frame and the UDP checksum it carries. */
  udp(p: UdpProbe): { frame: Uint8Array; checksum: number } {
    const f = this.core.buildUdp({
      ...this.#link(),
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      ttl: p.ttl,
      ipId: p.ipId,
      payload: p.payload,
    });
    const u = this.l3 + 20;
    return { frame: f, checksum: (f[u + 6]! << 8) | f[u + 7]! };
  }

  echo(p: EchoProbe): Uint8Array {
    return this.core.buildIcmp({
      ...this.#link(),
      type: 8,
      code: p.code,
      extra: ((p.id << 16) | p.seq) >>> 0,
      payload: new Uint8Array(p.dataLength),
      tos: p.tos,
      df: p.df,
      ttl: p.ttl,
      ipId: p.ipId,
    });
  }
}

/** An {@link OsIo} over a raw session of its own; `close()` when done. */
export class SessionIo implements OsIo {
  readonly #session: RawSession<ParsedRecords>;
  readonly #build: ProbeBuilder;
  sent = 0;

  private constructor(session: RawSession<ParsedRecords>, build: ProbeBuilder) {
    this.#session = session;
    this.#build = build;
  }

  /** Opens a capture for `target`'s packets to us and a sender, on `route`. */
  static open(core: PacketCore, route: RawRoute, target: string): SessionIo {
    const session = RawSession.open({
      route,
      core,
      filter: replyFilter({ localAddresses: [route.source], targets: [target] }),
      rxFrames: 256,
      // U1's answer quotes our 328-byte datagram: keep whole frames.
      snaplen: 1600,
      bufferSize: 2 << 20,
      txBatch: 16,
    });
    return new SessionIo(session, new ProbeBuilder(core, route, target, session.sendLinkType));
  }

  sendTcp(p: TcpProbe): void {
    this.#session.send(this.#build.tcp(p));
    this.sent++;
  }

  sendUdp(p: UdpProbe): number {
    const { frame, checksum } = this.#build.udp(p);
    this.#session.send(frame);
    this.sent++;
    return checksum;
  }

  sendEcho(p: EchoProbe): void {
    this.#session.send(this.#build.echo(p));
    this.sent++;
  }

  poll(handler: (packet: Uint8Array) => void): void {
    this.#session.poll((recs, n) => {
      for (let i = 0; i < n; i++) {
        if (recs.family(i) !== 4) continue;
        handler(recs.frame(i).subarray(recs.l3Offset(i)));
      }
    });
  }

  async wait(ms: number): Promise<void> {
    await this.#session.wait(ms);
  }

  now(): number {
    return performance.now();
  }

  close(): void {
    this.#session.close();
  }
}
