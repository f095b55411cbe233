/**
 * Each payload decoded by a small, independent parser written from the same
 * specification (not from the builder), checking the fields a server looks
 * at. A second test has tcpdump's dissectors read them, where installed.
 */

import { assert, assertEquals, assertNotEquals } from "../../tests/testing/assert.ts";
import {
  cldapProbe,
  coapProbe,
  dhcpProbe,
  dnsProbe,
  dtlsClientHello,
  ikeNatTProbe,
  ikeProbe,
  mdnsProbe,
  memcachedProbe,
  mumblePingProbe,
  natPmpProbe,
  netbiosNsProbe,
  nfsProbe,
  ntpProbe,
  payloadPorts,
  portmapProbe,
  quicProbe,
  radiusProbe,
  ripProbe,
  rmcpPresencePing,
  sipProbe,
  snmpCommunityProbe,
  snmpV3DiscoveryProbe,
  ssdpProbe,
  stunProbe,
  tftpProbe,
  udpPayloads,
  xdmcpProbe,
} from "./udp_payloads.ts";

const dec = new TextDecoder();
const be16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

// --- DNS ---------------------------------------------------------------------------------------

function parseDns(b: Uint8Array) {
  assert(b.length >= 12, "DNS header is 12 bytes");
  const h = {
    id: be16(b, 0),
    qr: b[2]! >> 7,
    opcode: (b[2]! >> 3) & 0xf,
    qd: be16(b, 4),
    an: be16(b, 6),
    ns: be16(b, 8),
    ar: be16(b, 10),
  };
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    const len = b[i]!;
    assert(len < 64, "no compression in a query name");
    i++;
    if (len === 0) break;
    labels.push(dec.decode(b.subarray(i, i + len)));
    i += len;
  }
  const qtype = be16(b, i);
  const qclass = be16(b, i + 2);
  assertEquals(i + 4, b.length, "nothing after the question");
  return { ...h, qname: labels.join("."), qtype, qclass };
}

Deno.test("DNS probe: one QUERY for the root NS set", () => {
  const q = parseDns(dnsProbe());
  assertEquals(
    { qr: q.qr, opcode: q.opcode, qd: q.qd, an: q.an, ns: q.ns, ar: q.ar, qname: q.qname },
    { qr: 0, opcode: 0, qd: 1, an: 0, ns: 0, ar: 0, qname: "" },
  );
  assertEquals(q.qtype, 2);
  assertEquals(q.qclass, 1);
});

Deno.test("mDNS probe: DNS-SD service enumeration PTR query", () => {
  const q = parseDns(mdnsProbe());
  assertNotEquals(q.id, 0, "legacy unicast needs a non-zero ID to be echoed");
  assertEquals(q.qname, "_services._dns-sd._udp.local");
  assertEquals(q.qtype, 12);
  assertEquals(q.qclass & 0x7fff, 1);
});

// --- NTP ---------------------------------------------------------------------------------------

Deno.test("NTP probe: 48-byte v4 client request with a transmit timestamp", () => {
  const p = ntpProbe();
  assertEquals(p.length, 48);
  assertEquals(p[0]! & 7, 3, "mode client");
  assertEquals((p[0]! >> 3) & 7, 4, "version 4");
  assertNotEquals(be32(p, 40) + be32(p, 44), 0);
});

// --- NetBIOS ------------------------------------------------------------------------------------

Deno.test("NetBIOS-NS probe: NBSTAT for the wildcard name", () => {
  const p = netbiosNsProbe();
  assertEquals(be16(p, 2) >> 11 & 0xf, 0, "opcode query");
  assertEquals(be16(p, 4), 1);
  assertEquals(p[12], 32, "encoded names are 32 bytes");
  const raw: number[] = [];
  for (let i = 0; i < 32; i += 2) {
    const hi = p[13 + i]! - 0x41, lo = p[14 + i]! - 0x41;
    assert(hi >= 0 && hi < 16 && lo >= 0 && lo < 16, "half-ASCII encoding");
    raw.push((hi << 4) | lo);
  }
  assertEquals(raw[0], 0x2a, '"*"');
  assert(raw.slice(1).every((x) => x === 0), "NUL padded");
  assertEquals(p[45], 0, "no scope");
  assertEquals(be16(p, 46), 0x21, "NBSTAT");
  assertEquals(be16(p, 48), 1, "IN");
  assertEquals(p.length, 50);
});

