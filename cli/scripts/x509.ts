/**
 * The certificate table of nmap's `socket:get_ssl_certificate()` (nmap's nse_ssl_cert.cc), from
 * a certificate's DER bytes.
 *
 * node:crypto's X509Certificate (built into Deno, so nothing travels beside the artifact) checks
 * the DER and gives the public key (type, size, RSA modulus and exponent, EC curve). It does not
 * give what nmap's table needs besides: names as ordered attributes with their raw bytes, the
 * signature algorithm, the validity times as written, the extension list. A short DER walker
 * reads those from the TBSCertificate (RFC 5280 §4.1).
 */
import type { X509Certificate } from "node:crypto";

/** One attribute of a subject or issuer: OpenSSL's long name, or the OID's arcs when unknown. */
export interface NameEntry {
  key: string | string[];
  /** The value's bytes as the certificate holds them (UTF-8, or UTF-16 for a BMPString…). */
  value: Uint8Array;
}

/** A date table as Lua's os.date("!*t") (nmap leaves out wday and yday), or the raw text. */
export type CertTime = {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
} | string;

export interface CertExtension {
  name: string;
  critical?: boolean;
  /** OpenSSL's X509V3_EXT_print text; absent (and `error` set) where OpenSSL prints nothing. */
  value?: string;
  error?: boolean;
}

export interface CertFields {
  subject: NameEntry[];
  issuer: NameEntry[];
  sig_algorithm: string;
  validity: { notBefore?: CertTime; notAfter?: CertTime };
  pem: string;
  extensions?: CertExtension[];
  pubkey: {
    type: string;
    bits: number;
    /** RSA: hex digits. */
    modulus?: string;
    exponent?: string;
    /** EC: the curve's name (OpenSSL's, e.g. "prime256v1"). */
    curve?: string;
  };
}

/** A DER element: tag byte, and where its contents lie in the buffer. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

class DerError extends Error {}

function tlv(b: Uint8Array, at: number, limit = b.length): Tlv {
  if (at + 2 > limit) throw new DerError("truncated");
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError("truncated");
  return { tag, start, end };
}

/** The elements inside a constructed element. */
function children(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = tlv(b, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oid(b: Uint8Array, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}

/** OpenSSL's long names (OBJ_nid2ln) of the name attributes certificates carry. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "commonName",
  "2.5.4.4": "surname",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "countryName",
  "2.5.4.7": "localityName",
  "2.5.4.8": "stateOrProvinceName",
  "2.5.4.9": "streetAddress",
  "2.5.4.10": "organizationName",
  "2.5.4.11": "organizationalUnitName",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.17": "postalCode",
  "2.5.4.41": "name",
  "2.5.4.42": "givenName",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.1": "emailAddress",
  "1.2.840.113549.1.9.2": "unstructuredName",
  "0.9.2342.19200300.100.1.1": "userId",
  "0.9.2342.19200300.100.1.25": "domainComponent",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
};

/** OpenSSL's long names of signature algorithms. */
const SIGNATURE_NAMES: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "rsassaPss",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.2.840.10040.4.3": "dsaWithSHA1",
  "2.16.840.1.101.3.4.3.2": "dsa_with_SHA256",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
};

/** OpenSSL's long names of extensions (OBJ_obj2txt with names). */
const EXTENSION_NAMES: Record<string, string> = {
  "2.5.29.14": "X509v3 Subject Key Identifier",
  "2.5.29.15": "X509v3 Key Usage",
  "2.5.29.17": "X509v3 Subject Alternative Name",
  "2.5.29.18": "X509v3 Issuer Alternative Name",
  "2.5.29.19": "X509v3 Basic Constraints",
  "2.5.29.31": "X509v3 CRL Distribution Points",
  "2.5.29.32": "X509v3 Certificate Policies",
  "2.5.29.35": "X509v3 Authority Key Identifier",
  "2.5.29.37": "X509v3 Extended Key Usage",
  "1.3.6.1.5.5.7.1.1": "Authority Information Access",
  "1.3.6.1.4.1.11129.2.4.2": "CT Precertificate SCTs",
  "2.16.840.1.113730.1.1": "Netscape Cert Type",
  "2.16.840.1.113730.1.13": "Netscape Comment",
};

/** OpenSSL's names of extended key usages (what X509V3_EXT_print shows). */
const KEY_PURPOSES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "TLS Web Server Authentication",
  "1.3.6.1.5.5.7.3.2": "TLS Web Client Authentication",
  "1.3.6.1.5.5.7.3.3": "Code Signing",
  "1.3.6.1.5.5.7.3.4": "E-mail Protection",
  "1.3.6.1.5.5.7.3.8": "Time Stamping",
  "1.3.6.1.5.5.7.3.9": "OCSP Signing",
};

