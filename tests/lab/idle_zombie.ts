/**
 * An idle-scan zombie for the lab (nmap -sI): a raw TCP socket in the zombie's namespace answers
 * every TCP segment as a host with no listening port would (RFC 9293 3.10.7.1: RST to an ACK, RST
 * ACK to a SYN, nothing to a RST), numbering its IP IDs from one global counter — the side
 * channel idle scans read. Linux has no such host: its IP IDs are per destination (or zero on DF
 * packets), so the kernel's own resets are dropped on the way out (nft.ts, marked ours through
 * SO_MARK) and this process speaks for it. "random" numbers them at random instead: a zombie nmap
 * refuses.
 *
 * Built from the RFC by hand — its own checksum, its own byte layout — so that the scanner's packet
 * core is checked against something it did not write. IPv4 only.
 *
 * @module
 */

import { serveRawIpv4 } from "./raw_responder.ts";

const IPPROTO_TCP = 6;
/** The firewall mark on our resets; nft.ts drops every other reset the zombie sends. */
export const ZOMBIE_MARK = 42;

/** How the zombie numbers its IP IDs. */
export type ZombieIpIds = "incremental" | "random";

/** Internet checksum (RFC 1071) over `parts`, each of even length but the last. */
function checksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The reset answering IPv4 datagram `ip` (header included), as a whole datagram for an
 * IP_HDRINCL socket with IP ID `ipId`, or null when it is not TCP or is itself a reset.
 */
export function zombieAnswer(ip: Uint8Array, ipId: number): Uint8Array | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== IPPROTO_TCP) return null;
  const ihl = (ip[0]! & 15) * 4;
  const dv = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const total = Math.min(dv.getUint16(2), ip.length);
  if (total < ihl + 20) return null;
  const t = ihl;
  const flags = ip[t + 13]!;
  if (flags & 0x04) return null; // never answer a reset (RFC 9293 3.10.7.1)
  const dataOffset = (ip[t + 12]! >> 4) * 4;
  const segLen = Math.max(0, total - t - dataOffset) + (flags & 0x02 ? 1 : 0) +
    (flags & 0x01 ? 1 : 0);
  const tcp = new Uint8Array(20);
  const o = new DataView(tcp.buffer);
  o.setUint16(0, dv.getUint16(t + 2));
  o.setUint16(2, dv.getUint16(t));
  if (flags & 0x10) {
    o.setUint32(4, dv.getUint32(t + 8)); // <SEQ=SEG.ACK><CTL=RST>
    tcp[13] = 0x04;
  } else {
    o.setUint32(8, (dv.getUint32(t + 4) + segLen) >>> 0); // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>
    tcp[13] = 0x14;
  }
  tcp[12] = 5 << 4;
  const pseudo = new Uint8Array(12);
  pseudo.set(ip.subarray(16, 20), 0);
  pseudo.set(ip.subarray(12, 16), 4);
  pseudo[9] = IPPROTO_TCP;
  pseudo[11] = 20;
  o.setUint16(16, checksum(pseudo, tcp));
  const out = new Uint8Array(40);
  const h = new DataView(out.buffer);
  out[0] = 0x45;
  h.setUint16(2, out.length);
  h.setUint16(4, ipId);
  out[8] = 64;
  out[9] = IPPROTO_TCP;
  out.set(ip.subarray(16, 20), 12); // from the address the segment was sent to
  out.set(ip.subarray(12, 16), 16);
  out.set(tcp, 20); // the kernel fills in the IP checksum; a nonzero ID it keeps (raw(7))
  return out;
}

/** The zombie's IP ID source: one counter for every peer, or random numbers; never 0. */
export function ipIdSource(kind: ZombieIpIds, start = 1 + Math.floor(Math.random() * 60000)) {
  let next = start;
  return (): number => {
    if (kind === "random") return 1 + Math.floor(Math.random() * 0xfffe);
    const id = next;
    next = next >= 0xffff ? 1 : next + 1; // 0 would make the kernel pick one
    return id;
  };
}

/** Answers TCP until the process ends (needs --allow-ffi, root). */
export function serveZombie(kind: ZombieIpIds): void {
  const nextId = ipIdSource(kind);
  serveRawIpv4("idle zombie", IPPROTO_TCP, (ip) => {
    const answer = zombieAnswer(ip, 0);
    // Numbered only when sent: a segment left unanswered takes no IP ID.
    if (answer) new DataView(answer.buffer).setUint16(4, nextId());
    return answer;
  }, ZOMBIE_MARK);
}
