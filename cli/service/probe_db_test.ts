import { assert, assertEquals, assertThrows } from "../../tests/testing/assert.ts";
import {
  allRules,
  compileAll,
  DEFAULT_TCPWRAPPEDMS,
  DEFAULT_TOTALWAITMS,
  parseMatchLine,
  parsePortList,
  parseProbeDb,
  ProbeDbError,
  unescapeC,
} from "./probe_db.ts";
import { builtinProbeDb, checkProbeDb } from "./db.ts";
import { matchResponse } from "./match.ts";

const SAMPLE = `# comment
Exclude 53,T:9100-9101,U:30000

Probe TCP NULL q||
totalwaitms 6000
tcpwrappedms 3000
match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w.]+)\\r?\\n| p/OpenSSH/ v/$2/ i/protocol $1/ cpe:/a:openbsd:openssh:$2/
softmatch ftp m|^220 |

Probe TCP GenericLines q|\\r\\n\\r\\n|
rarity 1
ports 21,23,25-26
sslports 990
match ftp m=^220 ([\\w.]+) FTP=i h/$1/ p|Some/FTP| d/router/ o/Linux/ cpe:|o:linux:linux_kernel|

Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n| no-payload
rarity 8
ports 80
fallback GenericLines
match http m|^HTTP/1\\.[01] | p/x/ p/y/

Probe UDP DNS q|\\0\\x06\\x01\\0|
ports 53
fallback GetRequest
match domain m|^\\0\\x06|s
`;

Deno.test("probe_db: every directive", () => {
  const db = parseProbeDb(SAMPLE, "sample");
  assertEquals([...db.excludeTcp].sort((a, b) => a - b), [53, 9100, 9101]);
  assertEquals([...db.excludeUdp].sort((a, b) => a - b), [53, 30000]);
  const nul = db.nullProbe!;
  assertEquals(nul.name, "NULL");
  assertEquals(nul.payload.length, 0);
  assertEquals(nul.totalWaitMs, 6000);
  assertEquals(nul.tcpWrappedMs, 3000);
  assertEquals(nul.matches.length, 2);
  assertEquals(nul.matches[1]!.soft, true);
  assertEquals(db.probes.map((p) => p.name), ["GenericLines", "GetRequest", "DNS"]);
  const [gl, get, dns] = db.probes as [typeof nul, typeof nul, typeof nul];
  assertEquals(Array.from(gl.payload), [13, 10, 13, 10]);
  assertEquals(gl.rarity, 1);
  assertEquals([...gl.ports], [21, 23, 25, 26]);
  assertEquals([...gl.sslPorts], [990]);
  assertEquals(gl.totalWaitMs, DEFAULT_TOTALWAITMS);
  assertEquals(gl.tcpWrappedMs, DEFAULT_TCPWRAPPEDMS);
  assertEquals(get.noPayload, true);
  assertEquals(get.rarity, 8);
  assertEquals(dns.rarity, 5, "default rarity");
  assertEquals(dns.protocol, "udp");
  assertEquals(Array.from(dns.payload), [0, 6, 1, 0]);
  // Fallbacks: itself, the named ones, then NULL for TCP only.
  assertEquals(gl.fallbacks.map((p) => p.name), ["GenericLines", "NULL"]);
  assertEquals(get.fallbacks.map((p) => p.name), ["GetRequest", "GenericLines", "NULL"]);
  assertEquals(dns.fallbacks.map((p) => p.name), ["DNS", "GetRequest"]);
  assertEquals(nul.fallbacks.map((p) => p.name), ["NULL"]);
  // Templates: any delimiter, repeated p replaces, cpe: with another delimiter keeps "cpe:/".
  const ftp = gl.matches[0]!;
  assertEquals(ftp.options, "i");
  assertEquals(ftp.templates, {
    h: "$1",
    p: "Some/FTP",
    d: "router",
    o: "Linux",
    cpe: ["cpe:/o:linux:linux_kernel"],
  });
  assertEquals(get.matches[0]!.templates.p, "y");
  assertEquals([...nul.services], ["ssh", "ftp"]);
  assertEquals(allRules(db).map((r) => r.line), [7, 8, 14, 20, 25]);
  assertEquals(compileAll(db).length, 0);
});

