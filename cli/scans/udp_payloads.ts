/**
 * Protocol payloads for the UDP scan: an empty datagram draws nothing from
 * most UDP services, so well-known ports get a minimal valid request that any
 * implementation answers (even with an error, which still proves the port
 * open). Each probe is written from its protocol's specification, cited per
 * builder; none is taken from nmap-payloads.
 *
 * When nmap's own nmap-payloads is found (cli/app/udp_payload_file.ts reads it through
 * nmap_payloads.ts), the two merge as nmap 7.93 would see it: a port nmap's file names gets
 * nmap's payloads, in the file's order; a port only Porthole knows gets Porthole's.
 *
 * A port may have several payloads (SNMP v2c, v3 discovery and v1): as in
 * nmap, every try carries all of them, back to back from one source port
 * (udp.ts), so whichever the service understands draws the answer even
 * when one try is all a port gets. A closed port with several payloads can
 * draw as many ICMP errors, as under nmap.
 *
 * @module
 */

import type { PortPayloads } from "./nmap_payloads.ts";

/** What a payload builder may need to know about the probe it rides in. */
export interface PayloadContext {
  /** Address family of the probe. */
  family: 4 | 6;
  /** Our source address (4 or 16 bytes), when known: DHCPINFORM and SIP quote it. */
  source?: Uint8Array;
}

const enc = new TextEncoder();

function bytes(...parts: (ArrayLike<number> | string)[]): Uint8Array {
  const chunks = parts.map((p) => typeof p === "string" ? enc.encode(p) : Uint8Array.from(p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (
  v: number,
): number[] => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

/** Our 16-bit transaction ID ("PH"), so a capture shows whose probe it was. */
const TXID = 0x5048;

// --- DNS and mDNS ------------------------------------------------------------------------------

/** A DNS name as length-prefixed labels (RFC 1035 §3.1); "" is the root. */
function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) {
    if (!label) continue;
    const b = enc.encode(label);
    out.push(b.length, ...b);
  }
  out.push(0);
  return out;
}

/**
 * One-question DNS query (RFC 1035 §4.1.1 header, §4.1.2 question): flags
 * all zero (opcode QUERY, RD clear, so a resolver answers from what it holds
 * or refuses — either way a reply).
 */
function dnsQuery(name: string, qtype: number, qclass: number): Uint8Array {
  return bytes(
    u16(TXID),
    u16(0),
    u16(1),
    u16(0),
    u16(0),
    u16(0),
    dnsName(name),
    u16(qtype),
    u16(qclass),
  );
}

/** 53/udp: the root's NS set (RFC 1035 §3.2.2 type NS = 2, §3.2.4 class IN = 1). */
export function dnsProbe(): Uint8Array {
  return dnsQuery("", 2, 1);
}

/**
 * 5353/udp: DNS-SD service enumeration, `_services._dns-sd._udp.local` PTR
 * (RFC 6763 §9). Sent from a port other than 5353 it is a "legacy unicast"
 * query (RFC 6762 §6.7), answered by unicast to our port with our ID.
 */
export function mdnsProbe(): Uint8Array {
  return dnsQuery("_services._dns-sd._udp.local", 12, 1);
}

// --- NTP ---------------------------------------------------------------------------------------

/**
 * 123/udp: an NTPv4 client request (RFC 5905 §7.3, Figure 8): 48 bytes,
 * LI 3 (clock unsynchronised), VN 4, Mode 3 (client); a non-zero transmit
 * timestamp, which the server returns as the origin timestamp (§8).
 */
export function ntpProbe(): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = (3 << 6) | (4 << 3) | 3;
  p[1] = 0; // stratum: unspecified
  p[2] = 6; // poll: 2^6 s
  p[3] = 0xec; // precision: 2^-20 s
  p.set(u32(0x50484f4c), 40); // transmit timestamp, seconds: "PHOL"
  p.set(u32(0x45000000), 44);
  return p;
}

// --- NetBIOS name service ----------------------------------------------------------------------

/**
 * The first-level encoding of a NetBIOS name (RFC 1001 §14.1): the name
 * padded to 16 bytes, each half-byte written as 'A' + nibble.
 */
