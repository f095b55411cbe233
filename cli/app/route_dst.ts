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
import { resolveFirst } from "../dns.ts";

/** The scan's options --route-dst reads: -e, -S and the address family. */
export interface RouteDstOptions {
  iface?: string;
  sourceAddress?: string;
  ipv6: boolean;
}

/** How a route is found: the engine's resolveRoute (replaceable in tests). */
export type RouteFinder = (address: string, opts: { iface?: string; source?: string }) => RawRoute;

/** Name → address in the scan's family; throws with getaddrinfo's words (cli/dns.ts). */
export type FamilyResolver = (name: string, family: 4 | 6) => Promise<string>;

/** The lines nmap prints for `targets`, in order; an unresolvable name ends the run, as in nmap. */
export async function routeDstText(
  targets: readonly string[],
  opts: RouteDstOptions,
  resolve: FamilyResolver = resolveFirst,
  findRoute: RouteFinder = resolveRoute,
): Promise<string> {
  const family = opts.ipv6 ? 6 : 4;
  let out = "";
  for (const target of targets) {
    let address: string;
    try {
      address = await resolve(target, family);
    } catch (e) {
      fatal(`Can't resolve ${target}: ${e instanceof Error ? e.message : e}.`);
    }
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
