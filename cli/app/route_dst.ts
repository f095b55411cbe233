/**
 * --route-dst TARGET: nmap's debugging option that prints, before the scan, the address a target
 * resolves to and the route raw packets to it would take (nmap.cc, after apply_delayed_options):
 *
 *     192.168.0.7
 *     eth0 eth0 srcaddr 192.168.0.2 direct
 *
 * or "nexthop GATEWAY" instead of "direct", or "Can't route NAME (ADDR)." when there is none.
 * Linux interface names carry no alias, so nmap's device name and full name are the same.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { type RawRoute, resolveRoute } from "../engine/route.ts";
import type { Resolver } from "../dns.ts";
import { canonicalIp, parseIp } from "../../core-wasm/addr.ts";

/** The scan's options --route-dst reads: -e, -S and the address family. */
export interface RouteDstOptions {
  iface?: string;
  sourceAddress?: string;
  ipv6: boolean;
}

/** How a route is found: the engine's resolveRoute (replaceable in tests). */
export type RouteFinder = (address: string, opts: { iface?: string; source?: string }) => RawRoute;

/** The lines nmap prints for `targets`, in order; an unresolvable name ends the run, as in nmap. */
export async function routeDstText(
  targets: readonly string[],
  opts: RouteDstOptions,
  resolver: Resolver,
  findRoute: RouteFinder = resolveRoute,
): Promise<string> {
  const family = opts.ipv6 ? 6 : 4;
  let out = "";
  for (const target of targets) {
    const address = await resolveOne(target, family, resolver);
    out += `${address}\n`;
    let route: RawRoute | undefined;
    try {
      route = findRoute(address, { iface: opts.iface, source: opts.sourceAddress });
    } catch {
      route = undefined;
    }
    if (!route) out += `Can't route ${target} (${address}).`;
    else {
      out += `${route.iface} ${route.iface} srcaddr ${route.source}`;
      out += route.gateway === undefined ? " direct" : ` nexthop ${route.gateway}`;
    }
    out += "\n";
  }
  return out;
}

/** A literal of the scan's family as nmap prints it, or the name's first address of that family. */
async function resolveOne(target: string, family: 4 | 6, resolver: Resolver): Promise<string> {
  const literal = parseIp(target);
  if (literal) {
    if (literal.family !== family) {
      fatal(`Can't resolve ${target}: Address family for hostname not supported.`);
    }
    return canonicalIp(target)!;
  }
  let addresses: string[] = [];
  try {
    addresses = await resolver.lookup(target);
  } catch {
    addresses = [];
  }
  const address = addresses.find((a) => (a.includes(":") ? 6 : 4) === family);
  if (address === undefined) fatal(`Can't resolve ${target}: Name or service not known.`);
  return address;
}