// --- BER -----------------------------------------------------------------------------------------

interface Ber {
  tag: number;
  value: Uint8Array;
  children?: Ber[];
}

/** A strict definite-length BER reader; constructed tags are parsed recursively. */
function parseBer(b: Uint8Array): Ber[] {
  const out: Ber[] = [];
  let i = 0;
  while (i < b.length) {
    const tag = b[i++]!;
    assertNotEquals(tag & 0x1f, 0x1f, "no high tag numbers here");
    let len = b[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      assert(n >= 1 && n <= 2);
      len = 0;
      for (let k = 0; k < n; k++) len = (len << 8) | b[i++]!;
    }
    assert(i + len <= b.length, "length within the buffer");
    const value = b.subarray(i, i + len);
    i += len;
    out.push(tag & 0x20 ? { tag, value, children: parseBer(value) } : { tag, value });
  }
  return out;
}

const berIntValue = (e: Ber) => {
  assertEquals(e.tag, 0x02);
  let v = e.value[0]! & 0x80 ? -1 : 0;
  for (const x of e.value) v = (v << 8) | x;
  return v;
};

function oidText(e: Ber): string {
  assertEquals(e.tag, 0x06);
  const arcs: number[] = [];
  let acc = 0;
  for (const x of e.value) {
    acc = acc * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      arcs.push(acc);
      acc = 0;
    }
  }
  const first = arcs.shift()!;
  return [Math.floor(first / 40), first % 40, ...arcs].join(".");
}

function only(list: Ber[] | undefined): Ber {
  assert(list && list.length === 1, "exactly one element");
  return list[0]!;
}

for (const version of [0, 1] as const) {
  Deno.test(`SNMP v${version === 0 ? 1 : "2c"} probe: GetRequest sysDescr.0, community public`, () => {
    const msg = only(parseBer(snmpCommunityProbe(version)));
    assertEquals(msg.tag, 0x30);
    const [ver, comm, pdu] = msg.children!;
    assertEquals(berIntValue(ver!), version);
    assertEquals(dec.decode(comm!.value), "public");
    assertEquals(pdu!.tag, 0xa0, "GetRequest-PDU");
    const [reqId, status, index, vbs] = pdu!.children!;
    assert(berIntValue(reqId!) > 0);
    assertEquals(berIntValue(status!), 0);
    assertEquals(berIntValue(index!), 0);
    const vb = only(vbs!.children);
    assertEquals(oidText(vb.children![0]!), "1.3.6.1.2.1.1.1.0");
    assertEquals(vb.children![1]!.tag, 0x05, "NULL value");
  });
}

Deno.test("SNMPv3 probe: reportable discovery request under USM", () => {
  const msg = only(parseBer(snmpV3DiscoveryProbe()));
  const [ver, global, secParams, scoped] = msg.children!;
  assertEquals(berIntValue(ver!), 3);
  const [msgId, maxSize, flags, model] = global!.children!;
  assert(berIntValue(msgId!) > 0);
  assert(berIntValue(maxSize!) >= 484, "RFC 3412: msgMaxSize at least 484");
  assertEquals(flags!.value.length, 1);
  assertEquals(flags!.value[0]! & 0x04, 0x04, "reportable");
  assertEquals(flags!.value[0]! & 0x03, 0, "noAuthNoPriv");
  assertEquals(berIntValue(model!), 3, "USM");
  const usm = only(parseBer(secParams!.value));
  assertEquals(usm.children!.length, 6);
  assertEquals(usm.children![0]!.value.length, 0, "empty authoritative engine ID");
  const [ctxEngine, ctxName, pdu] = scoped!.children!;
  assertEquals(ctxEngine!.value.length + ctxName!.value.length, 0);
  assertEquals(pdu!.tag, 0xa0);
});

Deno.test("CLDAP probe: root DSE base search, present filter", () => {
  const msg = only(parseBer(cldapProbe()));
  const [id, req] = msg.children!;
  assert(berIntValue(id!) > 0);
  assertEquals(req!.tag, 0x63, "SearchRequest");
  const [base, scope, deref, size, time, typesOnly, filter, attrs] = req!.children!;
  assertEquals(base!.value.length, 0);
  assertEquals([scope!.tag, scope!.value[0]], [0x0a, 0]);
  assertEquals([deref!.tag, deref!.value[0]], [0x0a, 0]);
  assertEquals(berIntValue(size!), 0);
  assertEquals(berIntValue(time!), 0);
  assertEquals(typesOnly!.tag, 0x01);
  assertEquals(filter!.tag, 0x87);
  assertEquals(dec.decode(filter!.value), "objectClass");
  assert(attrs!.children!.every((a) => a.tag === 0x04));
});

