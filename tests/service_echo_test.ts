/**
 * Echo services (inetd's echo, 7/tcp and 7/udp): a reply equal to, or a
 * prefix of, the probe that was sent names the port "echo" and never the
 * probed protocol (the echoed SMB probe is no SMB server).
 */

import { assertEquals } from "./testing/assert.ts";
import { parseOptions } from "../cli/options.ts";
import { detectServices } from "../cli/service/mod.ts";
import { builtinProbeDb, loadProbeDb, mergeProbeDbs } from "../cli/service/db.ts";
import type { ProbeDb } from "../cli/service/probe_db.ts";
import { loopbackHost, serveTcp, serveUdp } from "./testing/service_servers.ts";

const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";
const haveNmapProbes = (() => {
  try {
    return Deno.statSync(NMAP_PROBES).isFile;
  } catch {
    return false;
  }
})();

/** A loopback address of this test's own, where the echo port 7 is free. */
const ECHO_HOST = "127.77.0.7";

/** Echo servers on TCP and UDP: on ephemeral 127.0.0.1 ports, or on port 7 of ECHO_HOST. */
async function echoVerdict(db: ProbeDb, args: string[] = [], onPort7 = false) {
  const at = onPort7 ? { hostname: ECHO_HOST, port: 7 } : undefined;
  const tcp = serveTcp({ reply: (got) => got }, undefined, at);
  const udp = await serveUdp((m) => m, at).catch((e) => {
    tcp.close();
    throw e;
  });
  try {
    const host = loopbackHost(
      [tcp.port, [udp.port, "udp", "open|filtered"]],
      at?.hostname ?? "127.0.0.1",
    );
    const opts = parseOptions(["-sV", host.address, ...args]);
    const log: string[] = [];
    await detectServices(host, opts, (l) => log.push(l), { db });
    const s = (proto: string) => host.ports.find((p) => p.protocol === proto)!.service;
    return { tcp: s("tcp"), udp: s("udp"), udpState: host.ports[1]!.state, log };
  } finally {
    tcp.close();
    udp.close();
  }
}

Deno.test("echo: an echo server is echo with Porthole's database", async () => {
  for (const onPort7 of [false, true]) {
    const r = await echoVerdict(builtinProbeDb(), [], onPort7);
    assertEquals([r.tcp?.name, r.tcp?.product], ["echo", undefined], `port 7: ${onPort7}`);
    assertEquals(r.udp?.name, "echo", `port 7: ${onPort7}`);
    assertEquals(r.udpState, "open");
  }
});

Deno.test({
  name: "echo: an echo server is echo, never microsoft-ds, with nmap's probe file",
  ignore: !haveNmapProbes,
  fn: async () => {
    const db = mergeProbeDbs(await loadProbeDb(NMAP_PROBES), builtinProbeDb());
    for (const args of [[], ["--version-all"]]) {
      for (const onPort7 of [false, true]) {
        const r = await echoVerdict(db, args, onPort7);
        const why = `${args.join(" ")} port 7: ${onPort7}`;
        assertEquals([r.tcp?.name, r.tcp?.product], ["echo", undefined], why);
        assertEquals(r.udp?.name, "echo", why);
      }
    }
  },
});

Deno.test("echo: a probe sent back in part, then silence, is echo; a reply that goes on is not", async () => {
  // Sends back the first 12 bytes of whatever arrives, then nothing.
  const partial = serveTcp({ reply: (got) => got.slice(0, 12) });
  // Sends the request back, then an HTTP reply: an HTTP server, not an echo.
  const chatty = serveTcp({
    reply: (got) =>
      got.startsWith("GET ")
        ? `${got}HTTP/1.1 200 OK\r\nServer: Apache/2.4.7 (Ubuntu)\r\nContent-Length: 0\r\n\r\n`
        : null,
  });
  try {
    const host = loopbackHost([partial.port, chatty.port]);
    await detectServices(host, parseOptions(["-sV", "127.0.0.1"]), () => {}, {
      db: builtinProbeDb(),
    });
    const s = (port: number) => host.ports.find((p) => p.port === port)!.service;
    assertEquals(s(partial.port)?.name, "echo");
    assertEquals(s(chatty.port)?.name === "echo", false);
  } finally {
    partial.close();
    chatty.close();
  }
});