const KEY_USAGES = [
  "Digital Signature",
  "Non Repudiation",
  "Key Encipherment",
  "Data Encipherment",
  "Key Agreement",
  "Certificate Sign",
  "CRL Sign",
  "Encipher Only",
  "Decipher Only",
];

/** OpenSSL's names of Netscape certificate types, bit 0 first. */
const NETSCAPE_CERT_TYPES = [
  "SSL Client",
  "SSL Server",
  "S/MIME",
  "Object Signing",
  "Unused",
  "SSL CA",
  "S/MIME CA",
  "Object Signing CA",
];

/** The names of the bits set in a BIT STRING's bytes (bit 0 is the first byte's top bit). */
const bitNames = (bits: Uint8Array, names: string[]) =>
  names.filter((_, i) => ((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1).join(", ");

const hexColons = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, "0")).join(":");
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

function name(b: Uint8Array, t: Tlv): NameEntry[] {
  const out: NameEntry[] = [];
  for (const rdn of children(b, t)) {
    for (const atv of children(b, rdn)) {
      const [type, value] = children(b, atv);
      if (!type || !value) continue;
      const o = oid(b, type);
      out.push({ key: ATTRIBUTE_NAMES[o] ?? o.split("."), value: b.slice(value.start, value.end) });
    }
  }
  return out;
}

/** UTCTime (yymmddhhmmssZ) or GeneralizedTime (yyyymmddhhmmssZ), as nse_ssl_cert.cc reads them. */
export function certTime(text: string): CertTime {
  const m = text.match(/^(\d{2}|\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
  if (!m || (m[1]!.length === 2) !== (text.length === 13) || m[2] === "00") return text;
  let year = Number(m[1]);
  if (m[1]!.length === 2) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, min, sec] = m.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { year, month, day, hour, min, sec };
}

/** OpenSSL's text of an IP address in a general name: dotted quad, or eight uppercase groups. */
function ipText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length === 16) {
    const groups = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).toUpperCase());
    }
    return groups.join(":");
  }
  return "<invalid>";
}

/** GeneralNames (RFC 5280 §4.2.1.6) as OpenSSL's i2v_GENERAL_NAMES prints them. */
function generalNames(b: Uint8Array, t: Tlv): string {
  return children(b, t).map((g) => generalName(b, g)).join(", ");
}

/** One GeneralName as OpenSSL prints it ("DNS:…", "IP Address:…", "URI:…"). */
function generalName(b: Uint8Array, g: Tlv): string {
  const body = b.subarray(g.start, g.end);
  switch (g.tag & 0x1f) {
    case 1:
      return `email:${latin1(body)}`;
    case 2:
      return `DNS:${latin1(body)}`;
    case 6:
      return `URI:${latin1(body)}`;
    case 7:
      return `IP Address:${ipText(body)}`;
    case 8:
      return `Registered ID:${oid(b, g)}`;
    case 0:
      return "othername:<unsupported>";
    case 3:
      return "X400Name:<unsupported>";
    case 5:
      return "EdiPartyName:<unsupported>";
    default:
      return "DirName:<unsupported>";
  }
}