function netbiosName(name: Uint8Array): number[] {
  const padded = new Uint8Array(16);
  padded.set(name.subarray(0, 16));
  const out = [32];
  for (const b of padded) out.push(0x41 + (b >> 4), 0x41 + (b & 0xf));
  out.push(0); // empty scope
  return out;
}

/**
 * 137/udp: NODE STATUS REQUEST for the wildcard name "*" (RFC 1002
 * §4.2.17): opcode query, no flags, one question of type NBSTAT (0x21),
 * class IN. Every NetBIOS node answers it with its name table (§4.2.18).
 */
export function netbiosNsProbe(): Uint8Array {
  return bytes(
    u16(TXID),
    u16(0),
    u16(1),
    u16(0),
    u16(0),
    u16(0),
    netbiosName(enc.encode("*")),
    u16(0x21),
    u16(1),
  );
}

// --- BER (X.690 §8) for SNMP and LDAP -----------------------------------------------------------

function berLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}

function tlv(tag: number, ...content: (number[] | Uint8Array)[]): number[] {
  const body = content.flatMap((c) => Array.from(c));
  return [tag, ...berLength(body.length), ...body];
}

/** INTEGER (X.690 §8.3): two's complement, minimal octets. */
function berInt(v: number): number[] {
  const out: number[] = [];
  let x = v;
  do {
    out.unshift(x & 0xff);
    x >>= 8;
  } while (x !== 0 && x !== -1);
  if (v >= 0 && (out[0]! & 0x80)) out.unshift(0);
  if (v < 0 && !(out[0]! & 0x80)) out.unshift(0xff);
  return tlv(0x02, out);
}

/** OBJECT IDENTIFIER (X.690 §8.19): first two arcs folded, base-128 the rest. */
function berOid(oid: string): number[] {
  const arcs = oid.split(".").map(Number);
  const sub = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const body: number[] = [];
  for (const a of sub) {
    const groups = [a & 0x7f];
    for (let x = a >>> 7; x > 0; x >>>= 7) groups.unshift(0x80 | (x & 0x7f));
    body.push(...groups);
  }
  return tlv(0x06, body);
}

const berOctets = (s: string | Uint8Array): number[] =>
  tlv(0x04, typeof s === "string" ? enc.encode(s) : s);
const BER_NULL = [0x05, 0x00];

/** sysDescr.0 (RFC 3418, system group), the object every agent has. */
const SYS_DESCR_0 = "1.3.6.1.2.1.1.1.0";

/**
 * SNMP v1 (RFC 1157 §4.1) or v2c (RFC 1901 §3, PDU from RFC 3416 §3)
 * GetRequest for sysDescr.0 with community "public": Message ::=
 * SEQUENCE { version, community, GetRequest-PDU [0] { request-id,
 * error-status, error-index, variable-bindings } }.
 */
export function snmpCommunityProbe(version: 0 | 1, community = "public"): Uint8Array {
  const varbind = tlv(0x30, berOid(SYS_DESCR_0), BER_NULL);
  const pdu = tlv(0xa0, berInt(TXID), berInt(0), berInt(0), tlv(0x30, varbind));
  return Uint8Array.from(tlv(0x30, berInt(version), berOctets(community), pdu));
}

/**
 * SNMPv3 engine discovery (RFC 3414 §4): a reportable GetRequest with an
 * empty engine ID and user name under the USM model; an agent answers with a
 * Report carrying its engine ID whatever communities it has (RFC 3412 §6).
 */
