/**
 * The fingerprint corpus replayed: real daemons' recorded answers (tests/data/real-daemons.json,
 * from `deno task lab:capture`) through Porthole's service matcher, with no daemon and no root,
 * scored against ground truth. Run with: deno test --allow-read tests/lab/replay_test.ts
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { builtinProbeDb, loadProbeDb, mergeProbeDbs } from "../../cli/service/db.ts";
import { parseProbeDb, type ProbeDb } from "../../cli/service/probe_db.ts";
import { haveTool } from "../_oracle.ts";
import {
  type CorpusPort,
  probeKey,
  probeKeys,
  readCorpus,
  replayPort,
  type Reply,
  sameAnswer,
  scoreAnswer,
  tally,
  toBase64,
  type Truth,
} from "./replay.ts";

const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";
const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => toBase64(enc(s));

Deno.test("replay: scoring against ground truth", () => {
  const t: Truth = { service: "ssh", products: ["OpenSSH"], version: "9.2p1" };
  const s = (a: Parameters<typeof scoreAnswer>[0]) => scoreAnswer(a, t);
  assertEquals(
    s({ service: "ssh", product: "OpenSSH", version: "9.2p1 Debian 2+deb12u3" }),
    "full",
  );
  assertEquals(s({ service: "ssh", product: "OpenSSH" }), "product");
  assertEquals(s({ service: "ssh" }), "name");
  assertEquals(s({ state: "nomatch" }), "none");
  assertEquals(s({ service: "ssh?" }), "none");
  assertEquals(s({ service: "http", product: "OpenSSH" }), "wrong");
  assertEquals(s({ service: "ssh", product: "Dropbear sshd" }), "wrong");
  assertEquals(s({ service: "ssh", product: "OpenSSH", version: "9.2" }), "wrong");
  assertEquals(s({ service: "ssh", product: "OpenSSH", version: "19.2p1" }), "wrong");
  const pg: Truth = { service: "postgresql", products: ["PostgreSQL DB"], version: "15.8" };
  assertEquals(
    scoreAnswer({ service: "postgresql", product: "PostgreSQL DB", version: "9.6.0 or later" }, pg),
    "product",
  );
  const maria: Truth = { service: "mysql", products: ["MariaDB", "MySQL"], version: "10.11.6" };
  assertEquals(
    scoreAnswer(
      { service: "mysql", product: "MySQL", version: "5.5.5-10.11.6-MariaDB-0+deb12u1" },
      maria,
    ),
    "full",
  );
  const ldap: Truth = { service: "ldap", products: ["OpenLDAP"], version: "2.5.13" };
  assertEquals(
    scoreAnswer({ service: "ldap", product: "OpenLDAP", version: "2.2.X - 2.3.X" }, ldap),
    "wrong",
  );
  const echo: Truth = { service: "echo", products: [], version: "0.20160825", noVersion: true };
  assertEquals(scoreAnswer({ service: "echo" }, echo), "full");
  assertEquals(scoreAnswer({ service: "microsoft-ds", product: "SMB 1 server" }, echo), "wrong");
  assert(
    sameAnswer({ service: "ssh", product: "OpenSSH", info: "a" }, {
      service: "ssh",
      product: "OpenSSH",
    }),
  );
  assert(!sameAnswer({ service: "ssh", version: "1" }, { service: "ssh" }));
  assert(sameAnswer({ state: "nomatch" }, undefined));
  assertEquals(scoreAnswer({ state: "tcpwrapped", service: "tcpwrapped" }, t), "none");
});

Deno.test("replay: probe keys", () => {
  assertEquals(probeKey(new Uint8Array()), "null");
  assertEquals(probeKey(enc("GET / HTTP/1.0\r\n\r\n")), probeKey(enc("GET / HTTP/1.0\r\n\r\n")));
  assert(probeKey(enc("a")) !== probeKey(enc("b")));
  assertEquals(probeKey(enc("a")).length, 16);
});

const MINI = `Probe TCP NULL q||
match ssh m|^SSH-2\\.0-X_([\\d.]+)| p/X sshd/ v/$1/
softmatch ftp m|^220 |

Probe TCP SSLSessionReq q|\\x16\\x03|
rarity 1
match ssl m|^\\x16\\x03|

Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
rarity 1
match http m|^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: Z/([\\d.]+)|s p/Z httpd/ v/$1/

Probe TCP Help q|HELP\\r\\n|
rarity 1
match ftp m|^220 .*\\r\\n214 Y ([\\d.]+)|s p/Yftpd/ v/$1/
`;

Deno.test("replay: the engine's order on recorded replies (NULL, tcpwrapped, softmatch, TLS)", () => {
  const db = parseProbeDb(MINI, "mini");
  const keys = probeKeys(db);
  const key = (name: string) => keys.get(db.probes.find((p) => p.name === name)!)!;
  type Raw = Record<string, [string, 0 | 1] | [string, 0 | 1, number]>;
  const port = (plain: Raw, tls?: Raw): CorpusPort => {
    const blobs: string[] = [];
    const layer = (raw: Raw) =>
      Object.fromEntries(
        Object.entries(raw).map(([k, [b, c, ms]]) => {
          if (b !== "" && !blobs.includes(b)) blobs.push(b);
          const r: Reply = ms === undefined
            ? [b === "" ? -1 : blobs.indexOf(b), c]
            : [b === "" ? -1 : blobs.indexOf(b), c, ms];
          return [k, r];
        }),
      );
    return {
      daemon: "d",
      pkg: "p",
      pkgVersion: "1",
      proto: "tcp",
      port: 4000,
      truth: { service: "x", products: [], version: "1" },
      plain: layer(plain),
      ...(tls ? { tls: layer(tls) } : {}),
      blobs,
    };
  };
  // A banner: the NULL probe decides.
  assertEquals(replayPort(db, keys, port({ null: [b64("SSH-2.0-X_1.5\r\n"), 0] })).version, "1.5");
  // Closed without a byte: tcpwrapped when it came before tcpwrappedms, else silence.
  assertEquals(replayPort(db, keys, port({ null: ["", 1, 40] })).state, "tcpwrapped");
  assertEquals(replayPort(db, keys, port({ null: ["", 1, 5000] })).state, "nomatch");
  // Soft ftp from the banner: GetRequest (no ftp lines) is skipped, Help names it.
  const ftp = replayPort(
    db,
    keys,
    port({
      null: [b64("220 hi\r\n"), 0],
      [key("GetRequest")]: [b64("HTTP/1.0 200 OK\r\nServer: Z/2\r\n\r\n"), 1],
      [key("Help")]: [b64("220 hi\r\n214 Y 3.1\r\n"), 0],
    }),
  );
  assertEquals([ftp.service, ftp.product, ftp.version], ["ftp", "Yftpd", "3.1"]);
  // Without Help's reply, the softmatch is the answer.
  const soft = replayPort(db, keys, port({ null: [b64("220 hi\r\n"), 0] }));
  assertEquals([soft.state, soft.service], ["soft", "ftp"]);
  // TLS: the ssl match sends the replay into the replies recorded through TLS.
  const tls = replayPort(
    db,
    keys,
    port(
      { [key("SSLSessionReq")]: [toBase64(new Uint8Array([0x16, 0x03, 0x03])), 1] },
      { [key("GetRequest")]: [b64("HTTP/1.1 404 No\r\nServer: Z/7.0\r\n\r\n"), 0] },
    ),
  );
  assertEquals([tls.service, tls.version, tls.tunnel], ["http", "7.0", "ssl"]);
  // Silence everywhere.
  assertEquals(replayPort(db, keys, port({ null: ["", 0] })).state, "nomatch");
});

const corpus = await readCorpus();

Deno.test("replay: the corpus holds at least 50 distinct real daemons, each with ground truth", () => {
  const daemons = new Set(corpus.ports.map((p) => p.daemon));
  assert(daemons.size >= 50, `only ${daemons.size} daemons`);
  assert(corpus.ports.some((p) => p.proto === "udp"), "no UDP port");
  for (const p of corpus.ports) {
    assert(p.truth.version.length > 0 && /\d/.test(p.truth.version), `${p.daemon}: no version`);
    assert(!/^\d+:|-\d+$/.test(p.truth.version), `${p.daemon}: ${p.truth.version} is not upstream`);
  }
  // Nearly every TCP port answered or closed on some probe (discard, for one, never does).
  const tcp = corpus.ports.filter((p) => p.proto === "tcp");
  const silent = tcp.filter((p) =>
    !Object.values(p.plain).some((r) => r[0] >= 0 || r[1] === 1) && !p.tls
  );
  assert(silent.length <= tcp.length / 10, `silent: ${silent.map((p) => p.port).join(",")}`);
});

/**
 * The figures the built-in database must keep (or beat) on the corpus: more full answers than
 * nmap 7.93 gives with its own database there (28 TCP / 4 UDP), and no wrong one (nmap: 7 / 1).
 */
