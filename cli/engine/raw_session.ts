/**
 * A raw packet session: one capture and one sender on the interface a route
 * leaves by, shared by every raw scan (TCP, UDP, discovery).
 *
 * ```ts
 * const route = await resolveNextHop(resolveRoute("10.0.0.2"));   // iface, source, MACs
 * const s = RawSession.open({ route, core, filter: replyFilter({ localAddresses: [route.source] }) });
 * s.sendBatch(batch, n);                       // frames built by the core
 * s.poll((recs, n) => { ... });                // parsed replies, synchronously
 * await s.wait(5);                             // until frames wait, or 5 ms
 * s.close();
 * ```
 *
 * Frames to send start as `sendLinkType` says: an Ethernet header (1) on
 * Ethernet links, or the IP header (12, raw IP) on raw-IP links and on
 * loopback, where probes go out through a raw IP socket as nmap's do
 * (Linux drops 127/8 frames injected below IP as martians). Captured frames
 * come in `linkType` framing (Ethernet with zero MACs on Linux loopback). Replies are parsed by the core in batches and
 * handed over as its ParsedRecords, record i for frame i. The capture only
 * sees frames coming in (our own probes are not looped back to us), and the
 * BPF filter keeps everything not addressed to our source out of user space.
 *
 * @module
 */

import { linkLayerOf, Pcap } from "../../ffi/pcap.ts";
import { openSender } from "../../ffi/sender.ts";
import type { FrameBatch } from "../../ffi/frame_batch.ts";
import type { RawRoute } from "./route.ts";
import { fragmentIpv4 } from "../../core-wasm/mod.ts";

// What a session's users need from the OS edge, so that they never import it themselves: the
// capture filter for replies to us, and a frame batch of their own to fill.
export { replyFilter, type ReplyFilterOptions } from "../../ffi/filter.ts";
export { createFrameBatch, type FrameBatch } from "../../ffi/frame_batch.ts";

/** What sends frames: a packet socket, or (loopback) a raw IP socket. */
interface FrameSender {
  sendBatch(batch: FrameBatch, count: number): number;
  /** The kernel's send times of the latest batch's first frames (see PacketSocketSender). */
  readonly txStamps?: Float64Array;
  readonly txStamped?: number;
  send(frame: Uint8Array): void;
  close(): void;
}

/**
 * The part of the packet core (core-wasm/mod.ts) a session uses: batches in
 * WASM memory and the batch parser. `R` is the core's ParsedRecords.
 */
export interface SessionCore<R> {
  frameBatch(maxFrames: number, bytes: number): FrameBatch;
  parseBatch(batch: FrameBatch, count: number, linkType: number): R;
}

/** When a batch went out: performance.now() right before and right after the send call. */
export interface SendSpan {
  start: number;
  end: number;
  /**
   * When its first frames left by the kernel's clock (the clock captured replies are stamped
   * with), on the performance.now() scale: entries [0, stamped) hold. Undefined when the sender
   * gives no stamps (then stamped is 0).
   */
  stamps?: Float64Array;
  stamped: number;
}

/** Called with the parsed records of `count` frames just received. */
export type RecordHandler<R> = (records: R, count: number) => void;

export interface RawSessionOptions<R> {
  route: RawRoute;
  core: SessionCore<R>;
  /** BPF expression (ffi's replyFilter builds the usual one). */
  filter: string;
  /** Frames read per batch (default 2048). */
  rxFrames?: number;
  /** Bytes kept per captured frame (default 512: replies and ICMP quotes fit;
   * UDP scans reading payloads may ask for more). */
  snaplen?: number;
  /** Kernel capture ring in bytes (default 4 MiB: some 30k replies; the engine drains it
   * between windows of at most a few thousand probes, and a smaller ring opens faster). */
  bufferSize?: number;
  /** Frames per sendmmsg call (default 1024). */
  txBatch?: number;
}

/** Counters for -v ("Raw packets sent: … | Rcvd: …"), -d and the bench. */
export interface SessionStats {
  framesSent: number;
  framesReceived: number;
  /** IP-level bytes (link headers not counted), as nmap counts them. */
  bytesSent: number;
  bytesReceived: number;
}

/** Sees every frame sent and captured (--packet-trace), in its link framing. */
export type FrameTracer = (direction: "SENT" | "RCVD", frame: Uint8Array, linkType: number) => void;

