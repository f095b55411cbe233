import { assert, assertEquals, assertThrows } from "../../tests/testing/assert.ts";
import { isLinearSafe, parsePcre, PcreError, requiredLiterals, toJsRegExp } from "./pcre.ts";
import { compileVm, MatchLimitError } from "./pcre_vm.ts";
import { compileRegex, makeSubject } from "./regex.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Match result as [start,end] pairs per group, via both engines (they must agree). */
function run(pattern: string, flags: string, subject: string): Array<[number, number]> | null {
  const p = parsePcre(pattern, flags);
  const vm = compileVm(p).exec(bytes(subject));
  const t = toJsRegExp(p);
  const m = new RegExp(t.source, "d").exec(subject);
  const fromJs = m
    ? Array.from({ length: p.groups + 1 }, (_, g) => {
      const span = m.indices![g === 0 ? 0 : t.groupMap[g]!];
      return (span ? [span[0], span[1]] : [-1, -1]) as [number, number];
    })
    : null;
  const fromVm = vm
    ? Array.from(
      { length: p.groups + 1 },
      (_, g) => [vm[2 * g]!, vm[2 * g + 1]!] as [number, number],
    )
    : null;
  assertEquals(
    fromVm,
    fromJs,
    `engines disagree on /${pattern}/${flags} against ${JSON.stringify(subject)}`,
  );
  return fromVm;
}

const matches = (pattern: string, flags: string, subject: string) =>
  run(pattern, flags, subject) !== null;

Deno.test("pcre: dot excludes only \\n (JavaScript's also excludes \\r)", () => {
  assert(matches("^a.b$", "", "a\rb"));
  assert(!matches("^a.b$", "", "a\nb"));
  assert(matches("^a.b$", "s", "a\nb"));
});

Deno.test("pcre: $ and \\Z match before a final newline, \\z only at the end", () => {
  assert(matches("^abc$", "", "abc\n"));
  assert(!matches("^abc$", "", "abc\n\n"));
  assert(matches("^abc\\Z", "", "abc\n"));
  assert(!matches("^abc\\z", "", "abc\n"));
  assert(matches("^abc\\z", "", "abc"));
  assert(matches("\\Aabc", "", "abc"));
});

Deno.test("pcre: \\s is PCRE's set (no 0xA0), \\h and \\v are whitespace classes", () => {
  assert(matches("^a\\sb", "", "a\x0bb"));
  assert(!matches("^a\\sb", "", "a\xa0b"));
  assert(matches("^a\\Sb", "", "a\xa0b"));
  assert(matches("^a[\\S]b", "", "a\xa0b"));
  assert(matches("^a\\hb", "", "a\xa0b"));
  assert(matches("^a\\vb", "", "a\x85b"));
  assert(!matches("^a\\vb", "", "a b"));
});

Deno.test("pcre: case folding is ASCII only; inline flags are scoped", () => {
  assert(matches("^hello", "i", "HeLLo"));
  assert(!matches("^\\xe0", "i", "\xc0"));
  assert(matches("^a(?i)b", "", "aB"));
  assert(!matches("^a(?i)b", "", "AB"));
  assert(matches("^(?i:a)b", "", "Ab"));
  assert(!matches("^(?i:a)b", "", "AB"));
  assert(matches("^(a(?i)b|c)", "", "C"), "(?i) reaches later alternatives of its group");
  assert(matches("^(?s:a.b)", "", "a\nb"));
  assert(matches("^(?i-i:a)", "", "a"));
  assert(matches("^(?x) a b  # comment\n c", "", "abc"));
});

Deno.test("pcre: classes: leading ], POSIX names, escapes, ranges, negation with i", () => {
  assert(matches("^[]a]+$", "", "]a]"));
  assert(matches("^[^]]+$", "", "abc"));
  assert(!matches("^[^]]+$", "", "a]c"));
  assert(matches("^[[:alpha:]]+[[:digit:]]+$", "", "abc123"));
  assert(matches("^[[:^digit:]]+$", "", "abc"));
  assert(matches("^[\\x41-\\x43]+$", "", "ABC"));
  assert(matches("^[a\\-z]+$", "", "a-z"));
  assert(matches("^[\\w.-]+$", "", "a.b-c_d"));
  assert(matches("^[a-]$", "", "-"));
  assert(!matches("^[^a]$", "i", "A"));
  assert(matches("^[\\b]$", "", "\x08"));
  assert(matches("^[\\101]$", "", "A"), "octal in a class");
});

