import assert from "node:assert/strict";
import { parseIpOptions } from "./ip_options.ts";
import { parseOptions } from "./mod.ts";
import { UsageError } from "../errors.ts";

const hops = (...quads: string[]) =>
  Uint8Array.from(quads.flatMap((q) => q.split(".").map(Number)));

Deno.test("--ip-options: nmap's letters become requests for the core", () => {
  assert.deepEqual(parseIpOptions("R"), { kind: "route", route: "record", hops: hops() });
  assert.deepEqual(parseIpOptions("R 1.2.3.4,5.6.7.8"), {
    kind: "route",
    route: "record",
    hops: hops("1.2.3.4", "5.6.7.8"),
  });
  assert.deepEqual(parseIpOptions("L 10.0.0.1 10.0.0.2"), {
    kind: "route",
    route: "loose",
    hops: hops("10.0.0.1", "10.0.0.2"),
  });
  assert.deepEqual(parseIpOptions("S 1.2.3.4"), {
    kind: "route",
    route: "strict",
    hops: hops("1.2.3.4"),
  });
  assert.deepEqual(parseIpOptions("T"), { kind: "timestamp", withAddresses: false });
  assert.deepEqual(parseIpOptions("U"), { kind: "timestamp", withAddresses: true });
  assert.equal(parseIpOptions(""), undefined);
});

Deno.test("--ip-options: hex and decimal bytes, * repeats the last byte", () => {
  const bytes = (text: string) => {
    const r = parseIpOptions(text);
    assert.equal(r?.kind, "bytes");
    return r.kind === "bytes" ? [...r.bytes] : [];
  };
  assert.deepEqual(bytes("\\x01*3\\x07\\x04\\x00\\x00\\x00"), [1, 1, 1, 7, 4, 0, 0, 0]);
  assert.deepEqual(bytes("\\1\\1\\255\\0"), [1, 1, 255, 0]);
  assert.deepEqual(bytes("\\x88\\x04\\x12\\x34"), [0x88, 4, 0x12, 0x34]);
  assert.deepEqual(bytes("\\x1\\x02\\x0a\\x10"), [1, 2, 10, 16]);
  assert.deepEqual(bytes("\\x01*40"), Array(40).fill(1));
  // A trailing '*' or '\' is ignored, as by nmap.
  assert.deepEqual(bytes("\\x01\\x02\\x03\\x04*"), [1, 2, 3, 4]);
});

Deno.test("--ip-options: nmap's refusals, word for word (checked against nmap 7.93)", () => {
  const cases: [string, string][] = [
    ["R x", "Not a valid ipv4 address ''"],
    ["L 1.2.3.4 01.2.3.4", "Not a valid ipv4 address '01.2.3.4'"],
    ["L 1.2.3.256", "Not a valid ipv4 address '1.2.3.256'"],
    ["\\x01\\x02\\x03", "Ip options must be multiple of 4 (read length is 3 bytes)"],
    [
      "\\x01*3\\x07\\x07\\x04\\x00\\x00\\x00\\x00\\x00",
      "Ip options must be multiple of 4 (read length is 11 bytes)",
    ],
    ["T ", "No more arguments allowed!"],
    ["*3", "nothing before '*' char"],
    ["\\x01*1", "bad number after '*'"],
    ["Q", "Bad character in ip option 'Q'"],
    ["\\x01R", "This option can't be used in that way"],
    ["\\zz", "not a digit after '\\'"],
    ["\\300\\0\\0\\0", "invalid ipv4 address format"],
    ["\\x01*200", "Ip options can't be more than 40 bytes long"],
    [
      "S 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9",
      "When using source routing you must leave at least one slot for target's ip.",
    ],
    [
      "R 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9 1.1.1.1",
      "Buffer too small. Or input data too big :)",
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseIpOptions(text), (e: unknown) => {
      assert.ok(e instanceof UsageError, text);
      assert.equal(e.message, message, text);
      assert.equal(e.render(), `${message}\nQUITTING!\n`);
      return true;
    });
  }
  // Eight hops leave the target's slot: accepted.
  assert.equal(
    parseIpOptions("S 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8")?.kind,
    "route",
  );
});

Deno.test("--ip-options on the command line: the probes' shaping; -O warns as nmap", () => {
  const o = parseOptions(["--ip-options", "R", "h"], { skipFileChecks: true });
  assert.deepEqual(o.shaping?.ipOptions, { kind: "route", route: "record", hops: hops() });
  const withOs = parseOptions(["--ip-options", "T", "-O", "h"], { skipFileChecks: true });
  assert.ok(withOs.warnings?.includes("WARNING: IP options are NOT used while OS scanning!"));
});