/** OpenSSL's names of access methods (Authority Information Access, RFC 5280 §4.2.2.1). */
const ACCESS_METHODS: Record<string, string> = {
  "1.3.6.1.5.5.7.48.1": "OCSP",
  "1.3.6.1.5.5.7.48.2": "CA Issuers",
};

/** Authority Information Access: "OCSP - URI:…" lines. */
function accessText(b: Uint8Array, t: Tlv): string {
  return children(b, t).map((ad) => {
    const [method, location] = children(b, ad);
    const m = oid(b, method!);
    return `${ACCESS_METHODS[m] ?? m} - ${generalName(b, location!)}`;
  }).join("\n");
}

/** Certificate Policies (RFC 5280 §4.2.1.4): "Policy: OID" lines, CPS qualifiers under them. */
function policiesText(b: Uint8Array, t: Tlv): string {
  const lines: string[] = [];
  for (const info of children(b, t)) {
    const [id, qualifiers] = children(b, info);
    const o = oid(b, id!);
    lines.push(`Policy: ${o === "2.5.29.32.0" ? "X509v3 Any Policy" : o}`);
    for (const q of qualifiers ? children(b, qualifiers) : []) {
      const [qid, value] = children(b, q);
      if (value && oid(b, qid!) === "1.3.6.1.5.5.7.2.1") {
        lines.push(`  CPS: ${latin1(b.subarray(value.start, value.end))}`);
      }
    }
  }
  return lines.join("\n");
}

/** CRL Distribution Points (RFC 5280 §4.2.1.13): "Full Name:" and the names under it. */
function crlPointsText(b: Uint8Array, t: Tlv): string {
  const lines: string[] = [];
  for (const dp of children(b, t)) {
    const point = children(b, dp).find((c) => c.tag === 0xa0);
    const full = point && children(b, point).find((c) => c.tag === 0xa0);
    if (!full) continue;
    lines.push("Full Name:");
    for (const g of children(b, full)) lines.push(`  ${generalName(b, g)}`);
  }
  return lines.join("\n");
}

/** The text OpenSSL's X509V3_EXT_print gives the extensions Porthole knows; undefined otherwise. */
function extensionText(o: string, b: Uint8Array, value: Tlv): string | undefined {
  const inner = tlv(b, value.start, value.end);
  switch (o) {
    case "2.5.29.17":
    case "2.5.29.18":
      return generalNames(b, inner);
    case "2.5.29.14":
      return hexColons(b.subarray(inner.start, inner.end));
    case "2.5.29.35": {
      const keyId = children(b, inner).find((c) => c.tag === 0x80);
      return keyId ? hexColons(b.subarray(keyId.start, keyId.end)) : undefined;
    }
    case "2.5.29.19": {
      const parts = children(b, inner);
      const ca = parts.find((c) => c.tag === 0x01);
      const len = parts.find((c) => c.tag === 0x02);
      let text = `CA:${ca && b[ca.start] ? "TRUE" : "FALSE"}`;
      if (len) {
        let n = 0;
        for (let i = len.start; i < len.end; i++) n = n * 256 + b[i]!;
        text += `, pathlen:${n}`;
      }
      return text;
    }
    case "2.5.29.15":
      return bitNames(b.subarray(inner.start + 1, inner.end), KEY_USAGES);
    case "2.5.29.37":
      return children(b, inner).map((c) => KEY_PURPOSES[oid(b, c)] ?? oid(b, c)).join(", ");
    case "1.3.6.1.5.5.7.1.1":
      return accessText(b, inner);
    case "2.16.840.1.113730.1.13":
      return latin1(b.subarray(inner.start, inner.end));
    case "2.16.840.1.113730.1.1":
      return bitNames(b.subarray(inner.start + 1, inner.end), NETSCAPE_CERT_TYPES);
    case "2.5.29.32":
      return policiesText(b, inner);
    case "2.5.29.31":
      return crlPointsText(b, inner);
  }
  return undefined;
}

