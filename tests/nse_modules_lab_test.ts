/**
 * nmap's C modules that Porthole's NSE has as its own (cli/scripts/pcre.ts, zlib.ts, openssl.ts),
 * against nmap 7.93's on the lab:
 *
 * - one prerule script that calls pcre, zlib, openssl's ciphers and lpeg (json, lpeg-utility)
 *   prints what nmap prints;
 * - nmap's http.lua reads a gzip-encoded page through zlib: http-title on an nginx that sends
 *   its pages gzip-compressed (gzip_static always) shows the compressed page's title, as nmap's;
 * - nmap's scripts on lpeg (lpeg-utility, json) run: banner, http-server-header (under -sV),
 *   ntp-info and snmp-info on real daemons print what nmap's print.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { type Daemon, DAEMONS, nginxDaemon, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { scriptsByPort, scriptXml } from "./testing/script_output.ts";
import { haveNmapScripts } from "./testing/nmap_hidden.ts";
import { LUA_SHOW } from "./testing/nse_prerule.ts";

/** Calls of the modules whose answers are the C libraries' own (no engine error texts). */
const PROBE = String.raw`local pcre = require "pcre"
local zlib = require "zlib"
local openssl = require "openssl"
local lpeg = require "lpeg"
local json = require "json"
local U = require "lpeg-utility"
description = [[Calls nmap's pcre, zlib, openssl and lpeg modules.]]
categories = {"safe"}
prerule = function() return true end
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
${LUA_SHOW}action = function()
  local C = "C"
  local re = pcre.new("(\\w+)@(?P<host>[a-z.]+)", 0, C)
  line(re:match("mail bob@example.org now"))
  line(re:match("mail bob@example.org now", 10))
  line(re:match("mail bob@example.org now", -3))
  line(re:exec("x a@b y"))
  line(pcre.new("^abc", 1, C):match("ABC"))
  line(pcre.new("^b", 0, C):match("abc", 2))
  line(pcre.new("(?<=a)b", 0, C):match("ab", 2))
  line(pcre.new("a.c", 4, C):match("a\nc"))
  line(pcre.new("^x$", 2, C):match("a\nx\nb"))
  line(pcre.new("a+", 0x200, C):match("aaa"))
  line(pcre.new("b", 0x10, C):match("ab"))
  line(pcre.new("b", 0x10, C):match("ab", 2))
  line(pcre.new("b", 0, C):match("abc", 1, 0x10))
  line(pcre.new("(a)|(b)", 0, C):match("b"))
  line(pcre.new("(a)|(b)", 0, C):exec("b"))
  line(pcre.new("(a+)+$", 0, C):match("aaaaaaaaaaaaaaaaaaaaaaab"))
  line(pcre.new("(\\d)\\1", 0, C):match("12 334", 3))
  local words = {}
  line(pcre.new("(\\w)(\\w*)", 0, C):gmatch("one two  three", function(m, t) words[#words + 1] = m .. ":" .. t[1] .. "/" .. t[2] end))
  line(table.concat(words, ","))
  line(pcre.new("\\w+", 0, C):gmatch("a b c d", function() end, 2))
  line(pcre.new("\\w+", 0, C):gmatch("a b c d", function(m) return m == "b" end))
  line(pcre.new("\\x00\\xff", 0, C):match("a\0\255b"))
  line(pcre.flags())
  line((pcall(pcre.new, "(", 0, C)))

  line(zlib.crc32(), zlib.adler32(), zlib.crc32(0, "hello"), zlib.adler32(1, "hello"))
  line(zlib.crc32(zlib.crc32(0, "hel"), "lo"), zlib.adler32(zlib.adler32(1, "hel"), "lo"))
  local c, code = zlib.compress("Hello, World! Hello, World!")
  line(hex(c), code)
  line(hex((zlib.compress("abcabcabc", 9))), hex((zlib.compress("abc", 6, 8, 31))), hex((zlib.compress("raw", 6, 8, -15))))
  line(zlib.decompress(c), zlib.decompress((zlib.compress("raw!", 6, 8, -15)), -15))
  line(pcall(zlib.decompress, "garbage!"))
  local gz = "\31\139\8\0\0\0\0\0\0\0\243\72\205\201\201\215\81\8\207\47\202\73\81\4\0\208\195\74\236\13\0\0\0"
  local s = zlib.inflate(gz)
  line(s:read("*a"), s:close())
  s = zlib.inflate(gz)
  line(s:read(4), s:read(4), s:read(100), s:read(1))
  s = zlib.inflate(c)
  line(s:read("*l"), s:read())
  s = zlib.inflate("")
  line(s:read("*a"), s:read(1))
  local ls = {}
  for l in zlib.inflate((zlib.compress("line1\r\nline2\nline3"))):lines() do ls[#ls + 1] = l end
  line(table.concat(ls, "|"))
  local chunks, i = { c:sub(1, 5), c:sub(6, 12), c:sub(13) }, 0
  line(zlib.inflate(function() i = i + 1 return chunks[i] end):read("*a"))
  line(pcall(function() return zlib.inflate("\31\139\8\0garbagegarbage"):read("*a") end))
  local sink = {}
  local d = zlib.deflate(function(x) sink[#sink + 1] = x end)
  d:write("Hello, ", "World!")
  d:write(" Hello, World!")
  line(d:close(), hex(table.concat(sink)))
  sink = {}
  d = zlib.deflate({ write = function(self, x) sink[#sink + 1] = x end }, 9, 8, 31)
  d:write("gzip me gzip me gzip me")
  d:close()
  line(hex(table.concat(sink)))
  line(zlib._VERSION, zlib.GZIP_WINDOWBITS, zlib.BEST_COMPRESSION, zlib.DEFAULT_STRATEGY)

  local key, iv = "0123456789abcdef", "ivivivIV"
  local ct = openssl.encrypt("cast5-cbc", key, iv, "sixteen byte msg", false)
  line(hex(ct), openssl.decrypt("cast5-cbc", key, iv, ct, false))
  ct = openssl.encrypt("CAST5-CBC", key:sub(1, 10), iv, "padded text", true)
  line(hex(ct), openssl.decrypt("cast5-cbc", key:sub(1, 10), iv, ct, true))
  line(hex(openssl.encrypt("cast5-ecb", key, nil, "8 bytes!")))
  line(hex(openssl.encrypt("rc4", "Key", nil, "Plaintext")), openssl.decrypt("rc4", "Key", nil, openssl.encrypt("rc4", "Key", nil, "Plaintext")))

  local P, S, R, V, C, Cc, Ct, Cg, Cs, Cf, Cp, Cb, Cmt, Carg = lpeg.P, lpeg.S, lpeg.R, lpeg.V,
    lpeg.C, lpeg.Cc, lpeg.Ct, lpeg.Cg, lpeg.Cs, lpeg.Cf, lpeg.Cp, lpeg.Cb, lpeg.Cmt, lpeg.Carg
  line(P"ab":match("abc"), P"ab":match("xab"), P(2):match("a"), P(-1):match(""), P(-2):match("a"))
  line(lpeg.match(C(R"az"^1) * ":" * C(R"09"^1), "abc:123x"), lpeg.match(Ct(C(1)^0), "xyz"))
  line(lpeg.match(Cs((P"a" / "b" + 1)^0), "banana"), lpeg.match(C(C"a" * C"b") / "%2%1%0", "ab"))
  line(lpeg.match(Cf(C(R"09"^1) * ("," * C(R"09"^1))^0, function(a, b) return tonumber(a) + tonumber(b) end), "1,2,3,4"))
  line(lpeg.match(Ct(Cg(C"k", "key") * Cg(Cc(1, 2)) * C"v"), "kv"), lpeg.match(Cp() * P"ab" * Cp(), "ab"))
  line(lpeg.match(Cg(C(R"az"^1), "w") * " " * Cb"w", "hi x"), lpeg.match(Carg(1) * Carg(2), "", 1, "x", "y"))
  line(lpeg.match(Cmt(C(R"09"^1), function(s, i, d) return i, tonumber(d) * 2 end), "21"))
  line(lpeg.match(P{ "S", S = "(" * V"S" * ")" + P"" }, "((()))"), lpeg.match(P{ "S", S = "(" * V"S" * ")" + P"" }, "(()"))
  line(lpeg.match((P"a" + P"b")^-2 * -1, "ab"), lpeg.match((P"a" + P"b")^-2 * -1, "aba"))
  line(lpeg.match(#C"a" * C(1), "ab"), lpeg.match(-P"a" * C(1), "ab"), lpeg.match(lpeg.B"a" * C"b", "ab", 2))
  line(lpeg.match(C(1) / {a = "A"}, "a"), lpeg.match(C(1) / {a = "A"}, "b"), lpeg.match(C(1) * C(1) / 2, "xy"))
  line(lpeg.match(P"abc", "xxabc", -3), lpeg.match(P"x", "x", 10), pcall(lpeg.match, C"a" / "%2", "a"))
  line(lpeg.match(Cs(C"a" * Cc"-" * C"b"), "ab"), lpeg.type(P"a"), lpeg.type("a"), lpeg.version())
  line(lpeg.match(Cg(C"x", "n") * Cmt(Cb"n", function(s, i, v) return i, v .. "!" end), "x"))
  line(lpeg.match(Ct(Cg(C"a", "k") * Cg(C"b", "k")), "ab").k, lpeg.match(Cs(P"a" / "%0%0" * Cc(7)), "a"))
  line(pcall(lpeg.match, lpeg.P(function(s, i) return 100 end), "xy"))
  line(pcall(lpeg.B, P"a"^1))
  line(pcall(lpeg.match, Cb"nope", "a"))
  line(lpeg.match(Cg(C"a", "g") * Cg(Cb"g" * C"b", "g") * Cb"g", "ab"))
  local l = lpeg.locale()
  line(lpeg.match(C(l.alpha^1) * l.space^1 * C(l.digit^1), "abc  123"), lpeg.match(C(l.punct^1), "!?."))
  line(json.parse('{"a": [1, 2.5, "x\\u0041"], "b": {"c": null, "d": true}, "e": false, "f": -3e2}'))
  line(U.split("a,b,,c", P","), U.caseless("Server"):match("SERVER"), U.anywhere(P"needle"):match("haystack with needle"))
  return "\n" .. table.concat(out, "\n")
end
`;

