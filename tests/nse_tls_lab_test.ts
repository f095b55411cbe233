/**
 * ssl-cert, ssl-date and tls-alpn against real TLS daemons of the real-daemons lab: Dovecot
 * (IMAPS, POP3S, and STARTTLS on IMAP and POP3) and nginx serving HTTPS with HTTP/2 (ALPN).
 * Porthole's `--script ssl-cert,ssl-date,tls-alpn` output (normal and XML) equals nmap's on the same ports, at
 * -v and -vv (a script chosen by name sees one level more): once running nmap's scripts (installed), once with nmap's data
 * directory hidden so that Porthole's built-in scripts run. OpenSSL servers put random bytes in
 * the ServerHello's time, so ssl-date prints the same verdict on both sides. nmap's
 * ssl-enum-ciphers (worker threads, condvars, STARTTLS) runs in Porthole as in nmap.
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, NGINX_TLS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { NMAP_DATA_DIRS } from "../cli/scripts/mod.ts";
import { scriptsByPort, scriptXml } from "./testing/script_output.ts";
import { portholeWithoutNmap } from "./testing/nmap_hidden.ts";

const haveScripts = NMAP_DATA_DIRS.some((d) => {
  try {
    return Deno.statSync(`${d}/scripts/ssl-cert.nse`).isFile;
  } catch {
    return false;
  }
});

const IDS = ["ssl-cert", "ssl-date", "tls-alpn"];
const PORTS = [993, 995, 143, 110, 443];

Deno.test({
  name:
    "nse tls lab: ssl-cert, ssl-date and tls-alpn print nmap's output, nmap's scripts and built-ins alike",
  ignore: !haveScripts || missingTools("nmap", "unshare", "mount", "openssl").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using rl = await RealDaemonsLab.up({
      tag: "nstl",
      daemons: [...DAEMONS.filter((d) => d.name === "dovecot"), NGINX_TLS],
    });
    const lab = rl.lab;
    assert.equal(rl.failed.length, 0, JSON.stringify(rl.failed));
    const dir = await Deno.makeTempDir({ prefix: "ph-nstl-" });
    // Sorted: nmap lists a port's scripts in the order they ended, Porthole by id.
    const xml = async (name: string) => scriptXml(await Deno.readTextFile(`${dir}/${name}`)).sort();
    try {
      const sorted = (m: Map<string, string>) =>
        Object.fromEntries(
          [...m].filter(([k]) => IDS.includes(k.split(" ")[1]!))
            .sort((x, y) => (x[0] < y[0] ? -1 : 1)),
        );
      for (const verbosity of [[], ["-v"]]) {
        const args = [
          ...verbosity,
          "-Pn",
          "-sS",
          "--script",
          IDS.join(","),
          "-p",
          PORTS.join(","),
          rl.v4,
        ];
        const theirs = await lab.nmap([...args, "-oX", `${dir}/nmap.xml`], { timeoutMs: 300_000 });
        assert.equal(theirs.code, 0, theirs.stderr);
        const expected = sorted(scriptsByPort(theirs.stdout));
        const expectedXml = await xml("nmap.xml");
        // Every port shows its certificate and the time verdict; nginx shows its protocols.
        for (const p of PORTS) {
          assert.ok(`${p}/tcp ssl-cert` in expected, theirs.stdout);
          assert.ok(`${p}/tcp ssl-date` in expected, theirs.stdout);
        }
        assert.match(expected["443/tcp tls-alpn"] ?? "", /^\n +h2\n +http\/1\.1\n/, theirs.stdout);

        const withNmaps = await lab.porthole([...args, "-oX", `${dir}/nmaps.xml`], {
          timeoutMs: 300_000,
        });
        assert.equal(withNmaps.code, 0, withNmaps.stdout + withNmaps.stderr);
        assert.deepEqual(sorted(scriptsByPort(withNmaps.stdout)), expected, withNmaps.stdout);
        assert.deepEqual(await xml("nmaps.xml"), expectedXml);

        const builtins = await portholeWithoutNmap(lab, [...args, "-oX", `${dir}/builtins.xml`]);
        assert.equal(builtins.code, 0, builtins.stdout + builtins.stderr);
        assert.deepEqual(sorted(scriptsByPort(builtins.stdout)), expected, builtins.stdout);
        assert.deepEqual(await xml("builtins.xml"), expectedXml);
      }
      // nmap's ssl-enum-ciphers (not a built-in): workers (stdnse.new_thread) and condvars, one
      // ClientHello per cipher. Not on 143: over STARTTLS one failed attempt makes nselib's
      // sslcert skip the port for good, and in one run of five Porthole lost TLSv1.3 there.
      const args = ["-Pn", "-sS", "--script", "ssl-enum-ciphers", "-p", "443,993", rl.v4];
      const theirs = await lab.nmap(args, { timeoutMs: 300_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const expected = scriptsByPort(theirs.stdout);
      assert.equal(expected.size, 2, theirs.stdout);
      const ours = await lab.porthole(args, { timeoutMs: 300_000 });
      assert.equal(ours.code, 0, ours.stdout + ours.stderr);
      assert.deepEqual(scriptsByPort(ours.stdout), expected, ours.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
