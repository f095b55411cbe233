/**
 * --packet-trace: one line per frame sent or captured, and per connect() attempt, worded as
 * nmap 7.93's PacketTrace (nmap's libnetutil ippackethdrinfo() at its low detail):
 *
 *     SENT (0.0758s) TCP 10.0.0.1:38889 > 10.0.0.2:22 S ttl=39 id=26059 iplen=44  seq=4055104871 win=1024 <mss 1460>
 *     RCVD (0.0758s) TCP 10.0.0.2:22 > 10.0.0.1:38889 SA ttl=64 id=0 iplen=44  seq=3307279172 win=64240 <mss 1460>
 *     SENT (0.4458s) SCTP 127.0.0.1:50095 > 127.0.0.1:80 ttl=46 id=41888 iplen=52
 *     RCVD (0.1653s) ICMP [10.0.0.2 > 10.0.0.1 Port unreachable (type=3/code=3) ] IP [ttl=64 id=42729 iplen=56 ]
 *     SENT (0.0405s) ARP who-has 10.0.0.2 tell 10.0.0.1
 *     CONN (0.0693s) TCP localhost > 10.0.0.2:22 => Connected
 *
 * Times are seconds since the process started. The frames are only read here, for the
 * trace, after the core built them or before it parses them: the core stays the one
 * builder and parser of what is scanned.
 *
 * @module
 */

import { formatIpv6 } from "../../core-wasm/addr.ts";
import { ipProtocolName } from "../ip_protocols.ts";
import { formatIpOptions } from "./ip_options_text.ts";

/** libpcap's DLT_EN10MB and DLT_RAW / LINKTYPE_RAW. */
const DLT_EN10MB = 1, DLT_RAW = 12, LINKTYPE_RAW = 101;

