/**
 * Version detection end to end against scripted servers on 127.0.0.1:
 * common services with Porthole's database, nmap's ordering rules with
 * small custom databases, TLS tunnels, UDP, and hostile servers.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { parseOptions } from "../cli/options/mod.ts";
import type { HostResult, ServiceInfo } from "../cli/model/mod.ts";
import {
  detectServices,
  type DetectTuning,
  serviceInfoLine,
  versionString,
} from "../cli/service/mod.ts";
import { parseProbeDb } from "../cli/service/probe_db.ts";
import { builtinProbeDb } from "../cli/service/db.ts";
import {
  bytes,
  httpReply,
  loopbackHost,
  selfSignedCert,
  serveTcp,
  serveUdp,
  type TestServer,
} from "./testing/service_servers.ts";
import { missingTools } from "./_oracle.ts";

async function detect(
  host: HostResult,
  args: string[] = [],
  tuning: DetectTuning = {},
): Promise<{ log: string[] }> {
  const opts = parseOptions(["-sV", "127.0.0.1", ...args]);
  const log: string[] = [];
  // Porthole's own database unless a test gives another: these are its answers, whether or not
  // nmap's data is installed here (it would be merged in, and nmap's words win).
  await detectServices(host, opts, (l) => log.push(l), { db: builtinProbeDb(), ...tuning });
  return { log };
}

function svc(host: HostResult, port: number): ServiceInfo {
  const s = host.ports.find((p) => p.port === port)?.service;
  if (!s) throw new Error(`no service for port ${port}`);
  return s;
}

const closeAll = (...s: TestServer[]) => s.forEach((x) => x.close());

Deno.test("loopback: scanme's services with Porthole's database give nmap's answers", async () => {
  const ssh = serveTcp({ greeting: "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n" });
  const http = serveTcp({ reply: httpReply("Apache/2.4.7 (Ubuntu)") });
  const wrapped = serveTcp({ closeAfterMs: 0 });
  const nep = new Uint8Array(96);
  nep.set([1, 1, 0, 0x18]);
  nep.fill(0x5a, 16, 48);
  const nping = serveTcp({ greeting: nep });
  try {
    const host = loopbackHost([ssh.port, http.port, wrapped.port, nping.port]);
    await detect(host);
    assertEquals(svc(host, ssh.port).name, "ssh");
    assertEquals(
      versionString(svc(host, ssh.port)),
      "OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13 (Ubuntu Linux; protocol 2.0)",
    );
    assertEquals(svc(host, ssh.port).method, "probed");
    assertEquals(svc(host, ssh.port).confidence, 10);
    assertEquals(svc(host, http.port).name, "http");
    assertEquals(versionString(svc(host, http.port)), "Apache httpd 2.4.7 ((Ubuntu))");
    assertEquals(svc(host, http.port).cpe, ["cpe:/a:apache:http_server:2.4.7"]);
    assertEquals(svc(host, wrapped.port), { name: "tcpwrapped", method: "probed", confidence: 8 });
    assertEquals([svc(host, nping.port).name, svc(host, nping.port).product], [
      "nping-echo",
      "Nping echo",
    ]);
    assertEquals(serviceInfoLine(host), "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel");
  } finally {
    closeAll(ssh, http, wrapped, nping);
  }
});

Deno.test("loopback: FTP, SMTP, POP3, IMAP, MySQL and Redis greetings", async () => {
  const ftp = serveTcp({ greeting: "220 (vsFTPd 3.0.3)\r\n" });
  const smtp = serveTcp({ greeting: "220 mx.lab ESMTP Postfix (Debian/GNU)\r\n" });
  const pop = serveTcp({ greeting: "+OK Dovecot (Ubuntu) ready.\r\n" });
  const imap = serveTcp({
    greeting:
      "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Ubuntu) ready.\r\n",
  });
  const mysqlHello = [
    ...bytes("\x4a\0\0\0\x0a8.0.36-0ubuntu0.22.04.1\0"),
    ...new Array(40).fill(1),
  ];
  const mysql = serveTcp({ greeting: Uint8Array.from(mysqlHello) });
  const redis = serveTcp({
    reply: (r) =>
      r.startsWith("*1\r\n$4\r\nINFO")
        ? "$120\r\n# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux 6.1.0 x86_64\r\n\r\n"
        : r.startsWith("GET ")
        ? "-ERR wrong number of arguments for 'get' command\r\n"
        : null,
  });
  try {
    const host = loopbackHost([ftp.port, smtp.port, pop.port, imap.port, mysql.port, redis.port]);
    await detect(host);
    assertEquals([svc(host, ftp.port).name, versionString(svc(host, ftp.port))], [
      "ftp",
      "vsftpd 3.0.3",
    ]);
    assertEquals(svc(host, smtp.port).name, "smtp");
    assertEquals(svc(host, smtp.port).product, "Postfix smtpd");
    assertEquals(svc(host, smtp.port).hostname, "mx.lab");
    assertEquals(versionString(svc(host, pop.port)), "Dovecot pop3d (Ubuntu)");
    assertEquals(versionString(svc(host, imap.port)), "Dovecot imapd (Ubuntu)");
    assertEquals(versionString(svc(host, mysql.port)), "MySQL 8.0.36-0ubuntu0.22.04.1");
    // Redis is not in GetRequest's port list here, so GET is what names it.
    assertEquals(svc(host, redis.port).name, "redis");
    assertEquals(serviceInfoLine(host), "Service Info: Host: mx.lab; OS: Unix");
  } finally {
    closeAll(ftp, smtp, pop, imap, mysql, redis);
  }
});

/** A database with a NULL probe and probes P1 (rarity 1) and P2 (rarity 2). */
const ORDER_DB = parseProbeDb(
  [
    "Probe TCP NULL q||",
    "totalwaitms 1500",
    "tcpwrappedms 300",
    "match late m|^LATE\\r\\n|",
    "softmatch soft m|^SOFT\\r\\n|",
    "Probe TCP P1 q|P1\\r\\n|",
    "rarity 1",
    "totalwaitms 3000",
    "match one m|P1MATCH|",
    "match other m|OTHER|",
    "Probe TCP P2 q|P2\\r\\n|",
    "rarity 2",
    "match two m|P2MATCH|",
    "Probe TCP P3 q|P3\\r\\n|",
    "rarity 9",
    "match soft m|SOFT\\r\\nP3 (\\d+)| v/$1/",
  ].join("\n"),
  "order-test",
);