// --- Text protocols -------------------------------------------------------------------------------

function headers(text: string): { start: string; fields: Map<string, string> } {
  assert(text.endsWith("\r\n\r\n"), "ends with an empty line");
  const [start, ...rest] = text.slice(0, -4).split("\r\n");
  const fields = new Map<string, string>();
  for (const line of rest) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    assert(m, `header line: ${line}`);
    fields.set(m[1]!.toLowerCase(), m[2]!);
  }
  return { start: start!, fields };
}

Deno.test("SSDP probe: M-SEARCH with MAN ssdp:discover", () => {
  const h = headers(dec.decode(ssdpProbe()));
  assertEquals(h.start, "M-SEARCH * HTTP/1.1");
  assertEquals(h.fields.get("man"), '"ssdp:discover"');
  assert(h.fields.has("st") && h.fields.has("host"));
});

Deno.test("SIP probe: OPTIONS with every mandatory header and rport", () => {
  const h = headers(dec.decode(sipProbe({ family: 4, source: Uint8Array.of(10, 1, 2, 3) })));
  assert(/^OPTIONS sip:\S+ SIP\/2\.0$/.test(h.start));
  for (const f of ["via", "max-forwards", "to", "from", "call-id", "cseq"]) {
    assert(h.fields.has(f), f);
  }
  assert(/^SIP\/2\.0\/UDP 10\.1\.2\.3;branch=z9hG4bK[^;]*;rport$/.test(h.fields.get("via")!));
  assertEquals(h.fields.get("cseq"), "1 OPTIONS");
  assertEquals(h.fields.get("content-length"), "0");
  const v6 = headers(
    dec.decode(sipProbe({ family: 6, source: new Uint8Array(16).fill(0).fill(1, 15) })),
  );
  assert(/UDP \[0:0:0:0:0:0:0:1\];/.test(v6.fields.get("via")!));
});

// --- IKE -------------------------------------------------------------------------------------------

function walkIke(b: Uint8Array) {
  assertEquals(be32(b, 24), b.length, "ISAKMP length covers the datagram");
  assertEquals(be32(b, 8) + be32(b, 12), 0, "zero responder cookie");
  assertNotEquals(be32(b, 0) + be32(b, 4), 0, "initiator cookie set");
  assertEquals(b[17], 0x10, "version 1.0");
  assertEquals(b[18], 2, "Identity Protection");
  assertEquals(b[16], 1, "first payload SA");
  const sa = b.subarray(28);
  assertEquals(be16(sa, 2), sa.length, "one SA payload fills the rest");
  assertEquals(be32(sa, 4), 1, "IPsec DOI");
  assertEquals(be32(sa, 8), 1, "SIT_IDENTITY_ONLY");
  const prop = sa.subarray(12);
  assertEquals(be16(prop, 2), prop.length);
  assertEquals(
    [prop[4], prop[5], prop[6], prop[7]],
    [1, 1, 0, 1],
    "#1 ISAKMP, no SPI, 1 transform",
  );
  const tr = prop.subarray(8);
  assertEquals(be16(tr, 2), tr.length);
  assertEquals(tr[5], 1, "KEY_IKE");
  const attrs = new Map<number, number>();
  for (let i = 8; i < tr.length; i += 4) {
    assert(be16(tr, i) & 0x8000, "TV attributes");
    attrs.set(be16(tr, i) & 0x7fff, be16(tr, i + 2));
  }
  return attrs;
}

Deno.test("IKE probe: main mode SA with a complete KEY_IKE transform", () => {
  const attrs = walkIke(ikeProbe());
  for (const t of [1, 2, 3, 4]) {
    assert(attrs.has(t), `attribute ${t} is mandatory (RFC 2409 §5)`);
  }
  assertEquals(attrs.get(1), 7);
  assertEquals(attrs.get(14), 128, "AES needs a key length");
  const natt = ikeNatTProbe();
  assertEquals(be32(natt, 0), 0, "non-ESP marker");
  walkIke(natt.subarray(4));
});

