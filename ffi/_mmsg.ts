/**
 * Reusable sendmmsg arrays: `size` mmsghdr entries, each with one iovec and
 * an optional per-message destination (sockaddr slot), built once in
 * off-heap buffers so their addresses can be stored inside each other.
 * Per batch only iovec base/length (and destinations, if used) change.
 *
 * @module
 */

import { EAGAIN, EINTR, ENOBUFS, lastError, type Libc } from "./_libc.ts";
import type { OsError } from "./errors.ts";

const MMSGHDR_SIZE = 64; // struct mmsghdr on 64-bit Linux
const IOVEC_SIZE = 16;
/** Bytes per destination slot (fits sockaddr_in, sockaddr_in6, sockaddr_ll). */
export const NAME_SLOT = 32;
/** Kernel limit on messages per sendmmsg (UIO_MAXIOV). */
export const MAX_SENDMMSG_BATCH = 1024;

/** Counters of a sender. */
export interface SenderStats {
  /** Frames the kernel accepted. */
  sent: number;
  /** sendmmsg calls made. */
  calls: number;
  /** Calls that returned ENOBUFS/EAGAIN (queue full) and were retried. */
  busy: number;
}

function offHeap(bytes: number): Uint8Array<ArrayBuffer> {
  // An explicit ArrayBuffer is always off the V8 heap, so its address is
  // stable and can be stored inside the mmsghdr/iovec arrays.
  return new Uint8Array(new ArrayBuffer(Math.max(bytes, 128)));
}

/** Address of a typed array's first byte, as a number (< 2^53 on x86-64). */
export function addressOf(buf: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** The arrays behind one sender. */
export class MmsgArrays {
  readonly size: number;
  readonly msgs: Uint8Array<ArrayBuffer>;
  readonly msgs32: Uint32Array;
  readonly iov32: Uint32Array;
  /** Destination slots, NAME_SLOT bytes each (one per message). */
  readonly names: Uint8Array<ArrayBuffer>;
  readonly namesView: DataView;
  readonly namesAddr: number;
  readonly #iov: Uint8Array;

  constructor(size: number) {
    this.size = size;
    this.msgs = offHeap(size * MMSGHDR_SIZE);
    this.msgs32 = new Uint32Array(this.msgs.buffer);
    this.#iov = offHeap(size * IOVEC_SIZE);
    this.iov32 = new Uint32Array(this.#iov.buffer);
    this.names = offHeap(size * NAME_SLOT);
    this.namesView = new DataView(this.names.buffer);
    this.namesAddr = addressOf(this.names);
    const iovAddr = addressOf(this.#iov);
    const m = this.msgs32;
    for (let i = 0; i < size; i++) {
      const w = (i * MMSGHDR_SIZE) >> 2;
      const a = iovAddr + i * IOVEC_SIZE;
      m[w + 4] = a >>> 0; // msg_iov
      m[w + 5] = (a / 4294967296) >>> 0;
      m[w + 6] = 1; // msg_iovlen
    }
  }

  /** Points message i's iovec at `len` bytes at address `addr`. */
  setIov(i: number, addr: number, len: number): void {
    const w = i << 2, iov = this.iov32;
    iov[w] = addr >>> 0;
    iov[w + 1] = (addr / 4294967296) >>> 0;
    iov[w + 2] = len;
  }

  /** Message i's destination: `len` bytes at absolute address `addr`
   * (0 for none: the socket's bound destination). */
  setName(i: number, addr: number, len: number): void {
    const w = (i * MMSGHDR_SIZE) >> 2, m = this.msgs32;
    m[w] = addr >>> 0;
    m[w + 1] = (addr / 4294967296) >>> 0;
    m[w + 2] = len;
  }

  /** Message i's ancillary data: `len` bytes at absolute address `addr` (0, 0 for none). */
  setControl(i: number, addr: number, len: number): void {
    const w = (i * MMSGHDR_SIZE) >> 2, m = this.msgs32;
    m[w + 8] = addr >>> 0; // msg_control
    m[w + 9] = (addr / 4294967296) >>> 0;
    m[w + 10] = len; // msg_controllen
    m[w + 11] = 0;
  }

  /** Sends the first n prepared messages on fd, retrying partial sends and
   * short busy periods; returns how many went out (0 if the socket stayed
   * busy). Throws OsError on other failures before anything was sent. */
  send(c: Libc, fd: number, n: number, label: string, stats: SenderStats): number {
    let sent = 0, busyRounds = 0;
    while (sent < n) {
      const msgs = sent === 0 ? this.msgs : this.msgs.subarray(sent * MMSGHDR_SIZE);
      const rc = c.sendmmsg(fd, msgs, n - sent, 0);
      stats.calls++;
      if (rc > 0) {
        sent += rc;
        busyRounds = 0;
        continue;
      }
      const e: OsError = lastError(`sendmmsg(${label})`);
      if (e.errno === EINTR) continue;
      if ((e.errno === ENOBUFS || e.errno === EAGAIN) && busyRounds < 64) {
        stats.busy++;
        busyRounds++;
        continue;
      }
      if (sent > 0 || e.errno === ENOBUFS || e.errno === EAGAIN) return sent;
      throw e;
    }
    return sent;
  }
}
