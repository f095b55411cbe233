import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import {
  answerLength,
  connectRequest,
  connectThrough,
  ProxyChainError,
  ProxyRefused,
} from "./proxy_chain.ts";
import type { ProxyHop } from "./config.ts";

const http: ProxyHop = { kind: "http", host: "127.0.0.1", port: 8080 };
const socks: ProxyHop = { kind: "socks4", host: "127.0.0.1", port: 1080 };
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("proxy chain: CONNECT requests, HTTP and SOCKS4, byte for byte", () => {
  deepEqual(
    connectRequest(http, "10.0.0.1", 22),
    text("CONNECT 10.0.0.1:22 HTTP/1.1\r\nHost: 10.0.0.1:22\r\n\r\n"),
  );
  deepEqual(
    connectRequest(http, "fd00::1", 443),
    text("CONNECT [fd00::1]:443 HTTP/1.1\r\nHost: [fd00::1]:443\r\n\r\n"),
  );
  deepEqual(
    connectRequest(socks, "10.1.2.3", 0x1f90),
    Uint8Array.of(4, 1, 0x1f, 0x90, 10, 1, 2, 3, 0),
  );
  throws(() => connectRequest(socks, "fd00::1", 80), ProxyChainError);
});

Deno.test("proxy chain: answers: any 2xx opens, errors refuse, the rest breaks the chain", () => {
  const ok = text("HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy\r\n\r\nSSH-2.0");
  equal(answerLength(http, ok, true), ok.length - 7);
  equal(answerLength(http, text("HTTP/1.1 200 OK\r\n"), true), 0); // not all there yet
  throws(
    () => answerLength(http, text("HTTP/1.0 500 Unable to connect\r\n\r\n"), true),
    ProxyRefused,
  );
  throws(() => answerLength(http, text("HTTP/1.0 500 Unable\r\n\r\n"), false), ProxyChainError);
  throws(() => answerLength(http, text("SSH-2.0-x\r\n\r\n"), true), ProxyChainError);
  equal(answerLength(socks, Uint8Array.of(0, 90, 0, 0, 0, 0, 0, 0, 65), true), 8);
  equal(answerLength(socks, Uint8Array.of(0, 90, 0), true), 0);
  throws(() => answerLength(socks, Uint8Array.of(0, 91, 0, 0, 0, 0, 0, 0), true), ProxyRefused);
  throws(() => answerLength(socks, Uint8Array.of(0, 7, 0, 0, 0, 0, 0, 0), true), ProxyChainError);
});

/** A one-connection fake proxy on loopback that answers `answer` to the first bytes it reads. */
function fakeProxy(answer: Uint8Array): { port: number; asked: Promise<Uint8Array> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const asked = (async () => {
    const c = await l.accept();
    l.close();
    const buf = new Uint8Array(512);
    const n = await c.read(buf);
    await c.write(answer);
    setTimeout(() => c.close(), 200);
    return buf.slice(0, n ?? 0);
  })();
  return { port: (l.addr as Deno.NetAddr).port, asked };
}

Deno.test("proxy chain: the bytes after the proxy's answer are the target's", async () => {
  const p = fakeProxy(text("HTTP/1.1 200 Connection established\r\n\r\n220 banner\r\n"));
  const sock = await connectThrough([{ ...http, port: p.port }], "10.9.9.9", 21, 5000);
  const first = new Promise<string>((r) => sock.once("data", (d) => r(String(d))));
  sock.resume(); // handed over paused
  equal(await first, "220 banner\r\n");
  sock.destroy();
  equal(new TextDecoder().decode(await p.asked).split("\r\n")[0], "CONNECT 10.9.9.9:21 HTTP/1.1");
});

Deno.test("proxy chain: a refusal, and a first proxy that is not there", async () => {
  const p = fakeProxy(Uint8Array.of(0, 91, 0, 0, 0, 0, 0, 0));
  await rejects(connectThrough([{ ...socks, port: p.port }], "10.9.9.9", 21, 5000), ProxyRefused);
  await p.asked;
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await rejects(connectThrough([{ ...http, port }], "10.9.9.9", 21, 5000), ProxyChainError);
});