export function snmpV3DiscoveryProbe(): Uint8Array {
  const globalData = tlv(
    0x30,
    berInt(TXID),
    berInt(65507),
    berOctets(new Uint8Array([0x04])),
    berInt(3),
  );
  // UsmSecurityParameters (RFC 3414 §2.4), all empty/zero, BER-wrapped in an OCTET STRING.
  const usm = tlv(
    0x30,
    berOctets(new Uint8Array(0)), // msgAuthoritativeEngineID
    berInt(0), // msgAuthoritativeEngineBoots
    berInt(0), // msgAuthoritativeEngineTime
    berOctets(new Uint8Array(0)), // msgUserName
    berOctets(new Uint8Array(0)), // msgAuthenticationParameters
    berOctets(new Uint8Array(0)), // msgPrivacyParameters
  );
  const pdu = tlv(0xa0, berInt(TXID), berInt(0), berInt(0), tlv(0x30));
  const scoped = tlv(0x30, berOctets(new Uint8Array(0)), berOctets(new Uint8Array(0)), pdu);
  return Uint8Array.from(tlv(0x30, berInt(3), globalData, berOctets(Uint8Array.from(usm)), scoped));
}

/**
 * 389/udp: a connectionless LDAP (RFC 1798; LDAPv3 PDUs of RFC 4511 §4.1.1,
 * §4.5.1) search of the root DSE: base "", scope baseObject, filter
 * (objectClass=*), attributes namingContexts and supportedLDAPVersion.
 * Active Directory's "LDAP ping" is this request over UDP.
 */
export function cldapProbe(): Uint8Array {
  const search = tlv(
    0x63, // [APPLICATION 3] SearchRequest
    berOctets(""), // baseObject
    [0x0a, 0x01, 0x00], // scope: baseObject
    [0x0a, 0x01, 0x00], // derefAliases: neverDerefAliases
    berInt(0), // sizeLimit
    berInt(0), // timeLimit
    [0x01, 0x01, 0x00], // typesOnly: FALSE
    tlv(0x87, enc.encode("objectClass")), // present filter [7]
    tlv(0x30, berOctets("namingContexts"), berOctets("supportedLDAPVersion")),
  );
  return Uint8Array.from(tlv(0x30, berInt(1), search));
}

// --- SSDP, SIP: text protocols ------------------------------------------------------------------

/**
 * 1900/udp: an SSDP search (UPnP Device Architecture 2.0 §1.3.2, M-SEARCH
 * over HTTPU) for all devices and services.
 */
export function ssdpProbe(): Uint8Array {
  return enc.encode(
    'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n' +
      "ST: ssdp:all\r\n\r\n",
  );
}

function addressText(family: 4 | 6, a: Uint8Array | undefined): string {
  if (!a) return family === 4 ? "0.0.0.0" : "[::]";
  if (a.length === 4) return Array.from(a).join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return `[${groups.join(":")}]`;
}

/**
 * 5060/udp: a SIP OPTIONS request (RFC 3261 §11), with the header fields
 * every request needs (§8.1.1: Via, Max-Forwards, To, From, Call-ID, CSeq)
 * and `rport` (RFC 3581 §3) so the answer comes back to our source port.
 */
export function sipProbe(ctx: PayloadContext): Uint8Array {
  const me = addressText(ctx.family, ctx.source);
  return enc.encode(
    `OPTIONS sip:nm SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${me};branch=z9hG4bK-ph${TXID.toString(16)};rport\r\n` +
      `Max-Forwards: 70\r\n` +
      `To: <sip:nm@nm>\r\n` +
      `From: <sip:porthole@${me}>;tag=ph${TXID.toString(16)}\r\n` +
      `Call-ID: porthole-${TXID.toString(16)}@${me}\r\n` +
      `CSeq: 1 OPTIONS\r\n` +
      `Contact: <sip:porthole@${me}>\r\n` +
      `Accept: application/sdp\r\n` +
      `Content-Length: 0\r\n\r\n`,
  );
}

// --- IKE ---------------------------------------------------------------------------------------

/** An IKE data attribute in TV form (RFC 2408 §3.3: AF bit set, 16-bit value). */
const ikeAttr = (type: number, value: number): number[] => [...u16(0x8000 | type), ...u16(value)];

