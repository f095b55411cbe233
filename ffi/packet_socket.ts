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
 * @module
 */

import {
  AF_PACKET,
  cString,
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
import { addressOf, MAX_SENDMMSG_BATCH, MmsgArrays, NAME_SLOT, type SenderStats } from "./_mmsg.ts";
import { track, untrack } from "./registry.ts";

const SOCKADDR_LL_SIZE = 20;
export { MAX_SENDMMSG_BATCH, type SenderStats };

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
    this.#mm = new MmsgArrays(batchSize);
    this.#ll = new Uint8Array(new ArrayBuffer(128));
    const nv = new DataView(this.#ll.buffer);
    for (const [i, proto] of [[0, ETH_P_IP], [1, ETH_P_IPV6]] as const) {
      nv.setUint16(i * NAME_SLOT, AF_PACKET, true);
      nv.setUint16(i * NAME_SLOT + 2, proto, false);
      nv.setInt32(i * NAME_SLOT + 4, ifindex, true);
    }
    this.#llAddr = addressOf(this.#ll);
    track(this);
  }

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
    const index = batch.index, data = batch.data, mm = this.#mm;
    const base = addressOf(data);
    const raw = this.linkKind === "raw";
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
      done += sent;
      if (sent < n) break;
    }
    this.stats.sent += done;
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
