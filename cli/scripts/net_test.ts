import assert from "node:assert/strict";
import { nodeNet } from "./net.ts";

/** Keeps the thread busy, as a long stretch of Lua does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/** Lets the promise chains started so far run, without giving the event loop a turn. */
async function settled(): Promise<void> {
  for (let i = 0; i < 20; i++) await null;
}

/** A local TCP server that greets each client; closed by the returned function. */
async function greeter(): Promise<{ port: number; close: () => void }> {
  const net = await import("node:net");
  const clients: import("node:net").Socket[] = [];
  const srv = net.createServer((s) => {
    clients.push(s);
    s.write("hello\n");
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as import("node:net").AddressInfo).port,
    close: () => {
      for (const c of clients) c.destroy();
      srv.close();
    },
  };
}

Deno.test("NSE socket: a connect that completed while the thread was busy past its timeout is connected (nsock handles I/O before timers)", async () => {
  const srv = await greeter();
  try {
    for (let i = 0; i < 3; i++) {
      const pending = nodeNet.connect("127.0.0.1", srv.port, "tcp", 50);
      await settled(); // the connect is under way, its timer armed; no I/O polled yet
      busy(250);
      const conn = await pending;
      assert.equal(new TextDecoder().decode((await conn.read(1000))!), "hello\n");
      conn.close();
    }
  } finally {
    srv.close();
  }
});

Deno.test("NSE socket: data that arrived while the thread was busy past a receive's timeout is received", async () => {
  // The server lives on a thread of its own, so it answers while this one is busy.
  const worker = new Worker(
    URL.createObjectURL(
      new Blob([
        `import net from "node:net";
        const srv = net.createServer((s) => setTimeout(() => s.write("late\\n"), 30));
        srv.listen(0, "127.0.0.1", () => self.postMessage(srv.address().port));`,
      ], { type: "text/javascript" }),
    ),
    { type: "module" },
  );
  try {
    const port = await new Promise<number>((r) => worker.onmessage = (e) => r(e.data));
    const conn = await nodeNet.connect("127.0.0.1", port, "tcp", 1000);
    const pending = conn.read(50);
    busy(250);
    assert.equal(new TextDecoder().decode((await pending)!), "late\n");
    conn.close();
  } finally {
    worker.terminate();
  }
});

Deno.test("NSE socket: a receive with nothing coming still times out", async () => {
  const srv = await greeter();
  try {
    const conn = await nodeNet.connect("127.0.0.1", srv.port, "tcp", 1000);
    await conn.read(1000);
    let err = "";
    const pending = conn.read(50).catch((e) => (err = (e as Error).message));
    busy(150);
    await pending;
    assert.equal(err, "TIMEOUT");
    conn.close();
  } finally {
    srv.close();
  }
});