export class RawSession<R> {
  /** --packet-trace: every frame, as it is sent or captured. */
  trace?: FrameTracer;
  readonly route: RawRoute;
  readonly core: SessionCore<R>;
  /** The capture's DLT (e.g. 1 = Ethernet), as the core's parser wants it. */
  readonly linkType: number;
  /** Link type of frames to send: 1 (Ethernet) or 12 (raw IP). */
  readonly sendLinkType: number;
  readonly stats: SessionStats = {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  readonly #sendHeader: number;
  readonly #captureHeader: number;
  readonly #pcap: Pcap;
  readonly #sender: FrameSender;
  readonly #rx: FrameBatch;
  readonly #rxFrames: number;
  #closed = false;

  private constructor(o: RawSessionOptions<R>, pcap: Pcap, sender: FrameSender) {
    this.route = o.route;
    this.core = o.core;
    this.#pcap = pcap;
    this.#sender = sender;
    this.linkType = pcap.datalink();
    this.sendLinkType = o.route.loopback || o.route.linkKind === "raw" ? 12 : 1;
    this.#sendHeader = this.sendLinkType === 1 ? 14 : 0;
    this.#captureHeader = linkLayerOf(this.linkType)?.headerLength ?? 0;
    this.#rxFrames = o.rxFrames ?? 2048;
    // 1600: ICMP errors quote up to 576 bytes of a probe (RFC 1812 §4.3.2.3), e.g. a QUIC
    // Initial, and a truncated quote would leave its port unanswered.
    const snap = o.snaplen ?? 1600;
    // Room for a full batch at the snaplen, so receiveBatch never stops early.
    this.#rx = o.core.frameBatch(this.#rxFrames, this.#rxFrames * (snap + 16));
  }

  /**
   * Open a capture and a sender on `route.iface`. Throws the OS edge's
   * errors (PcapError, OsError, PermissionMissingError), which carry a hint.
   */
  static open<R>(o: RawSessionOptions<R>): RawSession<R> {
    const pcap = Pcap.open(o.route.iface, {
      snaplen: o.snaplen ?? 1600,
      bufferSize: o.bufferSize ?? 4 << 20,
      filter: o.filter,
      direction: "in",
      nonblocking: true,
      immediate: true,
    });
    let sender: FrameSender;
    try {
      // A packet socket on the interface; raw IP sockets on loopback, where
      // Linux drops injected frames to 127/8 as martians (ffi/sender.ts).
      sender = openSender({
        iface: o.route.iface,
        loopback: o.route.loopback,
        packet: { batchSize: o.txBatch ?? 1024 },
      });
    } catch (e) {
      pcap.close();
      throw e;
    }
    return new RawSession(o, pcap, sender);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The latest sendBatch's span: frames leave one after another inside it. */
  readonly lastSend: SendSpan = { start: 0, end: 0, stamped: 0 };

  /** Send frames [0, count) of a batch; returns how many the kernel took. */
  sendBatch(batch: FrameBatch, count: number): number {
    if (count <= 0 || this.#closed) return 0;
    if (this.stats.framesSent === 0) traceFirst("first sendBatch");
    this.lastSend.start = performance.now();
    const n = this.#sender.sendBatch(batch, count);
    this.lastSend.end = performance.now();
    const k = this.#sender.txStamps, m = this.#sender.txStamped ?? -1;
    const span = this.lastSend;
    span.stamped = Math.max(0, m);
    if (m < 0 || !k) span.stamps = undefined;
    else {
      span.stamps ??= new Float64Array(k.length);
      for (let i = 0; i < m; i++) span.stamps[i] = k[i]! - performance.timeOrigin;
    }
    this.stats.framesSent += n;
    for (let i = 0; i < n; i++) this.stats.bytesSent += batch.index[i * 4 + 1]! - this.#sendHeader;
    if (this.trace) {
      for (let i = 0; i < n; i++) {
        const at = batch.index[i * 4]!;
        this.trace(
          "SENT",
          batch.data.subarray(at, at + batch.index[i * 4 + 1]!),
          this.sendLinkType,
        );
      }
    }
    return n;
  }

  #fragments?: FrameBatch;

  /**
   * -f/--mtu: sends frames [0, count) of `batch` as IPv4 fragments of `dataBytes` data bytes
   * each (frames too small to split, and IPv6 ones, go whole). Several frames per probe leave,
   * so the span carries no per-probe send stamps. --packet-trace shows each probe whole, as
   * nmap's does.
   */
  sendFragmented(batch: FrameBatch, count: number, dataBytes: number): void {
    const cap = 1024;
    const out = this.#fragments ??= this.core.frameBatch(cap, cap * 256);
    let n = 0, used = 0;
    const start = performance.now();
    const trace = this.trace;
    const flush = () => {
      this.trace = undefined;
      try {
        if (n > 0) this.sendBatch(out, n);
      } finally {
        this.trace = trace;
      }
      n = used = 0;
    };
    for (let i = 0; i < count; i++) {
      const at = batch.index[i * 4]!;
      const frame = batch.data.subarray(at, at + batch.index[i * 4 + 1]!);
      trace?.("SENT", frame, this.sendLinkType);
      for (const f of fragmentIpv4(frame, this.#sendHeader, dataBytes)) {
        if (n === cap || used + f.length > out.data.length) flush();
        out.data.set(f, used);
        out.index[n * 4] = used;
        out.index[n * 4 + 1] = f.length;
        used += f.length;
        n++;
      }
    }
    flush();
    this.lastSend.start = start;
    this.lastSend.stamped = 0;
  }

  /** Send one frame (slow path: ARP/ND, tests). */
  send(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.stats.framesSent === 0) traceFirst("first send");
    this.#sender.send(frame);
    this.trace?.("SENT", frame, this.sendLinkType);
    this.stats.framesSent++;
    // ARP has no IP part; nmap counts its 28-byte payload.
    this.stats.bytesSent += frame.length - this.#sendHeader;
  }

  /**
   * Read every frame waiting (up to `maxBatches` batches), parse each batch
   * and hand it to `handler`. Never blocks. Returns the frames delivered.
   */
  poll(handler: RecordHandler<R>, maxBatches = 8): number {
    let total = 0;
    for (let b = 0; b < maxBatches && !this.#closed; b++) {
      let n: number;
      try {
        n = this.#pcap.receiveBatch(this.#rx, this.#rxFrames);
      } catch (e) {
        // Ctrl-C closes every handle from the signal handler: stop quietly.
        if (this.#pcap.closed) {
          this.#closed = true;
          break;
        }
        throw e;
      }
      if (n <= 0) break;
      this.stats.framesReceived += n;
      for (let i = 0; i < n; i++) {
        this.stats.bytesReceived += Math.max(0, this.#rx.index[i * 4 + 1]! - this.#captureHeader);
      }
      total += n;
      if (this.trace) {
        for (let i = 0; i < n; i++) {
          const at = this.#rx.index[i * 4]!;
          this.trace(
            "RCVD",
            this.#rx.data.subarray(at, at + this.#rx.index[i * 4 + 1]!),
            this.linkType,
          );
        }
      }
      handler(this.core.parseBatch(this.#rx, n, this.linkType), n);
      if (n < this.#rxFrames) break;
    }
    return total;
  }

  /** Resolve true when frames are waiting, false after `ms` (or when closed). */
  async wait(ms: number): Promise<boolean> {
    if (this.#closed || this.#pcap.closed) return false;
    try {
      return await this.#pcap.waitReadable(Math.max(0, Math.ceil(ms)));
    } catch {
      return false;
    }
  }

  /**
   * Deliver records to `handler` until `signal` aborts or the session
   * closes (for receivers running beside a separate send loop).
   */
  async run(handler: RecordHandler<R>, signal?: AbortSignal): Promise<void> {
    while (!this.#closed && !signal?.aborted) {
      if (this.poll(handler) === 0) await this.wait(20);
    }
  }

  /** Close capture and sender (idempotent). */
  close(): void {
    if (this.#closed && this.#pcap.closed) return;
    this.#closed = true;
    try {
      this.#pcap.close();
    } finally {
      this.#sender.close();
    }
  }
}

let tracedFirst = false;

/**
 * PORTHOLE_DEBUG_TIMING=1: when the run's first frame leaves (ms since the process started),
 * beside run.ts's phase marks. The time to first probe is what start-up work costs a scan.
 */
function traceFirst(label: string): void {
  if (tracedFirst) return;
  tracedFirst = true;
  try {
    if (Deno.env.get("PORTHOLE_DEBUG_TIMING") === "1") {
      console.error(`timing: ${performance.now().toFixed(1)} ms ${label}`);
    }
  } catch {
    // no --allow-env
  }
}

/**
 * The template fields every probe on `session` shares: its link header and source, with
 * placeholder destination and ports that each probe patches (core-wasm's emitBatch).
 */
export function sessionTemplateBase(session: { sendLinkType: number; route: RawRoute }) {
  const route = session.route;
  return {
    linkType: session.sendLinkType,
    srcMac: route.srcMac,
    dstMac: route.dstMac ?? new Uint8Array(6),
    src: route.sourceBytes,
    dst: route.family === 4 ? 0 : new Uint8Array(16),
    srcPort: 1024,
    dstPort: 1,
  };
}
