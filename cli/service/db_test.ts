import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { parseProbeDb } from "./probe_db.ts";
import { builtinProbeDb, loadProbeDb, mergeProbeDbs, probeDbFor } from "./db.ts";
import { INTENSITY_DEFAULT, probeOrder } from "./plan.ts";
import { keepFirstWords, matchResponse } from "./match.ts";
import { dataFilesRead, resetDataFilesRead } from "../data_files.ts";
import { haveTool } from "../../tests/_oracle.ts";

/** A tiny file in nmap's format: what nmap would say about SSH and HTTP. */
const NMAP_LIKE = `Exclude T:9100-9107,U:5000

Probe TCP NULL q||
totalwaitms 6000
tcpwrappedms 3000
match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w.]+)| p/OpenSSH/ v/$2/ i/nmap's words; protocol $1/

Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
rarity 1
ports 80
match http m|^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: Apache/([\\d.]+)|s p/Apache httpd/ v/$1/ i/nmap's words/

Probe UDP NmapOnly q|x|
ports 7
match echo m|^x$| p/nmap echo/
`;

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("merged probes: nmap's lines first, Porthole's after; same-named probes sent once", () => {
  const nmap = parseProbeDb(NMAP_LIKE, "nmap-service-probes");
  const own = builtinProbeDb();
  const db = mergeProbeDbs(nmap, own);
  const byName = (name: string, proto = "tcp") =>
    db.probes.filter((p) => p.name === name && p.protocol === proto);
  // One GetRequest, as nmap defines it (rarity, payload); a reply is matched against nmap's lines
  // of its whole chain (GetRequest, NULL), then ours (GetRequest, NULL).
  const get = byName("GetRequest");
  assertEquals(get.length, 1);
  assertEquals(get[0]!.rarity, 1);
  const ownGet = own.probes.find((p) => p.name === "GetRequest")!;
  assertEquals(get[0]!.matches.length, 1);
  assertEquals(get[0]!.fallbacks.map((f) => f.matches), [
    get[0]!.matches,
    db.nullProbe!.matches,
    ownGet.matches,
    own.nullProbe!.matches,
  ]);
  assert(!get[0]!.secondary && byName("RedisInfo")[0]!.secondary);
  assert(get[0]!.ports.has(80));
  for (const p of ownGet.ports) assert(get[0]!.ports.has(p), `port ${p} kept`);
  // Every probe of ours is there once; nmap's own ones first, in nmap's order.
  assertEquals(db.probes[0]!.name, "GetRequest");
  assertEquals(db.probes[1]!.name, "NmapOnly");
  for (const p of own.probes) {
    assertEquals(byName(p.name, p.protocol).length, 1, p.name);
  }
  assertEquals(db.nullProbe!.fallbacks.map((f) => f.matches), [
    db.nullProbe!.matches,
    own.nullProbe!.matches,
  ]);
  assertEquals(db.nullProbe!.totalWaitMs, 6000);
  assert(db.excludeUdp.has(5000) && db.excludeTcp.has(9100));
  // The inputs are left as they were.
  assertEquals(nmap.probes.find((p) => p.name === "GetRequest")!.matches.length, 1);
  assertEquals(
    ownGet.matches.length,
    own.probes.find((p) => p.name === "GetRequest")!.matches.length,
  );
});

