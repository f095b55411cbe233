/**
 * The next hop's MAC, the way nmap finds it before sending Ethernet frames: none needed on
 * loopback (Linux `lo` carries all-zero MACs), on raw-IP links and with --send-ip (frames start
 * at the IP header); else the kernel's neighbour table; else ask on the wire — an ARP who-has
 * (RFC 826) for IPv4, a neighbour solicitation to the solicited-node group (RFC 4861 7.2.2) for
 * IPv6 — with retries, each try waiting up to a timeout for the answer.
 *
 * One resolver: a scan asks on its routes' own raw sessions ({@link resolveNextHops}); a caller
 * without a scan (the OS measurement tool, the OS edge's tests) asks for one hop through a
 * session opened for the exchange ({@link resolveNextHop}). Frames are built and parsed by the
 * packet core.
 *
 * @module
 */

import {
  Kind,
  type PacketCore,
  packetCore,
  type ParsedRecords,
  ParseError,
} from "../../core-wasm/mod.ts";
import { formatMac, ipv4ToU32, parseIp, parseIpv6, parseMac } from "../../core-wasm/addr.ts";
import { neighbourMac } from "../../ffi/mod.ts";
import type { EngineContext } from "./context.ts";
import { v6Key } from "./host.ts";
import { RawSession, replyFilter } from "./raw_session.ts";
import type { RawRoute } from "./route.ts";

/** What to resolve and from where. */
export interface NextHopRequest {
  /** Interface the frames leave by. */
  iface: string;
  /** "ethernet" frames need a MAC; "raw" (tun, ipip, ppp) links do not. */
  linkKind: "ethernet" | "raw";
  /** The interface is a loopback device. */
  loopback?: boolean;
  /** Our MAC on that interface. */
  srcMac: string;
  /** Our address (the probes' source; also the ARP/NS sender). */
  source: string;
  /** The gateway, or the target itself when it is on-link. */
  nextHop: string;
}

/** How hard to try. */
export interface NextHopOptions {
  /** Requests sent before giving up (default 3, as nmap's ARP ping). */
  tries?: number;
  /** Wait per request in ms (default 500). */
  timeoutMs?: number;
  /** nmap's --send-ip: frames start at the IP header, no MAC needed. */
  sendIp?: boolean;
  /** Skip the neighbour table and always ask on the wire. */
  skipNeighbourTable?: boolean;
}

/** The answer; `mac` is null when no MAC is needed (raw IP). */
export interface NextHop {
  mac: string | null;
  /** Where it came from. */
  via: "loopback" | "not-needed" | "neighbour-table" | "arp" | "ndp";
  /** Requests sent on the wire (0 unless via is arp/ndp). */
  requests: number;
}

/**
 * Resolves one next hop's MAC (`mac` null when none is needed), or null when nobody answered
 * any of the tries (nmap: the host is down / "no route to host"). Rejects with the OS edge's
 * typed errors (PcapError, OsError) when the capture or the socket cannot be opened, and on bad
 * addresses.
 */
export async function resolveNextHop(
  req: NextHopRequest,
  opts: NextHopOptions = {},
): Promise<NextHop | null> {
  if (opts.sendIp || req.linkKind === "raw") return { mac: null, via: "not-needed", requests: 0 };
  if (req.loopback) return { mac: "00:00:00:00:00:00", via: "loopback", requests: 0 };
  const hop = parseIp(req.nextHop);
  const src = parseIp(req.source);
  if (!hop || !src || hop.family !== src.family) {
    throw new Error(
      `cannot resolve ${req.nextHop} from ${req.source}: not addresses of one family`,
    );
  }
  if (!opts.skipNeighbourTable) {
    const known = neighbourMac(req.nextHop, req.iface);
    if (known) return { mac: known, via: "neighbour-table", requests: 0 };
  }
  const route: RawRoute = {
    family: hop.family,
    iface: req.iface,
    ifindex: 0,
    linkKind: "ethernet",
    loopback: false,
    source: req.source,
    sourceBytes: src.bytes,
    nextHop: req.nextHop,
    srcMac: parseMac(req.srcMac),
    onLink: true,
  };
  const core = packetCore();
  const session = RawSession.open({
    route,
    core,
    filter: replyFilter({
      localAddresses: [req.source],
      arp: hop.family === 4,
      ndp: hop.family === 6,
    }),
    rxFrames: 64,
    snaplen: 2048,
    bufferSize: 1 << 20,
    txBatch: 1,
  });
  let requests: number;
  try {
    requests = await askTheWire(core, session, [route], {
      tries: Math.max(1, opts.tries ?? 3),
      timeoutMs: Math.max(1, opts.timeoutMs ?? 500),
    });
  } finally {
    session.close();
  }
  if (!route.dstMac) return null;
  return { mac: formatMac(route.dstMac), via: hop.family === 6 ? "ndp" : "arp", requests };
}

