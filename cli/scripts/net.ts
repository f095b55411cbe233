/**
 * The sockets NSE scripts get: TCP, TLS ("ssl") and UDP through node:net, node:tls and
 * node:dgram, behind a small interface so tests can hand the engine a fake network.
 */

import { udpLibcAvailable, udpLibcConnect } from "../engine/udp_libc.ts";

/** One connected socket as the NSE engine uses it. */
export interface NseConn {
  send(data: Uint8Array): Promise<void>;
  /** The next bytes received; null at end of stream. Rejects with "TIMEOUT" after timeoutMs. */
  read(timeoutMs: number): Promise<Uint8Array | null>;
  close(): void;
  info: { lhost: string; lport: number; rhost: string; rport: number };
}

/** Opens connections; proto is "tcp", "udp" or "ssl". Rejects with nmap's error words. */
export interface NseNet {
  connect(ip: string, port: number, proto: string, timeoutMs: number): Promise<NseConn>;
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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      clearTimeout(timer);
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

/** The real network. */
export const nodeNet: NseNet = {
  async connect(ip, port, proto, timeoutMs) {
    if (proto === "udp") {
      if (udpLibcAvailable()) return udpLibcConnect(ip, port);
      return await udpConnect(ip, port);
    }
    const net = await import("node:net");
    const tls = await import("node:tls");
    const inbox = new Inbox();
    const sock = proto === "ssl"
      ? tls.connect({ host: ip, port, rejectUnauthorized: false })
      : net.connect({ host: ip, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error("TIMEOUT"));
      }, timeoutMs);
      sock.once(proto === "ssl" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        resolve();
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(new Error(nmapError(e)));
      });
    });
    sock.on("data", (d: Uint8Array) => inbox.push(new Uint8Array(d)));
    sock.on("end", () => inbox.end());
    sock.on("error", (e) => inbox.end(nmapError(e)));
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
    };
  },
};

async function udpConnect(ip: string, port: number): Promise<NseConn> {
  const dgram = await import("node:dgram");
  const sock = dgram.createSocket(ip.includes(":") ? "udp6" : "udp4");
  const inbox = new Inbox();
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (e) => reject(new Error(nmapError(e))));
    sock.connect(port, ip, () => resolve());
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