Deno.test("probe_db: errors carry the line number and nmap's reason", () => {
  const bad = (text: string, line: number, includes: string) => {
    const e = assertThrows(() => parseProbeDb(text, "f"), ProbeDbError, includes);
    assertEquals(e.line, line);
  };
  bad("match x m|a|\n", 1, 'expected to begin with "Probe "');
  bad("Probe TCP NULL q||\nrarity 0\n", 2, "rarity");
  bad("Probe TCP NULL q||\nrarity 10\n", 2, "rarity");
  bad("Probe TCP NULL q||\ntotalwaitms 50\n", 2, "totalwaitms");
  bad("Probe TCP NULL q||\ntcpwrappedms 400000\n", 2, "tcpwrappedms");
  bad("Probe TCP NULL q||\nports 1-x\n", 2, "port list");
  bad("Probe TCP NULL q||\nports 70000\n", 2, "65535");
  bad("Probe TCP NULL q||\nfoo bar\n", 2, "unknown directive");
  bad("Probe TCP NULL q||\nExclude 1\n", 2, "must precede");
  bad("Exclude 1\nExclude 2\n", 2, "only 1 Exclude");
  bad("Probe SCTP X q|a|\n", 1, "invalid protocol");
  bad("Probe TCP X q|a\n", 1, "no ending delimiter");
  bad("Probe TCP X q|\\q|\n", 1, "escaping");
  bad("Probe TCP X q|a|\nmatch x m|a|z\n", 2, "illegal regexp option");
  bad("Probe TCP X q|a|\nmatch x m|a| z/b/\n", 2, "unknown template");
  bad("Probe TCP X q|a|\nmatch x m|a| p/b\n", 2, "missing end delimiter");
  bad("Probe TCP X q|a|\nmatch x r|a|\n", 2, "must begin with 'm'");
  bad("Probe TCP X q|a|\nfallback Nope\n", 1, "unknown fallback");
  bad("Probe TCP NULL q||\nProbe TCP N2 q||\n", 2, "more than one NULL");
});

Deno.test("probe_db: a regex nmap's PCRE would reject fails alone, with its reason", () => {
  const db = parseProbeDb("Probe TCP NULL q||\nmatch a m|(x| p/y/\nmatch b m|ok|\n", "f");
  const bad = compileAll(db);
  assertEquals(bad.map((r) => r.line), [2]);
  assert(bad[0]!.error!.includes("missing )"), bad[0]!.error);
  assertEquals(checkProbeDb(db), [`line 2: ${bad[0]!.error}`]);
  assert(db.nullProbe!.matches[1]!.regex() !== null);
});

Deno.test("probe_db: C escapes of probe strings", () => {
  assertEquals(Array.from(unescapeC("a\\0\\x41\\r\\n\\t\\\\\\a\\b\\f\\v")!), [
    97,
    0,
    0x41,
    13,
    10,
    9,
    92,
    7,
    8,
    12,
    11,
  ]);
  assertEquals(unescapeC("\\x4"), null);
  assertEquals(unescapeC("\\z"), null);
});

Deno.test("probe_db: port lists", () => {
  assertEquals([...(parsePortList("1,3-5, 7") as Set<number>)], [1, 3, 4, 5, 7]);
  assertEquals(typeof parsePortList("5-3"), "string");
  assertEquals(typeof parsePortList(""), "string");
});

Deno.test("probe_db: match lines keep the regex text and flags as written", () => {
  const r = parseMatchLine("match http m%^a|b% p/x/ v/1/ cpe:/a:b:c:$1/a", 9);
  assert(typeof r !== "string");
  assertEquals(r.pattern, "^a|b");
  assertEquals(r.templates.cpe, ["cpe:/a:b:c:$1"]);
  assertEquals(r.line, 9);
});

Deno.test("probe_db: Porthole's own database parses and every line compiles", () => {
  const db = builtinProbeDb();
  assertEquals(checkProbeDb(db), []);
  assert(db.nullProbe !== undefined);
  const names = new Set(allRules(db).map((r) => r.service));
  for (const s of ["ssh", "ftp", "smtp", "pop3", "imap", "http", "ssl", "redis", "postgresql"]) {
    assert(names.has(s), `built-in DB names ${s}`);
  }
  for (const s of ["mysql", "domain", "ms-wbt-server", "microsoft-ds", "telnet", "ntp", "snmp"]) {
    assert(names.has(s), `built-in DB names ${s}`);
  }
  assert(db.excludeTcp.has(9100));
});

