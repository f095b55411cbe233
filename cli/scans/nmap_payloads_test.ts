import assert from "node:assert/strict";
import { MAX_PAYLOAD_BYTES, NmapPayloadsError, parseNmapPayloads } from "./nmap_payloads.ts";
import { parseSimplePortList } from "../ports.ts";
import { defaultServicesDb } from "../services_db.ts";

const db = defaultServicesDb();
const ports = (e: string) => parseSimplePortList(e, "udp", db);
const enc = new TextEncoder();
const parse = (text: string | Uint8Array) =>
  parseNmapPayloads(typeof text === "string" ? enc.encode(text) : text, ports);
const bytes = (...b: number[]) => Uint8Array.from(b);
/** The message of the NmapPayloadsError `text` raises. */
function problem(text: string | Uint8Array): string {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof NmapPayloadsError, String(e));
    return e.message;
  }
  assert.fail("no error");
}

Deno.test("nmap-payloads: C escapes as nmap's cstring_unescape", () => {
  const { entries } = parse(String.raw`udp 7 "\x0D\x0a\0\a\b\f\n\r\t\v\\\"\'\?A~"`);
  assert.deepEqual(
    [...entries[0]!.payload],
    [13, 10, 0, 7, 8, 12, 10, 13, 9, 11, 0x5c, 0x22, 0x27, 0x3f, 0x41, 0x7e],
  );
  // "\00" is NUL then "0" (no octal); a backslash before a newline keeps the newline.
  assert.deepEqual([...parse('udp 7 "\\00\\\nx"').entries[0]!.payload], [0, 0x30, 10, 0x78]);
  // Bytes above 0x7f are sent as they stand in the file.
  const raw = Uint8Array.from([...enc.encode('udp 7 "'), 0xe9, 0xff, ...enc.encode('"\n')]);
  assert.deepEqual([...parse(raw).entries[0]!.payload], [0xe9, 0xff]);
  // nmap's C string ends at a raw NUL inside the quotes.
  const nul = Uint8Array.from([...enc.encode('udp 7 "ab'), 0, ...enc.encode('cd"')]);
  assert.deepEqual([...parse(nul).entries[0]!.payload], [0x61, 0x62]);
});

Deno.test("nmap-payloads: port lists, several strings across lines and comments, source", () => {
  const { entries, byPort } = parse([
    "# a comment",
    'udp 53,69,5353 "\\x00\\x01"   # trailing comment',
    '  "\\x02"',
    "",
    "  # between the strings",
    '  "\\x03"',
    'udp 500,4500 "ike" source 500',
    'udp -3,domain "x"',
    'udp 60000- "hi"',
    "",
  ].join("\n"));
  assert.deepEqual(entries.map((e) => [e.ports, [...e.payload], e.source, e.line]), [
    [[53, 69, 5353], [0, 1, 2, 3], undefined, 2],
    [[500, 4500], [0x69, 0x6b, 0x65], 500, 7],
    [[1, 2, 3, 53], [0x78], undefined, 8],
    [Array.from({ length: 5536 }, (_, i) => 60000 + i), [0x68, 0x69], undefined, 9],
  ]);
  // A port's payloads keep the file's order; equal payloads are one object.
  assert.deepEqual(byPort.get(53)!.map((p) => [...p]), [[0, 1, 2, 3], [0x78]]);
  const again = parse('udp 1 "same"\nudp 2 "same"\nudp 1 "other"');
  assert.equal(again.byPort.get(1)![0], again.byPort.get(2)![0]);
  assert.equal(again.byPort.get(1)!.length, 2);
  // Unknown keywords and stray text between entries are skipped, as nmap does.
  assert.equal(parse('junk "s" 12\nudp 9 "a" future keyword\nudp 10 "b"').entries.length, 2);
  assert.equal(parse("").entries.length, 0);
});

Deno.test("nmap-payloads: plain port lists, read without getpts, give getpts' ports", () => {
  const noGetpts = () => {
    throw new Error("getpts asked");
  };
  for (
    const spec of [
      "7",
      "0",
      "53,69,5353,26198",
      "111,2049,4045,32768-65535",
      "135,1025-1199",
      "26000-26004,27960-27964,30720-30724,44400",
      "5-5,3,4",
      "65535",
    ]
  ) {
    const plain = parseNmapPayloads(enc.encode(`udp ${spec} "x"`), noGetpts).entries[0]!.ports;
    assert.deepEqual(plain, ports(spec), spec);
  }
  // Backwards, too large or open ranges go to getpts (and its verdict).
  for (const spec of ["10-9", "65536", "-5", "60000-", "1,,2"]) {
    assert.throws(() => parseNmapPayloads(enc.encode(`udp ${spec} "x"`), noGetpts), spec);
  }
});

