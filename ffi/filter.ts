/**
 * The BPF filter that lets only replies to our probes through, so the kernel
 * drops everything else before it reaches the ring (and so the receiver is
 * not flooded by our own outgoing frames, which libpcap sees too). Shape as
 * in zmap/nmap: addressed to us, and either ICMP (errors quote our probe) or
 * TCP/UDP/SCTP aimed at our probe source ports, plus ARP replies / neighbour
 * advertisements when resolving neighbours.
 *
 * @module
 */

import { canonicalIp } from "../core-wasm/ip.ts";

/** What our probes look like from the reply's side. */
export interface ReplyFilterOptions {
  /** Source addresses our probes carry (replies are sent to them). */
  localAddresses: string[];
  /** Only replies from these hosts (left out when there are more than 32,
   * where a long filter would cost more than it saves). */
  targets?: string[];
  /** Source-port range of our TCP/UDP/SCTP probes (the replies' destination port). */
  ports?: { from: number; to: number };
  /** Let ARP replies through (IPv4 neighbour resolution, ARP ping). */
  arp?: boolean;
  /** Let every ICMPv6 neighbour advertisement through (also those sent to
   * a link-local address of ours). */
  ndp?: boolean;
}

const MAX_TARGETS_IN_FILTER = 32;

function orList(prefix: string, items: string[]): string {
  return items.length === 1
    ? `${prefix} ${items[0]}`
    : `(${items.map((x) => `${prefix} ${x}`).join(" or ")})`;
}

/** Builds the pcap filter expression for replies to our probes. Throws on
 * addresses that are not IP addresses (never builds a filter from raw text). */
export function replyFilter(opts: ReplyFilterOptions): string {
  const norm = (list: string[]) =>
    list.map((a) => {
      const c = canonicalIp(a);
      if (!c) throw new Error(`not an IP address: ${a}`);
      return c;
    });
  const locals = norm(opts.localAddresses);
  const targets = opts.targets && opts.targets.length <= MAX_TARGETS_IN_FILTER
    ? norm(opts.targets)
    : [];
  const ports = opts.ports
    ? opts.ports.from === opts.ports.to
      ? `dst port ${opts.ports.from}`
      : `dst portrange ${opts.ports.from}-${opts.ports.to}`
    : "";
  const parts: string[] = [];
  for (const fam of [4, 6] as const) {
    const mine = locals.filter((a) => a.includes(":") === (fam === 6));
    if (mine.length === 0) continue;
    const theirs = targets.filter((a) => a.includes(":") === (fam === 6));
    const l3 = fam === 4 ? "ip" : "ip6";
    const icmp = fam === 4 ? "icmp" : "icmp6";
    const transport = ports ? `((tcp or udp or sctp) and ${ports})` : "(tcp or udp or sctp)";
    let clause = `${l3} and ${orList("dst host", mine)} and (${icmp} or ${transport})`;
    if (theirs.length > 0) clause += ` and ${orList("src host", theirs)}`;
    parts.push(`(${clause})`);
  }
  if (opts.arp) parts.push("(arp and arp[6:2] = 2)");
  if (opts.ndp) parts.push("(icmp6 and ip6[40] = 136)");
  if (parts.length === 0) {
    throw new Error("a reply filter needs at least one local address, or arp");
  }
  return parts.join(" or ");
}