Deno.test("merged probes: a port both know is named in nmap's words, one only Porthole knows still named", () => {
  const db = mergeProbeDbs(parseProbeDb(NMAP_LIKE, "nmap-service-probes"), builtinProbeDb());
  const nul = db.nullProbe!;
  const ssh = matchResponse(nul, enc("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))!;
  assertEquals([ssh.service, ssh.product, ssh.info], [
    "ssh",
    "OpenSSH",
    "nmap's words; protocol 2.0",
  ]);
  // Redis: only Porthole's file knows it (its RedisInfo probe, fallback chain through NULL).
  const redis = db.probes.find((p) => p.name === "RedisInfo")!;
  const md = matchResponse(
    redis,
    enc("$120\r\n# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"),
  );
  assertEquals(md?.service, "redis");
  // Apache through GetRequest: nmap's line wins over ours.
  const get = db.probes.find((p) => p.name === "GetRequest")!;
  const web = matchResponse(get, enc("HTTP/1.1 200 OK\r\nServer: Apache/2.4.62 (Debian)\r\n\r\n"))!;
  assertEquals([web.service, web.product, web.info], ["http", "Apache httpd", "nmap's words"]);
});

/** nmap's softmatch for PostgreSQL (its SMBProgNeg probe's line), and a Porthole-like startup probe. */
const NMAP_SOFT = `Probe TCP NULL q||
Probe TCP SMBProgNeg q|smb|
ports 5432
softmatch postgresql m|^E\\0\\0\\0.S[^\\0]+\\0VFATAL\\0C0A000\\0Munsupported frontend protocol 65363| p/PostgreSQL DB/ v/9.6.0 or later/ cpe:/a:postgresql:postgresql/
softmatch other m|^other| p/Other DB/ v/1.0 or later/
`;
const OWN_HARD = `Probe TCP NULL q||
Probe TCP PostgresStartup q|pg|
ports 5432
match postgresql m|^E\\0\\0\\0.SFATAL\\0|s p/PostgreSQL DB/ i/auth/ cpe:/a:postgresql:postgresql/
match other m|^R| p/Another DB/ v/7.1/ i/its own words/
`;

Deno.test("merged probes: Porthole's hard line after nmap's softmatch keeps nmap's words, adds the rest", () => {
  const nmap = parseProbeDb(NMAP_SOFT, "nmap-service-probes");
  const own = parseProbeDb(OWN_HARD, "porthole-service-probes");
  const db = mergeProbeDbs(nmap, own);
  const probe = (name: string) => db.probes.find((p) => p.name === name)!;
  const bin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const soft = matchResponse(
    probe("SMBProgNeg"),
    bin("E\0\0\0\x60SFATAL\0VFATAL\0C0A000\0Munsupported frontend protocol 65363.19778\0\0"),
  )!;
  assert(soft.soft && !soft.secondary);
  const hard = matchResponse(probe("PostgresStartup"), bin("E\0\0\0\x60SFATAL\0C28000\0"))!;
  assert(!hard.soft && hard.secondary);
  const both = keepFirstWords(soft, hard);
  assertEquals([both.soft, both.service, both.product, both.version, both.info, both.cpeA], [
    false,
    "postgresql",
    "PostgreSQL DB",
    "9.6.0 or later",
    "auth",
    "cpe:/a:postgresql:postgresql",
  ]);
  // Another product's hard line adds nothing of its own: its version would not be nmap's product's.
  const otherSoft = matchResponse(probe("SMBProgNeg"), bin("other"))!;
  const otherHard = matchResponse(probe("PostgresStartup"), bin("R"))!;
  const kept = keepFirstWords(otherSoft, otherHard);
  assertEquals([kept.soft, kept.product, kept.version, kept.info], [
    false,
    "Other DB",
    "1.0 or later",
    undefined,
  ]);
  // nmap's rule where no merge is involved: a hard match of the same file replaces the softmatch.
  const nmapHard = { ...hard, secondary: undefined };
  assertEquals(keepFirstWords(soft, nmapHard), nmapHard);
  // A softmatch of another service: the hard match is the answer, as in nmap.
  assertEquals(keepFirstWords({ ...soft, service: "mysql" }, hard), hard);
});

Deno.test("probeDbFor: nmap's file found in --datadir is merged and noted; --versiondb alone overrides", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-probes-" });
  try {
    await Deno.writeTextFile(`${dir}/nmap-service-probes`, NMAP_LIKE);
    resetDataFilesRead();
    const merged = await probeDbFor({ datadir: dir });
    assert(merged.probes.some((p) => p.name === "NmapOnly"));
    assert(merged.probes.some((p) => p.name === "RedisInfo"));
    assertEquals(dataFilesRead(), { "nmap-service-probes": `${dir}/nmap-service-probes` });
    const alone = await probeDbFor({ versionDb: `${dir}/nmap-service-probes`, datadir: dir });
    assert(!alone.probes.some((p) => p.name === "RedisInfo"));
  } finally {
    resetDataFilesRead();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("latin1Decode: one char per byte, every byte value its own code point", async () => {
  const { latin1Decode } = await import("./db.ts");
  const all = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
  const s = latin1Decode(all);
  assertEquals(s.length, 512);
  for (let i = 0; i < 512; i++) assertEquals(s.charCodeAt(i), i & 0xff);
  assertEquals(latin1Decode(new TextEncoder().encode("plain")), "plain");
});

const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";

Deno.test({
  name: "merged with nmap's file: Porthole's TLS hello survives, sent after all of nmap's probes",
  ignore: !haveTool(NMAP_PROBES),
  fn: async () => {
    const nmap = await loadProbeDb(NMAP_PROBES);
    const own = builtinProbeDb();
    const db = mergeProbeDbs(nmap, own);
    const find = (d: typeof db, name: string) => d.probes.find((p) => p.name === name)!;
    // nmap's TLSSessionReq is sent as nmap wrote it; Porthole's TLS 1.2 hello is a probe of its own.
    assertEquals(find(db, "TLSSessionReq").payload, find(nmap, "TLSSessionReq").payload);
    assertEquals(find(db, "PortholeTLSHello").payload, find(own, "PortholeTLSHello").payload);
    for (const port of [443, 993, 995, 64738]) {
      const merged = probeOrder(db, "tcp", port, INTENSITY_DEFAULT).map((p) => p.name);
      const nmapOnly = probeOrder(nmap, "tcp", port, INTENSITY_DEFAULT).map((p) => p.name);
      // Every probe nmap would send, in nmap's order, and only then Porthole's own.
      assertEquals(merged.slice(0, nmapOnly.length), nmapOnly, `port ${port}`);
      assert(merged.slice(nmapOnly.length).includes("PortholeTLSHello"), `port ${port}`);
    }
  },
});
