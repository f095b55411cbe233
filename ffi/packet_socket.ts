/**
 * The fast send path: an AF_PACKET SOCK_RAW socket bound to one interface,
 * sending a whole FrameBatch per `sendmmsg` call. The mmsghdr and iovec
 * arrays live in buffers built once; per batch only the iovec base/length
 * words are rewritten, so a batch of 1024 frames costs one FFI crossing and
 * one syscall instead of 1024 of each (pcap_sendpacket).
 *
 * The socket is bound with protocol 0, so it never receives: capture stays
 * with libpcap. PACKET_QDISC_BYPASS skips the qdisc layer (frames go
 * straight to the driver); losses then show only on the receiving side.
 *
 * The first frames of each batch ask for a software transmit timestamp (SO_TIMESTAMPING, per
 * message): the kernel's clock when the driver took the frame, read back from the socket's error
 * queue right after the call, in send order. Captured replies carry the same clock, so their
 * difference is the path's round trip, not the runtime's. (A capture never sees frames that
 * bypass the qdisc, so it cannot time them instead.)
 *
 * @module
 */

import {
  AF_PACKET,
  cString,
  ETH_P_IP,
  ETH_P_IPV6,
  lastError,
  libc,
  MSG_DONTWAIT,
  MSG_ERRQUEUE,
  PACKET_QDISC_BYPASS,
  readSystemFile,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SO_TIMESTAMPING,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOF_TIMESTAMPING_OPT_TSONLY,
  SOF_TIMESTAMPING_SOFTWARE,
  SOF_TIMESTAMPING_TX_SOFTWARE,
  SOL_PACKET,
  SOL_SOCKET,
} from "./_libc.ts";
import { OsError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { type FrameBatch, INDEX_STRIDE } from "./frame_batch.ts";
import { addressOf, MAX_SENDMMSG_BATCH, MmsgArrays, NAME_SLOT, type SenderStats } from "./_mmsg.ts";
import { track, untrack } from "./registry.ts";

const SOCKADDR_LL_SIZE = 20;
export { MAX_SENDMMSG_BATCH, type SenderStats };

/**
 * Frames per batch that ask for a transmit stamp: enough exactly timed samples for the reported
 * latency even when a scan sends few batches, few enough that reading them back (one recvmsg
 * each) costs nothing next to the batch.
 */
export const TX_STAMPED = 8;

/** What the first byte of a frame is on this interface. */
export type SendLinkKind = "ethernet" | "raw";

/** Options for {@link PacketSocketSender.open}. */
export interface PacketSocketOptions {
  /** Frames per sendmmsg call, at most 1024 (default 1024). */
  batchSize?: number;
  /** Bypass the qdisc layer (default true). */
  qdiscBypass?: boolean;
  /** Kernel transmit timestamps for the first {@link TX_STAMPED} frames of each batch
   * (default true). */
  txTimestamps?: boolean;
  /** Socket send buffer in bytes (default 4 MiB; SO_SNDBUFFORCE when allowed). */
  sendBufferBytes?: number;
  /** Frame format; default from the interface's ARPHRD type (Ethernet and
   * Linux loopback take Ethernet frames; tun/ipip/ppp take IP packets). */
  linkKind?: SendLinkKind;
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
  #mm: MmsgArrays;
  // Raw-IP links need the protocol per frame: two sockaddr_ll in slots 0, 1.
  #ll: Uint8Array<ArrayBuffer>;
  #llAddr: number;
  /** The cmsg asking for a transmit timestamp, and the msghdr (with its iovec and control
   * space) that reads the stamps back; undefined when the socket does not stamp. */
  #stamp?: TxStampBuffers;

  private constructor(
    iface: string,
    ifindex: number,
    fd: number,
    linkKind: SendLinkKind,
    batchSize: number,
    stamps: boolean,
  ) {
    this.iface = iface;
    this.ifindex = ifindex;
    this.#fd = fd;
    this.linkKind = linkKind;
    this.batchSize = batchSize;
    this.#mm = new MmsgArrays(batchSize);
    this.#ll = new Uint8Array(new ArrayBuffer(128));
    const nv = new DataView(this.#ll.buffer);
    for (const [i, proto] of [[0, ETH_P_IP], [1, ETH_P_IPV6]] as const) {
      nv.setUint16(i * NAME_SLOT, AF_PACKET, true);
      nv.setUint16(i * NAME_SLOT + 2, proto, false);
      nv.setInt32(i * NAME_SLOT + 4, ifindex, true);
    }
    this.#llAddr = addressOf(this.#ll);
    if (stamps) this.#stamp = new TxStampBuffers();
    track(this);
  }

  /**
   * When frames 0, 1, … of the latest sendBatch left, by the kernel's CLOCK_REALTIME, in ms since
   * the epoch: the first {@link txStamped} entries hold.
   */
  readonly txStamps: Float64Array = new Float64Array(TX_STAMPED);
  /** Entries of {@link txStamps} that hold: 0 when the batch's stamps did not all come back
   * (none is trusted then), -1 while this socket has never had one (not asked for, or the
   * driver does not stamp). */
  txStamped = -1;

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
    let stamps = false;
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
      if (opts.txTimestamps ?? true) {
        // Report software stamps, without the frame itself; each batch asks for its own.
        const flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
        const v = new Uint8Array(new Int32Array([flags]).buffer);
        stamps = c.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, v, 4) === 0;
      }
    } catch (e) {
      c.close(fd);
      throw e;
    }
    const kind = opts.linkKind ?? sendLinkKindOf(interfaceArphrd(iface));
    return new PacketSocketSender(iface, ifindex, fd, kind, batchSize, stamps);
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
    const index = batch.index, data = batch.data, mm = this.#mm;
    const base = addressOf(data);
    const raw = this.linkKind === "raw";
    const stamp = this.#stamp;
    const asked = stamp ? Math.min(count, this.batchSize, TX_STAMPED) : 0;
    for (let i = 0; i < asked; i++) mm.setControl(i, stamp!.requestAddr, stamp!.requestLen);
    let done = 0;
    while (done < count) {
      const n = Math.min(count - done, this.batchSize);
      for (let i = 0; i < n; i++) {
        const k = (done + i) * INDEX_STRIDE;
        const off = index[k]!;
        mm.setIov(i, base + off, index[k + 1]!);
        if (raw) {
          mm.setName(i, this.#llAddr + ((data[off]! >> 4) === 6 ? NAME_SLOT : 0), SOCKADDR_LL_SIZE);
        }
      }
      const sent = mm.send(c, fd, n, this.iface, this.stats);
      // Only the first frames of the batch ask for stamps, not those of later calls.
      if (done === 0) { for (let i = 0; i < asked; i++) mm.setControl(i, 0, 0); }
      done += sent;
      if (sent < n) break;
    }
    this.stats.sent += done;
    if (stamp) {
      // Stamps come back in send order; a batch missing any (or with stale ones) times nothing.
      const got = stamp.read(c, fd, this.txStamps);
      const ok = got === Math.min(asked, done) ? got : 0;
      if (ok > 0 || this.txStamped >= 0) this.txStamped = ok;
    }
    return done;
  }

  /** Sends one frame (allocates nothing, but one syscall per frame). */
  send(frame: Uint8Array): void {
    if (this.#fd < 0) throw new OsError("send", 9, `${this.iface}: sender is closed`);
    const c = libc();
    let rc: number | bigint;
    if (this.linkKind === "raw") {
      const off = (frame[0]! >> 4) === 6 ? NAME_SLOT : 0;
      rc = c.sendto(
        this.#fd,
        frame as Uint8Array<ArrayBuffer>,
        BigInt(frame.length),
        0,
        this.#ll.subarray(off, off + SOCKADDR_LL_SIZE),
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

const CMSG_HEADER = 16; // struct cmsghdr on 64-bit Linux: size_t len, int level, int type
const MSGHDR_SIZE = 56;

/** Off-heap buffers for asking for transmit stamps and reading them from the error queue. */
class TxStampBuffers {
  readonly requestAddr: number;
  readonly requestLen = CMSG_HEADER + 8; // CMSG_SPACE(sizeof(u32))
  readonly #request = new Uint8Array(new ArrayBuffer(32));
  readonly #msg = new Uint8Array(new ArrayBuffer(MSGHDR_SIZE + 16 + 64));
  readonly #control = new Uint8Array(new ArrayBuffer(512));
  readonly #msgView = new DataView(this.#msg.buffer);
  readonly #controlView = new DataView(this.#control.buffer);
  readonly #iovAddr: number;
  readonly #controlAddr: number;

  constructor() {
    const r = new DataView(this.#request.buffer);
    r.setBigUint64(0, BigInt(CMSG_HEADER + 4), true); // CMSG_LEN(sizeof(u32))
    r.setInt32(8, SOL_SOCKET, true);
    r.setInt32(12, SO_TIMESTAMPING, true);
    r.setUint32(16, SOF_TIMESTAMPING_TX_SOFTWARE, true);
    this.requestAddr = addressOf(this.#request);
    const base = addressOf(this.#msg);
    this.#iovAddr = base + MSGHDR_SIZE;
    this.#controlAddr = addressOf(this.#control);
    // The iovec (16 bytes after the msghdr) points at 64 bytes after it: TSONLY sends none.
    this.#msgView.setBigUint64(MSGHDR_SIZE, BigInt(base + MSGHDR_SIZE + 16), true);
    this.#msgView.setBigUint64(MSGHDR_SIZE + 8, 64n, true);
  }

  /** Drains the error queue into `out` (ms since the epoch, in queue order); returns how many
   * software stamps it held (counting those past `out`'s end). */
  read(c: ReturnType<typeof libc>, fd: number, out: Float64Array): number {
    const m = this.#msgView, cv = this.#controlView;
    let n = 0;
    for (let round = 0; round < 4 * TX_STAMPED; round++) {
      m.setBigUint64(0, 0n, true); // msg_name
      m.setUint32(8, 0, true);
      m.setBigUint64(16, BigInt(this.#iovAddr), true); // msg_iov
      m.setBigUint64(24, 1n, true); // msg_iovlen
      m.setBigUint64(32, BigInt(this.#controlAddr), true); // msg_control
      m.setBigUint64(40, BigInt(this.#control.length), true); // msg_controllen
      m.setInt32(48, 0, true);
      if (Number(c.recvmsg(fd, this.#msg, MSG_ERRQUEUE | MSG_DONTWAIT)) < 0) break;
      const len = Number(m.getBigUint64(40, true));
      for (let off = 0; off + CMSG_HEADER <= len;) {
        const cl = Number(cv.getBigUint64(off, true));
        if (cl < CMSG_HEADER) break;
        // struct scm_timestamping: three timespecs; the first is the software stamp.
        if (
          cv.getInt32(off + 8, true) === SOL_SOCKET &&
          cv.getInt32(off + 12, true) === SO_TIMESTAMPING && cl >= CMSG_HEADER + 16
        ) {
          const sec = Number(cv.getBigInt64(off + 16, true));
          const nsec = Number(cv.getBigInt64(off + 24, true));
          if (sec > 0) {
            if (n < out.length) out[n] = sec * 1000 + nsec / 1e6;
            n++;
          }
        }
        off += (cl + 7) & ~7;
      }
    }
    return n;
  }
}