/** "(0.0758s)": seconds since the process started, as nmap's since its own start. */
export function traceTime(nowMs = performance.now()): string {
  return `(${(nowMs / 1000).toFixed(4)}s)`;
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0").toUpperCase();

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text of the IPv6 address at `at` (the core's one formatter). */
function ipv6(b: Uint8Array, at: number): string {
  return formatIpv6(b.subarray(at, at + 16));
}

/** nmap's TCP flag letters, in its order. */
function tcpFlags(f: number): string {
  let s = "";
  if (f & 0x02) s += "S";
  if (f & 0x01) s += "F";
  if (f & 0x04) s += "R";
  if (f & 0x08) s += "P";
  if (f & 0x10) s += "A";
  if (f & 0x20) s += "U";
  if (f & 0x40) s += "E";
  if (f & 0x80) s += "C";
  return s;
}

/** "<mss 1460,sackOK,timestamp 1 0,nop,wscale 7>", or "" without options. */
function tcpOptions(b: Uint8Array, from: number, to: number): string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: string[] = [];
  for (let i = from; i < to;) {
    const kind = b[i]!;
    if (kind === 0) {
      parts.push("eol");
      break;
    }
    if (kind === 1) {
      parts.push("nop");
      i++;
      continue;
    }
    const len = b[i + 1] ?? 0;
    if (len < 2 || i + len > to) break;
    if (kind === 2 && len === 4) parts.push(`mss ${v.getUint16(i + 2)}`);
    else if (kind === 3 && len === 3) parts.push(`wscale ${b[i + 2]}`);
    else if (kind === 4) parts.push("sackOK");
    else if (kind === 8 && len === 10) {
      parts.push(`timestamp ${v.getUint32(i + 2)} ${v.getUint32(i + 6)}`);
    } else parts.push(`unknown-${kind}`);
    i += len;
  }
  return parts.length ? `<${parts.join(",")}>` : "";
}

/**
 * A Destination Unreachable's text as nmap's packet trace words it (libnetutil's
 * ippackethdrinfo at its default detail): from the code and the datagram it quotes, which
 * must be whole and IPv4 or nmap names neither the address nor the port.
 */
function destinationUnreachable(b: Uint8Array, at: number, end: number, code: number): string {
  const quoted = at + 8;
  let transport = quoted + 20;
  if (end >= quoted + 20) transport = quoted + Math.max(20, (b[quoted]! & 0x0f) * 4);
  if (transport > end) return "Destination unreachable";
  const version = b[quoted]! >> 4, headerLen = (b[quoted]! & 0x0f) * 4;
  if (version !== 4 || headerLen < 20 || headerLen > 60) {
    return "Destination unreachable (bogus original datagram)";
  }
  const proto = b[quoted + 9]!;
  const dst = Array.from(b.subarray(quoted + 16, quoted + 20)).join(".");
  switch (code) {
    case 0:
      return `Network ${dst} unreachable`;
    case 1:
      return `Host ${dst} unreachable`;
    case 2:
      return `Protocol ${proto} unreachable`;
    case 3:
      // nmap wants more than the quoted header's first 8 bytes before it reads the port.
      if (transport + 8 >= end) return "Port unreachable";
      return proto === 6 || proto === 17 || proto === 132
        ? `Port ${(b[transport + 2]! << 8) | b[transport + 3]!} unreachable`
        : `Port unreachable (unknown protocol ${proto})`;
    case 6:
      return `Destination network ${dst} unknown`;
    case 7:
      return `Destination host ${dst} unknown`;
    case 9:
      return `Destination network ${dst} administratively prohibited`;
    case 10:
      return `Destination host ${dst} administratively prohibited`;
    case 11:
      return `Network ${dst} unreachable for TOS`;
    case 12:
      return `Host ${dst} unreachable for TOS`;
    default:
      return UNREACHABLE_FIXED[code] ?? "Destination unreachable (unknown code)";
  }
}

/** The unreachable codes whose text names no address. */
const UNREACHABLE_FIXED: Record<number, string> = {
  4: "Fragmentation required",
  5: "Source route failed",
  8: "Source host isolated",
  13: "Communication administratively prohibited by filtering",
  14: "Host precedence violation",
  15: "Precedence cutoff in effect",
};

function icmpv4(b: Uint8Array, at: number, end: number, src: string, dst: string): string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = b[at]!, code = b[at + 1]!;
  const id = at + 8 <= end ? v.getUint16(at + 4) : 0, seq = at + 8 <= end ? v.getUint16(at + 6) : 0;
  let name: string, extra = "";
  switch (type) {
    case 0:
    case 8:
      name = type === 8 ? "Echo request" : "Echo reply";
      extra = `id=${id} seq=${seq}`;
      break;
    case 3:
      name = destinationUnreachable(b, at, end, code);
      if (code === 4 && at + 8 <= end) extra = `Next-Hop-MTU=${v.getUint16(at + 6)}`;
      break;
    case 11:
      name = code === 0 ? "TTL=0 during transit" : "TTL=0 during reassembly";
      break;
    case 13:
    case 14:
      name = type === 13 ? "Timestamp request" : "Timestamp reply";
      extra = `id=${id} seq=${seq}` +
        (at + 20 <= end
          ? ` orig=${v.getUint32(at + 8)} recv=${v.getUint32(at + 12)} trans=${
            v.getUint32(at + 16)
          }`
          : "");
      break;
    case 17:
    case 18:
      name = type === 17 ? "Address mask request" : "Address mask reply";
      extra = `id=${id} seq=${seq}` +
        (type === 18 && at + 12 <= end ? ` mask=${ipv4(b, at + 8)}` : "");
      break;
    default:
      name = "Unknown ICMP type";
  }
  return `ICMP [${src} > ${dst} ${name} (type=${type}/code=${code}) ${extra}]`;
}

