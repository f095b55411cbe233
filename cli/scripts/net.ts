/**
 * The sockets NSE scripts get: TCP, TLS ("ssl") and UDP through node:net, node:tls and
 * node:dgram, behind a small interface so tests can hand the engine a fake network. With
 * --proxies, TCP and TLS sockets go through the chain (TLS inside the tunnel); UDP goes direct,
 * as nmap's does.
 */

import { udpLibcAvailable, udpLibcConnect } from "../engine/udp_libc.ts";
import type { ProxyHop } from "../engine/config.ts";
import { connectThrough } from "../engine/proxy_chain.ts";
import { ioDeadline } from "./io_deadline.ts";

/** One connected socket as the NSE engine uses it. */
export interface NseConn {
  send(data: Uint8Array): Promise<void>;
  /** The next bytes received; null at end of stream. Rejects with "TIMEOUT" after timeoutMs. */
  read(timeoutMs: number): Promise<Uint8Array | null>;
  close(): void;
  info: { lhost: string; lport: number; rhost: string; rport: number };
  /** The server's certificate (DER) on a TLS connection. */
  peerCertificate?(): Uint8Array | undefined;
  /** Starts TLS on a plain connection (STARTTLS: nmap's reconnect_ssl). */
  startTls?(timeoutMs: number): Promise<void>;
}

/**
 * Opens connections; proto is "tcp", "udp" or "ssl" (with `serverName` as SNI when given).
 * Rejects with nmap's error words.
 */
export interface NseNet {
  connect(
    ip: string,
    port: number,
    proto: string,
    timeoutMs: number,
    serverName?: string,
    /** The local port to leave from (a script's bind); any when undefined. */
    localPort?: number,
  ): Promise<NseConn>;
}

/** Byte chunks received but not yet read, with one waiting reader at most. */
class Inbox {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: string | undefined;
  #wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#wake?.();
  }
  end(error?: string): void {
    this.#ended = true;
    this.#error ??= error;
    this.#wake?.();
  }
  async read(timeoutMs: number): Promise<Uint8Array | null> {
    if (this.#chunks.length === 0 && !this.#ended) {
      let cancel: (() => void) | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(false);
        cancel = ioDeadline(timeoutMs, () => resolve(true));
      });
      cancel?.();
      this.#wake = undefined;
      if (timedOut) throw new Error("TIMEOUT");
    }
    const chunk = this.#chunks.shift();
    if (chunk) return chunk;
    if (this.#error) throw new Error(this.#error);
    return null;
  }
}

/** nmap's words for socket errors. */
function nmapError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "ECONNREFUSED") return "Connection refused";
  if (code === "ECONNRESET") return "Connection reset by peer";
  if (code === "ETIMEDOUT") return "TIMEOUT";
  return "ERROR";
}

/** The real network, TCP through `proxies` when given. */
export function socketNet(proxies?: readonly ProxyHop[]): NseNet {
  return { connect: (...a) => connect(proxies, ...a) };
}

/** The real network, direct. */
export const nodeNet: NseNet = socketNet();

/** A TCP socket to ip:port through the proxies, rejecting with nmap's words for a failure. */
async function tunnel(
  proxies: readonly ProxyHop[],
  ip: string,
  port: number,
  timeoutMs: number,
): Promise<import("node:net").Socket> {
  try {
    return await connectThrough(proxies, ip, port, timeoutMs);
  } catch (e) {
    throw new Error(e instanceof Deno.errors.TimedOut ? "TIMEOUT" : "PROXY ERROR");
  }
}

async function connect(
  proxies: readonly ProxyHop[] | undefined,
  ip: string,
  port: number,
  proto: string,
  timeoutMs: number,
  serverName?: string,
  localPort?: number,
): Promise<NseConn> {
  if (proto === "udp") {
    if (udpLibcAvailable()) return udpLibcConnect(ip, port, localPort);
    return await udpConnect(ip, port, localPort);
  }
  const net = await import("node:net");
  const tls = await import("node:tls");
  const inbox = new Inbox();
  const inner = proxies ? await tunnel(proxies, ip, port, timeoutMs) : undefined;
  const to = inner ? { socket: inner } : { host: ip, port };
  let sock: import("node:net").Socket = proto === "ssl"
    ? tls.connect({ ...to, rejectUnauthorized: false, servername: serverName })
    : inner ?? net.connect({ host: ip, port, localPort });
  if (proto === "ssl" || !inner) {
    const done = established(sock, proto === "ssl" ? "secureConnect" : "connect", timeoutMs);
    inner?.resume();
    await done;
  }
  const onData = (d: Uint8Array) => inbox.push(new Uint8Array(d));
  const onEnd = () => inbox.end();
  const onError = (e: Error) => inbox.end(nmapError(e));
  const listen = (s: import("node:net").Socket) =>
    s.on("data", onData).on("end", onEnd).on("error", onError);
  listen(sock);
  inner?.resume(); // connectThrough hands it over paused
  return {
    send: (data) =>
      new Promise((resolve, reject) =>
        sock.write(data, (e) => e ? reject(new Error(nmapError(e))) : resolve())
      ),
    read: (t) => inbox.read(t),
    close: () => sock.destroy(),
    info: {
      lhost: sock.localAddress ?? "",
      lport: sock.localPort ?? 0,
      rhost: ip,
      rport: port,
    },
    peerCertificate: () => {
      const raw = (sock as import("node:tls").TLSSocket).getPeerCertificate?.(true)?.raw;
      return raw ? new Uint8Array(raw) : undefined;
    },
    async startTls(t) {
      if (sock instanceof tls.TLSSocket) throw new Error("Error: already a TLS connection");
      sock.off("data", onData).off("end", onEnd).off("error", onError);
      const secure = tls.connect({
        socket: sock,
        rejectUnauthorized: false,
        servername: serverName,
      });
      await established(secure, "secureConnect", t);
      sock = listen(secure);
    },
  };
}

/** Waits for a socket's connect (or TLS handshake) event; rejects with nmap's words. */
function established(
  sock: import("node:net").Socket,
  event: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancel = ioDeadline(timeoutMs, () => {
      sock.destroy();
      reject(new Error("TIMEOUT"));
    });
    sock.once(event, () => {
      cancel();
      resolve();
    });
    sock.once("error", (e) => {
      cancel();
      reject(new Error(nmapError(e)));
    });
  });
}

async function udpConnect(ip: string, port: number, localPort?: number): Promise<NseConn> {
  const dgram = await import("node:dgram");
  const sock = dgram.createSocket(ip.includes(":") ? "udp6" : "udp4");
  const inbox = new Inbox();
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (e) => reject(new Error(nmapError(e))));
    const connect = () => sock.connect(port, ip, () => resolve());
    if (localPort === undefined) connect();
    else sock.bind(localPort, connect);
  });
  sock.on("message", (m: Uint8Array) => inbox.push(new Uint8Array(m)));
  sock.on("error", (e) => inbox.end(nmapError(e)));
  const local = sock.address();
  return {
    send: (data) =>
      new Promise((resolve, reject) =>
        sock.send(data, (e) => e ? reject(new Error(nmapError(e))) : resolve())
      ),
    read: (t) => inbox.read(t),
    close: () => sock.close(),
    info: { lhost: local.address, lport: local.port, rhost: ip, rport: port },
  };
}
