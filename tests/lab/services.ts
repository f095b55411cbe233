/**
 * The lab's services: run inside a target namespace, listens on the configured TCP ports (banners,
 * HTTP, tcpwrapped, echo, Nping echo, silent accept) and UDP ports (NTP, DNS, SNMP, mDNS, echo…).
 *
 *     ip netns exec NS deno run --allow-net --unstable-net tests/lab/services.ts [--detach] CONFIG
 *
 * CONFIG is a {@link ServicesConfig} as JSON. Prints `ready tcp=N udp=M` once every socket is
 * bound (or one error line and exit 1). Exits on SIGTERM/SIGINT and, unless `--detach`, when its
 * standard input reaches end of file: the lab keeps that pipe open, so the services die with the
 * process that started them, however it dies.
 */

import type { Flood, TcpService, UdpService } from "./scenarios.ts";
import { httpResponse, tcpGreeting, udpReply } from "./responders.ts";
import { helperArgs } from "./_helper.ts";
import { serveSctp } from "./sctp_responder.ts";
import { serveZombie, type ZombieIpIds } from "./idle_zombie.ts";

/** What one services process serves. */
export interface ServicesConfig {
  /**
   * Addresses the UDP sockets bind to, so that replies leave from the address that was probed
   * (a wildcard socket would answer from the route's preferred source). Empty: the wildcard.
   */
  udpAddresses: string[];
  tcp: { ports: number | [number, number]; service: TcpService }[];
  udp: { ports: number | [number, number]; service: UdpService }[];
  /** SCTP: the responder answers every INIT, with INIT ACK on these ports (sctp_responder.ts). */
  sctp?: { listen: (number | [number, number])[] };
  /** An idle-scan zombie: every TCP segment answered by idle_zombie.ts with these IP IDs. */
  zombie?: ZombieIpIds;
  /** A neighbour's traffic to send (a busy host), from `from` to `to`. */
  flood?: Omit<Flood, "to"> & { from: string; to: string };
}

/** Connections idle this long are closed. */
const IDLE_MS = 30_000;
/** Beyond this many open connections, new ones are closed at once. */
const MAX_CONNS = 4096;
/** An HTTP request head longer than this gets a 400. */
const MAX_HEAD = 64 * 1024;

let active = 0;

function log(msg: string): void {
  try {
    console.error(`services: ${msg}`);
  } catch {
    // stderr is gone (a detached lab whose starter exited): nothing to tell.
  }
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

async function serveConn(conn: Deno.Conn, svc: TcpService): Promise<void> {
  active++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    }, IDLE_MS);
  };
  try {
    if (svc.kind === "close") return;
    arm();
    const greeting = tcpGreeting(svc, random);
    if (greeting) await writeAll(conn, greeting);
    if (svc.kind === "banner" && svc.after === "close") return;
    const echo = svc.kind === "echo" || (svc.kind === "banner" && svc.after === "echo");
    const buf = new Uint8Array(16 * 1024);
    let pending = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      arm();
      if (svc.kind === "banner" && (svc.after ?? "hangup") === "hangup") {
        return;
      } else if (echo) {
        await writeAll(conn, buf.subarray(0, n));
      } else if (svc.kind === "http") {
        pending += latin1(buf.subarray(0, n));
        // Like nginx: bytes that cannot begin a request line get a 400 at once, not a wait.
        const start = pending.replace(/^(\r?\n)+/, "");
        if (!/^[A-Z]{0,20}$|^[A-Z]{1,20} /.test(start.slice(0, 21))) {
          await writeAll(conn, httpResponse(svc, "", new Date()).bytes);
          return;
        }
        for (;;) {
          const m = /\r?\n\r?\n/.exec(pending);
          if (!m) break;
          const head = pending.slice(0, m.index).replace(/^(\r?\n)+/, "");
          pending = pending.slice(m.index + m[0].length);
          const res = httpResponse(svc, head, new Date());
          await writeAll(conn, res.bytes);
          if (!res.keepAlive) return;
        }
        if (pending.length > MAX_HEAD) {
          await writeAll(conn, httpResponse(svc, "", new Date()).bytes);
          return;
        }
      }
    }
  } catch {
    // Reset by the peer, or closed by the idle timer: both are normal for a scan target.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed */ }
    active--;
  }
}