/** The trace text of one IPv4 or IPv6 packet starting at `at`, or undefined. */
function describeIp(b: Uint8Array, at: number): string | undefined {
  if (b.length < at + 1) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = b[at]! >> 4;
  let src: string, dst: string, proto: number, l4: number, end: number, ipinfo: string;
  if (version === 4 && b.length >= at + 20) {
    const ihl = (b[at]! & 15) * 4;
    const total = v.getUint16(at + 2);
    src = ipv4(b, at + 12);
    dst = ipv4(b, at + 16);
    proto = b[at + 9]!;
    l4 = at + ihl;
    end = Math.min(b.length, at + total);
    const frag = v.getUint16(at + 6);
    const fragInfo = frag & 0x3fff
      ? ` frag offset=${(frag & 0x1fff) * 8}${frag & 0x2000 ? "+" : ""}`
      : "";
    // nmap's "ipopts={…}" after the length when the header has options.
    const opts = ihl > 20
      ? `ipopts={${formatIpOptions(b.subarray(at + 20, Math.min(at + ihl, b.length)))}}`
      : "";
    ipinfo = `ttl=${b[at + 8]} id=${v.getUint16(at + 4)} iplen=${total}${fragInfo} ${opts}`;
  } else if (version === 6 && b.length >= at + 40) {
    src = ipv6(b, at + 8);
    dst = ipv6(b, at + 24);
    proto = b[at + 6]!;
    l4 = at + 40;
    const payload = v.getUint16(at + 4);
    end = Math.min(b.length, l4 + payload);
    const flow = v.getUint32(at) & 0xfffff;
    ipinfo = `hopl=${b[at + 7]} flow=${flow.toString(16)} payloadlen=${payload}`;
  } else return undefined;

  if (proto === 6 && l4 + 20 <= end) {
    const off = (b[l4 + 12]! >> 4) * 4;
    const opts = tcpOptions(b, l4 + 20, Math.min(end, l4 + off));
    return `TCP ${src}:${v.getUint16(l4)} > ${dst}:${v.getUint16(l4 + 2)} ${
      tcpFlags(b[l4 + 13]!)
    } ${ipinfo} seq=${v.getUint32(l4 + 4)} win=${v.getUint16(l4 + 14)} ${opts}`;
  }
  if (proto === 17 && l4 + 8 <= end) {
    return `UDP ${src}:${v.getUint16(l4)} > ${dst}:${v.getUint16(l4 + 2)} ${ipinfo}`;
  }
  if (proto === 132 && l4 + 12 <= end) {
    return `SCTP ${src}:${v.getUint16(l4)} > ${dst}:${v.getUint16(l4 + 2)} ${ipinfo}`;
  }
  if (proto === 1 && version === 4 && l4 + 4 <= end) {
    return `${icmpv4(b, l4, end, src, dst)} IP [${ipinfo}]`;
  }
  if (proto === 58 && b[l4] === 136 && l4 + 32 <= end && b[l4 + 24] === 2) {
    // A neighbour advertisement with the target's link-layer address (RFC 4861 §4.4), as
    // nmap's neighbour discovery reports one.
    const mac = Array.from(b.subarray(l4 + 26, l4 + 32), (x) => x.toString(16).padStart(2, "0"));
    return `neighbor advertisement ${src} > ${dst} ${ipv6(b, l4 + 8)} is at ${mac.join(":")}`;
  }
  if (proto === 58 && l4 + 4 <= end) {
    return `ICMPv6 (58) ${src} > ${dst} (type=${b[l4]}/code=${b[l4 + 1]}) ${ipinfo}`;
  }
  // nmap names the rest by nmap-protocols (-sO's bare probes: "gre (47) …").
  const name = ipProtocolName(proto);
  return `${name ?? "Unknown protocol"} (${proto}) ${src} > ${dst}: ${ipinfo}`;
}

/** ARP request or reply (RFC 826) at `at`. */
function describeArp(b: Uint8Array, at: number): string | undefined {
  if (b.length < at + 28) return undefined;
  const op = (b[at + 6]! << 8) | b[at + 7]!;
  const spa = ipv4(b, at + 14), tpa = ipv4(b, at + 24);
  if (op === 1) return `ARP who-has ${tpa} tell ${spa}`;
  if (op === 2) {
    const mac = Array.from(b.subarray(at + 8, at + 14), hex2).join(":");
    return `ARP reply ${spa} is-at ${mac}`;
  }
  return undefined;
}

/** What one frame of `linkType` framing is, in nmap's words; undefined when unknown. */
export function describeFrame(frame: Uint8Array, linkType: number): string | undefined {
  if (linkType === DLT_RAW || linkType === LINKTYPE_RAW) return describeIp(frame, 0);
  if (linkType !== DLT_EN10MB || frame.length < 14) return undefined;
  let at = 12;
  let type = (frame[at]! << 8) | frame[at + 1]!;
  if (type === 0x8100 && frame.length >= 18) {
    at += 4; // one 802.1Q tag
    type = (frame[at]! << 8) | frame[at + 1]!;
  }
  if (type === 0x0806) return describeArp(frame, at + 2);
  if (type === 0x0800 || type === 0x86dd) return describeIp(frame, at + 2);
  return undefined;
}

/** What nmap's CONN lines say of a connect() that ended. */
export function connectOutcome(err: unknown): string {
  if (err === undefined) return "Connected";
  if (err instanceof Deno.errors.ConnectionRefused) return "Connection refused";
  const msg = err instanceof Error ? err.message : String(err);
  if (/os error 111\b/.test(msg)) return "Connection refused";
  if (/os error 113\b/.test(msg)) return "No route to host";
  if (/os error 101\b/.test(msg)) return "Network is unreachable";
  if (/os error 13\b/.test(msg)) return "Permission denied";
  if (/os error 1\b/.test(msg)) return "Operation not permitted";
  if (/os error 110\b/.test(msg)) return "Connection timed out";
  return msg.replace(/ \(os error \d+\)$/, "");
}

/** nmap's CONN line for a connect() to `address`:`port`. */
export function connLine(address: string, port: number, outcome: string): string {
  return `CONN ${traceTime()} TCP localhost > ${address}:${port} => ${outcome}`;
}
