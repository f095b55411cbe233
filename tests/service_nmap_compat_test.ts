/**
 * Version detection side by side with nmap's own -sV on the same loopback
 * servers: loading nmap's nmap-service-probes with --versiondb, Porthole must
 * report what nmap reports (name, product, version, extra info, host name,
 * OS, tunnel); with Porthole's own database, the scanme services must come
 * out as nmap names them.
 */

import { assertEquals } from "./testing/assert.ts";
import { parseOptions } from "../cli/options.ts";
import { detectServices, serviceInfoLine } from "../cli/service/mod.ts";
import {
  httpReply,
  loopbackHost,
  selfSignedCert,
  serveTcp,
  type TestServer,
} from "./testing/service_servers.ts";

const NMAP_DB = "/usr/share/nmap/nmap-service-probes";

async function available(): Promise<boolean> {
  try {
    await Deno.stat(NMAP_DB);
    const r = await new Deno.Command("nmap", { args: ["-V"], stdout: "null", stderr: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

type Row = Record<
  "name" | "product" | "version" | "extrainfo" | "hostname" | "ostype" | "tunnel",
  string
>;

const unxml = (s: string) =>
  s.replaceAll("&quot;", '"').replaceAll("&apos;", "'").replaceAll("&lt;", "<").replaceAll(
    "&gt;",
    ">",
  )
    .replaceAll("&amp;", "&");

/** nmap's <service> attributes per port from its XML output. */
function parseNmapXml(xml: string): Map<number, Row> {
  const out = new Map<number, Row>();
  for (const m of xml.matchAll(/<port protocol="tcp" portid="(\d+)">(.*?)<\/port>/gs)) {
    const svc = /<service ([^>]*?)\/?>/.exec(m[2]!);
    const attrs: Record<string, string> = {};
    for (const a of (svc?.[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)) attrs[a[1]!] = unxml(a[2]!);
    out.set(Number(m[1]), {
      name: attrs.name ?? "",
      product: attrs.product ?? "",
      version: attrs.version ?? "",
      extrainfo: attrs.extrainfo ?? "",
      hostname: attrs.hostname ?? "",
      ostype: attrs.ostype ?? "",
      tunnel: attrs.tunnel ?? "",
    });
  }
  return out;
}

Deno.test({
  name: "nmap compat: same services as nmap -sV with nmap's database; scanme's with ours",
  ignore: !(await available()),
  async fn() {
    const tls = await selfSignedCert();
    const nep = new Uint8Array(96);
    nep.set([1, 1, 0, 0x18]);
    const servers: Record<string, TestServer> = {
      ssh: serveTcp({ greeting: "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n" }),
      http: serveTcp({ reply: httpReply("Apache/2.4.7 (Ubuntu)") }),
      tcpwrapped: serveTcp({ closeAfterMs: 0 }),
      nping: serveTcp({ greeting: nep }),
      ftp: serveTcp({
        greeting: "220 (vsFTPd 3.0.3)\r\n",
        reply: () => "530 Please login with USER and PASS.\r\n",
      }),
      smtp: serveTcp({
        greeting: "220 mx.lab ESMTP Postfix (Ubuntu)\r\n",
        reply: () => "502 5.5.2 Error: command not recognized\r\n",
      }),
      ssh2: serveTcp({ greeting: "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n" }),
      pop3: serveTcp({
        greeting: "+OK Dovecot (Ubuntu) ready.\r\n",
        reply: () => "-ERR Unknown command.\r\n",
      }),
    };
    if (tls) servers.https = serveTcp({ reply: httpReply("nginx/1.18.0 (Ubuntu)") }, tls);
    try {
      const ports = Object.values(servers).map((s) => s.port);
      const nmap = await new Deno.Command("nmap", {
        args: ["-sV", "-Pn", "-n", "-p", ports.join(","), "-oX", "-", "127.0.0.1"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const theirs = parseNmapXml(new TextDecoder().decode(nmap.stdout));
      assertEquals(theirs.size, ports.length, "nmap reported every port");

      const opts = parseOptions(["-sV", "--versiondb", NMAP_DB, "127.0.0.1"]);
      const host = loopbackHost(ports);
      const t0 = performance.now();
      await detectServices(host, opts, () => {});
      const ourSecs = (performance.now() - t0) / 1000;
      const row = (port: number): Row => {
        const s = host.ports.find((p) => p.port === port)!.service!;
        return {
          name: s.name,
          product: s.product ?? "",
          version: s.version ?? "",
          extrainfo: s.extraInfo ?? "",
          hostname: s.hostname ?? "",
          ostype: s.osType ?? "",
          tunnel: s.tunnel ?? "",
        };
      };
      for (const [label, s] of Object.entries(servers)) {
        assertEquals(row(s.port), theirs.get(s.port)!, `${label} with nmap's database`);
      }
      console.log(`with nmap's database: ${ports.length} services in ${ourSecs.toFixed(2)} s`);

      // Porthole's database on the scanme services.
      const scanme = ["ssh", "http", "tcpwrapped", "nping"].map((k) => servers[k]!.port);
      const own = loopbackHost(scanme);
      await detectServices(own, parseOptions(["-sV", "127.0.0.1"]), () => {});
      for (const p of scanme) {
        const s = own.ports.find((x) => x.port === p)!.service!;
        const t = theirs.get(p)!;
        assertEquals([s.name, s.product ?? "", s.version ?? "", s.extraInfo ?? ""], [
          t.name,
          t.product,
          t.version,
          t.extrainfo,
        ], `port ${p} with Porthole's database`);
      }
      assertEquals(serviceInfoLine(own), "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel");
    } finally {
      for (const s of Object.values(servers)) s.close();
    }
  },
});

/** The %r(...) records of a fingerprint, line wraps removed (the header names the program). */
const records = (fp: string) => {
  const flat = fp.replaceAll("\nSF:", "");
  return flat.slice(flat.indexOf("%r("));
};

Deno.test({
  name: "nmap compat: an unrecognised service's fingerprint records equal nmap's",
  ignore: !(await available()),
  async fn() {
    const weird = serveTcp({
      greeting: 'WEIRD-PROTO 1.0 ready\r\n\0\x01\x0229 (x)|"ok"\r\n',
      reply: (r) => `ERR ${r.length}\r\n`,
    });
    try {
      // Intensity 0 on a port no probe lists: the NULL probe only, so nmap takes ~6 s.
      const nmap = await new Deno.Command("nmap", {
        args: [
          "-sV",
          "--version-intensity",
          "0",
          "-Pn",
          "-n",
          "-p",
          String(weird.port),
          "127.0.0.1",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(nmap.stdout);
      const theirs = out.split("\n").filter((l) => l.startsWith("SF")).join("\n");
      const host = loopbackHost([weird.port]);
      await detectServices(
        host,
        parseOptions(["-sV", "--version-intensity", "0", "--versiondb", NMAP_DB, "127.0.0.1"]),
        () => {},
      );
      const ours = host.ports[0]!.service!.fingerprint!;
      assertEquals(records(ours), records(theirs));
      assertEquals(ours.split("\n")[0]!.length, 74, "wrapped at 74 columns like nmap's");
    } finally {
      weird.close();
    }
  },
});
