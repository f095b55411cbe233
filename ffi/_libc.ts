/**
 * The few libc calls the OS edge needs (packet sockets, netlink, poll, mmap),
 * loaded lazily so that code which never sends raw frames never needs
 * --allow-ffi.
 *
 * @module
 */

import { FD_LIMIT_HINT, FFI_HINT, OsError, PermissionMissingError } from "./errors.ts";
import { lazySymbols } from "./_lazy_symbols.ts";

const LIBC_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  /** poll on Deno's blocking thread pool: a Promise, the event loop runs on. */
  poll_async: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  /** fcntl with an int argument (F_GETFD and the like). */
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const;

/** The loaded libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let symbols: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/** Is --allow-ffi granted? Asks without prompting. */
export function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/** Throws PermissionMissingError unless --allow-ffi is granted. */
export function requireFfi(what: string): void {
  if (!ffiGranted()) {
    throw new PermissionMissingError(`${what} needs Deno's FFI permission`, FFI_HINT);
  }
}

/** libc, loaded on first use, each symbol bound when first called (./_lazy_symbols.ts). Linux
 * only (packet sockets and netlink). */
export function libc(): Libc {
  if (symbols) return symbols;
  requireFfi("raw packet access");
  if (Deno.build.os !== "linux") {
    throw new OsError("dlopen libc", 95, "packet sockets and netlink need Linux");
  }
  Deno.dlopen("libc.so.6", {}); // a libc that cannot load fails here, not at a later call
  symbols = lazySymbols("libc.so.6", LIBC_SYMBOLS);
  return symbols;
}

/** errno of the last failing libc call on this (the main) thread. */
export function errno(): number {
  const c = libc();
  errnoView ??= new Deno.UnsafePointerView(c.__errno_location()!);
  return errnoView.getInt32();
}

/** strerror text of an errno value. */
export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${code}`;
}

/** An OsError for the call that just failed, read from errno. */
export function lastError(operation: string, hint?: string): OsError {
  const e = errno();
  // EMFILE, ENFILE: the fix is the limit, whatever the call.
  if (e === 24 || e === 23) hint ??= FD_LIMIT_HINT;
  return new OsError(operation, e, strerror(e), hint);
}

/** NUL-terminated UTF-8 bytes of a string, for `buffer` parameters. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder().encode(s);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

/** Whether Deno refused a plain read of /proc or /sys already: a refusal is an exception,
 * ~1 ms each, and a route lookup reads a dozen such files. */
let denoRefuses = false;
/** One read buffer for every such file (they are small; a larger one is read in chunks). */
let readBuf: Uint8Array<ArrayBuffer> | undefined;
const utf8 = new TextDecoder();

/** Reads a /proc or /sys file. Deno 2.9 wants --allow-all for these paths,
 * so when plain reading is refused and --allow-ffi is granted the file is
 * read through libc instead. Undefined when unreadable either way. */
export function readSystemFile(path: string): string | undefined {
  if (!denoRefuses) {
    try {
      return Deno.readTextFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) {
        return undefined;
      }
    }
  }
  if (!ffiGranted() || Deno.build.os !== "linux") return undefined;
  denoRefuses = true; // and libc reads: later reads go there at once
  const c = libc();
  const fd = c.open(cString(path), 0o2000000); // O_RDONLY | O_CLOEXEC
  if (fd < 0) return undefined;
  try {
    const buf = readBuf ??= new Uint8Array(1 << 16);
    const chunks: Uint8Array[] = [];
    for (;;) {
      const n = Number(c.read(fd, buf, BigInt(buf.length)));
      if (n < 0) return undefined;
      if (n === 0) break;
      chunks.push(buf.slice(0, n));
    }
    if (chunks.length === 1) return utf8.decode(chunks[0]!);
    const all = new Uint8Array(chunks.reduce((s, x) => s + x.length, 0));
    let o = 0;
    for (const ch of chunks) all.set(ch, o), (o += ch.length);
    return utf8.decode(all);
  } finally {
    c.close(fd);
  }
}

// Constants from <sys/socket.h>, <linux/if_packet.h>, <linux/if_ether.h>.
export const AF_PACKET = 17;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
/** SO_TIMESTAMPING_OLD on x86-64 and arm64; also the cmsg type the stamps come back with. */
export const SO_TIMESTAMPING = 37;
/** SOF_TIMESTAMPING_* flags (<linux/net_tstamp.h>). */
export const SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1;
export const SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
export const SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11;
export const SOL_PACKET = 263;
export const PACKET_VERSION = 10;
export const PACKET_TX_RING = 13;
export const PACKET_LOSS = 14;
export const PACKET_QDISC_BYPASS = 20;
export const TPACKET_V2 = 1;
export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const MSG_DONTWAIT = 0x40;
export const MSG_ERRQUEUE = 0x2000;
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const EAGAIN = 11;
export const EINTR = 4;
export const ENOBUFS = 105;
export const EPERM = 1;
export const EACCES = 13;
