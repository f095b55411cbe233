/** Certificates made at test time by the openssl CLI (the oracle for X.509 and TLS tests). */
import assert from "node:assert/strict";

/** Runs `openssl ARGS` (with `input` on stdin); its stdout. Fails the test on a non-zero exit. */
export async function openssl(args: string[], input?: Uint8Array): Promise<Uint8Array> {
  const p = new Deno.Command("openssl", {
    args,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input) {
    const w = p.stdin.getWriter();
    await w.write(input);
    await w.close();
  }
  const r = await p.output();
  assert.ok(r.success, `openssl ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  return r.stdout;
}

const text = async (args: string[]) => new TextDecoder().decode(await openssl(args));

/** A self-signed certificate valid 30 days from now, written to DIR/c.pem (key DIR/k.pem). */
export interface TestCert {
  /** PEM of the certificate and of its key. */
  pem: string;
  key: string;
  /** `openssl x509 -text` and `-dates` of it: what OpenSSL itself says. */
  text: string;
  dates: string;
  /** Its SHA-1 fingerprint, lowercase hex without colons. */
  sha1: string;
  /** "notBefore"/"notAfter" as yyyy-mm-ddThh:mm:ss (UTC). */
  iso(which: "notBefore" | "notAfter"): string;
}

/** Makes a certificate: `keyArgs` such as ["-newkey", "rsa:2048"], then more `req` options. */
export async function makeCert(
  dir: string,
  keyArgs: string[],
  ...extra: string[]
): Promise<TestCert> {
  const c = `${dir}/c.pem`;
  const k = `${dir}/k.pem`;
  await openssl([
    "req",
    "-x509",
    ...keyArgs,
    "-nodes",
    "-keyout",
    k,
    "-out",
    c,
    "-days",
    "30",
    ...extra,
  ]);
  const dates = await text(["x509", "-in", c, "-noout", "-dates"]);
  const sha1 = (await text(["x509", "-in", c, "-noout", "-fingerprint", "-sha1"]))
    .replace(/^.*=/, "").replace(/:/g, "").trim().toLowerCase();
  return {
    pem: await Deno.readTextFile(c),
    key: await Deno.readTextFile(k),
    text: await text(["x509", "-in", c, "-noout", "-text"]),
    dates,
    sha1,
    iso: (which) =>
      new Date(dates.match(new RegExp(`${which}=(.*)`))![1]!).toISOString().slice(0, 19),
  };
}
