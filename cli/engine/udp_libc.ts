/**
 * UDP sockets for NSE scripts through libc (Linux, --allow-ffi): a connected socket whose receive
 * reports the ICMP port-unreachable as "Connection refused", as nmap's nsock does. node:dgram
 * in Deno drops that error, so a script probing a closed UDP port (ms-sql-info's SSRP on 1434)
 * waited its whole timeout where nmap returns at once.
 */
import { errno, ffiGranted, libc } from "../../ffi/_libc.ts";
import { formatIp, parseIp } from "../../core-wasm/addr.ts";

/** A connected UDP socket as NSE's sockets use it (cli/scripts/net.ts NseConn has this shape). */
export interface UdpConn {
  send(data: Uint8Array): Promise<void>;
  /** The next datagram; rejects with "TIMEOUT" after timeoutMs, "Connection refused" on ICMP. */
  read(timeoutMs: number): Promise<Uint8Array | null>;
  close(): void;
  info: { lhost: string; lport: number; rhost: string; rport: number };
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const ECONNREFUSED = 111;
const POLLIN = 1;
/** Longest single poll: a closed socket's pending read ends within this. */
const POLL_SLICE_MS = 100;

/** Can this process open UDP sockets through libc? */
export const udpLibcAvailable = (): boolean => Deno.build.os === "linux" && ffiGranted();

function sockaddr(ip: string, port: number): Uint8Array<ArrayBuffer> {
  const { family, bytes } = parseIp(ip) ?? { family: 4, bytes: new Uint8Array(4) };
  const a = new Uint8Array(family === 4 ? 16 : 28);
  new DataView(a.buffer).setUint16(0, family === 4 ? AF_INET : AF_INET6, true);
  new DataView(a.buffer).setUint16(2, port);
  a.set(bytes, family === 4 ? 4 : 8);
  return a;
}

function localOf(fd: number, v6: boolean): { lhost: string; lport: number } {
  const a = new Uint8Array(28);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, a.length, true);
  if (libc().getsockname(fd, a, len) !== 0) return { lhost: "", lport: 0 };
  const dv = new DataView(a.buffer);
  const lport = dv.getUint16(2);
  return { lhost: formatIp(v6 ? a.subarray(8, 24) : a.subarray(4, 8)), lport };
}

const error = (e: number) => new Error(e === ECONNREFUSED ? "Connection refused" : "ERROR");

/** A connected UDP socket to ip:port, from localPort when given (a script's bind). */
export function udpLibcConnect(ip: string, port: number, localPort?: number): UdpConn {
  const c = libc();
  const v6 = ip.includes(":");
  const fd = c.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw error(errno());
  const addr = sockaddr(ip, port);
  const local = localPort === undefined ? undefined : sockaddr(v6 ? "::" : "0.0.0.0", localPort);
  if ((local && c.bind(fd, local, local.length) !== 0) || c.connect(fd, addr, addr.length) !== 0) {
    const e = errno();
    c.close(fd);
    throw error(e);
  }
  let open = true;
  const buf = new Uint8Array(65536);
  const pollfd = new Uint8Array(8);
  new DataView(pollfd.buffer).setInt32(0, fd, true);
  new DataView(pollfd.buffer).setInt16(4, POLLIN, true);
  return {
    send(data) {
      if (!open) return Promise.reject(new Error("ERROR"));
      const n = Number(c.send(fd, data as Uint8Array<ArrayBuffer>, BigInt(data.length), 0));
      return n < 0 ? Promise.reject(error(errno())) : Promise.resolve();
    },
    async read(timeoutMs) {
      const end = performance.now() + timeoutMs;
      while (open) {
        const n = Number(c.recv(fd, buf, BigInt(buf.length), MSG_DONTWAIT));
        if (n >= 0) return buf.slice(0, n);
        const e = errno();
        if (e !== EAGAIN) throw error(e);
        const left = end - performance.now();
        if (left <= 0) break;
        await c.poll_async(pollfd, 1n, Math.ceil(Math.min(left, POLL_SLICE_MS)));
      }
      throw new Error("TIMEOUT");
    },
    close() {
      if (open) c.close(fd);
      open = false;
    },
    info: { ...localOf(fd, v6), rhost: ip, rport: port },
  };
}