const BUILTIN_FLOOR = { tcpFull: 34, udpFull: 6, wrongAtMost: 0 };

Deno.test("replay: Porthole's built-in database against ground truth", () => {
  const db = builtinProbeDb();
  const keys = probeKeys(db);
  const { tally: t, rows } = tally(corpus, (p) => replayPort(db, keys, p));
  const wrong = t.tcp.wrong + t.udp.wrong;
  console.log(`built-in: ${JSON.stringify(t)}`);
  for (const r of rows.filter((r) => r.score === "wrong")) {
    console.log(
      `  wrong: ${r.port.proto}/${r.port.port} ${r.port.daemon}: ${JSON.stringify(r.answer)}`,
    );
  }
  assert(t.tcp.full >= BUILTIN_FLOOR.tcpFull, `TCP full ${t.tcp.full} < ${BUILTIN_FLOOR.tcpFull}`);
  assert(t.udp.full >= BUILTIN_FLOOR.udpFull, `UDP full ${t.udp.full} < ${BUILTIN_FLOOR.udpFull}`);
  assert(wrong <= BUILTIN_FLOOR.wrongAtMost, `wrong ${wrong} > ${BUILTIN_FLOOR.wrongAtMost}`);
});

/**
 * On how many ports nmap named, `db`'s replayed answer is nmap's recorded one; logs the tally
 * and each port that differs.
 */