Deno.test({
  name:
    "nse modules lab: pcre, zlib, openssl ciphers and lpeg answer a script as nmap 7.93's C modules",
  ignore: missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsemod", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-nsemod-" });
    try {
      await Deno.writeTextFile(`${dir}/modules-probe.nse`, PROBE);
      const args = ["-n", "-Pn", "-p80", "--script", `${dir}/modules-probe.nse`, lab.target.v4];
      const theirs = await lab.nmap(args, { timeoutMs: 120_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await lab.porthole(args, { timeoutMs: 120_000 });
      assert.equal(ours.code, 0, ours.stderr);
      const expected = scriptsByPort(theirs.stdout).get(" modules-probe");
      assert.ok(expected && expected.split("\n").length > 60, theirs.stdout);
      assert.equal(scriptsByPort(ours.stdout).get(" modules-probe"), expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const PAGE = "<html><head><title>Served gzip-compressed</title></head><body>hi</body></html>\n";

/** nginx sending every page gzip-compressed, whatever the client accepts (gzip_static always). */
const NGINX_GZIP: Daemon = nginxDaemon(
  "nginx-gzip",
  { proto: "tcp", port: 80, service: "http", products: ["nginx"] },
  (c) => `listen 80; root ${c.dir}/www; gzip_static always;`,
  async (c) => {
    await Deno.mkdir(`${c.dir}/www`, { mode: 0o755 });
    // The plain file only names the page for the index module; the .gz is what is sent.
    await Deno.writeTextFile(`${c.dir}/www/index.html`, "<title>not compressed</title>\n");
    await Deno.writeFile(
      `${c.dir}/www/index.html.gz`,
      zlib.gzipSync(new TextEncoder().encode(PAGE)),
    );
    for (const f of ["www", "www/index.html", "www/index.html.gz"]) {
      await Deno.chmod(`${c.dir}/${f}`, f === "www" ? 0o755 : 0o644);
    }
  },
);

Deno.test({
  name: "nse modules lab: http-title reads nginx's gzip-encoded page through zlib, as nmap's",
  ignore: !haveNmapScripts || missingTools("nmap", "nginx").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using rl = await RealDaemonsLab.up({ tag: "nsegz", daemons: [NGINX_GZIP] });
    assert.deepEqual(rl.failed, []);
    const dir = await Deno.makeTempDir({ prefix: "ph-nsegz-" });
    try {
      const args = ["-n", "-Pn", "-p80", "--script", "http-title", rl.v4];
      const theirs = await rl.lab.nmap([...args, "-oX", `${dir}/nmap.xml`], {
        timeoutMs: 120_000,
      });
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(
        scriptsByPort(theirs.stdout).get("80/tcp http-title"),
        "Served gzip-compressed",
        theirs.stdout,
      );
      const ours = await rl.lab.porthole([...args, "-oX", `${dir}/ph.xml`], {
        timeoutMs: 120_000,
      });
      assert.equal(ours.code, 0, ours.stderr);
      assert.deepEqual(scriptsByPort(ours.stdout), scriptsByPort(theirs.stdout), ours.stdout);
      assert.deepEqual(
        scriptXml(await Deno.readTextFile(`${dir}/ph.xml`)),
        scriptXml(await Deno.readTextFile(`${dir}/nmap.xml`)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Values that change between two runs by nature: the server's clock and the agent's uptime. */
const blankClocks = (text: string) =>
  text.replace(/^(\s*(?:receive time stamp|snmpEngineTime): ).*$/gm, "$1*");

Deno.test({
  name:
    "nse modules lab: banner, http-server-header, ntp-info and snmp-info (nmap's, on lpeg) print nmap's output",
  ignore: !haveNmapScripts || missingTools("nmap").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const names = ["openssh", "vsftpd", "nginx", "chrony", "snmpd"];
    await using rl = await RealDaemonsLab.up({
      tag: "nselp",
      daemons: DAEMONS.filter((d) => names.includes(d.name)),
    });
    assert.deepEqual(rl.failed, []);
    const runs = [
      ["-sV", "--script", "banner,http-server-header", "-p", "21,22,80"],
      ["-sU", "--script", "ntp-info,snmp-info", "-p", "123,161"],
    ];
    for (const run of runs) {
      const args = ["-v", "-n", "-Pn", ...run, rl.v4];
      const theirs = await rl.lab.nmap(args, { timeoutMs: 300_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await rl.lab.porthole(args, { timeoutMs: 300_000 });
      assert.equal(ours.code, 0, ours.stderr);
      // nmap's scripts ran, not Porthole's built-in twins (named at -v when nmap's cannot load).
      assert.doesNotMatch(ours.stdout + ours.stderr, /cannot load here/);
      const outputs = (out: string) =>
        Object.fromEntries(
          [...scriptsByPort(out)].map(([k, v]) => [k, blankClocks(v)]).sort(),
        );
      const expected = outputs(theirs.stdout);
      assert.ok(Object.keys(expected).length >= 2, theirs.stdout);
      assert.deepEqual(outputs(ours.stdout), expected, ours.stdout);
    }
  },
});
