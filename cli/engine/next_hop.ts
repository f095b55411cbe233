/**
 * The next hop's MAC, the way nmap finds it before sending Ethernet frames:
 * none needed on loopback (Linux `lo` carries all-zero MACs), on raw-IP links
 * and with --send-ip (frames start at the IP header); else the kernel's
 * neighbour table; else ask on the wire — an ARP who-has (RFC 826) for IPv4,
 * a neighbour solicitation to the solicited-node group (RFC 4861 §7.2.2) for
 * IPv6 — with retries, each try waiting up to a timeout for the answer.
 *
 * Frames are built and parsed by the packet core; sending and capture go
 * through the OS edge (ffi/), opened only for the exchange and closed after.
 *
 * @module
 */

import { type FrameBatch, neighbourMac, PacketSocketSender, Pcap } from "../../ffi/mod.ts";
import { Kind, LinkType, packetCore, type ParsedRecords } from "../../core-wasm/mod.ts";
import { formatMac, parseIp } from "../../core-wasm/ip.ts";

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

let rxBatch: FrameBatch | undefined;

function batch(): FrameBatch {
  // Carved from wasm memory once: the core never frees batches.
  return rxBatch ??= packetCore().frameBatch(64, 64 * 2048);
}

function findAnswer(rec: ParsedRecords, n: number, v6: boolean, want: Uint8Array): string | null {
  for (let i = 0; i < n; i++) {
    if (rec.status(i) !== 0) continue;
    if (!v6 && rec.kind(i) === Kind.ARP && rec.arpOp(i) === 2) {
      const ip = rec.arpSenderIp(i);
      const w = (want[0]! << 24 | want[1]! << 16 | want[2]! << 8 | want[3]!) >>> 0;
      if (ip === w) return formatMac(rec.arpSenderMac(i));
    }
    if (v6 && rec.kind(i) === Kind.NDP_NA) {
      const t = rec.ndpTarget(i);
      if (t.every((b, k) => b === want[k])) return formatMac(rec.ndpLinkAddr(i) ?? rec.srcMac(i));
    }
  }
  return null;
}

/**
 * Resolves the next hop's MAC (`mac` null when none is needed), or null
 * when nobody answered any of the tries (nmap: the host is down / "no route
 * to host"). Rejects with the OS edge's typed errors (PcapError, OsError)
 * when the capture or the socket cannot be opened, and on bad addresses.
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
  const v6 = hop.family === 6;
  const core = packetCore();
  const request = v6
    ? core.buildNeighborSolicitation({ srcMac: req.srcMac, src: req.source, target: req.nextHop })
    : core.buildArpRequest({ senderMac: req.srcMac, senderIp: req.source, targetIp: req.nextHop });
  const filter = v6
    ? `icmp6 and ip6[40] = 136`
    : `arp and arp[6:2] = 2 and arp[14:4] = ${hexWord(hop.bytes)}`;
  const tries = Math.max(1, opts.tries ?? 3);
  const timeoutMs = Math.max(1, opts.timeoutMs ?? 500);
  const rx = batch();
  using cap = Pcap.open(req.iface, { filter, snaplen: 2048, bufferSize: 1 << 20 });
  using tx = PacketSocketSender.open(req.iface, { batchSize: 1 });
  for (let sent = 1; sent <= tries; sent++) {
    tx.send(request);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const n = cap.receiveBatch(rx);
      if (n > 0) {
        const mac = findAnswer(core.parseBatch(rx, n, LinkType.EN10MB), n, v6, hop.bytes);
        if (mac) return { mac, via: v6 ? "ndp" : "arp", requests: sent };
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      await cap.waitReadable(Math.ceil(Math.min(left, 100)));
    }
  }
  return null;
}

function hexWord(b: Uint8Array): string {
  return "0x" + Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, "0")).join("");
}