/**
 * 500/udp: an IKEv1 Main Mode opening (RFC 2409 §5): ISAKMP header (RFC
 * 2408 §3.1: our cookie, zero responder cookie, next payload SA, version
 * 1.0, exchange Identity Protection), then one SA payload (§3.4, IPsec DOI
 * and SIT_IDENTITY_ONLY from RFC 2407 §4.2, §4.6.1) with one ISAKMP proposal
 * (§3.5) of one KEY_IKE transform (§3.6) offering AES-128/SHA-1/PSK/MODP-1024
 * (attribute values from RFC 2409 Appendix A, key length from RFC 3602).
 * A daemon answers with its choice or a NO-PROPOSAL-CHOSEN notification.
 */
export function ikeProbe(): Uint8Array {
  const attrs = [
    ...ikeAttr(1, 7), // Encryption Algorithm: AES-CBC
    ...ikeAttr(14, 128), // Key Length: 128 bits
    ...ikeAttr(2, 2), // Hash Algorithm: SHA
    ...ikeAttr(3, 1), // Authentication Method: pre-shared key
    ...ikeAttr(4, 2), // Group Description: MODP 1024 (Oakley group 2)
    ...ikeAttr(11, 1), // Life Type: seconds
    ...ikeAttr(12, 28800), // Life Duration: 8 h
  ];
  // Transform payload: next none (0), reserved, length, #1, KEY_IKE (1), reserved2.
  const transform = [0, 0, ...u16(8 + attrs.length), 1, 1, 0, 0, ...attrs];
  // Proposal payload: next none, reserved, length, #1, PROTO_ISAKMP (1), SPI size 0, 1 transform.
  const proposal = [0, 0, ...u16(8 + transform.length), 1, 1, 0, 1, ...transform];
  // SA payload: next none, reserved, length, DOI IPsec (1), situation SIT_IDENTITY_ONLY (1).
  const sa = [0, 0, ...u16(12 + proposal.length), ...u32(1), ...u32(1), ...proposal];
  const header = [
    ...u32(0x50484f4c), // initiator cookie "PHOL"
    ...u32(0x45494b45), // "EIKE"
    ...u32(0),
    ...u32(0), // responder cookie: zero in the first message
    1, // next payload: SA
    0x10, // version 1.0
    2, // exchange type: Identity Protection (Main Mode)
    0, // flags
    ...u32(0), // message ID
    ...u32(28 + sa.length),
  ];
  return Uint8Array.from([...header, ...sa]);
}

/** 4500/udp: the same IKE message behind the four-zero-byte non-ESP marker (RFC 3948 §2.2). */
export function ikeNatTProbe(): Uint8Array {
  return bytes([0, 0, 0, 0], ikeProbe());
}

// --- memcached -----------------------------------------------------------------------------------

/**
 * 11211/udp: memcached's UDP frame header (protocol.txt, "UDP protocol":
 * request ID, sequence number 0, datagram count 1, reserved 0) and the text
 * command `version`.
 */
export function memcachedProbe(): Uint8Array {
  return bytes(u16(TXID), u16(0), u16(1), u16(0), "version\r\n");
}

// --- DHCP ----------------------------------------------------------------------------------------

/**
 * 67/udp: DHCPINFORM (RFC 2131 §3.4, §4.4.3) with our address in ciaddr,
 * which a server answers by unicast DHCPACK to ciaddr:68 (§4.3.5); magic
 * cookie and options from RFC 2132 (§9.6 message type, §9.8 parameter
 * request list), padded to the 300-byte BOOTP minimum (RFC 951, RFC 1542
 * §2.1).
 */
export function dhcpProbe(ctx: PayloadContext): Uint8Array {
  const p = new Uint8Array(300);
  p[0] = 1; // op: BOOTREQUEST
  p[1] = 1; // htype: Ethernet
  p[2] = 6; // hlen
  p.set(u32(0x50484f4c), 4); // xid
  if (ctx.source?.length === 4) p.set(ctx.source, 12); // ciaddr
  p.set([0x02, 0x50, 0x48, 0x4f, 0x4c, 0x45], 28); // chaddr: a locally administered MAC
  p.set([99, 130, 83, 99], 236); // magic cookie (RFC 2132 §2)
  p.set([53, 1, 8], 240); // DHCP message type: DHCPINFORM
  p.set([55, 3, 1, 3, 6], 243); // parameter request: subnet mask, router, DNS
  p[248] = 255; // end
  return p;
}