Deno.test("nmap-payloads: one message naming the line, for every kind of problem", () => {
  assert.equal(problem('udp "x"'), "Expected a port list at line 1 of nmap-payloads");
  assert.equal(
    problem('\nudp 70000 "x"'),
    `Can't parse port list "70000" at line 2 of nmap-payloads`,
  );
  assert.equal(
    problem('udp nosuchservice "x"'),
    `Can't parse port list "nosuchservice" at line 1 of nmap-payloads`,
  );
  assert.equal(problem('udp 7\nudp 8 "x"'), "Payload missing data at line 2 of nmap-payloads");
  assert.equal(problem("udp 7"), "Payload missing data at line 1 of nmap-payloads");
  assert.match(problem('udp 7 "\\q"'), /^Bad payload string \(unknown escape \\q\) at line 1 /);
  assert.match(problem('udp 7 "\\x4"'), /^Bad payload string \(bad \\x escape/);
  assert.match(problem('udp 7 "a"\n"b\\z"'), /^Bad payload string .* at line 2 /);
  assert.match(problem('udp 7 "open\nudp 8 "x"'), /^Bad payload string \(unterminated string\)/);
  assert.match(problem('udp 7 "a" source x'), /^Expected a source port after "source" at line 1/);
  assert.match(problem('udp 7 "a" source 65536'), /^Expected a source port/);
  const many = Array.from({ length: 256 }, (_, i) => `udp 7 "${i}"`).join("\n");
  assert.equal(
    problem(many),
    "Number of UDP payloads for port 7 exceeds the limit of 255 at line 256 of nmap-payloads",
  );
  // 250 bytes a string (1000 characters), joined past what a 1500-byte link carries.
  const big = `udp 7 ${
    `"${"\\xff".repeat(250)}"\n`.repeat(Math.ceil(MAX_PAYLOAD_BYTES / 250) + 1)
  }`;
  assert.match(problem(big), /^Payload over 1400 bytes at line 6 /);
  // nmap's 1024-byte token buffer: 1023 characters as written, an escape's two counted.
  assert.equal(parse(`udp 7 "${"A".repeat(1023)}"`).entries[0]!.payload.length, 1023);
  assert.match(problem(`udp 7 "${"A".repeat(1024)}"`), /^Bad payload string \(a string over 1023/);
  assert.equal(parse(`udp 7 "${"A".repeat(1021)}\\n"`).entries[0]!.payload.length, 1022);
  assert.match(problem(`udp 7 "${"A".repeat(1022)}\\n"`), /a string over 1023 characters/);
});

Deno.test("nmap-payloads: hostile bytes end in a result or one NmapPayloadsError, quickly", () => {
  let seed = 17;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = enc.encode('udp 0123456789,-"\\x#\n source ab\0\xff');
  for (let n = 0; n < 3000; n++) {
    const len = Math.floor(rand() * 200);
    const b = Uint8Array.from(
      { length: len },
      () => alphabet[Math.floor(rand() * alphabet.length)]!,
    );
    try {
      parse(Uint8Array.from([...enc.encode("udp "), ...b]));
    } catch (e) {
      assert.ok(
        e instanceof NmapPayloadsError,
        `${e} on ${JSON.stringify(String.fromCharCode(...b))}`,
      );
    }
  }
  // Every port, many times over: stopped by the per-port limit, not by memory.
  const flood = Array.from({ length: 300 }, (_, i) => `udp 0-65535 "${i}"`).join("\n");
  const t0 = performance.now();
  assert.match(problem(flood), /exceeds the limit of 255|More than \d+ port payloads/);
  assert.ok(performance.now() - t0 < 30_000);
  // A megabyte-long symbol and one long string line.
  assert.equal(
    problem(`udp ${"1".repeat(1 << 20)} "x"`),
    `Can't parse port list "${"1".repeat(40)}…" at line 1 of nmap-payloads`,
  );
  assert.match(problem(`udp 7 "${"A".repeat(60_000)}"`), /a string over 1023 characters/);
  assert.equal(problem(bytes(0x75, 0x64, 0x70)), "Expected a port list at line 1 of nmap-payloads");
});

const INSTALLED = "/usr/share/nmap/nmap-payloads";
const installed = (() => {
  try {
    return Deno.readFileSync(INSTALLED);
  } catch {
    return null;
  }
})();

Deno.test({
  name: "nmap-payloads: nmap 7.93's installed file reads whole",
  ignore: installed === null,
  fn() {
    const { entries, byPort } = parseNmapPayloads(installed!, ports, INSTALLED);
    assert.ok(entries.length >= 60, `${entries.length} entries`);
    assert.deepEqual([...byPort.get(7)![0]!], [13, 10, 13, 10]);
    assert.equal(byPort.get(161)!.length, 2, "SNMP v1 and v3");
    assert.equal(byPort.get(137)!.length, 3);
    // The DTLS ClientHello (a handshake record) on 443 and its other ports.
    for (const p of [443, 853, 4433, 5349, 6514, 10161]) assert.equal(byPort.get(p)![0]![0], 22);
    assert.deepEqual(entries.filter((e) => e.source !== undefined).map((e) => e.source), [
      500,
      500,
    ]);
    assert.equal(byPort.get(40000)!.length, 1, "the RPC range 32768-65535");
    assert.equal(byPort.get(88), undefined, "no Kerberos payload in 7.93");
  },
});