// --- Others ---------------------------------------------------------------------------------------

Deno.test("memcached probe: one-datagram frame header then 'version'", () => {
  const p = memcachedProbe();
  assertEquals(be16(p, 2), 0, "sequence 0");
  assertEquals(be16(p, 4), 1, "one datagram");
  assertEquals(be16(p, 6), 0);
  assertEquals(dec.decode(p.subarray(8)), "version\r\n");
});

Deno.test("DHCP probe: DHCPINFORM carrying our address in ciaddr", () => {
  const p = dhcpProbe({ family: 4, source: Uint8Array.of(10, 9, 8, 7) });
  assert(p.length >= 300);
  assertEquals([p[0], p[1], p[2]], [1, 1, 6]);
  assertEquals([...p.subarray(12, 16)], [10, 9, 8, 7]);
  assertEquals([...p.subarray(236, 240)], [99, 130, 83, 99]);
  const opts = new Map<number, number[]>();
  let i = 240;
  while (p[i] !== 255) {
    if (p[i] === 0) {
      i++;
      continue;
    }
    opts.set(p[i]!, [...p.subarray(i + 2, i + 2 + p[i + 1]!)]);
    i += 2 + p[i + 1]!;
  }
  assertEquals(opts.get(53), [8], "DHCPINFORM");
  assert(opts.has(55));
});

Deno.test("TFTP probe: RRQ in octet mode", () => {
  const p = tftpProbe();
  assertEquals(be16(p, 0), 1);
  const parts = dec.decode(p.subarray(2)).split("\0");
  assertEquals(parts.length, 3);
  assert(parts[0]!.length > 0);
  assertEquals(parts[1]!.toLowerCase(), "octet");
  assertEquals(parts[2], "");
});

for (
  const [name, probe, prog, vers] of [["portmap", portmapProbe, 100000, 2], [
    "NFS",
    nfsProbe,
    100003,
    3,
  ]] as const
) {
  Deno.test(`Sun RPC probe (${name}): NULL call with AUTH_NONE`, () => {
    const p = probe();
    assertEquals(p.length, 40);
    const w = (k: number) => be32(p, 4 * k);
    assertEquals([w(1), w(2), w(3), w(4), w(5)], [0, 2, prog, vers, 0]);
    assertEquals([w(6), w(7), w(8), w(9)], [0, 0, 0, 0]);
  });
}

Deno.test("RADIUS probe: Access-Request with User-Name and User-Password", () => {
  const p = radiusProbe();
  assertEquals(p[0], 1);
  assertEquals(be16(p, 2), p.length);
  const attrs = new Map<number, number>();
  for (let i = 20; i < p.length; i += p[i + 1]!) {
    assert(p[i + 1]! >= 2);
    attrs.set(p[i]!, p[i + 1]! - 2);
  }
  assert(attrs.get(1)! > 0);
  assertEquals(attrs.get(2), 16, "User-Password is a multiple of 16");
});

Deno.test("QUIC probe: reserved version Initial of 1200 bytes", () => {
  const p = quicProbe();
  assertEquals(p.length, 1200);
  assertEquals(p[0]! & 0xc0, 0xc0, "long header with fixed bit");
  assertEquals(be32(p, 1) & 0x0f0f0f0f, 0x0a0a0a0a, "a 0x?a?a?a?a version");
  const dcid = p[5]!;
  const scidAt = 6 + dcid;
  const tokenAt = scidAt + 1 + p[scidAt]!;
  assertEquals(p[tokenAt], 0);
  assertEquals(be16(p, tokenAt + 1) >> 14, 1, "2-byte varint");
  assertEquals(be16(p, tokenAt + 1) & 0x3fff, p.length - tokenAt - 3);
});

