/**
 * What the lab's services say, as pure functions over bytes (no sockets, no clocks passed in
 * implicitly) so they can be tested without root: UDP replies (NTP, DNS, mDNS, SNMP, echo,
 * fixed), HTTP responses, TCP greetings (banners, the Nping echo handshake).
 */

import type { TcpService, UdpService } from "./scenarios.ts";

const enc = new TextEncoder();

/** Bytes from a hex string (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/\s+/g, "");
  if (s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new Error(`bad hex: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// --- UDP -------------------------------------------------------------------------------------

/** The reply `service` sends to the datagram `req`, or null for no reply. */
export function udpReply(
  service: UdpService,
  req: Uint8Array,
  now = new Date(),
): Uint8Array | null {
  switch (service.kind) {
    case "ntp":
      return ntpReply(req, now);
    case "dns":
      return dnsReply(req, service.answerA, service.version ?? "9.9.5-lab", service.ptrSuffix);
    case "mdns":
      return mdnsReply(req, service.services ?? ["_http._tcp.local", "_ssh._tcp.local"]);
    case "snmp":
      return snmpReply(req, service.community ?? "public", service.sysDescr ?? "Linux lab", now);
    case "echo":
      return req.slice();
    case "fixed":
      return fromHex(service.hex);
    case "silent":
      return null;
  }
}

/** Seconds between the NTP era 0 epoch (1900) and the Unix epoch (RFC 5905 §6). */
const NTP_UNIX_OFFSET = 2208988800;

function putNtpTime(view: DataView, at: number, ms: number): void {
  const secs = Math.floor(ms / 1000);
  view.setUint32(at, (secs + NTP_UNIX_OFFSET) >>> 0);
  view.setUint32(at + 4, Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0);
}

/**
 * RFC 5905 §7.3: a server answers a mode-3 (client) packet with mode 4, the same version and
 * poll, the client's transmit timestamp as origin, and its own receive/transmit times.
 */
export function ntpReply(req: Uint8Array, now: Date): Uint8Array | null {
  if (req.length < 48) return null;
  const mode = req[0]! & 7;
  const version = (req[0]! >> 3) & 7;
  if (mode !== 3 || version < 1 || version > 4) return null;
  const out = new Uint8Array(48);
  const v = new DataView(out.buffer);
  out[0] = (0 << 6) | (version << 3) | 4; // LI 0 (no warning), server mode
  out[1] = 2; // stratum: secondary server
  out[2] = req[2]!; // poll, echoed
  out[3] = 0xe9; // precision 2^-23 s
  v.setUint32(4, 0x00000200); // root delay ~7.8 ms (16.16 fixed point)
  v.setUint32(8, 0x00000400); // root dispersion ~15.6 ms
  out.set([0x7f, 0x7f, 0x01, 0x00], 12); // reference ID: a local clock (127.127.1.0)
  const ms = now.getTime();
  putNtpTime(v, 16, ms - 64_000); // reference timestamp: last set a minute ago
  out.set(req.subarray(40, 48), 24); // origin = the client's transmit timestamp
  putNtpTime(v, 32, ms); // receive
  putNtpTime(v, 40, ms); // transmit
  return out;
}

/** Encodes a dotted DNS name as labels (RFC 1035 §3.1). */
export function dnsName(name: string): Uint8Array {
  const parts: number[] = [];
  for (const label of name.replace(/\.$/, "").split(".")) {
    if (!label) continue;
    const b = enc.encode(label);
    if (b.length > 63) throw new Error(`DNS label too long: ${label}`);
    parts.push(b.length, ...b);
  }
  parts.push(0);
  return new Uint8Array(parts);
}

