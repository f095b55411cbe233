import { assert, assertEquals, assertThrows } from "../_testing.ts";
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