Deno.test("engine: results follow nmap's order even when a later probe answers first", async () => {
  // P1's answer comes late, P2's at once: nmap would try P1 first, so P1 decides.
  const s = serveTcp({
    reply: async (r) => {
      if (r.startsWith("P1")) {
        await new Promise((res) => setTimeout(res, 1200));
        return "P1MATCH";
      }
      return r.startsWith("P2") ? "P2MATCH" : null;
    },
  });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, [], { db: ORDER_DB, graceMs: 100 });
    assertEquals(svc(host, s.port).name, "one");
    assert(s.received.some((r) => r.startsWith("P2")), "P2 ran in parallel");
  } finally {
    s.close();
  }
});

Deno.test("engine: a later hard match wins over earlier probes that stay silent", async () => {
  const s = serveTcp({ reply: (r) => (r.startsWith("P2") ? "P2MATCH" : null) });
  try {
    const host = loopbackHost([s.port]);
    const { log } = await detect(host, ["--version-trace"], { db: ORDER_DB, graceMs: 100 });
    assertEquals(svc(host, s.port).name, "two");
    assert(
      log.some((l) => l.includes("Service scan sending probe P2")),
      "--version-trace shows probes",
    );
    assert(log.some((l) => l.includes('"P2MATCH"')), "--version-trace shows replies");
    assert(log.some((l) => l.includes("hard match (Probe P2")), log.join("\n"));
  } finally {
    s.close();
  }
});