/** The end offset of the (uncompressed) name at `at`, or -1. */
function skipName(b: Uint8Array, at: number): number {
  let i = at;
  while (i < b.length) {
    const len = b[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2 <= b.length ? i + 2 : -1;
    if (len & 0xc0) return -1;
    i += 1 + len;
  }
  return -1;
}

/** The dotted, lower-cased form of the name at `at` (no compression expected in questions). */
function readName(b: Uint8Array, at: number): string {
  const labels: string[] = [];
  let i = at;
  while (i < b.length && b[i]! !== 0 && labels.length < 128) {
    const len = b[i]!;
    if (len & 0xc0) break;
    labels.push(new TextDecoder().decode(b.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return labels.join(".").toLowerCase();
}

function rr(name: Uint8Array, type: number, cls: number, ttl: number, rdata: Uint8Array) {
  const h = new Uint8Array(10);
  const v = new DataView(h.buffer);
  v.setUint16(0, type);
  v.setUint16(2, cls);
  v.setUint32(4, ttl);
  v.setUint16(8, rdata.length);
  return concat(name, h, rdata);
}

function txt(s: string): Uint8Array {
  const b = enc.encode(s).subarray(0, 255);
  return concat(new Uint8Array([b.length]), b);
}

/**
 * A small authoritative DNS server (RFC 1035 §4.1): echoes ID and question; opcode QUERY gets
 * an A answer (when configured) or NXDOMAIN, `version.bind` CH TXT gets `version`; any other
 * opcode (nmap's status request) gets NOTIMP. Responses are never answered. With `ptrSuffix`, a
 * PTR query for `d.c.b.a.in-addr.arpa` is answered `a-b-c-d.<ptrSuffix>`.
 */
export function dnsReply(
  req: Uint8Array,
  answerA: string | undefined,
  version: string,
  ptrSuffix?: string,
) {
  if (req.length < 12) return null;
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const flags = v.getUint16(2);
  if (flags & 0x8000) return null; // a response: never answer it
  const opcode = (flags >> 11) & 0xf;
  const qd = v.getUint16(4);
  const qEnd = qd >= 1 ? skipName(req, 12) : 12;
  const question = qd >= 1 && qEnd > 0 && qEnd + 4 <= req.length
    ? req.subarray(12, qEnd + 4)
    : new Uint8Array(0);
  const head = new Uint8Array(12);
  const hv = new DataView(head.buffer);
  hv.setUint16(0, v.getUint16(0));
  let rcode = 0;
  const answers: Uint8Array[] = [];
  if (opcode !== 0) {
    rcode = 4; // NOTIMP
  } else if (question.length === 0) {
    rcode = 1; // FORMERR
  } else {
    const qname = readName(req, 12);
    const qtype = v.getUint16(qEnd);
    const qclass = v.getUint16(qEnd + 2);
    const ptr = new Uint8Array([0xc0, 12]);
    if (qclass === 3 && qtype === 16 && qname === "version.bind") {
      answers.push(rr(ptr, 16, 3, 0, txt(version)));
    } else if (qclass === 1 && qtype === 1 && answerA) {
      answers.push(rr(ptr, 1, 1, 300, new Uint8Array(answerA.split(".").map(Number))));
    } else if (
      qclass === 1 && qtype === 12 && ptrSuffix &&
      /^(\d{1,3}\.){4}in-addr\.arpa$/.test(qname)
    ) {
      const name = qname.split(".").slice(0, 4).reverse().join("-") + "." + ptrSuffix;
      answers.push(rr(ptr, 12, 1, 300, dnsName(name)));
    } else {
      rcode = 3; // NXDOMAIN
    }
  }
  // QR, opcode echoed, AA, RD echoed, RA clear.
  hv.setUint16(2, 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | rcode);
  hv.setUint16(4, question.length ? 1 : 0);
  hv.setUint16(6, answers.length);
  return concat(head, question, ...answers);
}

/**
 * mDNS / DNS-SD (RFC 6762 §6.7 legacy unicast, RFC 6763 §9): a query for
 * `_services._dns-sd._udp.local` PTR is answered with one PTR per service type, repeating the ID
 * and the question.
 */
export function mdnsReply(req: Uint8Array, services: string[]): Uint8Array | null {
  if (req.length < 12) return null;
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  if (v.getUint16(2) & 0x8000 || v.getUint16(4) < 1) return null;
  const qEnd = skipName(req, 12);
  if (qEnd < 0 || qEnd + 4 > req.length) return null;
  const qtype = v.getUint16(qEnd);
  if (readName(req, 12) !== "_services._dns-sd._udp.local" || (qtype !== 12 && qtype !== 255)) {
    return null;
  }
  const head = new Uint8Array(12);
  const hv = new DataView(head.buffer);
  hv.setUint16(0, v.getUint16(0));
  hv.setUint16(2, 0x8400); // response, authoritative
  hv.setUint16(4, 1);
  hv.setUint16(6, services.length);
  const question = req.subarray(12, qEnd + 4);
  const answers = services.map((s) => rr(new Uint8Array([0xc0, 12]), 12, 1, 4500, dnsName(s)));
  return concat(head, question, ...answers);
}

// --- SNMP (BER, X.690) -----------------------------------------------------------------------

interface Tlv {
  tag: number;
  /** Offset of the value. */
  at: number;
  len: number;
  /** Offset just past the value. */
  end: number;
}

function readTlv(b: Uint8Array, at: number): Tlv | null {
  if (at + 2 > b.length) return null;
  const tag = b[at]!;
  let len = b[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || p + n > b.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[p + i]!;
    p += n;
  }
  if (p + len > b.length) return null;
  return { tag, at: p, len, end: p + len };
}

function berLen(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}

function tlv(tag: number, ...value: Uint8Array[]): Uint8Array {
  const body = concat(...value);
  return concat(new Uint8Array([tag, ...berLen(body.length)]), body);
}

function berInt(n: number): Uint8Array {
  const bytes: number[] = [];
  let x = n | 0;
  do {
    bytes.unshift(x & 0xff);
    x >>= 8;
  } while (!(x === 0 && !(bytes[0]! & 0x80)) && !(x === -1 && bytes[0]! & 0x80));
  return tlv(0x02, new Uint8Array(bytes));
}

function intValue(b: Uint8Array, t: Tlv): number {
  let x = t.len && b[t.at]! & 0x80 ? -1 : 0;
  for (let i = t.at; i < t.end && i < t.at + 4; i++) x = (x << 8) | b[i]!;
  return x;
}

/** 1.3.6.1.2.1.1.1.0, sysDescr.0 (RFC 3418). */
const SYS_DESCR_OID = new Uint8Array([0x2b, 6, 1, 2, 1, 1, 1, 0]);
/** 1.3.6.1.6.3.15.1.1.4.0, usmStatsUnknownEngineIDs.0 (RFC 3414 §5). */
const UNKNOWN_ENGINE_IDS_OID = new Uint8Array([0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0]);
/** An SNMP engine ID in the RFC 3411 format: enterprise 8072 (net-snmp), then 8 octets. */
const ENGINE_ID = new Uint8Array([
  0x80,
  0x00,
  0x1f,
  0x88,
  0x80,
  0x6c,
  0x61,
  0x62,
  0x70,
  0x68,
  0x6c,
  0x61,
  0x62,
]);
/** The engine's start, so that engineTime counts up from the first reply. */
const ENGINE_BOOT = Date.now();

/**
 * SNMP agent replies: v1/v2c GetRequest/GetNextRequest with the right community get a Response
 * with sysDescr.0 (RFC 3416); v3 requests (nmap's discovery probe) get a Report of
 * usmStatsUnknownEngineIDs carrying the engine ID (RFC 3414 §4).
 */
export function snmpReply(req: Uint8Array, community: string, sysDescr: string, now: Date) {
  const msg = readTlv(req, 0);
  if (!msg || msg.tag !== 0x30) return null;
  const ver = readTlv(req, msg.at);
  if (!ver || ver.tag !== 0x02) return null;
  const version = intValue(req, ver);
  if (version === 0 || version === 1) {
    const comm = readTlv(req, ver.end);
    if (!comm || comm.tag !== 0x04) return null;
    if (new TextDecoder().decode(req.subarray(comm.at, comm.end)) !== community) return null;
    const pdu = readTlv(req, comm.end);
    if (!pdu || (pdu.tag !== 0xa0 && pdu.tag !== 0xa1)) return null;
    const reqId = readTlv(req, pdu.at);
    if (!reqId || reqId.tag !== 0x02) return null;
    const errStat = readTlv(req, reqId.end);
    const errIdx = errStat && readTlv(req, errStat.end);
    const vbs = errIdx && readTlv(req, errIdx.end);
    if (!vbs || vbs.tag !== 0x30) return null;
    const first = readTlv(req, vbs.at);
    const oid = first && readTlv(req, first.at);
    const asked = oid ? req.subarray(oid.at, oid.end) : new Uint8Array(0);
    const isDescr = asked.length === SYS_DESCR_OID.length &&
      asked.every((x, i) => x === SYS_DESCR_OID[i]);
    let status = 0;
    let varbind: Uint8Array;
    if (pdu.tag === 0xa1 || isDescr) {
      varbind = tlv(0x30, tlv(0x06, SYS_DESCR_OID), tlv(0x04, enc.encode(sysDescr)));
    } else if (version === 1) {
      varbind = tlv(0x30, tlv(0x06, asked), new Uint8Array([0x80, 0])); // noSuchObject
    } else {
      status = 2; // noSuchName
      varbind = tlv(0x30, tlv(0x06, asked), new Uint8Array([0x05, 0]));
    }
    const body = tlv(
      0xa2,
      berInt(intValue(req, reqId)),
      berInt(status),
      berInt(status ? 1 : 0),
      tlv(0x30, varbind),
    );
    return tlv(0x30, berInt(version), tlv(0x04, enc.encode(community)), body);
  }
  if (version === 3) {
    const header = readTlv(req, ver.end);
    if (!header || header.tag !== 0x30) return null;
    const msgId = readTlv(req, header.at);
    if (!msgId || msgId.tag !== 0x02) return null;
    const secParams = readTlv(req, header.end);
    const scoped = secParams && readTlv(req, secParams.end);
    let requestId = 0;
    if (scoped && scoped.tag === 0x30) {
      const ctxEngine = readTlv(req, scoped.at);
      const ctxName = ctxEngine && readTlv(req, ctxEngine.end);
      const pdu = ctxName && readTlv(req, ctxName.end);
      const rid = pdu && readTlv(req, pdu.at);
      if (rid && rid.tag === 0x02) requestId = intValue(req, rid);
    }
    const engineTime = Math.max(0, Math.floor((now.getTime() - ENGINE_BOOT) / 1000));
    const usm = tlv(
      0x30,
      tlv(0x04, ENGINE_ID),
      berInt(1), // engineBoots
      berInt(engineTime),
      tlv(0x04),
      tlv(0x04),
      tlv(0x04),
    );
    const report = tlv(
      0xa8,
      berInt(requestId),
      berInt(0),
      berInt(0),
      tlv(0x30, tlv(0x30, tlv(0x06, UNKNOWN_ENGINE_IDS_OID), tlv(0x41, new Uint8Array([1])))),
    );
    return tlv(
      0x30,
      berInt(3),
      tlv(
        0x30,
        berInt(intValue(req, msgId)),
        berInt(65507),
        tlv(0x04, new Uint8Array([0])),
        berInt(3),
      ),
      tlv(0x04, usm),
      tlv(0x30, tlv(0x04, ENGINE_ID), tlv(0x04), report),
    );
  }
  return null;
}

// --- TCP -------------------------------------------------------------------------------------

/**
 * The Nping echo server's first message (NEP, nping/EchoHeader.h): version 1, type
 * NEP_HANDSHAKE_SERVER (1), length 0x18 words (96 bytes), sequence and timestamp, reserved zeros,
 * a 32-byte server nonce, zero padding, a 32-byte MAC. `random` fills the non-constant fields.
 */
export function npingHandshake(random: (n: number) => Uint8Array): Uint8Array {
  const out = new Uint8Array(96);
  out.set([0x01, 0x01, 0x00, 0x18], 0);
  out.set(random(8), 4); // sequence number, timestamp
  // 12..15 reserved (zero)
  out.set(random(32), 16); // server nonce
  // 48..63 zero padding
  out.set(random(32), 64); // message authentication code
  return out;
}

/** What `service` sends first on a new connection, or null when it waits for the client. */
export function tcpGreeting(service: TcpService, random: (n: number) => Uint8Array) {
  switch (service.kind) {
    case "banner":
      return service.hex !== undefined ? fromHex(service.hex) : enc.encode(service.text ?? "");
    case "nping-echo":
      return npingHandshake(random);
    default:
      return null;
  }
}

/** The IMF-fixdate form of `d` (RFC 9110 §5.6.7). */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  501: "Not Implemented",
};

/** A parsed request head, or null when the head is not HTTP/1.x. */
export interface HttpRequestHead {
  method: string;
  target: string;
  version: string;
  headers: Map<string, string>;
}

/** Parses a request head (everything before the blank line). */
export function parseRequestHead(head: string): HttpRequestHead | null {
  const lines = head.split(/\r?\n/);
  const m = /^([A-Z]{1,20}) (\S+) ([A-Z]{1,8}\/\d\.\d)$/.exec(lines[0] ?? "");
  if (!m) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { method: m[1]!, target: m[2]!, version: m[3]!, headers };
}

/**
 * The response of an Apache-like server to one request head: 200 with a small page for GET/HEAD
 * of `/`, 404 for other paths, 200 with Allow for OPTIONS, 405 for other methods, 400 for
 * anything that is not a request line. `keepAlive` tells whether the connection stays open.
 */
export function httpResponse(
  service: Extract<TcpService, { kind: "http" }>,
  head: string,
  now: Date,
): { bytes: Uint8Array; keepAlive: boolean } {
  const req = parseRequestHead(head);
  let status = 200;
  let body = "";
  const extra: string[] = [];
  if (!req) {
    status = 400;
  } else if (req.method === "GET" || req.method === "HEAD") {
    if (req.target === "/" || req.target === "/index.html") {
      const title = service.title ?? "Lab";
      body =
        `<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n<body><h1>${title}</h1>` +
        `<p>${service.body ?? ""}</p></body></html>\n`;
      extra.push("Last-Modified: Thu, 02 Jan 2014 12:00:00 GMT", "Accept-Ranges: bytes");
    } else {
      status = 404;
    }
  } else if (req.method === "OPTIONS") {
    extra.push("Allow: GET,HEAD,POST,OPTIONS");
  } else if (["POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT"].includes(req.method)) {
    status = 405;
    extra.push("Allow: GET,HEAD,POST,OPTIONS");
  } else {
    status = 501;
  }
  if (status >= 400) {
    body = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n` +
      `<title>${status} ${REASONS[status]}</title>\n</head><body>\n<h1>${REASONS[status]}</h1>\n` +
      `</body></html>\n`;
  }
  const bodyBytes = enc.encode(body);
  const keepAlive = !!req && status < 400 && req.version === "HTTP/1.1" &&
    req.headers.get("connection")?.toLowerCase() !== "close";
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    `Date: ${httpDate(now)}`,
    `Server: ${service.server}`,
    ...extra,
    `Content-Length: ${bodyBytes.length}`,
    ...(keepAlive
      ? ["Keep-Alive: timeout=5, max=100", "Connection: Keep-Alive"]
      : ["Connection: close"]),
    `Content-Type: text/html${status < 400 ? "" : "; charset=iso-8859-1"}`,
    "",
    "",
  ];
  const withBody = req?.method !== "HEAD";
  return {
    bytes: concat(enc.encode(lines.join("\r\n")), withBody ? bodyBytes : new Uint8Array(0)),
    keepAlive,
  };
}
