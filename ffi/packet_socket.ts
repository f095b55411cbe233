/**
 * The fast send path: an AF_PACKET SOCK_RAW socket bound to one interface,
 * sending a whole FrameBatch per `sendmmsg` call. The mmsghdr and iovec
 * arrays live in buffers built once; per batch only the iovec base/length
 * words are rewritten, so a batch of 1024 frames costs one FFI crossing and
 * one syscall instead of 1024 of each (pcap_sendpacket).
 *
 * The socket is bound with protocol 0, so it never receives: capture stays
 * with libpcap. PACKET_QDISC_BYPASS skips the qdisc layer (as masscan's
 * PF_RING/sendmmsg paths do); drops are then visible to the receiver only.
 *
 * @module
 */

import {
  AF_PACKET,
  cString,
  EAGAIN,
  EINTR,
  ENOBUFS,
  ETH_P_IP,
  ETH_P_IPV6,
  lastError,
  libc,
  PACKET_QDISC_BYPASS,
  readSystemFile,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_PACKET,
  SOL_SOCKET,
} from "./_libc.ts";
import { OsError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { type FrameBatch, INDEX_STRIDE } from "./frame_batch.ts";
import { track, untrack } from "./registry.ts";

const MMSGHDR_SIZE = 64; // struct mmsghdr on 64-bit Linux
const IOVEC_SIZE = 16;
const SOCKADDR_LL_SIZE = 20;
/** Kernel limit on messages per sendmmsg (UIO_MAXIOV). */
export const MAX_SENDMMSG_BATCH = 1024;

/** What the first byte of a frame is on this interface. */
export type SendLinkKind = "ethernet" | "raw";

/** Options for {@link PacketSocketSender.open}. */
export interface PacketSocketOptions {
  /** Frames per sendmmsg call, at most 1024 (default 1024). */
  batchSize?: number;
  /** Bypass the qdisc layer (default true). */
  qdiscBypass?: boolean;
  /** Socket send buffer in bytes (default 4 MiB; SO_SNDBUFFORCE when allowed). */
  sendBufferBytes?: number;
  /** Frame format; default from the interface's ARPHRD type (Ethernet and
   * Linux loopback take Ethernet frames; tun/ipip/ppp take IP packets). */
  linkKind?: SendLinkKind;
}

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

function addressOf(buf: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** Reads an interface's ARPHRD type from sysfs; undefined if unreadable. */
export function interfaceArphrd(iface: string): number | undefined {
  const t = readSystemFile(`/sys/class/net/${iface}/type`);
  return t === undefined ? undefined : Number(t.trim());
}

/** Ethernet (ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772 on Linux) or raw IP. */
export function sendLinkKindOf(arphrd: number | undefined): SendLinkKind {
  return arphrd === undefined || arphrd === 1 || arphrd === 772 ? "ethernet" : "raw";
}

/** A batched AF_PACKET sender bound to one interface. */
export class PacketSocketSender {
  readonly iface: string;
  readonly ifindex: number;
  readonly linkKind: SendLinkKind;
  readonly batchSize: number;
  readonly stats: SenderStats = { sent: 0, calls: 0, busy: 0 };
  #fd: number;
  #msgs: Uint8Array<ArrayBuffer>;
  #msgs32: Uint32Array;
  #iov32: Uint32Array;
  #names: Uint8Array<ArrayBuffer>;
  #nameAddr: number;

  private constructor(
    iface: string,
    ifindex: number,
    fd: number,
    linkKind: SendLinkKind,
    batchSize: number,
  ) {
    this.iface = iface;
    this.ifindex = ifindex;
    this.#fd = fd;
    this.linkKind = linkKind;
    this.batchSize = batchSize;
    this.#msgs = offHeap(batchSize * MMSGHDR_SIZE);
    this.#msgs32 = new Uint32Array(this.#msgs.buffer);
    const iov = offHeap(batchSize * IOVEC_SIZE);
    this.#iov32 = new Uint32Array(iov.buffer);
    // Two sockaddr_ll destinations for raw-IP links, where the kernel needs
    // the protocol per frame: [0] IPv4, [1] IPv6.
    this.#names = offHeap(2 * 32);
    const nv = new DataView(this.#names.buffer);
    for (const [i, proto] of [[0, ETH_P_IP], [1, ETH_P_IPV6]] as const) {
      nv.setUint16(i * 32, AF_PACKET, true);
      nv.setUint16(i * 32 + 2, proto, false);
      nv.setInt32(i * 32 + 4, ifindex, true);
    }
    this.#nameAddr = addressOf(this.#names);
    const iovAddr = addressOf(iov);
    const m = this.#msgs32;
    for (let i = 0; i < batchSize; i++) {
      const w = (i * MMSGHDR_SIZE) >> 2;
      const a = iovAddr + i * IOVEC_SIZE;
      m[w + 4] = a >>> 0; // msg_iov
      m[w + 5] = (a / 4294967296) >>> 0;
      m[w + 6] = 1; // msg_iovlen
    }
    // Keep the iovec buffer alive as long as the sender.
    this.#iovKeep = iov;
    track(this);
  }
  #iovKeep: Uint8Array;

  /** Opens a packet socket on `iface`. Throws OsError with a hint (EPERM →
   * run as root / setcap; ENODEV → no such interface). */
  static open(iface: string, opts: PacketSocketOptions = {}): PacketSocketSender {
    const c = libc();
    const batchSize = Math.max(
      1,
      Math.min(opts.batchSize ?? MAX_SENDMMSG_BATCH, MAX_SENDMMSG_BATCH),
    );
    const ifindex = c.if_nametoindex(cString(iface));
    if (ifindex === 0) {
      throw new OsError(
        "if_nametoindex",
        19,
        `no interface named ${iface}`,
        "list them with --iflist",
      );
    }
    const fd = c.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const e = lastError("socket(AF_PACKET, SOCK_RAW)");
      throw new OsError(
        e.operation,
        e.errno,
        e.message.replace(/^[^:]*: /, ""),
        e.errno === 1 || e.errno === 13 ? RAW_PRIVILEGE_HINT : undefined,
      );
    }
    try {
      const sll = new Uint8Array(SOCKADDR_LL_SIZE);
      const v = new DataView(sll.buffer);
      v.setUint16(0, AF_PACKET, true);
      v.setUint16(2, 0, false); // protocol 0: send only, never receive
      v.setInt32(4, ifindex, true);
      if (c.bind(fd, sll, SOCKADDR_LL_SIZE) !== 0) throw lastError(`bind(${iface})`);
      const one = new Uint8Array(new Int32Array([1]).buffer);
      if (opts.qdiscBypass ?? true) {
        c.setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, one, 4); // best effort (Linux ≥ 3.14)
      }
      const sndbuf = new Uint8Array(new Int32Array([opts.sendBufferBytes ?? 4 << 20]).buffer);
      if (c.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf, 4) !== 0) {
        c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, sndbuf, 4);
      }
    } catch (e) {
      c.close(fd);
      throw e;
    }
    const kind = opts.linkKind ?? sendLinkKindOf(interfaceArphrd(iface));
    return new PacketSocketSender(iface, ifindex, fd, kind, batchSize);
  }

  /** The socket's file descriptor (-1 once closed). */
  get fd(): number {
    return this.#fd;
  }

  /** Sends frames `[0, count)` of `batch` (offset and length from its
   * index; frames start at the Ethernet header, or at the IP header on
   * raw-IP links). Returns the number the kernel accepted, which is `count`
   * unless the socket stays busy through the retries. */
  sendBatch(batch: FrameBatch, count: number): number {
    const fd = this.#fd;
    if (fd < 0) throw new OsError("sendmmsg", 9, `${this.iface}: sender is closed`);
    const c = libc();
    const index = batch.index, data = batch.data;
    const base = addressOf(data);
    const raw = this.linkKind === "raw";
    let done = 0;
    while (done < count) {
      const n = Math.min(count - done, this.batchSize);
      const iov = this.#iov32, m = this.#msgs32;
      for (let i = 0; i < n; i++) {
        const k = (done + i) * INDEX_STRIDE;
        const off = index[k]!;
        const a = base + off;
        const w = i << 2;
        iov[w] = a >>> 0;
        iov[w + 1] = (a / 4294967296) >>> 0;
        iov[w + 2] = index[k + 1]!;
        if (raw) {
          const mw = (i * MMSGHDR_SIZE) >> 2;
          const na = this.#nameAddr + ((data[off]! >> 4) === 6 ? 32 : 0);
          m[mw] = na >>> 0;
          m[mw + 1] = (na / 4294967296) >>> 0;
          m[mw + 2] = SOCKADDR_LL_SIZE;
        }
      }
      const sent = this.#sendmmsg(c, n);
      if (sent <= 0) break;
      done += sent;
    }
    this.stats.sent += done;
    return done;
  }

  // Sends the first n prepared messages, retrying partial sends and short
  // busy periods; returns how many went out (0 if the socket stayed busy).
  #sendmmsg(c: ReturnType<typeof libc>, n: number): number {
    let sent = 0, busyRounds = 0;
    while (sent < n) {
      const msgs = sent === 0 ? this.#msgs : this.#msgs.subarray(sent * MMSGHDR_SIZE);
      const rc = c.sendmmsg(this.#fd, msgs, n - sent, 0);
      this.stats.calls++;
      if (rc > 0) {
        sent += rc;
        busyRounds = 0;
        continue;
      }
      const e = lastError(`sendmmsg(${this.iface})`);
      if (e.errno === EINTR) continue;
      if ((e.errno === ENOBUFS || e.errno === EAGAIN) && busyRounds < 64) {
        this.stats.busy++;
        busyRounds++;
        continue;
      }
      if (sent > 0 || e.errno === ENOBUFS || e.errno === EAGAIN) return sent;
      throw e;
    }
    return sent;
  }

  /** Sends one frame (allocates nothing, but one syscall per frame). */
  send(frame: Uint8Array): void {
    if (this.#fd < 0) throw new OsError("send", 9, `${this.iface}: sender is closed`);
    const c = libc();
    let rc: number | bigint;
    if (this.linkKind === "raw") {
      const off = (frame[0]! >> 4) === 6 ? 32 : 0;
      rc = c.sendto(
        this.#fd,
        frame as Uint8Array<ArrayBuffer>,
        BigInt(frame.length),
        0,
        this.#names.subarray(off, off + SOCKADDR_LL_SIZE),
        SOCKADDR_LL_SIZE,
      );
    } else {
      rc = c.send(this.#fd, frame as Uint8Array<ArrayBuffer>, BigInt(frame.length), 0);
    }
    if (Number(rc) < 0) throw lastError(`send(${this.iface})`);
    this.stats.sent++;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    untrack(this);
    libc().close(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