Deno.test("engine: a late banner is nmap's answer when the grace time covers NULL's wait", async () => {
  const s = serveTcp({
    greeting: "LATE\r\n",
    greetDelayMs: 600,
    reply: (r) => (r.startsWith("P1") ? "P1MATCH" : null),
  });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, [], { db: ORDER_DB, graceMs: 1500 });
    assertEquals(svc(host, s.port).name, "late");
  } finally {
    s.close();
  }
});

Deno.test("engine: a softmatch limits later probes to those that can name it, whatever their rarity", async () => {
  const s = serveTcp({
    greeting: "SOFT\r\n",
    reply: (r) => (r.startsWith("P3") ? "P3 42" : r.startsWith("P1") ? "OTHER" : null),
  });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, ["--version-intensity", "2"], { db: ORDER_DB, graceMs: 100 });
    const got = svc(host, s.port);
    assertEquals([got.name, got.version, got.method], ["soft", "42", "probed"]);
  } finally {
    s.close();
  }
});

Deno.test("engine: --version-all keeps every probe after a softmatch, as nmap's intensity 9 does", async () => {
  // The same server: at intensity 9 P1, which cannot name "soft", still goes, and its hard match
  // of another service decides (nmap's nextProbe skips its softmatch filter at intensity 9).
  const s = serveTcp({
    greeting: "SOFT\r\n",
    reply: (r) => (r.startsWith("P3") ? "P3 42" : r.startsWith("P1") ? "OTHER" : null),
  });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, ["--version-all"], { db: ORDER_DB, graceMs: 100 });
    assertEquals(svc(host, s.port).name, "other");
    // --version-light (intensity 2): P3 (rarity 9) is not sent without a softmatch.
    const quiet = serveTcp({ reply: (r) => (r.startsWith("P3") ? "P3 42" : null) });
    try {
      const h2 = loopbackHost([quiet.port]);
      await detect(h2, ["--version-light"], { db: ORDER_DB, graceMs: 100 });
      assert(!quiet.received.some((r) => r.startsWith("P3")), quiet.received.join("|"));
      assert(quiet.received.some((r) => r.startsWith("P2")), "P2 (rarity 2) is sent");
    } finally {
      quiet.close();
    }
  } finally {
    s.close();
  }
});

Deno.test("engine: tcpwrapped only for a NULL connection closed silently within tcpwrappedms", async () => {
  const quick = serveTcp({ closeAfterMs: 0 });
  const silent = serveTcp({});
  try {
    const host = loopbackHost([quick.port, silent.port]);
    await detect(host, ["--version-intensity", "0"], { db: ORDER_DB, graceMs: 100 });
    assertEquals(svc(host, quick.port).name, "tcpwrapped");
    // Silent until every probe timed out: no match, the table's name, no fingerprint.
    const s = svc(host, silent.port);
    assertEquals([s.method, s.confidence, s.fingerprint], ["table", 3, undefined]);
  } finally {
    closeAll(quick, silent);
  }
});

Deno.test("engine: an unrecognised service gets nmap's SF fingerprint and keeps the table name", async () => {
  const s = serveTcp({ greeting: "WEIRD-PROTO 1.0 ready\r\n" });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, ["--version-intensity", "0"]);
    const got = svc(host, s.port);
    assertEquals(got.method, "table");
    assert(got.fingerprint !== undefined, "fingerprint");
    assert(got.fingerprint!.startsWith(`SF-Port${s.port}-TCP:V=`), got.fingerprint);
    assert(
      got.fingerprint!.replaceAll("\nSF:", "").includes(
        '%r(NULL,17,"WEIRD-PROTO\\x201\\.0\\x20ready\\r\\n")',
      ),
    );
  } finally {
    s.close();
  }
});