async function acceptLoop(listener: Deno.Listener, svc: TcpService): Promise<void> {
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (e) {
      if (e instanceof Deno.errors.BadResource) return;
      continue; // e.g. the peer reset before accept(): keep serving
    }
    if (active >= MAX_CONNS) {
      conn.close();
      continue;
    }
    serveConn(conn, svc);
  }
}

async function udpLoop(sock: Deno.DatagramConn, svc: UdpService): Promise<void> {
  for (;;) {
    let data: Uint8Array;
    let from: Deno.Addr;
    try {
      [data, from] = await sock.receive();
    } catch (e) {
      if (e instanceof Deno.errors.BadResource) return;
      continue;
    }
    try {
      const reply = udpReply(svc, data);
      if (reply) await sock.send(reply, from);
    } catch (e) {
      log(`udp reply failed: ${e instanceof Error ? e.message : e}`);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the flood: bursts of `perSecond` datagrams for `onMs`, then `offMs` of quiet, until
 * `maxMs` have passed (or the process ends with the lab). Paced in 5 ms steps; a step that falls
 * behind catches up, so a burst carries its full count even on a busy machine.
 */
async function floodLoop(f: NonNullable<ServicesConfig["flood"]>): Promise<void> {
  const sock = Deno.listenDatagram({ hostname: f.from, port: 0, transport: "udp" });
  const to: Deno.NetAddr = { transport: "udp", hostname: f.to, port: f.port };
  const payload = new Uint8Array(64);
  const end = performance.now() + f.maxMs;
  while (performance.now() < end) {
    const start = performance.now();
    let sent = 0;
    for (let t = 0; t < f.onMs; t = performance.now() - start) {
      const due = Math.min(
        Math.ceil((f.perSecond * f.onMs) / 1000),
        Math.ceil((f.perSecond * (t + 5)) / 1000),
      );
      const batch: Promise<number>[] = [];
      for (; sent < due; sent++) batch.push(sock.send(payload, to));
      await Promise.all(batch).catch((e) => log(`flood: ${e instanceof Error ? e.message : e}`));
      await sleep(5);
    }
    if (f.offMs > 0) await sleep(f.offMs);
  }
  sock.close();
}

function ports(p: number | [number, number]): number[] {
  const [lo, hi] = typeof p === "number" ? [p, p] : p;
  const out: number[] = [];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

function listenTcp(port: number): Deno.Listener {
  try {
    return Deno.listen({ hostname: "::", port }); // dual-stack: v4 arrives as ::ffff:a.b.c.d
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) throw e;
    return Deno.listen({ hostname: "0.0.0.0", port }); // IPv6 disabled here
  }
}

/** Binds every socket of `cfg` and starts serving; returns the counts of TCP and UDP sockets. */
export function serve(cfg: ServicesConfig): { tcp: number; udp: number } {
  let tcp = 0;
  let udp = 0;
  for (const rule of cfg.tcp) {
    for (const port of ports(rule.ports)) {
      acceptLoop(listenTcp(port), rule.service);
      tcp++;
    }
  }
  const addrs = cfg.udpAddresses.length ? cfg.udpAddresses : ["::"];
  for (const rule of cfg.udp) {
    for (const port of ports(rule.ports)) {
      for (const hostname of addrs) {
        udpLoop(Deno.listenDatagram({ hostname, port, transport: "udp" }), rule.service);
        udp++;
      }
    }
  }
  if (cfg.flood) floodLoop(cfg.flood);
  if (cfg.zombie) serveZombie(cfg.zombie);
  if (cfg.sctp) serveSctp(new Set(cfg.sctp.listen.flatMap((r) => [...ports(r)])));
  return { tcp, udp };
}

function parseConfig(text: string): ServicesConfig {
  const cfg = JSON.parse(text) as ServicesConfig;
  if (!Array.isArray(cfg.tcp) || !Array.isArray(cfg.udp) || !Array.isArray(cfg.udpAddresses)) {
    throw new Error("config needs tcp, udp and udpAddresses arrays");
  }
  return cfg;
}

if (import.meta.main) {
  const { config, stop } = helperArgs("services");
  let counts: { tcp: number; udp: number };
  try {
    counts = serve(parseConfig(config));
  } catch (e) {
    console.error(`services: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  console.log(`ready tcp=${counts.tcp} udp=${counts.udp}`);
  stop.then(() => Deno.exit(0));
}
