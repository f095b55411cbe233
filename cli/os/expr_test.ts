import { assertEquals } from "../../tests/testing/assert.ts";
import { compileExpr, matchesExpr, observed, strtol16 } from "./expr.ts";

Deno.test("strtol16 reads like C's strtol(s, &end, 16), truncated to 32 bits", () => {
  assertEquals(strtol16("1F"), { value: 0x1f, end: 2 });
  assertEquals(strtol16("5B4ST"), { value: 0x5b4, end: 3 });
  assertEquals(strtol16(""), { value: 0, end: 0 });
  assertEquals(strtol16("G"), { value: 0, end: 0 });
  assertEquals(strtol16("0x10"), { value: 16, end: 4 });
  assertEquals(strtol16("0xZ"), { value: 0, end: 1 });
  assertEquals(strtol16("-1"), { value: 0xffffffff, end: 2 });
  assertEquals(strtol16("123456789"), { value: 0x23456789, end: 9 });
  // Past LONG_MAX strtol saturates; 32 bits of LONG_MAX are all ones.
  assertEquals(strtol16("FFFFFFFFFFFFFFFFFF").value, 0xffffffff);
  assertEquals(strtol16("x A", 1), { value: 10, end: 3 });
});

Deno.test("observed values: numeric when wholly hexadecimal, the empty value as 0", () => {
  assertEquals(observed("FE88"), { text: "FE88", numeric: true, num: 0xfe88 });
  assertEquals(observed(""), { text: "", numeric: true, num: 0 });
  assertEquals(observed("S+").numeric, false);
  assertEquals(observed("M5B4").numeric, false);
  assertEquals(observed("E").numeric, true);
});

Deno.test("plain values, alternatives, ranges and comparisons", () => {
  const cases: [string, string, boolean][] = [
    ["Y", "Y", true],
    ["N", "Y", false],
    ["S+", "S+", true],
    ["S+", "S", false],
    ["M5B4ST11NW7", "M5B4ST11NW7", true],
    ["M5B4ST11NW7", "M5B4ST11NW8", false],
    ["I", "I|RD", true],
    ["RD", "I|RD", true],
    ["Z", "I|RD", false],
    ["40", "3B-45", true],
    ["3B", "3B-45", true],
    ["45", "3B-45", true],
    ["46", "3B-45", false],
    ["3A", "3B-45", false],
    ["FE88", "FE88", true],
    ["0FE88", "FE88", false], // numeric but not a range: compared as text
    ["7", "U|7|8", true],
    ["A", "U|7|8", false],
    ["11", ">10", true],
    ["10", ">10", false],
    ["F", "<10", true],
    ["10", "<10", false],
    ["104", "FA-104", true],
    ["FF", "FA-104", true],
    ["F9", "FA-104", false],
    ["1", "1-6|64", true],
    ["64", "1-6|64", true],
    ["", "", true],
    ["", "M5B4", false],
    ["G", "0-FFFF", false], // not numeric: the range is compared as text
  ];
  for (const [v, e, want] of cases) assertEquals(matchesExpr(v, e), want, `${v} ~ ${e}`);
});

Deno.test("nmap 7.93 quirks: prefix alternatives, the empty first alternative, far dashes", () => {
  // Alternatives before the last `|` compare as a prefix (strncmp with their length).
  assertEquals(matchesExpr("M5B4ST11", "M5B4|M578"), true);
  assertEquals(matchesExpr("M578ST11", "M5B4|M578"), false);
  // So an empty first alternative matches everything (O=|M5B4 in the database).
  assertEquals(matchesExpr("M5B4NNSNW7", "|M5B4"), true);
  assertEquals(matchesExpr("", "|M5B4"), true);
  // The last alternative compares whole.
  assertEquals(matchesExpr("M5B4ST11", "M578|M5B4"), false);
  // A dash anywhere later makes a numeric value skip the literal comparison of earlier
  // alternatives: "0" does not match "0|5-A" under 7.93.
  assertEquals(matchesExpr("0", "0|5-A"), false);
  assertEquals(matchesExpr("7", "0|5-A"), true);
  // A non-numeric value still compares literally there.
  assertEquals(matchesExpr("Z", "Z|5-A"), true);
  // `<`/`>` with a number that does not read cleanly never match a numeric value.
  assertEquals(matchesExpr("1", "<1G"), false);
});

Deno.test("bracketed ranges of newer databases", () => {
  assertEquals(matchesExpr("M5B4ST11", "M[>500]ST11"), true);
  assertEquals(matchesExpr("M400ST11", "M[>500]ST11"), false);
  assertEquals(matchesExpr("M500S", "M[500|5B4]S"), true);
  assertEquals(matchesExpr("M5B4S", "M[500|5B4]S"), true);
  assertEquals(matchesExpr("M2T", "M[1-9]"), false);
  assertEquals(matchesExpr("MW5", "M[1-9]|MW[1-9]"), true);
  assertEquals(compileExpr("A|B").alternatives.length, 2);
});
