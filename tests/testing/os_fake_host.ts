/**
 * A simulated host for OS detection tests: answers the probes the way a Linux stack does
 * (SYN-ACK with its options, RSTs from closed ports, nothing for T2/T3, port unreachable
 * quoting the whole datagram, echo replies that keep the request's code), on a virtual clock,
 * with packets built by the packet core.
 *
 * @module
 */

import { packetCore, TcpFlag } from "../../core-wasm/mod.ts";
import type { EchoProbe, OsIo, TcpProbe, UdpProbe } from "../../cli/os/round.ts";

const core = packetCore();

/** How the simulated host behaves. */
export interface FakeHostOptions {
  address: string;
  me: string;
  openPort: number;
  /** Drop every UDP probe (no U1 answer). */
  dropUdp?: boolean;
  /** Answer echo requests (default true). */
  answerEcho?: boolean;
  /** Hops between us (TTLs arrive lowered by hops − 1). */
  hops?: number;
}

const { SYN, RST, ACK, FIN, ECE, CWR } = TcpFlag;

/** The OsIo of a simulated host. */
export class FakeHost implements OsIo {
  #now = 0;
  #queue: Uint8Array[] = [];
  #isn = 0x10000000;
  #ipId = 100;
  /** Probes received, by kind, for assertions. */
  readonly sent = { tcp: [] as TcpProbe[], udp: [] as UdpProbe[], echo: [] as EchoProbe[] };

  constructor(readonly o: FakeHostOptions) {}

  now(): number {
    return this.#now;
  }

  wait(ms: number): Promise<void> {
    this.#now += Math.max(1, ms);
    return Promise.resolve();
  }

  poll(handler: (packet: Uint8Array) => void): void {
    const q = this.#queue;
    this.#queue = [];
    for (const p of q) handler(p);
  }

  #ttl(): number {
    return 64 - ((this.o.hops ?? 1) - 1);
  }

  #tcpReply(p: TcpProbe, flags: number, seq: number, ack: number, opts?: Uint8Array, win = 0) {
    this.#queue.push(core.buildTcp({
      linkType: 12,
      src: this.o.address,
      dst: this.o.me,
      srcPort: p.dstPort,
      dstPort: p.srcPort,
      flags,
      seq,
      ack,
      window: win,
      options: opts,
      df: true,
      ttl: this.#ttl(),
      ipId: 0,
    }));
  }

  sendTcp(p: TcpProbe): void {
    this.sent.tcp.push(p);
    const f = p.flags;
    if (p.dstPort === this.o.openPort) {
      if ((f & (SYN | ACK | RST | FIN)) === SYN && !(f & 0x28)) {
        this.#isn = (this.#isn + 0x3b9aca7) >>> 0;
        const o = p.options;
        const has = (k: number) => {
          for (let i = 0; i < o.length;) {
            if (o[i] === k) return true;
            if (o[i] === 0) return false;
            i += o[i] === 1 ? 1 : Math.max(2, o[i + 1]!);
          }
          return false;
        };
        const opts: number[] = [2, 4, 5, 180];
        if (has(4) && has(8)) opts.push(4, 2, 8, 10, 0, 0, 0, 99, 0, 0, 0, 0);
        else if (has(4)) opts.push(1, 1, 4, 2);
        else if (has(8)) opts.push(1, 1, 8, 10, 0, 0, 0, 99, 0, 0, 0, 0);
        if (has(3)) opts.push(1, 3, 3, 7);
        const ecn = (f & (ECE | CWR)) === (ECE | CWR);
        this.#tcpReply(
          p,
          SYN | ACK | (ecn ? ECE : 0),
          this.#isn,
          (p.seq + 1) >>> 0,
          Uint8Array.from(opts),
          ecn ? 0xfaf0 : 0xfe88,
        );
      } else if ((f & (SYN | ACK | RST | FIN)) === ACK) {
        this.#tcpReply(p, RST, p.ack, 0);
      }
      // Null flags and SYN|FIN|URG|PSH: dropped, as Linux does.
      return;
    }
    if (f & RST) return;
    if (f & ACK) this.#tcpReply(p, RST, p.ack, 0);
    else this.#tcpReply(p, RST | ACK, 0, (p.seq + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0)) >>> 0);
  }

  sendUdp(p: UdpProbe): number {
    this.sent.udp.push(p);
    const probe = core.buildUdp({
      linkType: 12,
      src: this.o.me,
      dst: this.o.address,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      ttl: p.ttl - ((this.o.hops ?? 1) - 1),
      ipId: p.ipId,
      payload: p.payload,
    });
    if (!this.o.dropUdp) {
      this.#queue.push(core.buildIcmp({
        linkType: 12,
        src: this.o.address,
        dst: this.o.me,
        type: 3,
        code: 3,
        payload: probe,
        ttl: this.#ttl(),
        ipId: this.#ipId++,
      }));
    }
    // The checksum as our probe carried it (the fake received it unchanged).
    const sent = core.buildUdp({
      linkType: 12,
      src: this.o.me,
      dst: this.o.address,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      ttl: p.ttl,
      ipId: p.ipId,
      payload: p.payload,
    });
    return (sent[26]! << 8) | sent[27]!;
  }

  sendEcho(p: EchoProbe): void {
    this.sent.echo.push(p);
    if (this.o.answerEcho === false) return;
    this.#queue.push(core.buildIcmp({
      linkType: 12,
      src: this.o.address,
      dst: this.o.me,
      type: 0,
      code: p.code,
      extra: ((p.id << 16) | p.seq) >>> 0,
      payload: new Uint8Array(p.dataLength),
      ttl: this.#ttl(),
      ipId: this.#ipId++,
    }));
  }
}
