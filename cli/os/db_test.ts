import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { loadOsDb, OsDbError, parseOsDb } from "./db.ts";

import { SMALL_DB } from "../../tests/testing/os_testdata.ts";

Deno.test("parseOsDb: MatchPoints, records, classes, CPEs, lines and shared test lines", () => {
  const db = parseOsDb(SMALL_DB, "small");
  assertEquals(db.source, "small");
  assertEquals(db.matchPoints.get("SEQ")?.get("GCD"), 75);
  assertEquals(db.matchPoints.get("IE")?.get("CD"), 100);
  assertEquals(db.prints.map((p) => [p.name, p.line]), [
    ["Example OS 1.0", 13],
    ["Example OS 2.0", 25],
    ["Other Thing", 30],
  ]);
  const [a, b] = db.prints;
  assertEquals(a!.classes, [
    {
      vendor: "Example",
      family: "ExampleOS",
      generation: "1.X",
      deviceType: "general purpose",
      cpe: ["cpe:/o:example:exampleos:1", "cpe:/o:example:exampleos"],
    },
    { vendor: "Example", family: "ExampleOS", deviceType: "router", cpe: [] },
  ]);
  assertEquals(a!.tests.map((t) => t.name), ["SEQ", "OPS", "T1", "T2", "U1", "IE"]);
  const u1 = a!.tests.find((t) => t.name === "U1")!;
  assertEquals(u1.attrs.map((x) => [x.name, x.expr.source, x.points]).slice(0, 3), [
    ["DF", "N", 20],
    ["T", "40", 15],
    ["IPL", "164", 100],
  ]);
  // Identical lines are one shared test.
  const t2a = a!.tests.find((t) => t.name === "T2")!, t2b = b!.tests.find((t) => t.name === "T2")!;
  assert(t2a === t2b, "T2(R=N) is shared");
  assertEquals(db.tests.length, new Set(db.prints.flatMap((p) => p.tests)).size);
});

Deno.test("parseOsDb: errors that make a database unusable", () => {
  const bad = (text: string, word: string) => {
    try {
      parseOsDb(text, "x");
    } catch (e) {
      assert(e instanceof OsDbError, "an OsDbError");
      assert((e as Error).message.includes(word), `${(e as Error).message} mentions ${word}`);
      return;
    }
    throw new Error("no error");
  };
  bad("Fingerprint A\nT1(R=Y)\n", "MatchPoints");
  bad("MatchPoints\nT1(R=1)\n\nMatchPoints\nT1(R=1)\n", "previously been seen");
  bad("MatchPoints\nT1(R=x)\n", "bogus point amount");
  bad("MatchPoints\nT1(R=1)\n\nFingerprint A\nSEQ(TI=Z)\n", "MatchPoints directive");
  bad("MatchPoints\nT1(R=1)\n\nFingerprint A\nCPE cpe:/o:a\n", "without preceding");
});

/** The OsDbError parseOsDb throws for `text`. */
function refusal(text: string): string {
  try {
    parseOsDb(text, "x");
  } catch (e) {
    assert(e instanceof OsDbError, `an OsDbError, not ${e}`);
    return e.message;
  }
  throw new Error("accepted");
}

Deno.test("parseOsDb: a junk line refuses the file with its number", () => {
  const lines = SMALL_DB.split("\n");
  const at = lines.findIndex((l) => l.startsWith("IE("));
  lines.splice(at, 0, "this line is junk");
  assertEquals(
    refusal(lines.join("\n")),
    `Parse error on line ${at + 1} of nmap-os-db file x: this line is junk`,
  );
});

Deno.test("parseOsDb: garbage is refused at its first line, quoted short", () => {
  const garbage = "\x7fELF\x02\x01\x01" + "\x00".repeat(200) + "\nmore";
  const m = refusal(garbage);
  assert(m.startsWith("Parse error on line 1 of nmap-os-db file x: \x7fELF"), m);
  assert(m.length < 160, m);
});

Deno.test("parseOsDb: a file cut short is refused with the line where it breaks", () => {
  const text = SMALL_DB;
  // Cut inside every line after MatchPoints: either a test line loses its ")" or a
  // Fingerprint is left without tests; a cut at a comment or a blank line may pass.
  const lines = text.split("\n");
  let refused = 0, cuts = 0;
  for (let n = 12; n < lines.length; n++) {
    const l = lines[n]!;
    if (!/^[A-Z0-9]+\(.*\)$/.test(l) && !l.startsWith("Fingerprint ")) continue;
    cuts++;
    const cut = lines.slice(0, n).join("\n") + "\n" + l.slice(0, l.length - 1);
    const m = refusal(cut);
    // The broken test line, or the Fingerprint left without tests, is line n + 1.
    assert(m.includes(`line ${n + 1} `), m);
    refused++;
  }
  assert(cuts > 5, "cut points");
  assertEquals(refused, cuts);
  // Cut right after a Fingerprint line: no tests.
  const fp = lines.findIndex((l, i) => i > 12 && l.startsWith("Fingerprint "));
  assertEquals(
    refusal(lines.slice(0, fp + 1).join("\n") + "\n"),
    `Fingerprint on line ${fp + 1} of nmap-os-db file x has no test lines (is the file cut short?)`,
  );
});