// --- TFTP ----------------------------------------------------------------------------------------

/**
 * 69/udp: a read request (RFC 1350 §5, Figure 5-1: opcode 1, file name,
 * NUL, mode "octet", NUL). The server answers from a fresh port (its TID,
 * §4) with DATA or an ERROR packet.
 */
export function tftpProbe(): Uint8Array {
  return bytes(u16(1), "porthole.txt", [0], "octet", [0]);
}

// --- ONC RPC -------------------------------------------------------------------------------------

/**
 * An ONC RPC CALL of procedure 0 (the NULL procedure every program has) with
 * AUTH_NONE credentials (RFC 5531 §9 call body, §8.1 AUTH_NONE): any RPC
 * server answers, with a reply or PROG_UNAVAIL/PROG_MISMATCH.
 */
export function rpcNullCall(program: number, version: number): Uint8Array {
  return bytes(
    u32(0x50484f4c), // xid
    u32(0), // msg_type: CALL
    u32(2), // rpcvers
    u32(program),
    u32(version),
    u32(0), // procedure 0: NULL
    u32(0),
    u32(0), // cred: AUTH_NONE, empty
    u32(0),
    u32(0), // verf: AUTH_NONE, empty
  );
}

/** 111/udp: the port mapper, program 100000 version 2 (RFC 1833 §3). */
export const portmapProbe = (): Uint8Array => rpcNullCall(100000, 2);
/** 2049/udp: NFS, program 100003 version 3 (RFC 1813 §1.4). */
export const nfsProbe = (): Uint8Array => rpcNullCall(100003, 3);

// --- RADIUS --------------------------------------------------------------------------------------

/**
 * 1812/udp (and the old 1645): an Access-Request (RFC 2865 §4.1) with a
 * User-Name (§5.1) and a User-Password (§5.2) attribute. A server that does
 * not know us as a client drops it silently (§3), so open RADIUS ports may
 * still show open|filtered; one that knows answers Access-Reject.
 */
export function radiusProbe(): Uint8Array {
  const authenticator = [..."PortholeRadiusRq"].map((c) => c.charCodeAt(0));
  const user = enc.encode("porthole");
  const attrs = [1, 2 + user.length, ...user, 2, 18, ...new Array<number>(16).fill(0)];
  return Uint8Array.from([1, TXID & 0xff, ...u16(20 + attrs.length), ...authenticator, ...attrs]);
}

// --- QUIC ----------------------------------------------------------------------------------------

/**
 * 443/udp: a QUIC long-header Initial (RFC 9000 §17.2) of a reserved
 * version 0x1a2a3a4a (§15: versions 0x?a?a?a?a exist to force version
 * negotiation), padded to the 1200 bytes a server requires before it answers
 * (§14.1), so any QUIC server replies with Version Negotiation (§6.1,
 * §17.2.1).
 */
export function quicProbe(): Uint8Array {
  const p = new Uint8Array(1200);
  p[0] = 0xc0; // long header, fixed bit, type Initial
  p.set(u32(0x1a2a3a4a), 1);
  p[5] = 8; // DCID length
  p.set([0x50, 0x48, 0x4f, 0x4c, 0x45, 0x51, 0x55, 0x49], 6);
  p[14] = 8; // SCID length
  p.set([0x50, 0x48, 0x53, 0x43, 0x49, 0x44, 0x30, 0x31], 15);
  // Token length 0 and Length as a 2-byte varint (§16) covering the rest.
  p[23] = 0;
  p.set(u16(0x4000 | (1200 - 26)), 24);
  return p;
}

// --- Small binary protocols ------------------------------------------------------------------------

/**
 * 520/udp: a RIPv2 request for the whole routing table (RFC 2453 §3.9.1: a
 * single entry with address family 0 and metric 16), answered to our port.
 */
export function ripProbe(): Uint8Array {
  return bytes([1, 2, 0, 0], u16(0), u16(0), u32(0), u32(0), u32(0), u32(16));
}

