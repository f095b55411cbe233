/**
 * Porthole's lpeg module. The expected values are what nmap 7.93 (Debian's, LPeg 1.0.2) printed
 * for the same calls; tests/nse_modules_lab_test.ts compares with nmap itself on the lab.
 */
import assert from "node:assert/strict";
import { LUA_SHOW, preruleScript, runPrerule } from "../../tests/testing/nse_prerule.ts";
import { haveNmapFile, NMAP } from "../../tests/testing/nmap_files.ts";

const haveNselib = haveNmapFile("nselib/json.lua");

/** The calls' printer, and LPeg's constructors as locals. */
const SHOW =
  `${LUA_SHOW}local P, S, R, V, C, Cc, Ct, Cg, Cs, Cf, Cp, Cb, Cmt, Carg = lpeg.P, lpeg.S, lpeg.R, lpeg.V,
  lpeg.C, lpeg.Cc, lpeg.Ct, lpeg.Cg, lpeg.Cs, lpeg.Cf, lpeg.Cp, lpeg.Cb, lpeg.Cmt, lpeg.Carg
`;

async function lines(body: string, requires: string, dataDirs: string[] = []) {
  const out = await runPrerule(
    preruleScript(`${SHOW}${body}\nreturn table.concat(out, "\\n")`, requires),
    dataDirs,
  );
  return out.split("\n");
}

Deno.test("nse lpeg: patterns, captures and grammars give LPeg's values", async () => {
  const got = await lines(
    String.raw`
line(P"ab":match("abc"), P"ab":match("xab"), P(2):match("a"), P(-1):match(""), P(-2):match("a"))
line(lpeg.match(C(R"az"^1) * ":" * C(R"09"^1), "abc:123x"))
line(lpeg.match(Ct(C(1)^0), "xyz"))
line(lpeg.match(Cs((P"a" / "b" + 1)^0), "banana"))
line(lpeg.match(C(C"a" * C"b") / "%2%1%0", "ab"))
line(lpeg.match(Cf(C(R"09"^1) * ("," * C(R"09"^1))^0, function(a, b) return tonumber(a) + tonumber(b) end), "1,2,3,4"))
line(lpeg.match(Ct(Cg(C"k", "key") * Cg(Cc(1, 2)) * C"v"), "kv"))
line(lpeg.match(Cp() * P"ab" * Cp(), "ab"))
line(lpeg.match(Cg(C(R"az"^1), "w") * " " * Cb"w", "hi x"))
line(lpeg.match(Cmt(C(R"09"^1), function(s, i, d) return i, tonumber(d) * 2 end), "21"))
line(lpeg.match(Carg(1) * Carg(2), "", 1, "x", "y"))
line(lpeg.match(P{ "S", S = "(" * V"S" * ")" + P"" }, "((()))"), lpeg.match(P{ "S", S = "(" * V"S" * ")" + P"" }, "(()"))
line(lpeg.match((P"a" + P"b")^-2 * -1, "ab"), lpeg.match((P"a" + P"b")^-2 * -1, "aba"))
line(lpeg.match(#P"a" * C(1), "ab"), lpeg.match(-P"a" * C(1), "ab"), lpeg.match(#C"a" * C(1), "ab"))
line(lpeg.match(lpeg.B"a" * C"b", "ab", 2), lpeg.match(C(1) / {a = "A"}, "a"), lpeg.match(C(1) / {a = "A"}, "b"))
line(lpeg.match(C(1) * C(1) / 2, "xy"), lpeg.match(P"abc", "xxabc", -3), lpeg.match(P"x", "x", 10))
line(pcall(lpeg.match, C"a" / "%2", "a"))
line(lpeg.match(Cs(C"a" * Cc"-" * C"b"), "ab"), lpeg.type(P"a"), lpeg.type("a"), lpeg.version())
local l = lpeg.locale()
line(lpeg.match(C(l.alpha^1) * l.space^1 * C(l.digit^1), "abc  123"), lpeg.match(C(l.punct^1), "!?."))
-- (not "return P{…}": a tail call of Porthole's Lua P drops the caller's line, LPeg's C one keeps it)
line(pcall(function() local p = (P"a"^0)^0 return p end))
line(pcall(function() local p = P{ "S", S = V"S" * "a" } return p end))
line(pcall(function() local p = P{ "S", S = "x" } return p end))
line(pcall(function() local p = P{ P"x", y = "x" } return p end))
line(lpeg.match(Cg(C"x", "n") * Cmt(Cb"n", function(s, i, v) return i, v .. "!" end), "x"))
line(lpeg.match(Ct(Cg(C"a", "k") * Cg(C"b", "k")), "ab").k)
line(lpeg.match(Cs(P"a" / "%0%0" * Cc(7)), "a"))
line(lpeg.match(Cg(Cc(1) * Cc(2)) / function(...) return select("#", ...) end, ""))
line(lpeg.match(lpeg.P(function(s, i) return i + 1 end) * C(1), "xy"))
line(pcall(lpeg.match, lpeg.P(function(s, i) return 100 end), "xy"))
line(pcall(lpeg.B, P"a"^1))
line(pcall(lpeg.match, Cb"nope", "a"))
line(lpeg.match(Cg(C"a", "g") * Cg(Cb"g" * C"b", "g") * Cb"g", "ab"))
-- a rule that calls itself last runs in constant stack, however long the subject
line(lpeg.match(P{ P"needle" + 1 * V(1) }, string.rep("x", 200000) .. "needle"))`,
    `local lpeg = require "lpeg"`,
  );
  assert.deepEqual(got, [
    "3 nil nil 1 1",
    "'abc' '123'",
    "{1='x',2='y',3='z'}",
    "'bbnbnb'",
    "'aabab'",
    "10",
    "{1=1,2=2,3='v',key='k'}",
    "1 3",
    "'hi'",
    "42",
    "'x' 'y'",
    "7 1",
    "3 nil",
    "'a' nil 'a'",
    "'b' 'A' 2",
    "'y' 6 nil",
    "false 'invalid capture index (2)'",
    "'a-b' 'pattern' nil '1.0.2'",
    "'abc' '!?.'",
    "false 'module-test.nse:48: loop body may accept empty string'",
    "false 'module-test.nse:49: rule 'S' may be left recursive'",
    "false 'module-test.nse:50: initial rule 'S' is not a pattern'",
    "false 'module-test.nse:51: rule 'y' is not a pattern'",
    "'x!'",
    "'b'",
    "'aa7'",
    "2",
    "'y'",
    "false 'invalid position returned by match-time capture'",
    "false 'bad argument #1 to 'lpeg.B' (pattern may not have fixed length)'",
    "false 'back reference 'nope' not found'",
    "'a' 'b'",
    "200007",
  ]);
});