Deno.test({
  name: "engine: TLS is detected and the service behind it probed through node:tls",
  ignore: missingTools("openssl").length > 0,
}, async () => {
  const tls = await selfSignedCert();
  if (!tls) throw new Error("openssl could not make a certificate");
  const s = serveTcp({ reply: httpReply("nginx/1.24.0 (Ubuntu)") }, tls);
  try {
    const host = loopbackHost([s.port]);
    await detect(host);
    const got = svc(host, s.port);
    assertEquals([got.name, got.tunnel, got.product, got.version, got.extraInfo], [
      "http",
      "ssl",
      "nginx",
      "1.24.0",
      "Ubuntu",
    ]);
  } finally {
    s.close();
  }
});

Deno.test("engine: UDP services answer their probe; open|filtered becomes open", async () => {
  const ntp = await serveUdp((m) => {
    if (m.length < 48 || (m[0]! & 7) !== 3) return null;
    const r = new Uint8Array(48);
    r[0] = 0x24; // LI 0, v4, server
    r[1] = 2;
    return r;
  });
  try {
    const host = loopbackHost([[ntp.port, "udp", "open|filtered"]]);
    const { log } = await detect(host, ["-sU", "-v"]);
    const p = host.ports[0]!;
    assertEquals([p.state, p.reason], ["open", "udp-response"]);
    // The reply tells NTP's version and stratum, not which daemon sent it: no product.
    assertEquals(versionString(p.service), "(NTP v4; secondary server, stratum 2)");
    assert(log.some((l) => l.includes("is actually open")), log.join("\n"));
  } finally {
    ntp.close();
  }
});

Deno.test("engine: ports in the Exclude directive are not probed", async () => {
  const db = parseProbeDb(`Exclude T:1-65535\nProbe TCP NULL q||\nmatch x m|^x|\n`, "ex");
  const s = serveTcp({ greeting: "x" });
  try {
    const host = loopbackHost([s.port]);
    await detect(host, [], { db });
    // As in nmap's output: the table's name, no version ("Excluded from version
    // scan" is overwritten in nmap before it is printed).
    const got = svc(host, s.port);
    assertEquals([got.method, got.confidence, got.product], ["table", 3, undefined]);
    assertEquals(s.connections, 0);
  } finally {
    s.close();
  }
});

Deno.test("engine: --allports probes the ports the Exclude directive names", async () => {
  const db = parseProbeDb(`Exclude T:1-65535\nProbe TCP NULL q||\nmatch x m|^x| p/X/\n`, "ex");
  const s = serveTcp({ greeting: "x" });
  try {
    const host = loopbackHost([s.port]);
    const { log } = await detect(host, ["--allports", "-v"], { db });
    const got = svc(host, s.port);
    assertEquals([got.name, got.method, got.product], ["x", "probed", "X"]);
    assert(s.connections > 0);
    // nmap's note, between its "Initiating Service scan" and "Scanning 1 service" lines.
    assertEquals(log.slice(0, 3).map((l) => l.replace(/ at .*| on .*/, "")), [
      "Initiating Service scan",
      "Overriding exclude ports option! Some undesirable ports may be version scanned!",
      "Scanning 1 service",
    ]);
  } finally {
    s.close();
  }
});

// ------------------------------------------------------------------ hostile servers

const HOSTILE_DB = parseProbeDb(
  [
    "Probe TCP NULL q||",
    "totalwaitms 800",
    "match bomb m|^(a+)+$|",
    "match bomb2 m|^(?:\\w+\\s?)*$|",
    "match evil m|^EVIL (.*)\\r\\n| p/$1/ v/$1/",
    "Probe TCP P1 q|hello\\r\\n|",
    "rarity 1",
    "totalwaitms 800",
  ].join("\n"),
  "hostile",
);