/** 1434/udp: SQL Server Resolution Protocol CLNT_UCAST_EX ([MS-SQLR] §2.2.2). */
export function mssqlBrowserProbe(): Uint8Array {
  return Uint8Array.of(0x03);
}

/**
 * 623/udp: an RMCP/ASF Presence Ping (DMTF DSP0136 ASF 2.0 §3.2.2: RMCP
 * version 6, sequence 0xff = no ack, class ASF; ASF IANA enterprise 4542,
 * message type 0x80), which IPMI BMCs answer with a Presence Pong.
 */
export function rmcpPresencePing(): Uint8Array {
  return bytes([0x06, 0x00, 0xff, 0x06], u32(4542), [0x80, 0x50, 0x00, 0x00]);
}

/**
 * 3478/udp: a STUN Binding request (RFC 8489 §5: type 0x0001, length 0, the
 * magic cookie 0x2112A442, a 96-bit transaction ID).
 */
export function stunProbe(): Uint8Array {
  return bytes(u16(0x0001), u16(0), u32(0x2112a442), "PortholeSTUN");
}

/**
 * 5683/udp: CoAP GET /.well-known/core (RFC 7252 §3 header: version 1,
 * confirmable, token length 0, code 0.01; §5.10.1 Uri-Path options; RFC
 * 6690 §4 resource discovery).
 */
export function coapProbe(): Uint8Array {
  // Option deltas: Uri-Path is option 11; the second Uri-Path has delta 0.
  return bytes([0x40, 0x01], u16(TXID), [0xbb], ".well-known", [0x04], "core");
}

/** 5351/udp: NAT-PMP external address request (RFC 6886 §3.2: version 0, opcode 0). */
export function natPmpProbe(): Uint8Array {
  return Uint8Array.of(0, 0);
}

/**
 * 177/udp: an XDMCP Query with no authentication names (X Display Manager
 * Control Protocol 1.1, "Query": version 1, opcode 2, length 1, ARRAY8 of
 * length 0).
 */
export function xdmcpProbe(): Uint8Array {
  return bytes(u16(1), u16(2), u16(1), [0]);
}

/**
 * 64738/udp: a Mumble server ping (Mumble protocol, "UDP Ping packet": a
 * 32-bit request type 0 and a 64-bit identifier the server sends back with
 * its version, user counts and bandwidth). Murmur answers it outside any
 * session, so the port shows open.
 */
export function mumblePingProbe(): Uint8Array {
  return bytes(u32(0), "Porthole");
}

// --- DTLS ----------------------------------------------------------------------------------------

/**
 * A DTLS 1.2 ClientHello (RFC 6347 §4.3.2: TLS 1.2's ClientHello of RFC 5246 §7.4.1.2 with an
 * empty cookie, in a handshake message of §4.2.2 and a record of §4.1, epoch 0, sequence 0;
 * the record version DTLS 1.0 as first flights use). Offers ECDHE and RSA suites with AES-GCM and
 * AES-CBC, the groups and signature algorithms they need (RFC 8422 §5.1, RFC 5246 §7.4.1.4.1).
 * A server answers with a HelloVerifyRequest (§4.2.1), its ServerHello or an alert.
 */
export function dtlsClientHello(): Uint8Array {
  const suites = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009c, 0x002f, 0x0035];
  const groups = [0x001d, 0x0017, 0x0018]; // x25519, secp256r1, secp384r1
  const sigAlgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0201];
  const ext = (type: number, body: number[]) => [...u16(type), ...u16(body.length), ...body];
  const list16 = (v: number[]) => [...u16(v.length * 2), ...v.flatMap(u16)];
  const extensions = [
    ...ext(10, list16(groups)), // supported_groups
    ...ext(11, [1, 0]), // ec_point_formats: uncompressed
    ...ext(13, list16(sigAlgs)), // signature_algorithms
    ...ext(0xff01, [0]), // renegotiation_info, empty (RFC 5746 §3.4)
  ];
  const hello = [
    ...u16(0xfefd), // client_version: DTLS 1.2
    ...enc.encode("PortholeDTLSClientHelloRandom!!!"), // random: 32 bytes
    0, // session_id: empty
    0, // cookie: empty
    ...list16(suites),
    1,
    0, // compression: null
    ...u16(extensions.length),
    ...extensions,
  ];
  const u24 = (v: number) => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  // Handshake: client_hello (1), length, message_seq 0, fragment offset 0, fragment length.
  const handshake = [1, ...u24(hello.length), ...u16(0), ...u24(0), ...u24(hello.length), ...hello];
  // Record: handshake (22), version, epoch 0, sequence number 0 (48 bits), length.
  return Uint8Array.from([22, ...u16(0xfeff), ...u16(0), 0, 0, 0, 0, 0, 0, ...u16(handshake.length)]
    .concat(handshake));
}

