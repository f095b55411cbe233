/**
 * The --send-ip path: raw IP sockets (IPPROTO_RAW, so the header we built is
 * sent as is) that let the kernel route and frame each packet. Needed where
 * Ethernet frames cannot go: to this host's own addresses (Linux drops
 * frames injected on `lo` whose source is local or 127/8 as martians, so
 * nmap also scans localhost through raw IP sockets) and for nmap's
 * `--send-ip`. Frames start at the IP header; a batch is one sendmmsg per
 * family, with each destination taken from the packet's own header.
 *
 * @module
 */

import { cString, lastError, libc, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET } from "./_libc.ts";
import { OsError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { type FrameBatch, INDEX_STRIDE } from "./frame_batch.ts";
import { addressOf, MAX_SENDMMSG_BATCH, MmsgArrays, NAME_SLOT, type SenderStats } from "./_mmsg.ts";
import { track, untrack } from "./registry.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_RAW = 255;
const SO_BINDTODEVICE = 25;

/** Options for {@link RawIpSender.open}. */
export interface RawIpOptions {
  /** Send only out of this interface (nmap -e; SO_BINDTODEVICE). */
  device?: string;
  /** Frames per sendmmsg call, at most 1024 (default 1024). */
  batchSize?: number;
}

/** Batched sender of complete IPv4/IPv6 packets through raw IP sockets. */
export class RawIpSender {
  /** Frames start at the IP header. */
  readonly linkKind = "raw" as const;
  readonly device?: string;
  readonly batchSize: number;
  readonly stats: SenderStats = { sent: 0, calls: 0, busy: 0 };
  #fd4 = -1;
  #fd6 = -1;
  #mm: MmsgArrays;
  #closed = false;

  private constructor(device: string | undefined, batchSize: number) {
    this.device = device;
    this.batchSize = batchSize;
    this.#mm = new MmsgArrays(batchSize);
    track(this);
  }

  /** Opens the sender (sockets are created on first use per family).
   * Throws OsError (EPERM with the root/setcap hint) if raw sockets are
   * not allowed. */
  static open(opts: RawIpOptions = {}): RawIpSender {
    const s = new RawIpSender(
      opts.device,
      Math.max(1, Math.min(opts.batchSize ?? MAX_SENDMMSG_BATCH, MAX_SENDMMSG_BATCH)),
    );
    try {
      s.#socket(4);
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  #socket(family: 4 | 6): number {
    const have = family === 4 ? this.#fd4 : this.#fd6;
    if (have >= 0) return have;
    const c = libc();
    const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) {
      const e = lastError(`socket(AF_INET${family === 6 ? "6" : ""}, SOCK_RAW)`);
      throw new OsError(
        e.operation,
        e.errno,
        e.message.replace(/^[^:]*: /, ""),
        e.errno === 1 ? RAW_PRIVILEGE_HINT : undefined,
      );
    }
    if (this.device) {
      const name = cString(this.device);
      if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) !== 0) {
        const e = lastError(`SO_BINDTODEVICE(${this.device})`);
        c.close(fd);
        throw e;
      }
    }
    if (family === 4) this.#fd4 = fd;
    else this.#fd6 = fd;
    return fd;
  }

  // Writes message i's destination (slot i) from the packet at `off`.
  #dest(i: number, data: Uint8Array, off: number, v6: boolean): number {
    const mm = this.#mm, v = mm.namesView, slot = i * NAME_SLOT;
    if (v6) {
      v.setUint16(slot, AF_INET6, true);
      v.setUint16(slot + 2, 0);
      v.setUint32(slot + 4, 0);
      for (let b = 0; b < 16; b++) mm.names[slot + 8 + b] = data[off + 24 + b]!;
      v.setUint32(slot + 24, 0, true);
      return 28;
    }
    v.setUint16(slot, AF_INET, true);
    v.setUint16(slot + 2, 0);
    for (let b = 0; b < 4; b++) mm.names[slot + 4 + b] = data[off + 16 + b]!;
    return 16;
  }

  /** Sends IP packets `[0, count)` of `batch`; returns how many the kernel
   * accepted. IPv4 and IPv6 packets may be mixed (one call per family run). */
  sendBatch(batch: FrameBatch, count: number): number {
    if (this.#closed) throw new OsError("sendmmsg", 9, "sender is closed");
    const c = libc();
    const index = batch.index, data = batch.data, mm = this.#mm;
    const base = addressOf(data);
    let done = 0;
    while (done < count) {
      // One run of same-family packets, up to batchSize.
      const first = data[index[done * INDEX_STRIDE]!]! >> 4;
      const v6 = first === 6;
      let n = 0;
      while (n < this.batchSize && done + n < count) {
        const k = (done + n) * INDEX_STRIDE;
        const off = index[k]!;
        if ((data[off]! >> 4 === 6) !== v6) break;
        mm.setIov(n, base + off, index[k + 1]!);
        mm.setName(n, mm.namesAddr + n * NAME_SLOT, this.#dest(n, data, off, v6));
        n++;
      }
      const fd = this.#socket(v6 ? 6 : 4);
      const sent = mm.send(c, fd, n, this.device ?? "raw ip", this.stats);
      done += sent;
      if (sent < n) break;
    }
    this.stats.sent += done;
    return done;
  }

  /** Sends one IP packet. */
  send(packet: Uint8Array): void {
    const b = { data: packet, index: new Uint32Array([0, packet.length, 0, 0]), capacity: 1 };
    if (this.sendBatch(b, 1) !== 1) throw new OsError("sendmmsg", 105, "socket stayed busy");
  }

  /** Closes both sockets (idempotent). */
  close(): void {
    untrack(this);
    const c = this.#fd4 >= 0 || this.#fd6 >= 0 ? libc() : undefined;
    if (this.#fd4 >= 0) c!.close(this.#fd4);
    if (this.#fd6 >= 0) c!.close(this.#fd6);
    this.#fd4 = this.#fd6 = -1;
    this.#closed = true;
  }

  /** Has close() run? */
  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
