/**
 * A Linux tun device held by this process: frames written to it arrive at
 * the kernel as received on the interface, frames the kernel (or a packet
 * socket) sends out of the interface can be read from it. The lab uses it
 * for raw-IP links (DLT_RAW), where there is no Ethernet header.
 *
 * @module
 */

import { cString, lastError, libc, POLLIN } from "./_libc.ts";
import { OsError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { track, untrack } from "./registry.ts";

const TUNSETIFF = 0x400454can;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const O_RDWR_CLOEXEC = 0o2000002;

/** An attached tun interface (IFF_TUN, no packet-info header). */
export class TunDevice {
  readonly name: string;
  #fd: number;
  #buf = new Uint8Array(65536);
  #pfd = new Uint8Array(8);

  private constructor(name: string, fd: number) {
    this.name = name;
    this.#fd = fd;
    track(this);
  }

  /** Creates (or attaches to) tun device `name`; needs CAP_NET_ADMIN. */
  static open(name: string): TunDevice {
    if (name.length > 15) throw new OsError("TUNSETIFF", 22, `interface name too long: ${name}`);
    const c = libc();
    const fd = c.open(cString("/dev/net/tun"), O_RDWR_CLOEXEC);
    if (fd < 0) throw lastError("open(/dev/net/tun)");
    const ifr = new Uint8Array(40);
    ifr.set(cString(name));
    new DataView(ifr.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
    if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const e = lastError(`TUNSETIFF(${name})`, RAW_PRIVILEGE_HINT);
      c.close(fd);
      throw e;
    }
    return new TunDevice(name, fd);
  }

  /** Injects one IP packet as if received on the interface. */
  write(packet: Uint8Array): void {
    const rc = Number(
      libc().write(this.#fd, packet as Uint8Array<ArrayBuffer>, BigInt(packet.length)),
    );
    if (rc < 0) throw lastError(`write(${this.name})`);
  }

  /** The next IP packet sent out of the interface, or null after `timeoutMs`
   * (blocks the calling thread for at most that long). */
  read(timeoutMs: number): Uint8Array | null {
    const c = libc();
    const v = new DataView(this.#pfd.buffer);
    v.setInt32(0, this.#fd, true);
    v.setInt16(4, POLLIN, true);
    v.setInt16(6, 0, true);
    if (c.poll(this.#pfd, 1n, timeoutMs) <= 0) return null;
    const n = Number(c.read(this.#fd, this.#buf, BigInt(this.#buf.length)));
    if (n < 0) throw lastError(`read(${this.name})`);
    return this.#buf.slice(0, n);
  }

  /** Detaches (a non-persistent device disappears). Idempotent. */
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
