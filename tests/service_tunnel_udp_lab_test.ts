/**
 * -sV's TLS tunnel and UDP answers on real daemons (real_daemons.ts), Porthole with nmap's data
 * found beside nmap 7.93: TLS on any port (nginx's HTTPS as ssl/http, Murmur's control port as
 * ssl/murmur through nmap's murmur-version, NRPE tcpwrapped; Dovecot's IMAPS and POP3S, which
 * nmap leaves unnamed, "imaps?", as Porthole's own TLS hello names them: ssl/imap, ssl/pop3)
 * and the UDP services whose state or name depends on the payload and on whose reply counts
 * (TFTP answering from a fresh port, inetd, Unbound, NSD, OpenVPN, Kamailio and memcached
 * answering from the target's link address, Kerberos, FreeRADIUS, coturn's STUN through
 * stun-version, net-snmp through snmp-info, Murmur's ping). The port rows of the normal output
 * (with --reason) and the XML's <state> and <service> elements must be nmap's, for -sU alone and
 * for -sS -sU -sV, except where nmap names no service and Porthole names the right one. Murmur's
 * user count is a live counter (another scanner's TLS connections count), and fingerprints carry
 * dates, so those two are compared by shape. Tags "svtun".
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, NGINX_TLS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { ok } from "./scan_lab.ts";

const NAMES = [
  "dovecot",
  "nginx-tls",
  "murmur",
  "nrpe",
  "inetd",
  "tftpd-hpa",
  "krb5kdc",
  "openvpn",
  "freeradius",
  "coturn",
  "kamailio",
  "unbound",
  "nsd",
  "memcached",
  "snmpd",
];
const TCP = [443, 993, 995, 5666, 64738];
const UDP = [7, 13, 69, 88, 161, 1194, 1812, 3478, 5060, 5301, 5303, 11211, 64738];

/** Ports nmap 7.93 leaves unnamed that Porthole's own probes name: the XML and the row. */
const OWN_NAMES = [
  {
    port: 993,
    xml: /<service name="imap" product="Dovecot imapd"[^>]* tunnel="ssl" method="probed"/,
    row: /^993\/tcp open ssl\/imap .*Dovecot imapd/,
  },
  {
    port: 995,
    xml: /<service name="pop3" product="Dovecot pop3d"[^>]* tunnel="ssl" method="probed"/,
    row: /^995\/tcp open ssl\/pop3 .*Dovecot pop3d/,
  },
];

/** What may differ between two runs by nature. */
const steady = (s: string) =>
  s.replace(/users: \d+;/g, "users: N;").replace(/servicefp="[^"]*"/g, 'servicefp="…"');

/** The port rows of a normal output, one space between columns. */
function rows(normal: string): string[] {
  return normal.split("\n").filter((l) => /^\d+\/(tcp|udp)\s/.test(l))
    .map((l) => steady(l.replace(/\s+/g, " ").trim()));
}

/** "993/tcp" → its <state> and <service> elements (CPEs included), as the XML has them. */
function xmlPorts(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of xml.matchAll(/<port protocol="(\w+)" portid="(\d+)">([^]*?)<\/port>/g)) {
    out[`${m[2]}/${m[1]}`] = steady(m[3]!.replace(/<script [^]*$/, "").trim());
  }
  return out;
}

Deno.test({
  name: "service lab: TLS tunnels and UDP services get nmap's states, names and XML",
  ignore: missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const daemons = [...DAEMONS, NGINX_TLS].filter((d) => NAMES.includes(d.name));
    await using rl = await RealDaemonsLab.up({ tag: "svtun", daemons });
    const up = new Set(rl.ports().map(({ port }) => `${port.port}/${port.proto}`));
    const tcp = TCP.filter((p) => up.has(`${p}/tcp`));
    const udp = UDP.filter((p) => up.has(`${p}/udp`));
    assert.ok(up.has("64738/tcp") && up.has("443/tcp"), `not up: ${JSON.stringify(rl.failed)}`);
    const v4 = rl.v4;

    /** nmap's and Porthole's normal rows and XML ports for one command line. */
    const both = async (args: string[]) => {
      const out: Record<"nmap" | "porthole", { rows: string[]; xml: Record<string, string> }> =
        {} as never;
      for (const who of ["nmap", "porthole"] as const) {
        const xml = `${rl.dir}/${who}.xml`;
        const argv = [...args, "--reason", "-n", "-Pn", "-oX", xml, v4];
        const r = who === "nmap"
          ? await rl.lab.nmap(argv, { timeoutMs: 900_000 })
          : await rl.lab.porthole(argv, { timeoutMs: 900_000 });
        out[who] = { rows: rows(ok(r, who)), xml: xmlPorts(await Deno.readTextFile(xml)) };
      }
      return out;
    };

    await t.step("-sU: payloads, and replies from elsewhere that prove nothing", async () => {
      const r = await both(["-sU", "-p", udp.join(",")]);
      assert.deepEqual(r.porthole.rows, r.nmap.rows);
      assert.deepEqual(r.porthole.xml, r.nmap.xml);
      if (udp.includes(69)) assert.match(r.porthole.xml["69/udp"]!, /state="open\|filtered"/);
      if (udp.includes(64738)) assert.match(r.porthole.xml["64738/udp"]!, /state="open"/);
    });

    await t.step("-sS -sU -sV: tunnels, version scripts and UDP probes", async () => {
      const ports = `T:${tcp.join(",")}${udp.length ? `,U:${udp.join(",")}` : ""}`;
      const r = await both(["-sS", ...(udp.length ? ["-sU"] : []), "-sV", "-p", ports]);
      // Dovecot's IMAPS and POP3S end every connection of nmap's probes without a byte
      // (SSLSessionReq's SSLv3 hello and nmap's TLSSessionReq too), so nothing matches "ssl", no
      // tunnel is tried, and nmap 7.93 gives nmap-services' guess, "imaps?". Porthole's own TLS
      // 1.2 hello, sent after nmap's, gets a ServerHello, and the banner inside names the port.
      const ownNames = OWN_NAMES.filter((o) => tcp.includes(o.port));
      for (const o of ownNames) {
        const key = `${o.port}/tcp`;
        assert.match(r.nmap.xml[key]!, /<service name="\w+" method="table" conf="3"\/>/, key);
        assert.match(r.porthole.xml[key]!, o.xml, key);
        assert.match(r.porthole.rows.find((l) => l.startsWith(`${key} `)) ?? "", o.row, key);
      }
      // Every other port, as nmap has it.
      const own = (l: string) => ownNames.some((o) => l.startsWith(`${o.port}/tcp `));
      assert.deepEqual(r.porthole.rows.filter((l) => !own(l)), r.nmap.rows.filter((l) => !own(l)));
      const nmapsWords = (x: Record<string, string>) =>
        Object.fromEntries(Object.entries(x).filter(([k]) => !own(`${k} `)));
      assert.deepEqual(nmapsWords(r.porthole.xml), nmapsWords(r.nmap.xml));
      // What the equality stands for, should nmap's answers ever change.
      assert.match(r.porthole.xml["443/tcp"]!, /name="http" [^>]*tunnel="ssl"/);
      assert.match(
        r.porthole.xml["64738/tcp"]!,
        /name="murmur" product="Murmur" version="[\d.]+" extrainfo="control port; [^"]*" tunnel="ssl" method="probed"/,
      );
    });
  },
});
