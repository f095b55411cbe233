/**
 * A tiny, independent frame builder and reader for the OS-edge tests: just
 * enough Ethernet/ARP/IPv4/IPv6/TCP/UDP/ICMP to send probes and recognise
 * the lab kernel's replies. Kept separate from core-wasm on purpose, so a
 * bug in the core cannot hide a bug in the capture path (and the other way
 * round); tests/ffi_core_test.ts drives the same lab with core-wasm frames.
 *
 * @module
 */

import { formatIPv6, parseIPv4, parseIPv6, parseMac } from "../ffi/ip.ts";

function sum16(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

function ip4(a: string): Uint8Array {
  const b = parseIPv4(a);
  if (!b) throw new Error(`bad IPv4 ${a}`);
  return b;
}

function ip6(a: string): Uint8Array {
  const b = parseIPv6(a);
  if (!b) throw new Error(`bad IPv6 ${a}`);
  return b;
}

/** Ethernet header. */
export function eth(dst: string, src: string, type: number): Uint8Array {
  const h = new Uint8Array(14);
  h.set(parseMac(dst)!, 0);
  h.set(parseMac(src)!, 6);
  h[12] = type >> 8;
  h[13] = type & 0xff;
  return h;
}

/** IPv4 header + payload, checksum filled. */
export function ipv4(
  src: string,
  dst: string,
  proto: number,
  payload: Uint8Array,
  ttl = 64,
): Uint8Array {
  const h = new Uint8Array(20);
  const len = 20 + payload.length;
  h.set([0x45, 0, len >> 8, len & 0xff, 0x12, 0x34, 0x40, 0, ttl, proto, 0, 0]);
  h.set(ip4(src), 12);
  h.set(ip4(dst), 16);
  const c = fold(sum16(h));
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return concat(h, payload);
}

/** IPv6 header + payload. */
export function ipv6(
  src: string,
  dst: string,
  next: number,
  payload: Uint8Array,
  hop = 64,
): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[4] = payload.length >> 8;
  h[5] = payload.length & 0xff;
  h[6] = next;
  h[7] = hop;
  h.set(ip6(src), 8);
  h.set(ip6(dst), 24);
  return concat(h, payload);
}

function pseudo(src: string, dst: string, proto: number, len: number): number {
  if (src.includes(":")) {
    return sum16(
      concat(ip6(src), ip6(dst), new Uint8Array([0, 0, len >> 8, len & 0xff, 0, 0, 0, proto])),
    );
  }
  return sum16(concat(ip4(src), ip4(dst), new Uint8Array([0, proto, len >> 8, len & 0xff])));
}

/** TCP segment (no options) with checksum for the given addresses. */
export function tcp(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  flags: number,
  seq = 0x01020304,
): Uint8Array {
  const t = new Uint8Array(20);
  t.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff]);
  new DataView(t.buffer).setUint32(4, seq);
  t[12] = 0x50;
  t[13] = flags;
  t[14] = 0x04;
  t[15] = 0x00; // window 1024, like nmap
  const c = fold(sum16(t, pseudo(src, dst, 6, 20)));
  t[16] = c >> 8;
  t[17] = c & 0xff;
  return t;
}

/** UDP datagram with checksum. */
export function udp(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload = new Uint8Array(0),
): Uint8Array {
  const len = 8 + payload.length;
  const u = concat(
    new Uint8Array([
      sport >> 8,
      sport & 0xff,
      dport >> 8,
      dport & 0xff,
      len >> 8,
      len & 0xff,
      0,
      0,
    ]),
    payload,
  );
  let c = fold(sum16(u, pseudo(src, dst, 17, len)));
  if (c === 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

/** TCP flag bits. */
export const SYN = 0x02, RST = 0x04, ACK = 0x10;

/** A whole Ethernet frame carrying a TCP segment over IPv4 or IPv6. */
export function tcpFrame(
  o: {
    srcMac: string;
    dstMac: string;
    src: string;
    dst: string;
    sport: number;
    dport: number;
    flags?: number;
  },
): Uint8Array {
  const seg = tcp(o.src, o.dst, o.sport, o.dport, o.flags ?? SYN);
  return o.src.includes(":")
    ? concat(eth(o.dstMac, o.srcMac, 0x86dd), ipv6(o.src, o.dst, 6, seg))
    : concat(eth(o.dstMac, o.srcMac, 0x0800), ipv4(o.src, o.dst, 6, seg));
}

/** A whole Ethernet frame carrying a UDP datagram. */
export function udpFrame(
  o: { srcMac: string; dstMac: string; src: string; dst: string; sport: number; dport: number },
): Uint8Array {
  const d = udp(o.src, o.dst, o.sport, o.dport);
  return o.src.includes(":")
    ? concat(eth(o.dstMac, o.srcMac, 0x86dd), ipv6(o.src, o.dst, 17, d))
    : concat(eth(o.dstMac, o.srcMac, 0x0800), ipv4(o.src, o.dst, 17, d));
}

/** ARP who-has `targetIp` tell `senderIp` (broadcast). */
export function arpRequest(senderMac: string, senderIp: string, targetIp: string): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 8, 0, 6, 4, 0, 1]);
  a.set(parseMac(senderMac)!, 8);
  a.set(ip4(senderIp), 14);
  a.set(ip4(targetIp), 24);
  return concat(eth("ff:ff:ff:ff:ff:ff", senderMac, 0x0806), a);
}

/** ICMPv6 neighbour solicitation for `target` to its solicited-node group. */
export function neighborSolicitation(srcMac: string, src: string, target: string): Uint8Array {
  const t = ip6(target);
  const group = `ff02::1:ff${t[13]!.toString(16).padStart(2, "0")}:${
    ((t[14]! << 8) | t[15]!).toString(16).padStart(4, "0")
  }`;
  const gb = ip6(group);
  const mac = `33:33:${
    [gb[12], gb[13], gb[14], gb[15]].map((x) => x!.toString(16).padStart(2, "0")).join(":")
  }`;
  const body = new Uint8Array(32);
  body[0] = 135;
  body.set(t, 8);
  body.set([1, 1], 24); // source link-layer address option
  body.set(parseMac(srcMac)!, 26);
  const c = fold(sum16(body, pseudo(src, group, 58, body.length)));
  body[2] = c >> 8;
  body[3] = c & 0xff;
  return concat(eth(mac, srcMac, 0x86dd), ipv6(src, group, 58, body, 255));
}

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