Deno.test({
  name: "nse lpeg: nselib's json, lpeg-utility and re run on it as on nmap's",
  ignore: !haveNselib,
  async fn() {
    const got = await lines(
      String.raw`
line(U.caseless("Server"):match("SERVER"), U.anywhere(P"needle"):match("haystack with needle"))
line(pcall(U.split, "a,b,,c", ","))
line(U.split("a,b,,c", P","))
line(U.escaped_quote():match([["quoted \"text\" here" rest]]))
line(U.get_response("SF-Port21-TCP:V=7.93%I=7%r(NULL,1C,\"220\\x20FTP\\x20server\\x20ready\\n\")%r(GenericLines,4,\"500\\n\");", "NULL"))
line(U.parse_fp("SF-Port21-TCP:V=7.93%I=7%r(NULL,1C,\"220\\x20FTP\")%r(GenericLines,5,\"500\");"))
line(U.atwordboundary(P"foo"):match("xfoo foo"))
line(json.parse('{"a": [1, 2.5, "x\\u0041"], "b": {"c": null, "d": true}, "e": false, "f": -3e2}'))
line(json.parse('[1, 2'))
line(re.match("hello world", "{%a+} ' ' {%a+}"), re.find("the number 42 is", "[0-9]+"), re.gsub("hello", "'l'", "L"))
line(re.match("k1=v1;k2=v2", "{| ({:key: [a-z0-9]+ :} '=' {[a-z0-9]+} ';'?)* |}"))`,
      `local lpeg = require "lpeg"
local json = require "json"
local U = require "lpeg-utility"
local re = require "re"`,
      [NMAP],
    );
    assert.deepEqual(got, [
      "7 21",
      // nmap's split hands lpeg.P a grammar with a string rule, which LPeg refuses.
      "false 'nselib/lpeg-utility.lua:56: rule 'sep' is not a pattern'",
      "'a' 'b' '' 'c'",
      `'quoted "text" here'`,
      "'220 FTP server ready",
      "'",
      "{GenericLines='500',NULL='220 FTP'}",
      "9",
      "true {a={1=1,2=2.5,3='xA'},b={c={},d=true},e=false,f=-300.0}",
      "false 'syntax error'",
      "'hello' 12 'heLLo'",
      "{1='v1',2='v2',key='k2'}",
    ]);
  },
});