function extensions(b: Uint8Array, t: Tlv): CertExtension[] {
  const list = children(b, tlv(b, t.start, t.end));
  return list.map((ext) => {
    const parts = children(b, ext);
    const o = oid(b, parts[0]!);
    const critical = parts.length === 3 && parts[1]!.tag === 0x01 && b[parts[1]!.start] !== 0;
    const value = parts[parts.length - 1]!;
    const e: CertExtension = { name: EXTENSION_NAMES[o] ?? o };
    if (critical) e.critical = true;
    let text: string | undefined;
    try {
      text = extensionText(o, b, value);
    } catch { /* malformed: OpenSSL's print fails too */ }
    if (text === undefined) e.error = true;
    else e.value = text;
    return e;
  });
}

/** PEM as OpenSSL's PEM_write_bio_X509 writes it: 64 columns, a newline at the end. */
export function certPem(der: Uint8Array): string {
  let b64 = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    b64 += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  b64 = btoa(b64);
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n` +
    "-----END CERTIFICATE-----\n";
}

/** EVP_PKEY_bits of the curves OpenSSL names. */
const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  secp224r1: 224,
};

const b64urlHex = (s: string) =>
  Array.from(
    atob(s.replace(/-/g, "+").replace(/_/g, "/")),
    (c) => c.charCodeAt(0).toString(16).padStart(2, "0"),
  ).join("");

function publicKey(cert: X509Certificate): CertFields["pubkey"] {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa": {
      const jwk = key.export({ format: "jwk" }) as { n: string; e: string };
      return {
        type: "rsa",
        bits: details.modulusLength ?? 0,
        modulus: b64urlHex(jwk.n),
        exponent: b64urlHex(jwk.e),
      };
    }
    case "ec": {
      const curve = details.namedCurve ?? "";
      return { type: "ec", bits: CURVE_BITS[curve] ?? 0, curve };
    }
    case "dsa":
      return { type: "dsa", bits: details.modulusLength ?? 0 };
    case "ed25519":
      return { type: "unknown", bits: 253 };
    case "ed448":
      return { type: "unknown", bits: 456 };
  }
  return { type: "unknown", bits: details.modulusLength ?? 0 };
}

/**
 * nmap's certificate fields from DER bytes; throws on bytes that are not a certificate. `X509`
 * is node:crypto's class, passed in so this module loads without node:crypto (the engine
 * imports it lazily).
 */
export function certificateFields(der: Uint8Array, X509: typeof X509Certificate): CertFields {
  const cert = new X509(der);
  const top = tlv(der, 0);
  const [tbs, sigAlg] = children(der, top);
  if (!tbs || !sigAlg) throw new DerError("not a certificate");
  const parts = children(der, tbs);
  // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, …
  const base = parts[0]?.tag === 0xa0 ? 1 : 0;
  const [, , issuer, validity, subject] = parts.slice(base);
  if (!issuer || !validity || !subject) throw new DerError("not a certificate");
  const sigOid = oid(der, children(der, sigAlg)[0]!);
  const [notBefore, notAfter] = children(der, validity).map((t) =>
    certTime(latin1(der.subarray(t.start, t.end)))
  );
  const fields: CertFields = {
    subject: name(der, subject),
    issuer: name(der, issuer),
    sig_algorithm: SIGNATURE_NAMES[sigOid] ?? "undefined",
    validity: { notBefore, notAfter },
    pem: certPem(der),
    pubkey: publicKey(cert),
  };
  const exts = parts.find((p) => p.tag === 0xa3);
  if (exts) {
    const list = extensions(der, exts);
    if (list.length) fields.extensions = list;
  }
  return fields;
}
