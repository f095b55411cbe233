import assert from "node:assert/strict";
import { missingTools } from "../../tests/_oracle.ts";
import { luaString, preruleScript, runPrerule } from "../../tests/testing/nse_prerule.ts";

const CASELESS = 1, MULTILINE = 2, DOTALL = 4, EXTENDED = 8, ANCHORED = 0x10;

/** One regex:exec call: pattern, compile flags, subject, start (1-based, negative from the end). */
interface Case {
  pattern: string;
  flags: number;
  subject: string;
  start?: number;
}

const CASES: Case[] = [
  { pattern: String.raw`(\w+)@(?P<host>[a-z.]+)`, flags: 0, subject: "mail bob@example.org now" },
  { pattern: String.raw`(\w+)@`, flags: 0, subject: "a@ bb@ ccc@", start: 4 },
  { pattern: String.raw`(\w+)@`, flags: 0, subject: "a@ bb@ ccc@", start: -4 },
  { pattern: "^abc", flags: CASELESS, subject: "xABC\nABC" },
  { pattern: "^abc", flags: CASELESS | MULTILINE, subject: "xABC\nABC" },
  { pattern: "^b", flags: 0, subject: "abc", start: 2 },
  { pattern: "(?<=a)b", flags: 0, subject: "ab", start: 2 },
  { pattern: String.raw`\bb`, flags: 0, subject: "ab b", start: 2 },
  { pattern: "a.c", flags: 0, subject: "a\nc abc" },
  { pattern: "a.c", flags: DOTALL, subject: "a\nc abc" },
  { pattern: "x$", flags: 0, subject: "x\nx\n" },
  { pattern: "x$", flags: MULTILINE, subject: "ax\nx\n" },
  { pattern: "a b # spaced\n c", flags: EXTENDED, subject: "xxabc" },
  { pattern: "b", flags: ANCHORED, subject: "ab" },
  { pattern: "b", flags: ANCHORED, subject: "ab", start: 2 },
  { pattern: "(a)|(b)", flags: 0, subject: "xb" },
  { pattern: String.raw`(\d)\1`, flags: 0, subject: "11 233 455", start: 3 },
  { pattern: "(a+)+$", flags: 0, subject: "aaaaaaaaaaaaaaaaaaaaaaaaab" },
  { pattern: "(a|b)*?c", flags: 0, subject: "ababbc" },
  { pattern: "(?>a+)b|(a)", flags: 0, subject: "aaa" },
  { pattern: String.raw`\x00[\x80-\xff]+`, flags: 0, subject: "a\u0000\u00ff\u0080b" },
  {
    pattern: String.raw`HTTP/1\.[01] (\d{3}) (.*?)\r\n`,
    flags: 0,
    subject: "HTTP/1.1 200 OK\r\nX: y\r\n",
  },
  {
    pattern: String.raw`(?i)server: ([^\r\n]+)`,
    flags: 0,
    subject: "HTTP/1.0 200\r\nSERVER: nginx\r\n",
  },
];

/** A case's bytes: one char per byte (Latin-1), as PCRE's byte mode sees it. */
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (s: string) => Array.from(bytes(s), (b) => b.toString(16).padStart(2, "0")).join("");

/** Perl's answer for each case: "start end s1 e1 …" (1-based as lrexlib's exec), or "nomatch". */
async function perlAnswers(cases: Case[]): Promise<string[]> {
  const script = String.raw`
use strict;
while (my $line = <STDIN>) {
  chomp $line;
  my ($pat, $flags, $subj, $start) = split / /, $line;
  $pat = pack("H*", $pat); $subj = pack("H*", $subj);
  my $mods = ($flags & 1 ? "i" : "") . ($flags & 2 ? "m" : "") . ($flags & 4 ? "s" : "") . ($flags & 8 ? "x" : "");
  my $re = ($flags & 16) ? qr/(?$mods)\G(?:$pat)/ : qr/(?$mods)(?:$pat)/;
  my $len = length $subj;
  my $off = $start > 0 ? $start - 1 : $start < 0 ? ($len + $start < 0 ? 0 : $len + $start) : 0;
  pos($subj) = $off;
  if ($subj =~ /$re/gc) {
    my @out = ($-[0] + 1, $+[0]);
    for my $i (1 .. $#-) { push @out, defined $-[$i] ? ($-[$i] + 1, $+[$i]) : ("false", "false") }
    for my $i ($#- + 1 .. $#+) { push @out, "false", "false" }
    print join(" ", @out), "\n";
  } else { print "nomatch\n" }
}`;
  const p = new Deno.Command("perl", { args: ["-e", script], stdin: "piped", stdout: "piped" })
    .spawn();
  const w = p.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      cases.map((c) => `${hex(c.pattern)} ${c.flags} ${hex(c.subject)} ${c.start ?? 1}\n`).join(""),
    ),
  );
  await w.close();
  const out = await p.output();
  assert.ok(out.success);
  return new TextDecoder().decode(out.stdout).trimEnd().split("\n");
}

