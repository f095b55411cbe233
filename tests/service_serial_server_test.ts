/**
 * Issue 25 without a lab: a daemon that serves one connection at a time and blocks reading the
 * first one it accepts (net-snmp's SMUX does) answers the probe that names it only when that
 * probe does not wait in the queue behind the silent NULL probe's connection. Probes sent side by
 * side must still give the one-at-a-time answer; a daemon that serves connections side by side
 * gets no probe sent twice.
 */

import { assertEquals } from "./testing/assert.ts";
import { parseOptions } from "../cli/options/mod.ts";
import { detectServices } from "../cli/service/mod.ts";
import { parseProbeDb } from "../cli/service/probe_db.ts";
import { bytes, loopbackHost, serveTcp } from "./testing/service_servers.ts";

/** NULL, then three probes; only the first one's match lines know the reply. */
const DB = parseProbeDb(
  [
    "Probe TCP NULL q||",
    "totalwaitms 2000",
    "Probe TCP First q|\\r\\n\\r\\n|",
    "rarity 1",
    "totalwaitms 1000",
    "match smux m|^A\\x01\\x02$| p/Linux SNMP multiplexer/",
    "Probe TCP Second q|GET / HTTP/1.0\\r\\n\\r\\n|",
    "rarity 1",
    "totalwaitms 1000",
    "Probe TCP Third q|HELP\\r\\n|",
    "rarity 1",
    "totalwaitms 1000",
  ].join("\n"),
  "serial-test",
);

/**
 * A server that accepts one connection, waits up to `blockMs` for its first bytes, answers them
 * with SMUX's close PDU and closes, and only then accepts the next.
 */
function serveOneAtATime(
  blockMs: number,
): { port: number; connections: () => number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  let open = true;
  (async () => {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await listener.accept();
      } catch {
        return;
      }
      connections++;
      const buf = new Uint8Array(1024);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        c.read(buf).catch(() => null),
        new Promise<null>((r) => timer = setTimeout(() => r(null), blockMs)),
      ]);
      clearTimeout(timer);
      if (n && open) await c.write(bytes("A\x01\x02")).catch(() => 0);
      try {
        c.close();
      } catch { /* closed */ }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections: () => connections,
    close() {
      open = false;
      listener.close();
    },
  };
}

async function answer(port: number, args: string[]): Promise<string> {
  const host = loopbackHost([port]);
  await detectServices(host, parseOptions(["-sV", "127.0.0.1", ...args]), () => {}, {
    db: DB,
    graceMs: 200,
  });
  const s = host.ports[0]!.service!;
  return `${s.name} ${s.product ?? ""}`.trim();
}

Deno.test("engine: a daemon serving one connection at a time gets the one-at-a-time answer", async () => {
  const one = serveOneAtATime(10_000);
  try {
    assertEquals(
      await answer(one.port, ["--version-parallelism", "1"]),
      "smux Linux SNMP multiplexer",
    );
    for (let i = 0; i < 3; i++) {
      assertEquals(await answer(one.port, []), "smux Linux SNMP multiplexer");
    }
  } finally {
    one.close();
  }
});

Deno.test("engine: a daemon serving side by side gets no probe twice", async () => {
  // Silent to everything but Third, which it answers with something no line matches.
  const s = serveTcp({ reply: (r) => r.startsWith("HELP") ? "?" : null });
  try {
    assertEquals(await answer(s.port, []), "unknown");
    assertEquals(s.connections, 4);
  } finally {
    s.close();
  }
});
