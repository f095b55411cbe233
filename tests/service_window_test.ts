/**
 * Issue 25, the speed half: a port whose silences stand as they come gets more probes at once,
 * and a port that answers nothing learns so early, without changing what any port is called.
 * A port that answers nothing gets one probe again alone (the canary) as soon as a silence is in
 * doubt, not once every probe has been sent; silent alone too, and a port that served
 * connections side by side, get more than the window in flight. Each answer equals the
 * one-probe-at-a-time run's (`--version-parallelism 1`).
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { parseOptions } from "../cli/options/mod.ts";
import {
  detectServices,
  NullBarrier,
  PORTS_AT_ONCE_FACTOR,
  portsAtOnce,
} from "../cli/service/mod.ts";
import { parseProbeDb } from "../cli/service/probe_db.ts";
import { probePort } from "../cli/service/engine.ts";
import { HostConnLimit } from "../cli/service/hostlimit.ts";
import { loopbackHost, serveTcp, serveUdp, text } from "./testing/service_servers.ts";

const PROBES = 10;

/** NULL, then probes P1…P10, none of whose match lines any reply here meets. */
const DB = parseProbeDb(
  [
    "Probe TCP NULL q||",
    "totalwaitms 600",
    ...Array.from({ length: PROBES }, (_, i) => [
      `Probe TCP P${i + 1} q|P${i + 1}\\r\\n|`,
      "rarity 1",
      "totalwaitms 800",
      `match p${i + 1} m|^never${i + 1}$|`,
    ]).flat(),
  ].join("\n"),
  "window-test",
);

/**
 * A server that notes what each connection sent first ("" for none: the NULL probe) in the
 * order they came, and how many of its connections were open at once at most. `answer`: reply
 * "?" to every probe (and keep the connection open) rather than stay silent.
 */
function serveNoting(answer: boolean) {
  const firsts: string[] = [];
  let open = 0;
  let most = 0;
  const server = serveTcp({
    handler: async (c) => {
      open++;
      most = Math.max(most, open);
      const buf = new Uint8Array(1024);
      let first: string | undefined;
      try {
        for (;;) {
          const n = await c.read(buf).catch(() => null);
          if (n === null) break;
          first ??= text(buf.subarray(0, n)).trim();
          if (answer) await c.write(new TextEncoder().encode("?")).catch(() => 0);
        }
      } finally {
        firsts.push(first ?? "");
        open--;
      }
    },
  });
  return {
    server,
    firsts,
    most: () => most,
    reset() {
      firsts.length = 0;
      most = 0;
    },
  };
}

/** Lets the server see the last connection of a run end. */
const settle = () => new Promise((r) => setTimeout(r, 200));

async function answer(port: number, args: string[]): Promise<string> {
  const host = loopbackHost([port]);
  const serial = args.includes("--version-parallelism");
  await detectServices(host, parseOptions(["-sV", "127.0.0.1", ...args]), () => {}, {
    db: DB,
    graceMs: 100,
    ...(serial ? {} : { window: 2, wideWindow: 8 }),
  });
  const s = host.ports[0]!.service!;
  return `${s.name} ${s.product ?? ""} ${s.method}`.trim();
}

/**
 * Runs the one-probe-at-a-time scan, then the windowed one, asserts they name the port alike,
 * and returns what the windowed run's connections sent first ("" dropped: NULL's).
 */
async function sameAsSerial(s: ReturnType<typeof serveNoting>): Promise<string[]> {
  const serial = await answer(s.server.port, ["--version-parallelism", "1"]);
  await settle();
  s.reset();
  assertEquals(await answer(s.server.port, []), serial);
  await settle();
  return s.firsts.filter((f) => f !== "");
}

Deno.test("engine: a port that answers nothing sends its canary alone before the last probe, then more at once", async () => {
  const s = serveNoting(false);
  try {
    // Connections in the order they ended: the canary is a probe seen twice.
    const sent = await sameAsSerial(s);
    const again = sent.findIndex((f, i) => sent.indexOf(f) < i);
    assert(again >= 0, `a probe went again alone: ${sent.join(" ")}`);
    const allSent = sent.findIndex((_, i) => new Set(sent.slice(0, i + 1)).size === PROBES);
    assert(again < allSent, `the canary went before the last probe: ${sent.join(" ")}`);
    assertEquals(new Set(sent).size, PROBES, "every probe was sent");
    // The window (2) holds NULL and one probe: a port that stays silent alone gets 8.
    assert(s.most() >= 5, `silent alone too, more than the window at once (${s.most()})`);
  } finally {
    s.server.close();
  }
});

Deno.test("engine: a port that serves side by side gets more than the window at once, and the same answer", async () => {
  const s = serveNoting(true);
  try {
    const sent = await sameAsSerial(s);
    assertEquals(sent.length, PROBES, "no probe sent twice");
    assert(s.most() >= 5, `more than the window at once (${s.most()})`);
  } finally {
    s.server.close();
  }
});