/** Porthole's pcre module's answers to the same calls (regex:exec). */
async function nseAnswers(cases: Case[]): Promise<string[]> {
  const calls = cases.map((c) =>
    `run(${luaString(bytes(c.pattern))}, ${c.flags}, ${luaString(bytes(c.subject))}, ${
      c.start ?? 1
    })`
  ).join("\n");
  const out = await runPrerule(preruleScript(
    `local out = {}
local function run(pat, flags, subj, start)
  local s, e, t = pcre.new(pat, flags, "C"):exec(subj, start)
  if not s then out[#out + 1] = "nomatch" return end
  local r = { s, e }
  for _, v in ipairs(t) do r[#r + 1] = tostring(v) end
  out[#out + 1] = table.concat(r, " ")
end
${calls}
return table.concat(out, "\\n")`,
    `local pcre = require "pcre"`,
  ));
  return out.split("\n");
}

Deno.test({
  name:
    "nse pcre: regex:exec offsets and groups equal Perl's for the same pattern, flags and start",
  ignore: missingTools("perl").length > 0,
  async fn() {
    const [perl, ours] = await Promise.all([perlAnswers(CASES), nseAnswers(CASES)]);
    for (let i = 0; i < CASES.length; i++) {
      assert.equal(ours[i], perl[i], JSON.stringify(CASES[i]));
    }
  },
});

Deno.test("nse pcre: match's captures, names, gmatch and errors as nmap's lrexlib", async () => {
  const out = await runPrerule(preruleScript(
    `local out = {}
local re = pcre.new("(\\\\w+)@(?P<host>[a-z.]+)|(zz)", 0, "C")
local s, e, t = re:match("to: bob@example.org")
out[#out + 1] = table.concat({ s, e, t[1], t.host, tostring(t[3]) }, " ")
local words = {}
local n = pcre.new("(\\\\w)(\\\\w*)", 0):gmatch("one two  three", function(m, c)
  words[#words + 1] = m .. ":" .. c[1] .. c[2]
end)
out[#out + 1] = n .. " " .. table.concat(words, ",")
out[#out + 1] = pcre.new("\\\\w+", 0):gmatch("a b c d", function() end, 2)
out[#out + 1] = pcre.new("\\\\w+", 0):gmatch("a b c d", function(m) return m == "b" end)
-- An empty match is stepped past instead of matched forever.
out[#out + 1] = pcre.new("x*", 0):gmatch("axxb", function() end)
out[#out + 1] = tostring(pcre.new("a+", pcre.flags().UNGREEDY):match("aaa"))
-- A start past the end is no match (nothing returned), as pcre_exec's bad offset.
out[#out + 1] = select("#", pcre.new("b", 0):match("abc", 10))
out[#out + 1] = select(2, pcall(pcre.new, "(", 0))
out[#out + 1] = select(2, pcall(pcre.new, "a", pcre.flags().UTF8))
out[#out + 1] = tostring(pcre.new("a\\0b", 0):match("zab"))
return table.concat(out, "|")`,
    `local pcre = require "pcre"`,
  ));
  const lines = out.split("|");
  assert.deepEqual(lines.slice(0, 7), [
    "5 19 bob example.org false",
    "3 one:one,two:two,three:three",
    "2",
    "2",
    "4",
    "1",
    "0",
  ]);
  assert.match(lines[7]!, /missing \)/);
  assert.match(lines[8]!, /option 0x800 is not supported/);
  // pcre_compile reads the pattern up to its first NUL: "a".
  assert.equal(lines[9], "2");
});
