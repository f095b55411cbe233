import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { connectScan, connectVerdict } from "./connect.ts";
import { ProxyChainError, ProxyRefused } from "../engine/proxy_chain.ts";
import { newCookies } from "../engine/context.ts";
import type { EngineContext } from "../engine/context.ts";
import { ScanHost } from "../engine/host.ts";
import type { Options } from "../options/types.ts";
import type { TimingPlan } from "../timing/mod.ts";

function ctx(): EngineContext {
  const plan: TimingPlan = {
    rtt: { initialRttTimeoutMs: 1000, minRttTimeoutMs: 100, maxRttTimeoutMs: 1000 },
    congestion: { initial: 10, min: 4, max: 256, ssthresh: 256 },
    retry: { maxRetries: 2, explicit: false },
    minRate: 0,
    maxRate: 0,
    hostTimeoutMs: 0,
    scanDelayMs: 0,
  };
  const opts = { randomizePorts: true } as Options;
  return {
    opts,
    plan,
    ...newCookies(),
    signal: new AbortController().signal,
    log: { info: () => {}, warn: () => {} },
  };
}

Deno.test("connect: open listeners are open (syn-ack), others conn-refused", async () => {
  const listeners = [
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  ];
  const open = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  // Accept and drop connections so the backlog never fills.
  for (const l of listeners) {
    (async () => {
      try {
        for await (const c of l) c.close();
      } catch {
        // closed
      }
    })();
  }
  // Closed ports: bind then close, so they are free (and almost surely unused).
  const closed: number[] = [];
  for (let i = 0; i < 5; i++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    closed.push((l.addr as Deno.NetAddr).port);
    l.close();
  }
  const c = ctx();
  const host = new ScanHost({ address: "127.0.0.1", family: 4, otherAddresses: [] }, c.jar);
  const ports = [...open, ...closed].sort((a, b) => a - b);
  const seen: string[] = [];
  try {
    const table = await connectScan(c, [host], ports, {
      port: (_h, port, state) => seen.push(`${port}/${state}`),
    });
    const res = table.results(0);
    assertEquals(res.length, ports.length);
    for (const r of res) {
      const isOpen = open.includes(r.port);
      assertEquals(r.state, isOpen ? "open" : "closed", `port ${r.port}`);
      assertEquals(r.reason, isOpen ? "syn-ack" : "conn-refused");
      assertEquals(r.protocol, "tcp");
    }
    assertEquals(seen.length, ports.length);
    assert(host.timing!.rtt.srtt !== undefined, "RTT measured");
  } finally {
    for (const l of listeners) l.close();
  }
});

Deno.test("connect: IPv6 loopback", async () => {
  let l: Deno.Listener;
  try {
    l = Deno.listen({ hostname: "::1", port: 0 });
  } catch {
    return; // no IPv6 on this host
  }
  const port = (l.addr as Deno.NetAddr).port;
  (async () => {
    try {
      for await (const c of l) c.close();
    } catch {
      // closed
    }
  })();
  const c = ctx();
  const host = new ScanHost({ address: "::1", family: 6, otherAddresses: [] }, c.jar);
  try {
    const table = await connectScan(c, [host], [port]);
    assertEquals(table.results(0)[0]?.state, "open");
  } finally {
    l.close();
  }
});

Deno.test("connect: error mapping", () => {
  assertEquals(connectVerdict(undefined), { state: "open", reason: "syn-ack" });
  assertEquals(connectVerdict(new Deno.errors.ConnectionRefused("x")), {
    state: "closed",
    reason: "conn-refused",
  });
  assertEquals(
    connectVerdict(new Error("No route to host (os error 113)"))?.reason,
    "host-unreach",
  );
  assertEquals(connectVerdict(new Error("timed out (os error 110)")), null);
  // --proxies: the last proxy's quick "could not" is a refusal; a broken chain says nothing.
  assertEquals(connectVerdict(new ProxyRefused("http://p:1: HTTP/1.0 500")), {
    state: "closed",
    reason: "conn-refused",
  });
  assertEquals(connectVerdict(new ProxyChainError("cannot connect to proxy")), null);
});
