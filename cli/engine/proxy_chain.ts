/**
 * TCP connections through a chain of proxies (--proxies): a connection to the first hop, then,
 * hop by hop, an HTTP CONNECT request (RFC 9110 §9.3.6) or a SOCKS4 CONNECT request to reach
 * the next hop and finally the target. The socket handed back carries the target's bytes only:
 * whatever came after the last proxy's answer is put back in front of the stream.
 *
 * nmap's nsock takes only an HTTP answer that contains "200 OK"; any 2xx opens the tunnel here,
 * as the RFC says (tinyproxy and Squid answer "200 Connection established"). Names of hops are
 * resolved here, never by a proxy (SOCKS4 needs an IPv4 address anyway), as nmap does.
 *
 * @module
 */

import type * as net from "node:net";
import type { ProxyHop } from "./config.ts";

/** The last proxy reached its target no further: it said so (an HTTP error or SOCKS4 91–93). */
export class ProxyRefused extends Error {
  override name = "ProxyRefused";
}

/**
 * The chain itself failed: the first proxy cannot be reached, a proxy cannot reach the next one,
 * or a proxy's answer is not its protocol's. Says nothing about the target.
 */
export class ProxyChainError extends Error {
  override name = "ProxyChainError";
}

/** The URL of a hop as messages print it. */
export function hopUrl(hop: ProxyHop): string {
  return `${hop.kind}://${hop.host.includes(":") ? `[${hop.host}]` : hop.host}:${hop.port}`;
}

let nodeNet: Promise<{ net: typeof net; dns: typeof import("node:dns/promises") }> | undefined;
const loadNode = () =>
  nodeNet ??= Promise.all([import("node:net"), import("node:dns/promises")])
    .then(([net, dns]) => ({ net, dns }));

const resolved = new Map<string, Promise<string>>();

/** A hop's address: a literal as is, a name through the system's resolver (once per run). */
async function hopAddress(hop: ProxyHop): Promise<string> {
  const { net, dns } = await loadNode();
  if (net.isIP(hop.host)) return hop.host;
  const family = hop.kind === "socks4" ? 4 : 0;
  let p = resolved.get(`${family}/${hop.host}`);
  if (!p) {
    p = dns.lookup(hop.host, { family }).then((r) => r.address, () => {
      throw new ProxyChainError(`Failed to resolve proxy hostname/IP: ${hop.host}`);
    });
    resolved.set(`${family}/${hop.host}`, p);
  }
  return await p;
}