/**
 * Make sure `route` knows its next hop's MAC (ARP / neighbour solicitation
 * on the wire when the kernel's table has none). Returns false when the
 * next hop does not answer (nmap: "Failed to determine dst MAC address").
 */
export async function ensureNextHopMac(ctx: EngineContext, route: RawRoute): Promise<boolean> {
  return (await resolveNextHops(ctx, [route])).size === 0;
}

/** Rounds of requests during a scan, and nmap's ARP timeout per round (ms). */
const SCAN_TRIES = 5;
const SCAN_TIMEOUT_MS = 200;

/** One resolution at a time per session: concurrent pollers would steal each other's replies. */
const sessionLocks = new WeakMap<object, Promise<unknown>>();

/**
 * Resolve the next-hop MACs of `routes` at once: the kernel's neighbour
 * table first, then ARP requests / neighbour solicitations for the rest,
 * five rounds of nmap's 200 ms ARP timeout (so 20% loss each way still
 * leaves only 0.36^5 odds of a false failure). Returns the routes whose next
 * hop never answered.
 */
export async function resolveNextHops(
  ctx: EngineContext,
  routes: RawRoute[],
): Promise<Set<RawRoute>> {
  const need = [...new Set(routes)].filter((r) =>
    !r.dstMac && r.linkKind === "ethernet" && !r.loopback
  );
  for (const r of need) {
    try {
      const mac = neighbourMac(r.nextHop, r.iface);
      if (mac) r.dstMac = parseMac(mac);
    } catch {
      // ask the wire
    }
  }
  const bySession = new Map<RawSession<ParsedRecords>, RawRoute[]>();
  for (const r of need) {
    if (r.dstMac) continue;
    const s = ctx.raw!.sessions.get(r);
    bySession.set(s, [...(bySession.get(s) ?? []), r]);
  }
  await Promise.all([...bySession].map(([session, list]) => {
    const prev = sessionLocks.get(session) ?? Promise.resolve();
    const job = prev.then(() =>
      askTheWire(ctx.raw!.core, session, list, {
        tries: SCAN_TRIES,
        timeoutMs: SCAN_TIMEOUT_MS,
        signal: ctx.signal,
      })
    );
    sessionLocks.set(session, job.catch(() => {}));
    return job;
  }));
  return new Set(need.filter((r) => !r.dstMac));
}

/**
 * Asks the wire for the MACs of `routes`' next hops on `session`: an ARP who-has (RFC 826) for
 * IPv4, a neighbour solicitation (RFC 4861 7.2.2) for IPv6, `tries` rounds each waiting up to
 * `timeoutMs`; an answer fills `dstMac` of every route sharing the hop. Returns the rounds sent.
 */
async function askTheWire(
  core: PacketCore,
  session: RawSession<ParsedRecords>,
  routes: RawRoute[],
  { tries, timeoutMs, signal }: { tries: number; timeoutMs: number; signal?: AbortSignal },
): Promise<number> {
  const byHop = new Map<string, RawRoute[]>();
  for (const r of routes) {
    const key = r.family === 4 ? String(ipv4ToU32(r.nextHop)) : v6Key(parseIpv6(r.nextHop));
    byHop.set(key, [...(byHop.get(key) ?? []), r]);
  }
  const frameFor = (r: RawRoute) =>
    r.family === 4
      ? core.buildArpRequest({ senderMac: r.srcMac, senderIp: r.sourceBytes, targetIp: r.nextHop })
      : core.buildNeighborSolicitation({ srcMac: r.srcMac, src: r.sourceBytes, target: r.nextHop });
  const learn = (key: string, mac: Uint8Array) => {
    for (const r of byHop.get(key) ?? []) r.dstMac ??= mac.slice();
  };
  let sent = 0;
  for (; sent < tries && !signal?.aborted; sent++) {
    const pending = [...byHop.values()].filter((l) => !l[0]!.dstMac);
    if (pending.length === 0) break;
    for (const l of pending) session.send(frameFor(l[0]!));
    const until = performance.now() + timeoutMs;
    while (performance.now() < until && [...byHop.values()].some((l) => !l[0]!.dstMac)) {
      session.poll((rec, n) => {
        for (let i = 0; i < n; i++) {
          if (rec.status(i) !== ParseError.OK) continue;
          const k = rec.kind(i);
          if (k === Kind.ARP && rec.arpOp(i) === 2) {
            learn(String(rec.arpSenderIp(i)), rec.arpSenderMac(i));
          } else if (k === Kind.NDP_NA) {
            learn(v6Key(rec.ndpTarget(i)), rec.ndpLinkAddr(i) ?? rec.srcMac(i));
          }
        }
      });
      await session.wait(Math.max(1, until - performance.now()));
    }
  }
  return sent;
}
