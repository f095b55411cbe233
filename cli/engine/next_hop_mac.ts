/**
 * The next hop's link-layer address for raw frames: the kernel's neighbour table first, then ARP
 * requests / IPv6 neighbour solicitations on the route's own session.
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind, ParseError } from "../../core-wasm/mod.ts";
import { parseIPv4, parseIPv6, parseMac } from "../../core-wasm/ip.ts";
import { neighbourMac } from "../../ffi/mod.ts";
import type { EngineContext } from "./context.ts";
import { v6Key } from "./host.ts";
import type { RawSession } from "./raw_session.ts";
import type { RawRoute } from "./route.ts";

/**
 * Make sure `route` knows its next hop's MAC (ARP / neighbour solicitation
 * on the wire when the kernel's table has none). Returns false when the
 * next hop does not answer (nmap: "Failed to determine dst MAC address").
 */
export async function ensureNextHopMac(ctx: EngineContext, route: RawRoute): Promise<boolean> {
  return (await resolveNextHops(ctx, [route])).size === 0;
}

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
      if (mac) r.dstMac = parseMac(mac) ?? undefined;
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
    const job = prev.then(() => resolveOn(ctx, session, list));
    sessionLocks.set(session, job.catch(() => {}));
    return job;
  }));
  return new Set(need.filter((r) => !r.dstMac));
}

async function resolveOn(
  ctx: EngineContext,
  session: RawSession<ParsedRecords>,
  routes: RawRoute[],
): Promise<void> {
  const core = ctx.raw!.core;
  const byHop = new Map<string, RawRoute[]>();
  for (const r of routes) {
    const key = r.family === 4 ? String(ipv4Number(r.nextHop)) : v6Key(parseIPv6(r.nextHop)!);
    byHop.set(key, [...(byHop.get(key) ?? []), r]);
  }
  const frameFor = (r: RawRoute) =>
    r.family === 4
      ? core.buildArpRequest({ senderMac: r.srcMac, senderIp: r.sourceBytes, targetIp: r.nextHop })
      : core.buildNeighborSolicitation({ srcMac: r.srcMac, src: r.sourceBytes, target: r.nextHop });
  const learn = (key: string, mac: Uint8Array) => {
    for (const r of byHop.get(key) ?? []) r.dstMac ??= mac.slice();
  };
  for (let attempt = 0; attempt < 5 && !ctx.signal.aborted; attempt++) {
    const pending = [...byHop.values()].filter((l) => !l[0]!.dstMac);
    if (pending.length === 0) break;
    for (const l of pending) session.send(frameFor(l[0]!));
    const until = performance.now() + 200;
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
}

function ipv4Number(text: string): number {
  const b = parseIPv4(text)!;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