Deno.test("small binary probes: RIP, RMCP, STUN, CoAP, NAT-PMP, XDMCP, Mumble ping", () => {
  const rip = ripProbe();
  assertEquals([rip[0], rip[1], rip.length], [1, 2, 24]);
  assertEquals(be16(rip, 4), 0, "AFI 0: whole table");
  assertEquals(be32(rip, 20), 16, "metric infinity");
  const rmcp = rmcpPresencePing();
  assertEquals([rmcp[0], rmcp[2], rmcp[3]], [6, 0xff, 6]);
  assertEquals(be32(rmcp, 4), 4542);
  assertEquals(rmcp[8], 0x80);
  const stun = stunProbe();
  assertEquals(stun.length, 20);
  assertEquals(be16(stun, 0), 1);
  assertEquals(be32(stun, 4), 0x2112a442);
  const coap = coapProbe();
  assertEquals(coap[0]! >> 6, 1, "CoAP version 1");
  assertEquals(coap[1], 1, "GET");
  const path: string[] = [];
  let opt = 0;
  for (let i = 4 + (coap[0]! & 0xf); i < coap.length;) {
    const delta = coap[i]! >> 4, len = coap[i]! & 0xf;
    opt += delta;
    assertEquals(opt, 11, "Uri-Path");
    path.push(dec.decode(coap.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  assertEquals(path.join("/"), ".well-known/core");
  assertEquals([...natPmpProbe()], [0, 0]);
  const x = xdmcpProbe();
  assertEquals([be16(x, 0), be16(x, 2), be16(x, 4)], [1, 2, x.length - 6]);
  const ping = mumblePingProbe();
  assertEquals([ping.length, be32(ping, 0)], [12, 0], "Mumble ping: type 0, 64-bit ident");
});

Deno.test("table: every listed port has payloads; others get one empty datagram", () => {
  const ctx = { family: 4 as const, source: Uint8Array.of(10, 0, 0, 1) };
  for (const port of payloadPorts()) {
    const list = udpPayloads(port, ctx);
    assert(list.length >= 1 && list.some((p) => p.length > 0), `port ${port}`);
  }
  assertEquals(udpPayloads(443, ctx).map((p) => p[0]), [22, 0xc0], "DTLS, then QUIC on the retry");
  assertEquals(udpPayloads(443, ctx)[1]!.length, 1200);
  assertEquals(udpPayloads(161, ctx).length, 3);
  assertEquals(udpPayloads(31337, ctx).map((p) => p.length), [0]);
  assert(udpPayloads(5060, ctx)[0]!.length > 100);
  assert(udpPayloads(443, ctx)[0]!.length + 8 + 20 <= 1500, "fits an Ethernet MTU");
});

Deno.test("DTLS ClientHello: record, handshake and hello fields (RFC 6347 §4.1, §4.2.2, §4.3.2)", () => {
  const b = dtlsClientHello();
  // Record: handshake, DTLS 1.0 record version, epoch 0, sequence 0, length to the end.
  assertEquals([b[0], be16(b, 1), be16(b, 3), be32(b, 5), be16(b, 9)], [22, 0xfeff, 0, 0, 0]);
  assertEquals(be16(b, 11), b.length - 13);
  const h = b.subarray(13);
  const u24 = (at: number) => (h[at]! << 16) | (h[at + 1]! << 8) | h[at + 2]!;
  // Handshake: client_hello, length = fragment length = the rest, message_seq 0, offset 0.
  assertEquals([h[0], u24(1), be16(h, 4), u24(6), u24(9)], [1, h.length - 12, 0, 0, h.length - 12]);
  const hello = h.subarray(12);
  assertEquals(be16(hello, 0), 0xfefd, "client_version DTLS 1.2");
  let at = 2 + 32;
  assertEquals(hello[at], 0, "no session id");
  assertEquals(hello[at + 1], 0, "no cookie (the server's HelloVerifyRequest gives one)");
  at += 2;
  const suites = be16(hello, at);
  assert(suites > 0 && suites % 2 === 0);
  at += 2 + suites;
  assertEquals([hello[at], hello[at + 1]], [1, 0], "null compression only");
  at += 2;
  const extLen = be16(hello, at);
  assertEquals(at + 2 + extLen, hello.length, "extensions fill the rest");
  const types: number[] = [];
  for (let e = at + 2; e < hello.length; e += 4 + be16(hello, e + 2)) types.push(be16(hello, e));
  assertEquals(types, [10, 11, 13, 0xff01]);
});

Deno.test("nmap's payloads, when a run uses them, win on the ports they name", () => {
  const ctx = { family: 4 as const };
  const nmap = new Map([[53, [Uint8Array.of(1), Uint8Array.of(2)]], [7, [Uint8Array.of(13, 10)]]]);
  assertEquals(udpPayloads(53, ctx, nmap).map((p) => [...p]), [[1], [2]]);
  assertEquals(udpPayloads(7, ctx, nmap).map((p) => [...p]), [[13, 10]]);
  // Ports only Porthole knows keep Porthole's; others stay empty.
  assertEquals(udpPayloads(64738, ctx, nmap), udpPayloads(64738, ctx, undefined));
  assertEquals(udpPayloads(9, ctx, nmap).map((p) => p.length), [0]);
  // The list handed out is a copy: a caller cannot change the run's table.
  udpPayloads(53, ctx, nmap).pop();
  assertEquals(nmap.get(53)!.length, 2);
});

// --- tcpdump's dissectors as a second, independent reader ---------------------------------------

/** A pcap file (LINKTYPE_RAW) of one IPv4/UDP datagram per payload, 10.0.0.1 → 10.0.0.2. */
function pcapOf(datagrams: { port: number; payload: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, 101, true); // LINKTYPE_RAW
  parts.push(new Uint8Array(head.buffer));
  for (const { port, payload } of datagrams) {
    const ip = new Uint8Array(28 + payload.length);
    const v = new DataView(ip.buffer);
    ip[0] = 0x45;
    v.setUint16(2, ip.length);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    v.setUint16(10, ~sum & 0xffff);
    v.setUint16(20, 40000);
    v.setUint16(22, port);
    v.setUint16(24, 8 + payload.length);
    ip.set(payload, 28);
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(8, ip.length, true);
    rec.setUint32(12, ip.length, true);
    parts.push(new Uint8Array(rec.buffer), ip);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hasTcpdump(): boolean {
  if (Deno.permissions.querySync({ name: "run", command: "tcpdump" }).state !== "granted") {
    return false;
  }
  try {
    return new Deno.Command("tcpdump", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "payloads decode cleanly in tcpdump's dissectors",
  ignore: !hasTcpdump(),
  fn: async () => {
    const ctx = { family: 4 as const, source: Uint8Array.of(10, 0, 0, 1) };
    const datagrams = payloadPorts().flatMap((port) =>
      udpPayloads(port, ctx).filter((p) => p.length).map((payload) => ({ port, payload }))
    );
    const file = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(file, pcapOf(datagrams));
      const run = async (...extra: string[]) => {
        const out = await new Deno.Command("tcpdump", {
          args: ["-r", file, "-nn", "-vv", ...extra],
          stdout: "piped",
          stderr: "null",
        }).output();
        assert(out.success, "tcpdump read the file");
        return dec.decode(out.stdout);
      };
      const text = await run();
      assert(!/\[\||malformed|\bbad\b/i.test(text), "no truncation or malformation markers");
      const expected: [string, RegExp][] = [
        ["DNS", /40000 > 10\.0\.0\.2\.53: .* NS\? \. /],
        ["DHCP", /DHCP-Message \(53\), length 1: Inform/],
        ["TFTP", /RRQ "porthole\.txt" octet/],
        ["NTP", /NTPv4, Client, length 48/],
        ["SNMPv2c", /SNMPv2c \{ GetRequest\(\d+\) R=\d+ +\.1\.3\.6\.1\.2\.1\.1\.1\.0 \}/],
        ["SNMPv3", /SNMPv3 \{ F=r \} \{ USM B=0 T=0 U="" \}/],
        ["SNMPv1", /SNMPv1 \{ GetRequest\(\d+\) R=\d+ +\.1\.3\.6\.1\.2\.1\.1\.1\.0 \}/],
        ["IKE", /10\.0\.0\.2\.500: .*isakmp 1\.0 .*phase 1 I ident/],
        ["IKE transform", /id=ike \(type=enc value=aes\)\(type=keylen value=0080\)/],
        ["NAT-T", /NONESP-encap: isakmp 1\.0/],
        ["RIP", /RIPv2, Request, length: 24/],
        ["RADIUS", /10\.0\.0\.2\.1812: .*RADIUS, length: \d+\n\s+Access-Request \(1\)/],
        ["NFS", /NFS request xid \d+ 40 null/],
        ["SIP", /SIP, length: \d+\n\s+OPTIONS sip:nm SIP\/2\.0/],
        ["mDNS", /PTR \(QM\)\? _services\._dns-sd\._udp\.local\./],
      ];
      for (const [what, re] of expected) assert(re.test(text), `tcpdump decodes the ${what} probe`);
      const rpc = await run("-T", "rpc", "udp port 111");
      assert(/: 40 null/.test(rpc), "portmap NULL call decodes as RPC");
    } finally {
      await Deno.remove(file);
    }
  },
});
