/**
 * The sockets a service probe talks through: plain TCP (Deno.connect), TLS
 * (node:tls, certificates not checked: we identify services, we do not trust
 * them) and connected UDP (node:dgram). Each is a Channel: a queue of events
 * (data, end of stream, error) read with a deadline, with a cap on how much
 * is buffered so a flooding server (chargen, /dev/zero) cannot eat memory.
 *
 * Each open channel holds one of the process's budgeted file descriptors
 * (cli/engine/descriptors.ts): opening waits for a free one, and an open that
 * fails for want of a local resource (EMFILE and the like) is made again
 * once one is free, so a shortage here never reads as a closed or wrapped port.
 */

import type * as net from "node:net";
import type { Buffer } from "node:buffer";
import { descriptorBudget, isLocalResourceError } from "../engine/descriptors.ts";
import type { ProxyHop } from "../engine/config.ts";
import { connectThrough } from "../engine/proxy_chain.ts";

/**
 * node:tls, node:net and node:dgram, loaded on first use rather than imported: a bundle hoists
 * static imports of built-ins to its top, where they cost dist/porthole.js ~30 ms of start-up
 * (--version included) even when no probe needs them.
 */
let nodeSockets:
  | Promise<{ tls: typeof import("node:tls"); net: typeof net; dgram: typeof import("node:dgram") }>
  | undefined;
const loadNodeSockets = () =>
  nodeSockets ??= Promise.all([import("node:tls"), import("node:net"), import("node:dgram")])
    .then(([tls, net, dgram]) => ({ tls, net, dgram }));

/** What a read produced. */
export type ChannelEvent =
  | { kind: "data"; data: Uint8Array }
  | { kind: "eof" }
  | { kind: "error"; code: string; message: string }
  | { kind: "timeout" };

/** A connection to a probed port. */
export interface Channel {
  /** Sends bytes (one datagram for UDP). */
  write(data: Uint8Array): Promise<void>;
  /** The next event, or "timeout" at `deadline` (a performance.now() value). */
  next(deadline: number): Promise<ChannelEvent>;
  close(): void;
}

/** Where to connect. */
export interface Endpoint {
  address: string;
  port: number;
  /** Local address to bind (nmap -S). */
  sourceAddress?: string;
  /** TLS server name indication, when the user gave a host name. */
  serverName?: string;
  /** --proxies: TCP and TLS go through this chain (UDP never does). */
  proxies?: readonly ProxyHop[];
}

/** Bytes buffered per channel beyond which reading pauses. */
export const CHANNEL_BUFFER_CAP = 64 * 1024;

/** Maps Deno and Node errors to errno-style codes. */
export function errorCode(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionReset) return "ECONNRESET";
  if (e instanceof Deno.errors.ConnectionRefused) return "ECONNREFUSED";
  if (e instanceof Deno.errors.ConnectionAborted) return "ECONNABORTED";
  if (e instanceof Deno.errors.BrokenPipe) return "EPIPE";
  if (e instanceof Deno.errors.TimedOut) return "ETIMEDOUT";
  if (e instanceof Deno.errors.NotConnected) return "ENOTCONN";
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  return "EIO";
}

/** An event queue with one waiting reader. */
class Queue {
  private events: ChannelEvent[] = [];
  private waiter?: (e: ChannelEvent) => void;
  buffered = 0;
  ended = false;
  onDrain?: () => void;

  push(e: ChannelEvent): void {
    if (this.ended) return;
    if (e.kind !== "data") this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(e);
      return;
    }
    if (e.kind === "data") this.buffered += e.data.length;
    this.events.push(e);
  }

  next(deadline: number): Promise<ChannelEvent> {
    const e = this.events.shift();
    if (e) {
      if (e.kind === "data") {
        this.buffered -= e.data.length;
        if (this.buffered < CHANNEL_BUFFER_CAP) this.onDrain?.();
      }
      return Promise.resolve(e);
    }
    const wait = deadline - performance.now();
    if (wait <= 0) return Promise.resolve({ kind: "timeout" });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: "timeout" });
      }, wait);
      this.waiter = (ev) => {
        clearTimeout(timer);
        resolve(ev);
      };
    });
  }
}

