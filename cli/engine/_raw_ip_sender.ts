/**
 * ADAPTER (engine-owned, temporary): a raw IP sender for loopback routes,
 * until ffi/ offers one (requested from the ffi room; then this file goes).
 *
 * Why: a frame injected with a packet socket on `lo` reaches the IP stack
 * without a route attached, and Linux drops input addressed to 127.0.0.0/8
 * as martian (route_localnet=0) — so SYNs to 127.0.0.1 would never be
 * answered. nmap sends over a raw IP socket on loopback for the same reason
 * (its --send-ip path); the kernel then routes the packet like its own
 * traffic. Frames handed to this sender start at the IP header (the
 * session builds loopback probes with the raw-IP link type).
 *
 * It uses libc through ffi/_libc.ts (no dlopen here).
 *
 * @module
 */

import { lastError, libc } from "../../ffi/_libc.ts";
import type { FrameBatch } from "../../ffi/frame_batch.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_RAW = 255; // implies IP_HDRINCL (and IPV6_HDRINCL on Linux)

/** Sends whole IP packets through the kernel's routing (raw IP socket). */
export class RawIpSender {
  #fd: number;
  readonly #family: 4 | 6;
  readonly #name: Uint8Array<ArrayBuffer>;

  constructor(family: 4 | 6) {
    const c = libc();
    const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) throw lastError(`socket(${family === 4 ? "AF_INET" : "AF_INET6"}, SOCK_RAW)`);
    this.#fd = fd;
    this.#family = family;
    this.#name = new Uint8Array(family === 4 ? 16 : 28);
    new DataView(this.#name.buffer).setUint16(0, family === 4 ? AF_INET : AF_INET6, true);
  }

  /** Send one IP packet (destination taken from its header). */
  send(packet: Uint8Array): void {
    if (this.#fd < 0) return;
    // sockaddr_in: family, port, addr at 4; sockaddr_in6: addr at 8.
    if (this.#family === 4) this.#name.set(packet.subarray(16, 20), 4);
    else this.#name.set(packet.subarray(24, 40), 8);
    const rc = libc().sendto(
      this.#fd,
      packet as Uint8Array<ArrayBuffer>,
      BigInt(packet.length),
      0,
      this.#name,
      this.#name.length,
    );
    if (Number(rc) < 0) {
      const e = lastError("sendto(raw IP)");
      // A full socket buffer drops the probe; the scheduler's retries cover it.
      if (e.errno !== 105 && e.errno !== 11) throw e;
    }
  }

  /** Send packets [0, count) of a batch; returns count. */
  sendBatch(batch: FrameBatch, count: number): number {
    for (let i = 0; i < count; i++) {
      const off = batch.index[i * 4]!;
      const len = batch.index[i * 4 + 1]!;
      this.send(batch.data.subarray(off, off + len));
    }
    return count;
  }

  close(): void {
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }
}