Deno.test("hostile: a huge banner is read only up to nmap's limit", async () => {
  const flood = serveTcp({
    handler: async (c) => {
      const chunk = new Uint8Array(65536).fill(0x7e);
      for (let i = 0; i < 400; i++) await c.write(chunk); // 25 MB if we kept reading
    },
  });
  try {
    const host = loopbackHost([flood.port]);
    await detect(host, [], { db: HOSTILE_DB, graceMs: 100 });
    const fp = svc(host, flood.port).fingerprint!.replaceAll("\nSF:", "");
    const m = /%r\(NULL,([0-9A-F]+),"/.exec(fp);
    assert(m !== null, fp.slice(0, 200));
    const len = parseInt(m[1]!, 16);
    assert(len >= 4096 && len <= 4096 + 65536, `read ${len} bytes`);
    assert(fp.length < 4000, "fingerprint stays small");
  } finally {
    flood.close();
  }
});

Deno.test("hostile: slow drip never holds a probe past its wait", async () => {
  const drip = serveTcp({
    handler: async (c) => {
      for (let i = 0; i < 100; i++) {
        await c.write(bytes("."));
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  });
  try {
    const host = loopbackHost([drip.port]);
    await detect(host, [], { db: HOSTILE_DB, graceMs: 100 });
    const fp = svc(host, drip.port).fingerprint!;
    // Each probe stopped at its 800 ms wait: a handful of dots, not a hundred.
    const m = /%r\(NULL,([0-9A-F]+),/.exec(fp.replaceAll("\nSF:", ""));
    assert(m !== null && parseInt(m[1]!, 16) < 30, fp);
  } finally {
    drip.close();
  }
});

Deno.test("hostile: regex bombs hit the step budget, the scan goes on", async () => {
  const bomb = serveTcp({ greeting: "a".repeat(60) + "!" });
  const bomb2 = serveTcp({ greeting: "word ".repeat(30) + "!" });
  try {
    const host = loopbackHost([bomb.port, bomb2.port]);
    const { log } = await detect(host, [], { db: HOSTILE_DB, graceMs: 100 });
    assertEquals(svc(host, bomb.port).method, "table");
    assertEquals(svc(host, bomb2.port).method, "table");
    assert(log.some((l) => l.includes("match limit exceeded")), log.join("\n"));
  } finally {
    closeAll(bomb, bomb2);
  }
});

Deno.test("hostile: control bytes in a banner never reach the fields", async () => {
  const evil = serveTcp({ greeting: "EVIL a\x00b\x1b[2Jc\x7f\xff\r\n" });
  try {
    const host = loopbackHost([evil.port]);
    await detect(host, [], { db: HOSTILE_DB, graceMs: 100 });
    const s = svc(host, evil.port);
    assertEquals(s.product, "a.b.[2Jc..");
    assertEquals(s.version, "a.b.[2Jc..");
  } finally {
    evil.close();
  }
});

Deno.test("engine: http-server-header's effect — an unmatched likely-HTTP port named from its Server header", async () => {
  // No line names this server, so only nmap's version script would.
  const db = parseProbeDb(
    [
      "Probe TCP NULL q||",
      "totalwaitms 300",
      "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|",
      "rarity 1",
      "totalwaitms 300",
    ].join("\n"),
    "no-http",
  );
  const s = serveTcp({ reply: httpReply("HP HTTP Server; HP LaserJet lab") });
  try {
    const host = loopbackHost([s.port]);
    host.ports[0]!.service = { name: "http-alt", method: "table", confidence: 3 };
    await detect(host, [], { db, graceMs: 100 });
    const got = svc(host, s.port);
    assertEquals([got.name, got.product, got.method, got.confidence], [
      "http",
      "HP HTTP Server; HP LaserJet lab",
      "probed",
      10,
    ]);
    assert(got.fingerprint !== undefined, "soft-matched: the fingerprint stays");
    // Below intensity 7 the script does not run.
    const low = loopbackHost([s.port]);
    low.ports[0]!.service = { name: "http-alt", method: "table", confidence: 3 };
    await detect(low, ["--version-intensity", "6"], { db, graceMs: 100 });
    assertEquals(svc(low, s.port).method, "table");
  } finally {
    s.close();
  }
});