function exactVsNmap(label: string, db: ProbeDb): number {
  const keys = probeKeys(db);
  const { tally: t, rows } = tally(corpus, (p) => replayPort(db, keys, p));
  const named = rows.filter((r) => r.port.nmap?.service);
  const differ = named.filter((r) => !sameAnswer(r.answer, r.port.nmap));
  const exact = named.length - differ.length;
  console.log(`${label}: ${JSON.stringify(t)}; exact-vs-nmap ${exact}/${named.length}`);
  for (const r of differ) {
    console.log(
      `  differs: ${r.port.proto}/${r.port.port} ${r.port.daemon}: replay ${
        JSON.stringify(r.answer)
      } nmap ${JSON.stringify(r.port.nmap)}`,
    );
  }
  return exact;
}

Deno.test({
  name: "replay: nmap's database on the recorded replies gives nmap's own -sV answers",
  ignore: !haveTool(NMAP_PROBES) || !corpus.nmapVersion,
  fn: async () => {
    const db = await loadProbeDb(NMAP_PROBES);
    const withNmap = corpus.ports.filter((p) => p.nmap?.service);
    // What differs is mostly nmap's version scripts (rpc-grind, murmur-version, stun-version,
    // mqtt-subscribe), which -sV runs and a probe file cannot hold.
    const exact = exactVsNmap("nmap db", db);
    // The replay is only as good as it reproduces the engine it models: nmap's answers from
    // nmap's data, on (nearly) every port.
    assert(exact >= Math.ceil(withNmap.length * 0.8), `${exact}/${withNmap.length}`);
  },
});

Deno.test({
  name: "replay: nmap's data merged with Porthole's names what nmap names as nmap does, and more",
  ignore: !haveTool(NMAP_PROBES) || !corpus.nmapVersion,
  fn: async () => {
    const nmap = await loadProbeDb(NMAP_PROBES);
    const merged = mergeProbeDbs(nmap, builtinProbeDb());
    const nmapKeys = probeKeys(nmap);
    const mergedKeys = probeKeys(merged);
    const { rows } = tally(corpus, (p) => replayPort(merged, mergedKeys, p));
    // Every answer nmap gave that its own data gives on the replay, the merge gives too.
    assert(exactVsNmap("merged", merged) >= exactVsNmap("nmap db", nmap));
    for (const r of rows) {
      const alone = replayPort(nmap, nmapKeys, r.port);
      const where = `${r.port.proto}/${r.port.port} ${r.port.daemon}`;
      // Where nmap's data names the port, the merge names it in exactly those words; where nmap
      // only softmatches (PostgreSQL), Porthole's probes, sent after nmap's, may still name it,
      // keeping every word of nmap's softmatch ("PostgreSQL DB 9.6.0 or later").
      if (alone.state === "hard") assertEquals(r.answer, alone, where);
      else if (alone.service) {
        assertEquals(r.answer?.service, alone.service, where);
        for (const k of ["product", "version", "info"] as const) {
          if (alone[k] !== undefined) assertEquals(r.answer?.[k], alone[k], `${where} ${k}`);
        }
      } // Where it does not, whatever the merge names is right. (Varnish answers nmap's RTSP probe
      // with an HTTP status line, which Porthole's bare line names "http"; the corpus says
      // "http-proxy".)
      else if (where !== "tcp/6081 varnish") {
        assert(r.score !== "wrong", `${where}: ${JSON.stringify(r.answer)}`);
      }
    }
    // Dovecot's IMAPS and POP3S: no answer to nmap's TLS hellos, a ServerHello to Porthole's.
    for (const port of [993, 995]) {
      const r = rows.find((r) => r.port.proto === "tcp" && r.port.port === port)!;
      assertEquals(replayPort(nmap, nmapKeys, r.port).service, undefined, `${port}`);
      assertEquals(r.answer?.tunnel, "ssl", `${port}`);
      assert(
        ["full", "product"].includes(r.score),
        `${port}: ${r.score} ${JSON.stringify(r.answer)}`,
      );
    }
  },
});