// --- The table ----------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

type Builder = (ctx: PayloadContext) => Uint8Array;

const TABLE = new Map<number, Builder[]>([
  [53, [dnsProbe]],
  [67, [dhcpProbe]],
  [69, [tftpProbe]],
  [111, [portmapProbe]],
  [123, [ntpProbe]],
  [137, [netbiosNsProbe]],
  [161, [() => snmpCommunityProbe(1), snmpV3DiscoveryProbe, () => snmpCommunityProbe(0)]],
  [177, [xdmcpProbe]],
  [389, [cldapProbe]],
  // DTLS first: a closed port's ICMP error then quotes a small datagram
  // (one quoting 1200 bytes may not fit the capture's snap length).
  [443, [dtlsClientHello, quicProbe]],
  [500, [ikeProbe]],
  [520, [ripProbe]],
  [623, [rmcpPresencePing]],
  [1434, [mssqlBrowserProbe]],
  [1645, [radiusProbe]],
  [1812, [radiusProbe]],
  [1900, [ssdpProbe]],
  [2049, [nfsProbe]],
  [3478, [stunProbe]],
  [4500, [ikeNatTProbe]],
  [5060, [sipProbe]],
  [5351, [natPmpProbe]],
  [5353, [mdnsProbe]],
  [5683, [coapProbe]],
  [11211, [memcachedProbe]],
  // DTLS services (IANA): DNS over DTLS (RFC 8094), RD Gateway, IPFIX (RFC 7011 §10.4.3), TURN
  // (RFC 7350), CoAPS (RFC 7252 §12.7), Diameter (RFC 6733), syslog (RFC 6012), MPLS-in-UDP
  // (RFC 7510), HNCP (RFC 7788), SNMP and its traps (RFC 6353), and 4433, OpenSSL's test port.
  ...[853, 3391, 4433, 4740, 5349, 5684, 5868, 6514, 6636, 8232, 10161, 10162].map((
    p,
  ): [number, Builder[]] => [p, [dtlsClientHello]]),
  [64738, [mumblePingProbe]],
]);

/** Ports that get one of Porthole's own payloads (the rest get an empty datagram). */
export function payloadPorts(): number[] {
  return [...TABLE.keys()].sort((a, b) => a - b);
}

/** nmap's payloads by port (nmap_payloads.ts), when a run found and read nmap-payloads. */
export type NmapPayloadTable = PortPayloads;

/** The run's nmap payloads; undefined: Porthole's own only. */
let nmapTable: NmapPayloadTable | undefined;

/**
 * Makes nmap's payloads (or, with undefined, none) part of every later {@link udpPayloads}
 * answer: the UDP scan's probes and traceroute's, as nmap's one payload map serves both.
 */
export function useNmapPayloads(table: NmapPayloadTable | undefined): void {
  nmapTable = table;
}

/**
 * The payloads for `port`, each sent on every try, first to last: nmap's when the run uses
 * nmap's file and it names the port, else Porthole's own. Unknown ports get one empty datagram.
 */
export function udpPayloads(
  port: number,
  ctx: PayloadContext,
  nmap: NmapPayloadTable | undefined = nmapTable,
): Uint8Array[] {
  const theirs = nmap?.get(port);
  if (theirs?.length) return [...theirs];
  const builders = TABLE.get(port);
  return builders ? builders.map((b) => b(ctx)) : [EMPTY];
}