/** The CONNECT request that asks `hop` for `address`:`port` (the next hop or the target). */
export function connectRequest(hop: ProxyHop, address: string, port: number): Uint8Array {
  if (hop.kind === "http") {
    const authority = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
    return new TextEncoder().encode(
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`,
    );
  }
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) {
    throw new ProxyChainError(`SOCKS4 proxy ${hopUrl(hop)} cannot relay to ${address} (IPv4 only)`);
  }
  // VN 4, CD 1 (CONNECT), DSTPORT, DSTIP, an empty USERID and its NUL (SOCKS4 protocol).
  return Uint8Array.of(4, 1, port >> 8, port & 255, ...octets, 0);
}

/**
 * How many bytes of `buf` are `hop`'s whole answer, 0 while it is incomplete; throws
 * ProxyRefused (or ProxyChainError for an answer that is no answer).
 */
export function answerLength(hop: ProxyHop, buf: Uint8Array, toTarget: boolean): number {
  const refused = (why: string) =>
    toTarget
      ? new ProxyRefused(`${hopUrl(hop)}: ${why}`)
      : new ProxyChainError(`${hopUrl(hop)} cannot reach the next proxy: ${why}`);
  if (hop.kind === "socks4") {
    if (buf.length < 8) return 0;
    if (buf[1] === 90) return 8;
    if (buf[1]! >= 91 && buf[1]! <= 93) throw refused(`SOCKS4 request rejected (${buf[1]})`);
    throw new ProxyChainError(`${hopUrl(hop)}: not a SOCKS4 answer`);
  }
  let end = -1;
  for (let i = 3; i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (buf.length > 16384) throw new ProxyChainError(`${hopUrl(hop)}: answer too long`);
    return 0;
  }
  const status = new TextDecoder().decode(buf.subarray(0, buf.indexOf(13)));
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(status);
  if (!m) throw new ProxyChainError(`${hopUrl(hop)}: not an HTTP answer`);
  if (m[1]!.startsWith("2")) return end;
  throw refused(status);
}

/**
 * A socket to `address`:`port` through `chain`. Rejects with ProxyRefused when the last proxy
 * could not reach the target, ProxyChainError when the chain broke before it, a TimedOut error
 * after `timeoutMs` in all. The socket is handed over paused, the target's first bytes (if
 * any came with the proxy's answer) unshifted: attach the readers, then `resume()` it.
 */
export async function connectThrough(
  chain: readonly ProxyHop[],
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const { net } = await loadNode();
  const addresses = await Promise.all(chain.map(hopAddress));
  const sock = net.connect({ host: addresses[0]!, port: chain[0]!.port });
  return await new Promise<net.Socket>((resolve, reject) => {
    let hop = 0;
    let buf = new Uint8Array(0);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.off("data", onData);
      sock.off("error", onError);
      sock.off("close", onClose);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(sock);
    };
    const timer = setTimeout(
      () => finish(new Deno.errors.TimedOut(`connect to ${address}:${port} timed out`)),
      timeoutMs,
    );
    const onAbort = () => finish(new Error("connect cancelled"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const ask = () => {
      const last = hop === chain.length - 1;
      try {
        sock.write(
          connectRequest(
            chain[hop]!,
            last ? address : addresses[hop + 1]!,
            last ? port : chain[hop + 1]!.port,
          ),
        );
      } catch (e) {
        finish(e as Error);
      }
    };
    const onData = (d: Uint8Array) => {
      const more = new Uint8Array(buf.length + d.length);
      more.set(buf);
      more.set(d, buf.length);
      buf = more;
      let used: number;
      try {
        used = answerLength(chain[hop]!, buf, hop === chain.length - 1);
      } catch (e) {
        return finish(e as Error);
      }
      if (used === 0) return;
      buf = buf.subarray(used);
      if (++hop < chain.length) {
        if (buf.length > 0) {
          return finish(
            new ProxyChainError(`${hopUrl(chain[hop - 1]!)}: bytes before the next proxy's turn`),
          );
        }
        return ask();
      }
      sock.pause();
      if (buf.length > 0) sock.unshift(buf);
      finish();
    };
    let connected = false;
    const onError = (e: Error) =>
      finish(
        new ProxyChainError(
          connected
            ? `${hopUrl(chain[hop]!)}: ${e.message}`
            : `cannot connect to proxy ${hopUrl(chain[0]!)}: ${e.message}`,
        ),
      );
    // A proxy that hangs up without an answer (overloaded, or not a proxy) tells nothing of the
    // target.
    const onClose = () =>
      finish(new ProxyChainError(`${hopUrl(chain[hop]!)} closed the connection unanswered`));
    sock.on("data", onData);
    sock.on("error", onError);
    sock.on("close", onClose);
    sock.once("connect", () => {
      connected = true;
      ask();
    });
  });
}

/**
 * Why `chain` cannot be used at all, or null: a hop's name that does not resolve, or a first
 * proxy that takes no connection (checked once before the scan, so a dead proxy is one message
 * rather than every port filtered).
 */
export async function proxyChainProblem(
  chain: readonly ProxyHop[],
  timeoutMs = 5000,
): Promise<string | null> {
  const { net } = await loadNode();
  try {
    const first = (await Promise.all(chain.map(hopAddress)))[0]!;
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: first, port: chain[0]!.port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error("timed out"));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.destroy();
        resolve();
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    return null;
  } catch (e) {
    const why = e instanceof ProxyChainError
      ? e.message
      : `cannot connect to proxy ${hopUrl(chain[0]!)}: ${(e as Error).message}`;
    return `Proxy connection failed: ${why}`;
  }
}
