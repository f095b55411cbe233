import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { certificateFields, certTime } from "./x509.ts";
import { missingTools } from "../../tests/_oracle.ts";
import { makeCert } from "../../tests/testing/certs.ts";

const noOpenssl = missingTools("openssl").length > 0;

/** A certificate made now in a temporary directory, with its DER bytes. */
async function cert(keyArgs: string[], ...extra: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "ph-x509-" });
  try {
    const c = await makeCert(dir, keyArgs, ...extra);
    return { ...c, der: new Uint8Array(new X509Certificate(c.pem).raw) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** OpenSSL's "Not Before"/"notAfter=Dec  7 01:55:01 2026 GMT" as nmap's date table. */
function dateOf(dates: string, which: string) {
  const d = new Date(dates.match(new RegExp(`${which}=(.*)`))![1]!);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
  };
}

/**
 * The extensions of `openssl x509 -text`: "X509v3 Foo: critical" at 12 spaces, the value's lines
 * at 16 and more (16 taken off: OpenSSL's text at indent 0, as nmap's X509V3_EXT_print gets it).
 */
function extensionsOf(text: string) {
  const out: { name: string; critical?: boolean; value: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i]!.match(/^ {12}(\S.*?): ?(critical)?\s*$/);
    if (!m || !lines[i + 1]?.startsWith(" ".repeat(16))) continue;
    const value: string[] = [];
    while (lines[i + 1]?.startsWith(" ".repeat(16))) value.push(lines[++i]!.slice(16).trimEnd());
    out.push({ name: m[1]!, ...(m[2] ? { critical: true } : {}), value: value.join("\n") });
  }
  return out;
}

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test({
  name: "x509: an RSA certificate's fields are what OpenSSL prints of it",
  ignore: noOpenssl,
  async fn() {
    const c = await cert(
      ["-newkey", "rsa:2048"],
      "-subj",
      "/C=US/ST=CA/L=Lab Town/O=Lab Org/OU=Ops/CN=real.lab/emailAddress=ops@real.lab",
      "-addext",
      "subjectAltName=DNS:real.lab,DNS:*.real.lab,IP:10.0.0.1,IP:2001:db8::1,email:a@b.c,URI:https://real.lab/",
      "-addext",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "-addext",
      "extendedKeyUsage=serverAuth,clientAuth",
      "-addext",
      "authorityInfoAccess=OCSP;URI:http://ocsp.lab/,caIssuers;URI:http://ca.lab/ca.der",
      "-addext",
      "certificatePolicies=2.23.140.1.2.1,1.3.6.1.4.1.44947.1.1.1",
      "-addext",
      "crlDistributionPoints=URI:http://crl.lab/a.crl",
      "-addext",
      "nsComment=made by a test",
      "-addext",
      "nsCertType=server,client,objsign",
    );
    const f = certificateFields(c.der, X509Certificate);
    assert.deepEqual(
      f.subject.map((e) => [e.key, dec(e.value)]),
      [
        ["countryName", "US"],
        ["stateOrProvinceName", "CA"],
        ["localityName", "Lab Town"],
        ["organizationName", "Lab Org"],
        ["organizationalUnitName", "Ops"],
        ["commonName", "real.lab"],
        ["emailAddress", "ops@real.lab"],
      ],
    );
    assert.deepEqual(f.issuer, f.subject);
    assert.equal(f.sig_algorithm, c.text.match(/Signature Algorithm: (\S+)/)![1]);
    assert.deepEqual(f.validity.notBefore, dateOf(c.dates, "notBefore"));
    assert.deepEqual(f.validity.notAfter, dateOf(c.dates, "notAfter"));
    assert.equal(f.pem, c.pem);
    assert.deepEqual(
      f.extensions!.map((e) => ({
        name: e.name,
        ...(e.critical ? { critical: true } : {}),
        value: e.value,
      })),
      extensionsOf(c.text),
    );
    assert.equal(f.pubkey.type, "rsa");
    assert.equal(f.pubkey.bits, 2048);
    assert.equal(f.pubkey.exponent, "010001");
    const modulus = c.text.match(/Modulus:\n([\s0-9a-f:]+)\n\s*Exponent/)![1]!.replace(
      /[\s:]/g,
      "",
    );
    assert.equal(f.pubkey.modulus, modulus.replace(/^00/, ""));
  },
});

Deno.test({
  name: "x509: an EC certificate names its curve",
  ignore: noOpenssl,
  async fn() {
    const c = await cert(
      ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
      "-subj",
      "/CN=ec.lab/businessCategory=lab",
    );
    const f = certificateFields(c.der, X509Certificate);
    assert.deepEqual(f.pubkey, { type: "ec", bits: 384, curve: "secp384r1" });
    assert.equal(f.sig_algorithm, c.text.match(/Signature Algorithm: (\S+)/)![1]);
    assert.deepEqual(f.subject.map((e) => [e.key, dec(e.value)]), [
      ["commonName", "ec.lab"],
      ["businessCategory", "lab"],
    ]);
  },
});

Deno.test("x509: validity times as nse_ssl_cert.cc reads them; what it cannot read stays text", () => {
  assert.deepEqual(certTime("491231235959Z"), {
    year: 2049,
    month: 12,
    day: 31,
    hour: 23,
    min: 59,
    sec: 59,
  });
  assert.deepEqual(certTime("500101000000Z"), {
    year: 1950,
    month: 1,
    day: 1,
    hour: 0,
    min: 0,
    sec: 0,
  });
  assert.deepEqual(certTime("20500101000000Z"), {
    year: 2050,
    month: 1,
    day: 1,
    hour: 0,
    min: 0,
    sec: 0,
  });
  assert.equal(certTime("20500101000000+0100"), "20500101000000+0100");
  assert.equal(certTime("501301"), "501301");
});

Deno.test("x509: bytes that are not a certificate throw", () => {
  assert.throws(() =>
    certificateFields(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), X509Certificate)
  );
});