Deno.test("db: --versiondb errors are fatal usage errors worded like nmap's", async () => {
  const { loadProbeDb, ServiceDbError } = await import("./db.ts");
  const { UsageError } = await import("../errors.ts");
  const missing = "/nonexistent/ph-svc/nmap-service-probes";
  try {
    await loadProbeDb(missing);
    throw new Error("expected a failure");
  } catch (e) {
    assert(e instanceof ServiceDbError && e instanceof UsageError, String(e));
    assertEquals(
      e.message,
      `Failed to open nmap-service-probes file ${missing} for reading: No such file or directory`,
    );
    assertEquals(e.exitCode, 1);
  }
  const dir = await Deno.makeTempDir({ prefix: "ph-svc-" });
  try {
    const bad = `${dir}/probes`;
    await Deno.writeTextFile(bad, "Probe TCP NULL q||\nrarity 42\n");
    try {
      await loadProbeDb(bad);
      throw new Error("expected a failure");
    } catch (e) {
      assert(e instanceof ServiceDbError, String(e));
      assertEquals(e.message, `Parse error: ${bad}:2: rarity must be between 1 and 9`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("anchoredPrefix: the literal start of anchored patterns, null when unsure", async () => {
  const { anchoredPrefix } = await import("./probe_db.ts");
  assertEquals(anchoredPrefix("^SSH-([\\d.]+)-OpenSSH_([\\w.]+)", ""), "SSH-");
  assertEquals(anchoredPrefix("^HTTP/1\\.[01] \\d\\d\\d", "s"), "HTTP/1.");
  assertEquals(anchoredPrefix("^\\0\\x06\\x01", "s"), "\0\x06\x01");
  assertEquals(anchoredPrefix("^220 ProFTPD", "i"), "220 proftpd");
  assertEquals(anchoredPrefix("^abcd?e", ""), "abc"); // d is optional
  assertEquals(anchoredPrefix("^ab+", ""), "a");
  assertEquals(anchoredPrefix("^a{2}", ""), null);
  assertEquals(anchoredPrefix("^\\r\\n\\t", ""), "\r\n\t");
  assertEquals(anchoredPrefix("^\\012", ""), null); // octal: not worth the risk
  assertEquals(anchoredPrefix("SSH-", ""), null); // not anchored
  assertEquals(anchoredPrefix("^abc|def", ""), null); // a top-level alternative
  assertEquals(anchoredPrefix("^ab(c|d)", ""), "ab");
  assertEquals(anchoredPrefix("^ab[|(]c", ""), "ab");
  assertEquals(anchoredPrefix("^ab\\|c|d", ""), null);
  assertEquals(anchoredPrefix("^(?i)abc", ""), null);
  assertEquals(anchoredPrefix("^abc", "m"), null);
  assertEquals(anchoredPrefix("^\\d+", ""), null);
});

Deno.test("requiredRuns: literal text outside groups, classes and quantifiers", async () => {
  const { requiredRuns } = await import("./probe_db.ts");
  assertEquals(
    requiredRuns("^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: Apache/([\\d.]+)", "s"),
    ["HTTP/1.", "\r\nServer: Apache/"],
  );
  assertEquals(requiredRuns("^abc(def|gh)ij", ""), ["abc", "ij"]);
  assertEquals(requiredRuns("^abcd?ef{2}gh", ""), ["abc", "gh"]);
  assertEquals(requiredRuns("xy(?:a|b)*zw", "i"), ["xy", "zw"]);
  assertEquals(requiredRuns("Server: ([^\\r\\n]+)\\r\\n", ""), ["Server: ", "\r\n"]);
  assertEquals(requiredRuns("ab\\p{L}cd", ""), ["ab", "cd"]);
  assertEquals(requiredRuns("^ABC", "i"), ["abc"]);
  assertEquals(requiredRuns("ab|cd", ""), []);
  assertEquals(requiredRuns("ab(?i)cd", ""), []);
  assertEquals(requiredRuns("\\Qa.b\\E", ""), []);
  assertEquals(requiredRuns("a{2,3}bc", ""), ["bc"]);
  assertEquals(requiredRuns("[ab]{2}cd)", ""), ["cd"]);
});

Deno.test("MatchRule.mayMatch: rejects without compiling, never rejects a match", () => {
  const db = parseProbeDb(SAMPLE, "sample");
  const rule = db.nullProbe!.matches[0]!;
  const subject = (s: string) => ({ text: s, lower: s.toLowerCase() });
  assert(!rule.mayMatch(subject("220 FTP\r\n")));
  assert(rule.mayMatch(subject("SSH-2.0-OpenSSH_9.2\r\n")));
});

Deno.test({
  name: "anchoredPrefix: on nmap's whole file, the pre-filter changes no answer",
  ignore: (() => {
    try {
      return !Deno.statSync("/usr/share/nmap/nmap-service-probes").isFile;
    } catch {
      return true;
    }
  })(),
  fn: async () => {
    const { latin1Decode } = await import("./db.ts");
    const { matchResponse } = await import("./match.ts");
    const { MatchRule } = await import("./probe_db.ts");
    const db = parseProbeDb(
      latin1Decode(Deno.readFileSync("/usr/share/nmap/nmap-service-probes")),
      "nmap-service-probes",
    );
    const none = { text: "\uffff", lower: "\uffff" };
    const prefixed = allRules(db).filter((r) => !r.mayMatch(none)).length;
    assert(prefixed > 8000, `only ${prefixed} rules have a prefix`);
    // Answers with the pre-filter and without it, for banners of common servers.
    const banners = [
      "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
      "SSH-2.0-dropbear_2020.81\r\n",
      "220 (vsFTPd 3.0.3)\r\n",
      "220 ProFTPD Server (Debian) [::ffff:10.0.0.2]\r\n",
      "220 mail.lab ESMTP Postfix (Debian/GNU)\r\n",
      "+OK Dovecot (Debian) ready.\r\n",
      "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE] Dovecot ready.\r\n",
      "HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\n\r\n",
      "J\0\0\0\n5.5.5-10.11.6-MariaDB-0+deb12u1\0",
      "-ERR unknown command 'GET'\r\n",
      "RFB 003.008\n",
      "@RSYNCD: 31.0\n",
      "\x15\x03\x01\x00\x02\x02\x0a",
      "HTTP/1.1 200 OK\r\nDate: Sun, 06 Dec 2026 23:37:18 GMT\r\nServer: Apache/2.4.7 (Ubuntu)\r\n" +
      "Allow: GET,HEAD,POST,OPTIONS\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      "HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4.7 (Ubuntu)\r\nContent-Type: text/html; " +
      'charset=iso-8859-1\r\n\r\n<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html>' +
      "<head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n</body></html>\n",
      "HTTP/1.0 200 OK\r\nServer: lighttpd/1.4.69\r\nContent-Type: text/html\r\n\r\n",
      'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="RT-N66U"\r\n\r\n',
      "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nX-Powered-By: ASP.NET\r\n\r\n",
      "220 smtp.example.com ESMTP Exim 4.96 Mon, 07 Dec 2026 00:00:00 +0000\r\n",
      "220 FileZilla Server 1.7.0\r\n",
      "SSH-2.0-OpenSSH_for_Windows_8.1\r\n",
      "",
    ];
    const nul = db.nullProbe!;
    const get = db.probes.find((p) => p.name === "GetRequest")!;
    const answers = () =>
      banners.flatMap((b) => {
        const bytes = Uint8Array.from(b, (c) => c.charCodeAt(0) & 0xff);
        return [nul, get].map((p) => {
          const md = matchResponse(p, bytes);
          return md ? `${md.service}|${md.product}|${md.version}|${md.rule.line}` : "-";
        });
      });
    const filtered = answers();
    const mayMatch = MatchRule.prototype.mayMatch;
    MatchRule.prototype.mayMatch = () => true;
    try {
      assertEquals(answers(), filtered);
    } finally {
      MatchRule.prototype.mayMatch = mayMatch;
    }
    assert(filtered.filter((a) => a !== "-").length >= 16, filtered.join("\n"));
  },
});

Deno.test("Porthole's HTTP catch-alls wait for the header block's end (a reply read in pieces)", () => {
  const db = builtinProbeDb();
  const get = db.probes.find((p) => p.protocol === "tcp" && p.name === "GetRequest")!;
  const te = new TextEncoder();
  // tinyproxy writes its status line alone, then the headers that name it.
  const status = "HTTP/1.0 400 Bad Request\r\n";
  assertEquals(matchResponse(get, te.encode(status)), null);
  const whole = `${status}Server: tinyproxy/1.11.1\r\nContent-Type: text/html\r\n\r\n<html>`;
  assertEquals(matchResponse(get, te.encode(whole))?.product, "tinyproxy");
  const anon = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n";
  assertEquals(matchResponse(get, te.encode(anon))?.service, "http");
  const named = "HTTP/1.1 200 OK\r\nServer: Foo/1.2\r\n";
  assertEquals(matchResponse(get, te.encode(named)), null);
  assertEquals(matchResponse(get, te.encode(`${named}\r\n`))?.product, "Foo");
});