Deno.test("pcre: octal and NUL escapes (\\0, \\012, \\x00), \\x with one digit, \\x{}", () => {
  assert(matches("^a\\0b$", "", "a\0b"));
  assert(matches("^a\\012b$", "", "a\nb"));
  assert(matches("^a\\x006$", "", "a\x006"));
  assert(matches("^\\x9$", "", "\t"));
  assert(matches("^\\x{41}$", "", "A"));
  assert(matches("^\\e\\a\\cA$", "", "\x1b\x07\x01"));
  assertThrows(() => parsePcre("\\x{100}"), PcreError, "too large");
});

Deno.test("pcre: back references, \\10 as octal when there are fewer groups", () => {
  assert(matches("^(a+)-\\1$", "", "aa-aa"));
  assert(!matches("^(a+)-\\1$", "", "aa-a"));
  assert(matches("^(a)\\10$", "", "a\x08"), "\\10 with one group is octal 010 (backspace)");
  assert(matches("^(?i)(a)\\1$", "", "aA"), "caseless back reference");
  assert(matches("^(?P<x>ab)(?P=x)$", "", "abab"));
  assert(matches("^(?<x>ab)\\k<x>$", "", "abab"));
  assert(matches("^(ab)\\g{-1}$", "", "abab"));
  const r = run("^(x)?y\\1?$", "", "y");
  assert(r !== null);
});

Deno.test("pcre: possessive quantifiers and atomic groups do not backtrack", () => {
  assert(!matches("^a*+a", "", "aaa"));
  assert(matches("^a*a", "", "aaa"));
  assert(!matches("^(?>a+)a", "", "aaa"));
  assert(matches("^\\*+x", "", "**x"), "\\*+ is an escaped star, repeated");
  assert(matches("^(?>ab|a)c", "", "abc"));
  assert(!matches("^(?>a|ab)c", "", "abc"));
  // Captures keep PCRE numbering even though the translation adds groups.
  assertEquals(run("^(?>(a))(b)", "", "ab"), [[0, 2], [0, 1], [1, 2]]);
  assertEquals(run("^a++(b)", "", "aab"), [[0, 3], [2, 3]]);
});

Deno.test("pcre: lookarounds, word boundaries, \\Q..\\E, comments, \\R", () => {
  assert(matches("^foo(?=bar)", "", "foobar"));
  assert(!matches("^foo(?!bar)", "", "foobar"));
  assert(matches("(?<=\\d)px", "", "12px"));
  assert(!matches("(?<!\\d)px", "", "12px"));
  assert(matches("(?<=ab|c)d", "", "abd"));
  assert(matches("\\bword\\b", "", "a word."));
  assert(!matches("\\bword\\b", "", "awords"));
  assert(matches("^\\Qa.b*\\E$", "", "a.b*"));
  assert(!matches("^\\Qa.b\\E$", "", "axb"));
  assert(matches("^a(?#note)b$", "", "ab"));
  assert(matches("^a\\Rb$", "", "a\r\nb"));
});

Deno.test("pcre: quantifier forms, lazy repeats and literal braces", () => {
  assertEquals(run("^a{2,3}", "", "aaaa"), [[0, 3]]);
  assertEquals(run("^a{2,3}?", "", "aaaa"), [[0, 2]]);
  assertEquals(run("^a{2,}", "", "aaaa"), [[0, 4]]);
  assert(matches("^a{,3}$", "", "a{,3}"), "{,3} is literal in PCRE 8/10.42");
  assert(matches("^x{$", "", "x{"));
  assertEquals(run("<(.+?)>", "", "<a><b>"), [[0, 3], [1, 2]]);
  // PCRE keeps a capture from an earlier iteration (JavaScript resets it, so
  // such patterns run on the interpreter).
  const vm = compileVm(parsePcre("^(?:(a)|b)+$")).exec(bytes("ab"));
  assertEquals(vm && Array.from(vm), [0, 2, 0, 1]);
  assert(!isLinearSafe(parsePcre("^(?:(a)|b)+$")));
});