const NMAP_DB = "/usr/share/nmap/nmap-os-db";
const haveNmapDb = (() => {
  try {
    return Deno.statSync(NMAP_DB).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "loadOsDb reads nmap's own database whole (nmap 7.93: 5678 prints)",
  ignore: !haveNmapDb,
  permissions: { read: true },
  fn: async () => {
    const db = await loadOsDb(NMAP_DB);
    assert(db.prints.length > 5000, `${db.prints.length} prints`);
    assertEquals([...db.matchPoints.keys()], [
      "SEQ",
      "OPS",
      "WIN",
      "ECN",
      "T1",
      "T2",
      "T3",
      "T4",
      "T5",
      "T6",
      "T7",
      "U1",
      "IE",
    ]);
    const linux = db.prints.find((p) => p.name === "Linux 5.3 - 5.4");
    assert(linux, "Linux 5.3 - 5.4 is there");
    assertEquals(linux!.classes[0]?.cpe, ["cpe:/o:linux:linux_kernel:5"]);
    // Loaded once per path.
    assert((await loadOsDb(NMAP_DB)) === db, "cached");
  },
});

Deno.test({
  name: "loadOsDb: a missing file is one clear error",
  permissions: { read: true },
  fn: async () => {
    try {
      await loadOsDb("/nonexistent/nmap-os-db");
      throw new Error("no error");
    } catch (e) {
      assert(e instanceof OsDbError, "OsDbError");
      assert((e as Error).message.startsWith("Unable to open Nmap fingerprint file"), "wording");
    }
  },
});

Deno.test("the built-in database parses and names its source", async () => {
  const db = await loadOsDb();
  assertEquals(db.source, "porthole-os-db");
  assert(db.matchPoints.size === 13, "all thirteen tests are weighed");
});

Deno.test("mergeOsDbs: nmap's prints, then Porthole's, each test line scored under its own id", async () => {
  const { mergeOsDbs } = await import("./db.ts");
  const { matchFingerprint } = await import("./match.ts");
  const { parseFingerprint } = await import("../model/os_fingerprint.ts");
  const { NMAP_LAB_FINGERPRINT } = await import("../../tests/testing/os_testdata.ts");
  const nmap = parseOsDb(SMALL_DB, "nmap-os-db");
  const own = await loadOsDb();
  const db = mergeOsDbs(nmap, own);
  assertEquals(
    db.prints.map((p) => p.name),
    [...nmap.prints.map((p) => p.name), ...own.prints.map((p) => p.name)],
  );
  assertEquals(db.tests.length, nmap.tests.length + own.tests.length);
  for (const p of db.prints) for (const t of p.tests) assert(db.tests[t.id] === t, p.name);
  // Porthole's prints score in the merged database as in its own.
  const fp = parseFingerprint(NMAP_LAB_FINGERPRINT);
  const alone = matchFingerprint(fp, own), merged = matchFingerprint(fp, db);
  const top = alone.matches[0]!;
  assertEquals(merged.matches.find((m) => m.name === top.name)?.accuracy, top.accuracy);
  // Inputs unchanged.
  assertEquals(own.tests.every((t, i) => t.id === i), true);
});

Deno.test("osDbFor: nmap-os-db in --datadir is merged and noted; --osdb alone overrides", async () => {
  const { osDbFor } = await import("./db.ts");
  const { dataFilesRead, resetDataFilesRead } = await import("../data_files.ts");
  const dir = await Deno.makeTempDir({ prefix: "ph-osdb-" });
  try {
    await Deno.writeTextFile(`${dir}/nmap-os-db`, SMALL_DB);
    resetDataFilesRead();
    const merged = await osDbFor({ datadir: dir });
    const names = merged.prints.map((p) => p.name);
    assert(names.includes("Example OS 1.0") && names.some((n) => n.startsWith("Linux")));
    assertEquals(dataFilesRead(), { "nmap-os-db": `${dir}/nmap-os-db` });
    const alone = await osDbFor({ osdb: `${dir}/nmap-os-db`, datadir: dir });
    assert(!alone.prints.some((p) => p.name.startsWith("Linux")));
  } finally {
    resetDataFilesRead();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the built-in database: each print, observed as written, is its own one perfect match and, timing off, still the best", async () => {
  const { matchFingerprint } = await import("./match.ts");
  const { parseFingerprint } = await import("../model/os_fingerprint.ts");
  const text = await Deno.readTextFile(new URL("../data/porthole-os-db", import.meta.url));
  const own = await loadOsDb();
  // An observation within every reference value: the first alternative, a range's low end.
  const observed = (line: string) =>
    line.replace(/=([^%)]*)/g, (_, v: string) => "=" + v.split("|")[0]!.split("-")[0]!);
  const blocks = text.split("\n\n").filter((b) => b.includes("\nFingerprint "));
  assertEquals(blocks.length, own.prints.length);
  for (const block of blocks) {
    const name = block.split("\n").find((l) => l.startsWith("Fingerprint "))!.slice(12);
    const tests = block.split("\n").filter((l) => /^[A-Z0-9]+\(/.test(l)).map(observed);
    const result = matchFingerprint(parseFingerprint(tests.join("\n")), own);
    assertEquals(result.perfect, 1, name);
    assertEquals([result.matches[0]!.name, result.matches[0]!.accuracy], [name, 1]);
    // A busy run's SEQ (rates, GCD and timestamps all off) costs points, never the first place.
    const offTime = tests.map((l) =>
      l.startsWith("SEQ(")
        ? l.replace(/SP=\w+/, "SP=10").replace(/ISR=\w+/, "ISR=10").replace(/GCD=\w+/, "GCD=40")
          .replace(/TS=\w+/, "TS=A")
        : l
    );
    const busy = matchFingerprint(parseFingerprint(offTime.join("\n")), own);
    assertEquals(busy.matches[0]!.name, name, "with SEQ off");
  }
});
