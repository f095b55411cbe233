/**
 * A tiny frame reader for the OS-edge tests: just enough Ethernet / ARP /
 * IPv4 / IPv6 / TCP / UDP / ICMP to recognise the lab kernel's replies.
 * Probes are built by the packet core; reading replies with this separate
 * code means a core bug cannot cancel out a capture bug (or hide itself).
 *
 * @module
 */

import { formatIPv6 } from "../core-wasm/ip.ts";

/** TCP flag bits. */
export const SYN = 0x02, RST = 0x04, ACK = 0x10;

/** What a captured frame is, enough to check a reply. */
export interface FrameSummary {
  ethertype: number;
  srcMac?: string;
  dstMac?: string;
  src?: string;
  dst?: string;
  proto?: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  arpOp?: number;
  arpSenderMac?: string;
  arpSenderIp?: string;
  /** Target link-layer address option of a neighbour advertisement. */
  ndTargetMac?: string;
}

const hex2 = (x: number) => x.toString(16).padStart(2, "0");
const mac = (b: Uint8Array, o: number) => Array.from(b.subarray(o, o + 6), hex2).join(":");
const v4 = (b: Uint8Array, o: number) => Array.from(b.subarray(o, o + 4)).join(".");
const v6 = (b: Uint8Array, o: number) => formatIPv6(b.subarray(o, o + 16));

/** Reads a frame that starts at the Ethernet header (`raw`: at the IP header). */
export function summarize(f: Uint8Array, link: "ethernet" | "raw" = "ethernet"): FrameSummary {
  let o = 0;
  const s: FrameSummary = { ethertype: 0 };
  if (link === "ethernet") {
    s.dstMac = mac(f, 0);
    s.srcMac = mac(f, 6);
    s.ethertype = (f[12]! << 8) | f[13]!;
    o = 14;
  } else {
    s.ethertype = f[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  }
  let l4 = -1;
  if (s.ethertype === 0x0806) {
    s.arpOp = (f[o + 6]! << 8) | f[o + 7]!;
    s.arpSenderMac = mac(f, o + 8);
    s.arpSenderIp = v4(f, o + 14);
    return s;
  }
  if (s.ethertype === 0x0800) {
    s.src = v4(f, o + 12);
    s.dst = v4(f, o + 16);
    s.proto = f[o + 9]!;
    l4 = o + (f[o]! & 0x0f) * 4;
  } else if (s.ethertype === 0x86dd) {
    s.src = v6(f, o + 8);
    s.dst = v6(f, o + 24);
    s.proto = f[o + 6]!;
    l4 = o + 40;
  } else return s;
  if (s.proto === 6 || s.proto === 17) {
    s.sport = (f[l4]! << 8) | f[l4 + 1]!;
    s.dport = (f[l4 + 2]! << 8) | f[l4 + 3]!;
    if (s.proto === 6) s.tcpFlags = f[l4 + 13]!;
  } else if (s.proto === 1 || s.proto === 58) {
    s.icmpType = f[l4]!;
    s.icmpCode = f[l4 + 1]!;
    if (s.icmpType === 136) {
      for (let p = l4 + 24; p + 8 <= f.length; p += f[p + 1]! * 8) {
        if (f[p + 1] === 0) break;
        if (f[p] === 2) s.ndTargetMac = mac(f, p + 2);
      }
    }
  }
  return s;
}

/** Hex text of bytes (for passing frames to the agent). */
export function toHex(b: Uint8Array): string {
  return Array.from(b, hex2).join("");
}

/** Bytes of hex text. */
export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}