/**
 * Opens a channel on a budgeted descriptor: waits for one, retries an open
 * that failed for want of a local resource once one is free again, and gives
 * it back when the channel is closed.
 */
async function budgeted(open: () => Promise<Channel>, signal?: AbortSignal): Promise<Channel> {
  const budget = descriptorBudget();
  for (;;) {
    await budget.acquire(signal);
    let chan: Channel;
    try {
      chan = await open();
    } catch (e) {
      if (!isLocalResourceError(e)) {
        budget.give();
        throw e;
      }
      budget.overrun();
      if (signal?.aborted) throw e;
      continue;
    }
    budget.opened();
    let held = true;
    return {
      write: (data) => chan.write(data),
      next: (deadline) => chan.next(deadline),
      close() {
        chan.close();
        if (held) {
          held = false;
          budget.give();
        }
      },
    };
  }
}

/** TCP through Deno.connect (or node:net when a source address is set). */
export function connectTcp(
  ep: Endpoint,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Channel> {
  return budgeted(() => openTcp(ep, timeoutMs, signal), signal);
}

async function openTcp(
  ep: Endpoint,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Channel> {
  if (ep.sourceAddress || ep.proxies) return await connectNode(ep, timeoutMs, false, signal);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const onAbort = () => ac.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: ep.address, port: ep.port, signal: ac.signal });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  const q = new Queue();
  let closed = false;
  let paused: (() => void) | undefined;
  q.onDrain = () => {
    const p = paused;
    paused = undefined;
    p?.();
  };
  (async () => {
    const buf = new Uint8Array(16384);
    try {
      for (;;) {
        if (q.buffered >= CHANNEL_BUFFER_CAP) await new Promise<void>((r) => (paused = r));
        if (closed) return;
        const n = await conn.read(buf);
        if (n === null) {
          q.push({ kind: "eof" });
          return;
        }
        q.push({ kind: "data", data: buf.slice(0, n) });
      }
    } catch (e) {
      if (!closed) q.push({ kind: "error", code: errorCode(e), message: String(e) });
    }
  })();
  return {
    async write(data) {
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
    },
    next: (deadline) => q.next(deadline),
    close() {
      if (closed) return;
      closed = true;
      paused?.();
      q.push({ kind: "error", code: "ECANCELED", message: "closed" }); // wakes a waiting reader
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}

/** TLS (or plain TCP with a bound source address or proxies) through node:tls / node:net. */
export function connectTls(
  ep: Endpoint,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Channel> {
  return budgeted(() => connectNode(ep, timeoutMs, true, signal), signal);
}

async function connectNode(
  ep: Endpoint,
  timeoutMs: number,
  useTls: boolean,
  signal?: AbortSignal,
): Promise<Channel> {
  const { tls, net } = await loadNodeSockets();
  const started = performance.now();
  // Through proxies, the tunnel is made first and TLS (if any) starts inside it.
  const tunnel = ep.proxies
    ? await connectThrough(ep.proxies, ep.address, ep.port, timeoutMs, signal)
    : undefined;
  return await new Promise((resolve, reject) => {
    const q = new Queue();
    let settled = false;
    const opts = tunnel ? { socket: tunnel } : {
      host: ep.address,
      port: ep.port,
      localAddress: ep.sourceAddress,
    };
    const sock: net.Socket = useTls
      ? tls.connect({
        ...opts,
        rejectUnauthorized: false,
        servername: ep.serverName && net.isIP(ep.serverName) === 0 ? ep.serverName : undefined,
      })
      : tunnel ?? net.connect({ host: ep.address, port: ep.port, localAddress: ep.sourceAddress });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Deno.errors.TimedOut(`connect to ${ep.address}:${ep.port} timed out`)),
      Math.max(0, timeoutMs - (performance.now() - started)),
    );
    const onAbort = () => fail(new Error("connect cancelled"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const chan: Channel = {
      write: (data) =>
        new Promise((res, rej) => sock.write(data, (err) => (err ? rej(err) : res()))),
      next: (deadline) => q.next(deadline),
      close: () => {
        q.push({ kind: "error", code: "ECANCELED", message: "closed" });
        sock.destroy();
      },
    };
    q.onDrain = () => sock.resume();
    const connected = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(chan);
    };
    if (tunnel && !useTls) queueMicrotask(connected);
    else sock.on(useTls ? "secureConnect" : "connect", connected);
    sock.on("data", (d: Buffer) => {
      q.push({ kind: "data", data: new Uint8Array(d) });
      if (q.buffered >= CHANNEL_BUFFER_CAP) sock.pause();
    });
    sock.on("end", () => q.push({ kind: "eof" }));
    sock.on("error", (err: Error) => {
      if (!settled) return fail(err);
      q.push({ kind: "error", code: errorCode(err), message: err.message });
    });
    sock.on("close", () => q.push({ kind: "eof" }));
    tunnel?.resume(); // connectThrough hands it over paused
  });
}

/** An address in one spelling: IPv6 compressed and lower case, IPv4-mapped IPv6 as IPv4. */
export function canonicalAddress(address: string): string {
  if (!address.includes(":")) return address;
  const host = new URL(`http://[${address.replace(/%.*$/, "")}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/**
 * A connected UDP socket: each write is one datagram, each data event one reply from the
 * probed address and port (anything else is dropped, as a connected socket's kernel does).
 */
export function openUdp(ep: Endpoint, signal?: AbortSignal): Promise<Channel> {
  return budgeted(() => openUdpSocket(ep), signal);
}

async function openUdpSocket(ep: Endpoint): Promise<Channel> {
  const { dgram, net } = await loadNodeSockets();
  return await new Promise((resolve, reject) => {
    let sock: ReturnType<typeof dgram.createSocket>;
    try {
      sock = dgram.createSocket(net.isIPv6(ep.address) ? "udp6" : "udp4");
    } catch (e) {
      return reject(e);
    }
    const q = new Queue();
    let open = true;
    let connected = false;
    // Deno's connect() does not filter what arrives as the kernel's would: a datagram from any
    // other address or port (a service bound to 0.0.0.0 answering from its outgoing interface's
    // address) is not the probed port's reply, and nmap's connected socket never sees it.
    const peer = canonicalAddress(ep.address);
    sock.on("message", (msg: Buffer, from: { address: string; port: number }) => {
      if (from.port !== ep.port || canonicalAddress(from.address) !== peer) return;
      if (q.buffered < CHANNEL_BUFFER_CAP) q.push({ kind: "data", data: new Uint8Array(msg) });
    });
    sock.on("error", (err: Error) => {
      // Before the socket is connected (bind, EMFILE): the open failed.
      if (!connected) {
        open = false;
        try {
          sock.close();
        } catch { /* never opened */ }
        return reject(err);
      }
      // ICMP port unreachable shows up as ECONNREFUSED on a connected socket.
      q.push({ kind: "error", code: errorCode(err), message: err.message });
    });
    const ready = () =>
      sock.connect(ep.port, ep.address, () => {
        connected = true;
        if (!open) return;
        resolve({
          write: (data) =>
            new Promise((res, rej) => sock.send(data, (err) => (err ? rej(err) : res()))),
          next: (deadline) => q.next(deadline),
          close: () => {
            if (!open) return;
            open = false;
            q.push({ kind: "error", code: "ECANCELED", message: "closed" });
            try {
              sock.close();
            } catch { /* already closed */ }
          },
        });
      });
    try {
      if (ep.sourceAddress) sock.bind(0, ep.sourceAddress, ready);
      else ready();
    } catch (e) {
      reject(e);
    }
  });
}

/**
 * NSE's comm.exchange over UDP: one datagram out, the first reply from the port back (null
 * when none came in `timeoutMs` or the port refused).
 */
export async function exchangeUdp(
  ep: Endpoint,
  data: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  let chan: Channel | undefined;
  try {
    chan = await openUdp(ep);
    await chan.write(data);
    const ev = await chan.next(performance.now() + timeoutMs);
    return ev.kind === "data" ? ev.data : null;
  } catch {
    return null;
  } finally {
    chan?.close();
  }
}