Deno.test("engine: more ports than nmap's parallelism at once, but nmap's count under its own schedule or --max-parallelism", () => {
  const opts = (...a: string[]) => parseOptions(["-sV", "127.0.0.1", ...a]);
  assertEquals(portsAtOnce(20, false, opts()), 20 * PORTS_AT_ONCE_FACTOR);
  assertEquals(portsAtOnce(20, true, opts("--version-parallelism", "1")), 20);
  assertEquals(portsAtOnce(20, false, opts("--max-parallelism", "20")), 20);
  assertEquals(portsAtOnce(1, false, opts("-T2")), 1);
});

Deno.test("engine: ports beyond the parallelism are probed side by side with the first ones", async () => {
  // NULL alone, silent: each port takes its whole wait; with a parallelism of 2, nine ports
  // went in five rounds, one after another.
  const nullOnly = parseProbeDb("Probe TCP NULL q||\ntotalwaitms 1000\n", "null-only");
  let open = 0;
  let most = 0;
  const servers = Array.from({ length: 9 }, () =>
    serveTcp({
      handler: async (c) => {
        most = Math.max(most, ++open);
        await c.read(new Uint8Array(64)).catch(() => null);
        open--;
      },
    }));
  try {
    const host = loopbackHost(servers.map((s) => s.port));
    await detectServices(host, parseOptions(["-sV", "127.0.0.1"]), () => {}, {
      db: nullOnly,
      parallelism: 2,
    });
    assertEquals(host.ports.map((p) => p.service?.name), servers.map(() => "unknown"));
    assert(most >= 6, `ports at once: ${most}`);
  } finally {
    servers.forEach((s) => s.close());
  }
});

/** A host limit that notes the lowest it was cut to. */
class LowestNoted extends HostConnLimit {
  lowest = Infinity;
  override release(...args: Parameters<HostConnLimit["release"]>): void {
    super.release(...args);
    this.lowest = Math.min(this.lowest, this.limit);
  }
}

Deno.test("engine: a port that resets what it cannot parse does not cut the host's connection limit", async () => {
  // git-daemon closes a connection whose request it cannot parse with the request unread (a
  // reset): the port's own answer, not a host refusing connections.
  const resetter = serveTcp({
    handler: async (c) => {
      // One byte read, the rest left unread: the close is a reset. NULL's connection stays.
      await c.read(new Uint8Array(1)).catch(() => null);
    },
  });
  try {
    const hostLimit = new LowestNoted(4, 8);
    const out = await probePort(
      {
        db: DB,
        intensity: 7,
        trace: false,
        debug: 0,
        verbose: 0,
        log: () => {},
        graceMs: 100,
        window: 2,
        wideWindow: 2,
        udpWindow: 1,
        version: "test",
        platform: "test",
        hostLimit,
      },
      { address: "127.0.0.1", port: resetter.port },
      "tcp",
    );
    assert(out.state !== "incomplete", `probed to the end: ${out.state}`);
    assert(hostLimit.lowest >= 4, `the limit stands (cut to ${hostLimit.lowest})`);
  } finally {
    resetter.close();
  }
});

Deno.test("engine: UDP probes wait until no TCP port's NULL probe is out", async () => {
  // net-snmp serves 161/udp and SMUX (199/tcp) in one thread, blocked reading the silent NULL
  // probe's connection for its whole wait: a UDP probe sent meanwhile goes unanswered.
  const db = parseProbeDb(
    ["Probe TCP NULL q||", "totalwaitms 800", "Probe UDP U1 q|U1|", "rarity 1", "totalwaitms 300"]
      .join("\n"),
    "null-then-udp",
  );
  let nullEndedAt = 0;
  const tcp = serveTcp({
    handler: async (c) => {
      await c.read(new Uint8Array(64)).catch(() => null);
      nullEndedAt = performance.now();
    },
  });
  let firstDatagramAt = 0;
  const udp = await serveUdp(() => {
    firstDatagramAt ||= performance.now();
    return null;
  });
  try {
    const host = loopbackHost([tcp.port, [udp.port, "udp", "open|filtered"]]);
    await detectServices(host, parseOptions(["-sV", "-sU", "127.0.0.1"]), () => {}, { db });
    await settle();
    assert(firstDatagramAt > 0 && nullEndedAt > 0, "both ports probed");
    assert(
      firstDatagramAt >= nullEndedAt,
      `UDP probe ${(nullEndedAt - firstDatagramAt).toFixed(0)} ms before the NULL probe ended`,
    );
  } finally {
    tcp.close();
    udp.close();
  }
});

Deno.test("engine: the NULL barrier opens once every port has said so, once", async () => {
  const b = new NullBarrier(2);
  let open = false;
  b.passed.then(() => (open = true));
  const first = b.oneDone();
  first();
  first();
  await Promise.resolve();
  assertEquals(open, false, "one port said it twice");
  b.oneDone()();
  await b.passed;
  assertEquals(open, true);
  let none = false;
  await new NullBarrier(0).passed.then(() => (none = true));
  assertEquals(none, true, "no TCP port: open at once");
});
