/**
 * Loopback servers for service-detection tests: small scripted TCP, TLS and
 * UDP responders on 127.0.0.1, each recording what it received. Test-only.
 */

import * as dgram from "node:dgram";
import { Buffer } from "node:buffer";
import type { HostResult, PortResult } from "../../cli/model/mod.ts";

const enc = new TextEncoder();
export const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const text = (b: Uint8Array) => String.fromCharCode(...b);

/** What a scripted connection does. */
export interface Script {
  /** Sent on connect (after `greetDelayMs`). */
  greeting?: Uint8Array | string;
  greetDelayMs?: number;
  /** Replies to what the client sent (whole chunks), or null for silence. */
  reply?: (received: string) => Uint8Array | string | null | Promise<Uint8Array | string | null>;
  /** Close this many ms after connect (0: at once, before anything). */
  closeAfterMs?: number;
  /** Custom handler instead of the above. */
  handler?: (conn: Deno.Conn, log: string[]) => Promise<void>;
}

/** A running loopback server. */
export interface TestServer {
  port: number;
  /** Every chunk received, across connections. */
  received: string[];
  connections: number;
  close(): void;
}

const toBytes = (x: Uint8Array | string) => (typeof x === "string" ? bytes(x) : x);

async function writeAll(c: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await c.write(data.subarray(off));
}

async function runScript(c: Deno.Conn, s: Script, log: string[], live: () => boolean) {
  if (s.handler) return await s.handler(c, log);
  let closer: ReturnType<typeof setTimeout> | undefined;
  if (s.closeAfterMs !== undefined) {
    if (s.closeAfterMs === 0) return;
    closer = setTimeout(() => {
      try {
        c.close();
      } catch { /* closed */ }
    }, s.closeAfterMs);
  }
  try {
    if (s.greeting !== undefined) {
      if (s.greetDelayMs) await new Promise((r) => setTimeout(r, s.greetDelayMs));
      if (!live()) return;
      await writeAll(c, toBytes(s.greeting));
    }
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) return;
      const got = text(buf.subarray(0, n));
      log.push(got);
      const r = s.reply ? await s.reply(got) : null;
      if (r !== null && live()) await writeAll(c, toBytes(r));
    }
  } finally {
    clearTimeout(closer);
  }
}

/** Where a test server listens when not on an ephemeral 127.0.0.1 port. */
export interface ListenAt {
  hostname: string;
  port: number;
}

/** Serves `script` on an ephemeral 127.0.0.1 port or `at` (or TLS with cert/key). */
export function serveTcp(
  script: Script,
  tls?: { cert: string; key: string },
  at: ListenAt = { hostname: "127.0.0.1", port: 0 },
): TestServer {
  const listener: Deno.Listener = tls
    ? Deno.listenTls({ ...at, cert: tls.cert, key: tls.key })
    : Deno.listen(at);
  const received: string[] = [];
  const conns = new Set<Deno.Conn>();
  let open = true;
  const server: TestServer = {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    connections: 0,
    close() {
      open = false;
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
  (async () => {
    try {
      for await (const c of listener) {
        server.connections++;
        conns.add(c);
        runScript(c, script, received, () => open && conns.has(c))
          .catch(() => {})
          .finally(() => {
            conns.delete(c);
            try {
              c.close();
            } catch { /* closed */ }
          });
      }
    } catch { /* listener closed */ }
  })();
  return server;
}

/** A UDP responder on an ephemeral 127.0.0.1 port or `at` (node:dgram: no --unstable-net needed). */
export async function serveUdp(
  reply: (msg: Uint8Array) => Uint8Array | null,
  at: ListenAt = { hostname: "127.0.0.1", port: 0 },
): Promise<TestServer> {
  const sock = dgram.createSocket("udp4");
  const received: string[] = [];
  await new Promise<void>((r, j) => {
    sock.once("error", j);
    sock.bind(at.port, at.hostname, () => r());
  });
  sock.on("message", (msg: Buffer, rinfo: { port: number; address: string }) => {
    const m = new Uint8Array(msg);
    received.push(text(m));
    const r = reply(m);
    if (r) sock.send(Buffer.from(r), rinfo.port, rinfo.address);
  });
  return {
    port: sock.address().port,
    received,
    connections: 0,
    close: () => sock.close(),
  };
}

/** A self-signed certificate from openssl, or null when openssl is missing. */
export async function selfSignedCert(): Promise<{ cert: string; key: string } | null> {
  const dir = await Deno.makeTempDir({ prefix: "ph-svc-" });
  try {
    const r = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "2",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!r.success) return null;
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } catch {
    return null;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A host with the given open ports on 127.0.0.1 (or another loopback address). */
export function loopbackHost(
  ports: Array<number | [number, PortResult["protocol"], PortResult["state"]]>,
  address = "127.0.0.1",
): HostResult {
  return {
    address,
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "user-set",
    ports: ports.map((p): PortResult => {
      const [port, protocol, state] = typeof p === "number"
        ? [p, "tcp" as const, "open" as const]
        : p;
      return { protocol, port, state, reason: state === "open" ? "syn-ack" : "no-response" };
    }),
    startTime: Date.now(),
    endTime: 0,
  };
}

/** HTTP/1.1 response for a request head (anything else: no answer). */
export function httpReply(server: string, body = "<html><title>hi</title></html>") {
  return (req: string) =>
    /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(req)
      ? `HTTP/1.1 200 OK\r\nDate: Mon, 01 Apr 2024 10:00:00 GMT\r\nServer: ${server}\r\nContent-Length: ${body.length}\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n${body}`
      : null;
}

export { enc };
