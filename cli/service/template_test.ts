import { assertEquals } from "../../tests/testing/assert.ts";
import { cpePart, fillTemplate, transformCpe } from "./template.ts";
import { compileRegex, makeSubject } from "./regex.ts";
import { fillDetails, matchResponse } from "./match.ts";
import { parseMatchLine, parseProbeDb } from "./probe_db.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Runs `pattern` on `subject` and fills `tmpl` from the captures. */
function fill(pattern: string, subject: string, tmpl: string, size = 80, cpe = false) {
  const b = bytes(subject);
  const caps = compileRegex(pattern, "s").exec(makeSubject(b));
  if (!caps) throw new Error("pattern did not match");
  return fillTemplate(tmpl, b, caps, size, cpe ? transformCpe : undefined);
}

Deno.test("template: $1..$9 substitute groups; literal text is kept", () => {
  assertEquals(fill("^(a+)-(b+)", "aa-bbb", "x $2 y $1"), "x bbb y aa");
  assertEquals(fill("^(a)", "a", "no vars"), "no vars");
});

Deno.test("template: an unset or missing group fails the whole field (nmap drops it)", () => {
  assertEquals(fill("^(a)?(b)", "b", "v$1"), null);
  assertEquals(fill("^(a)", "a", "$2"), null);
  assertEquals(fill("^(a)", "a", "$0"), null);
});

Deno.test("template: trailing spaces and commas are trimmed", () => {
  assertEquals(fill("^(a) (.*)$", "a b, ", "$1 $2"), "a b");
  assertEquals(fill("^(x)", "x", "$1,, \t"), "x");
});

Deno.test("template: $P() keeps printable bytes only", () => {
  assertEquals(fill("^(.*)$", "W\0O\0R\0K\0\x01!", "$P(1)"), "WORK!");
});

Deno.test("template: $SUBST(n, find, replace)", () => {
  assertEquals(fill("^(.*)$", "1_2_3", '$SUBST(1,"_",".")'), "1.2.3");
  assertEquals(fill("^(.*)$", "a,b", '$SUBST(1,",","\\x2e")'), "a.b");
  assertEquals(fill("^(.*)$", "ab", '$SUBST(1,"b")'), null, "wrong argument count");
});

Deno.test("template: $I(n, endianness) reads an unsigned integer", () => {
  assertEquals(fill("^(..)", "\x01\x02", '$I(1,">")'), "258");
  assertEquals(fill("^(..)", "\x01\x02", '$I(1,"<")'), "513");
  assertEquals(fill("^(.{9})", "123456789", '$I(1,">")'), null, "more than 8 bytes");
  assertEquals(fill("^(..)", "ab", '$I(1,"x")'), null);
});

Deno.test("template: unknown commands and malformed variables fail", () => {
  assertEquals(fill("^(a)", "a", "$X(1)"), null);
  assertEquals(fill("^(a)", "a", "cost $"), null);
});

Deno.test("template: fields longer than nmap's buffers are dropped, not cut", () => {
  const long = "v".repeat(100);
  assertEquals(fill("^(.*)$", long, "$1"), null);
  assertEquals(fill("^(.*)$", "v".repeat(78), "$1"), "v".repeat(78));
  assertEquals(fill("^(.*)$", "v".repeat(79), "$1"), null);
  assertEquals(fill("^(.*)$", long, "$1", 256)?.length, 100);
});

Deno.test("template: CPE substitutions are escaped and lower-cased, the literal part is not", () => {
  assertEquals(transformCpe("Foo Bar/1:2"), "foo_bar%2F1%3A2");
  assertEquals(
    fill("^(.*)$", "Win 10", "cpe:/o:microsoft:windows_$1", 80, true),
    "cpe:/o:microsoft:windows_win_10",
  );
  assertEquals(cpePart("cpe:/h:x"), "h");
});

Deno.test("match: fields, CPE slots (last of each part wins) and warnings", () => {
  const rule = parseMatchLine(
    "match ssh m|^SSH-([\\d.]+)-OpenSSH_(\\S+)| p/OpenSSH/ v/$2/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:canonical:ubuntu_linux/ cpe:/o:linux:linux_kernel/ h/$9/",
    1,
  );
  if (typeof rule === "string") throw new Error(rule);
  const b = bytes("SSH-2.0-OpenSSH_9.6\r\n");
  const caps = rule.regex()!.exec(makeSubject(b))!;
  const warnings: string[] = [];
  const md = fillDetails(rule, b, caps, "NULL", (w) => warnings.push(w));
  assertEquals(
    [md.product, md.version, md.info, md.ostype, md.hostname],
    ["OpenSSH", "9.6", "protocol 2.0", "Linux", undefined],
  );
  assertEquals([md.cpeA, md.cpeH, md.cpeO], [
    "cpe:/a:openbsd:openssh:9.6",
    undefined,
    "cpe:/o:linux:linux_kernel",
  ]);
  assertEquals(warnings.length, 1, "the h/$9/ template fails with a warning");
});

Deno.test("match: the first matching line of the first fallback that matches wins, soft or not", () => {
  const db = parseProbeDb(
    [
      "Probe TCP NULL q||",
      "match a m|^X|",
      "Probe TCP P1 q|x|",
      "softmatch b m|^XY|",
      "match c m|^XYZ|",
    ].join("\n"),
    "t",
  );
  const p1 = db.probes[0]!;
  assertEquals(
    matchResponse(p1, bytes("XYZ"))?.service,
    "b",
    "a softmatch earlier in the list wins",
  );
  assertEquals(matchResponse(p1, bytes("XA"))?.service, "a", "then the NULL probe's lines");
  assertEquals(matchResponse(p1, bytes("Q")), null);
});
