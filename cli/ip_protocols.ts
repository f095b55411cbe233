/**
 * IP protocol numbers → names, for -sO's SERVICE column and -PO: nmap's `nmap-protocols`
 * found by the data-file search (data_files.ts), else a built-in table of the IANA "Protocol
 * Numbers" registry's keywords, lowercased (https://www.iana.org/assignments/protocol-numbers;
 * a public registry). nmap prints "unknown" for a number neither names.
 *
 * @module
 */

import { findDataFile, noteDataFileRead } from "./data_files.ts";

/** The IANA keywords of protocols 0..145, lowercased; "-" where the registry has none. */
const IANA_KEYWORDS = (
  "hopopt icmp igmp ggp ipv4 st tcp cbt egp igp bbn-rcc-mon nvp-ii pup argus emcon xnet chaos " +
  "udp mux dcn-meas hmp prm xns-idp trunk-1 trunk-2 leaf-1 leaf-2 rdp irtp iso-tp4 netblt " +
  "mfe-nsp merit-inp dccp 3pc idpr xtp ddp idpr-cmtp tp++ il ipv6 sdrp ipv6-route ipv6-frag " +
  "idrp rsvp gre dsr bna esp ah i-nlsp swipe narp min-ipv4 tlsp skip ipv6-icmp ipv6-nonxt " +
  "ipv6-opts - cftp - sat-expak kryptolan rvd ippc - sat-mon visa ipcv cpnx cphb wsn pvp " +
  "br-sat-mon sun-nd wb-mon wb-expak iso-ip vmtp secure-vmtp vines iptm nsfnet-igp dgp tcf " +
  "eigrp ospfigp sprite-rpc larp mtp ax.25 ipip micp scc-sp etherip encap - gmtp ifmp pnni pim " +
  "aris scps qnx a/n ipcomp snp compaq-peer ipx-in-ip vrrp pgm - l2tp ddx iatp stp srp uti smp " +
  "sm ptp isis-over-ipv4 fire crtp crudp sscopmce iplt sps pipe sctp fc rsvp-e2e-ignore " +
  "mobility-header udplite mpls-in-ip manet hip shim6 wesp rohc ethernet aggfrag nsh"
).split(" ");

/** Protocol names by number (index 0..255; undefined: none). */
export type IpProtocolNames = readonly (string | undefined)[];

/** The built-in table (IANA's keywords). */
export function builtinIpProtocols(): IpProtocolNames {
  const names: (string | undefined)[] = new Array(256).fill(undefined);
  IANA_KEYWORDS.forEach((k, i) => (names[i] = k === "-" ? undefined : k));
  return names;
}

/** Parses nmap-protocols: `name number [aliases] [# comment]` lines, the first name winning. */
export function parseIpProtocols(text: string): IpProtocolNames {
  const names: (string | undefined)[] = new Array(256).fill(undefined);
  for (const line of text.split("\n")) {
    const f = line.replace(/#.*/, "").trim().split(/\s+/);
    if (f.length < 2 || !/^\d+$/.test(f[1]!)) continue;
    const n = Number(f[1]);
    if (n <= 255) names[n] ??= f[0]!;
  }
  return names;
}

const loaded = new Map<string, IpProtocolNames>();
let current: IpProtocolNames | undefined;

/**
 * The protocol names of a run (--datadir's search; the built-in table when nmap-protocols is
 * nowhere), which {@link ipProtocolName} answers from afterwards. Notes the file read for -v.
 */
export function ipProtocolsFor(datadir?: string): IpProtocolNames {
  const path = findDataFile("nmap-protocols", datadir);
  if (path === undefined) return current = builtinIpProtocols();
  let names = loaded.get(path);
  if (!names) {
    try {
      names = parseIpProtocols(Deno.readTextFileSync(path));
    } catch {
      names = builtinIpProtocols();
    }
    loaded.set(path, names);
  }
  noteDataFileRead("nmap-protocols", path);
  return current = names;
}

/** The name of IP protocol `n` in this run's table (found on first use), or undefined. */
export function ipProtocolName(n: number): string | undefined {
  return (current ?? ipProtocolsFor())[n];
}