Deno.test("pcre: syntax errors and unsupported features are reported", () => {
  assertThrows(() => parsePcre("(abc"), PcreError, "missing )");
  assertThrows(() => parsePcre("abc)"), PcreError, "unmatched )");
  assertThrows(() => parsePcre("[abc"), PcreError, "missing terminating ]");
  assertThrows(() => parsePcre("*a"), PcreError);
  assertThrows(() => parsePcre("a{3,2}"), PcreError, "out of order");
  assertThrows(() => parsePcre("\\2(a)"), PcreError, "non-existent");
  assertThrows(() => parsePcre("[z-a]"), PcreError, "out of order");
  assertThrows(() => parsePcre("\\q"), PcreError, "unrecognized escape");
  const e = assertThrows(() => parsePcre("(?(1)a|b)"), PcreError);
  assert(e.unsupported, "conditionals are valid PCRE we do not implement");
  assert(assertThrows(() => parsePcre("(?R)"), PcreError).unsupported);
  assert(assertThrows(() => parsePcre("\\p{L}"), PcreError).unsupported);
});

Deno.test("pcre: required literals are sound (lower-cased, from mandatory parts only)", () => {
  assertEquals(requiredLiterals(parsePcre("^SSH-([\\d.]+)-OpenSSH_([\\w.]+)")), [
    "ssh-",
    "-openssh_",
  ]);
  assertEquals(requiredLiterals(parsePcre("^(?:foo|bar)baz")), ["baz"]);
  assertEquals(requiredLiterals(parsePcre("^(?:quux)?xyz")), ["xyz"]);
  assertEquals(requiredLiterals(parsePcre("Server: nginx", "i")), ["server: nginx"]);
  // Every literal must appear in anything the pattern matches.
  const p = parsePcre("^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: Apache/([\\d.]+)", "s");
  const subject = "HTTP/1.1 200 OK\r\nServer: Apache/2.4.7";
  for (const lit of requiredLiterals(p)) assert(subject.toLowerCase().includes(lit), lit);
});

Deno.test("pcre: shapes that can backtrack exponentially go to the interpreter", () => {
  assert(isLinearSafe(parsePcre("^SSH-([\\d.]+)-OpenSSH_([\\w.]+)\\r\\n")));
  assert(!isLinearSafe(parsePcre("^(a+)+$")));
  assert(!isLinearSafe(parsePcre("^(?:[^\\r\\n]*\\r\\n)*?Server:")));
  assert(!isLinearSafe(parsePcre("^.*a.*b")), "two ambiguous unbounded repeats");
  assert(isLinearSafe(parsePcre("^([\\d.]+)-(\\w+)\\r\\n")), "repeats stopped by a disjoint byte");
  assert(!isLinearSafe(parsePcre("^(?:(a)b)+")), "a capture inside a repeat");
  assert(!isLinearSafe(parsePcre("^(a)\\1")), "back references");
  assertEquals(compileRegex("^(a+)+$", "").engine, "vm");
  assertEquals(compileRegex("^abc", "").engine, "js");
});

Deno.test("pcre vm: a regex bomb stops at the step budget instead of hanging", () => {
  const vm = compileVm(parsePcre("^(a+)+$"));
  const subject = bytes("a".repeat(40) + "!");
  const t0 = performance.now();
  assertThrows(() => vm.exec(subject, 100_000), MatchLimitError);
  assert(performance.now() - t0 < 2000, "bounded time");
  // The same pattern still matches quickly where it should.
  assert(vm.exec(bytes("aaaa")) !== null);
});

Deno.test("pcre vm: deep inputs end in a limit error, not a crash", () => {
  const vm = compileVm(parsePcre("^(?:a\\0)+$"));
  const long = bytes("a\0".repeat(100_000));
  try {
    vm.exec(long, 50_000_000);
  } catch (e) {
    assert(e instanceof MatchLimitError, String(e));
  }
});

Deno.test("regex: the literal pre-filter rejects without running either engine", () => {
  const re = compileRegex("^(a+)+Server: x$", "");
  // No "server: x" in the subject: no interpreter steps at all, even with a bomb-shaped input.
  assertEquals(re.exec(makeSubject(bytes("a".repeat(5000))), 10), null);
  assertEquals(re.lastSteps, 0);
});
