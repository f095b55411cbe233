import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { loadOsDb, parseOsDb } from "./db.ts";
import { parseFingerprint } from "../model/os_fingerprint.ts";
import { classify, type Fingerprint, matchFingerprint, mismatches } from "./match.ts";
import { NMAP_LAB_FINGERPRINT, SMALL_DB } from "../../tests/testing/os_testdata.ts";

const NMAP_LAB_GUESSES: [string, number, number][] = [
  ["Linux 5.3 - 5.4", 96, 68140],
  ["Linux 3.2", 95, 64664],
  ["Linux 3.1", 95, 62917],
  ["AXIS 210A or 211 Network Camera (Linux 2.6.17)", 94, 61815],
  ["Linux 3.2 - 4.9", 93, 65314],
  ["Linux 3.8", 93, 66159],
  ["Linux 4.15 - 5.6", 93, 67238],
  ["Linux 2.6.32 - 3.10", 93, 56571],
  ["ASUS RT-N56U WAP (Linux 3.4)", 93, 8398],
  ["Linux 3.16", 93, 64171],
];

const NMAP_DB = "/usr/share/nmap/nmap-os-db";
const haveNmapDb = (() => {
  try {
    return Deno.statSync(NMAP_DB).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "matchFingerprint gives nmap 7.93's guess list for the lab target, in order",
  ignore: !haveNmapDb,
  permissions: { read: true },
  fn: async () => {
    const db = await loadOsDb(NMAP_DB);
    const fp = parseFingerprint(NMAP_LAB_FINGERPRINT);
    assertEquals(fp.map((t) => t.name).join(" "), "SEQ OPS WIN ECN T1 T2 T3 T4 T5 T6 T7 U1 IE");
    const r = matchFingerprint(fp, db);
    assertEquals(r.outcome, "success");
    assertEquals(r.perfect, 0);
    assertEquals(r.matches.length, 36);
    const got = r.matches.slice(0, 10).map((m) =>
      [m.name, Math.floor(m.accuracy * 100), m.line] as [string, number, number]
    );
    assertEquals(got, NMAP_LAB_GUESSES);
    // Sorted, one entry per name.
    for (let i = 1; i < r.matches.length; i++) {
      assert(r.matches[i - 1]!.accuracy >= r.matches[i]!.accuracy, "sorted");
    }
    assertEquals(new Set(r.matches.map((m) => m.name)).size, r.matches.length);
  },
});

function fp(lines: string): Fingerprint {
  return parseFingerprint(lines);
}

Deno.test("accuracy is matched points over compared points, with MatchPoints weights", () => {
  const db = parseOsDb(SMALL_DB);
  // Everything Example OS 1.0 has, observed exactly: a perfect match, and 2.0 too (it only
  // has T1 and T2, which agree).
  const exact = fp(
    "SEQ(SP=100%TI=Z%TS=A)\nOPS(O1=M5B4ST11NW7%O2=M5B4)\nT1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)\n" +
      "T2(R=N)\nU1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n" +
      "IE(R=Y%DFI=N%T=40%CD=S)",
  );
  const r = matchFingerprint(exact, db);
  assertEquals(r.perfect, 2);
  assertEquals(r.matches.map((m) => [m.name, m.accuracy]), [
    ["Example OS 1.0", 1],
    ["Example OS 2.0", 1],
  ]);
  // T1's DF differs: Example OS 1.0 loses DF's 20 points out of everything compared.
  const off = exact.map((t) =>
    t.name === "T1" ? { name: "T1", attrs: t.attrs.map(([a, v]) => [a, a === "DF" ? "N" : v]) } : t
  ) as Fingerprint;
  // SEQ TI+TS, OPS O1, T1 (8 attributes), T2 R, U1 (9), IE (3).
  const total = 100 + 100 + 20 + (100 + 20 + 15 + 20 + 20 + 30 + 20 + 20) + 80 +
    (20 + 15 + 100 * 7) + (40 + 15 + 100);
  const r2 = matchFingerprint(off, db);
  assertEquals(r2.matches[0]?.name, "Example OS 1.0");
  assertEquals(r2.matches[0]?.accuracy, (total - 20) / total);
  assertEquals(mismatches(db.prints[0]!, off), [
    { test: "T1", attr: "DF", observed: "N", expected: "Y", points: 20 },
  ]);
  // Below the 0.85 threshold nothing is listed.
  const far = fp("T1(R=N)");
  assertEquals(matchFingerprint(far, db).outcome, "nomatches");
});

Deno.test("one entry per OS name: the better-scoring version stays", () => {
  const text = SMALL_DB.split("\n").slice(0, 11).join("\n") + "\n\n" +
    "Fingerprint Twin\nClass A | B || router\nT1(R=Y%DF=N)\n\n" +
    "Fingerprint Twin\nClass A | B || router\nT1(R=Y%DF=Y)\n\n" +
    "Fingerprint Twin\nClass A | B || router\nT1(R=Y%DF=N|Y)\n";
  const db = parseOsDb(text);
  const r = matchFingerprint(fp("T1(R=Y%DF=Y)"), db);
  assertEquals(r.matches.map((m) => [m.name, m.line, m.accuracy]), [["Twin", 17, 1]]);
  assertEquals(r.perfect, 1);
});

Deno.test("classify: distinct classes in match order; perfect matches shut out guesses", () => {
  const db = parseOsDb(SMALL_DB);
  const obs = fp("T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)\nT2(R=N)");
  const r = matchFingerprint(obs, db);
  const c = classify(r);
  assertEquals(c.outcome, "success");
  assertEquals(c.perfect, 3);
  assertEquals(
    c.classes.map((x) =>
      `${x.osClass.family} ${x.osClass.generation ?? ""}/${x.osClass.deviceType}`
    ),
    ["ExampleOS 1.X/general purpose", "ExampleOS /router", "ExampleOS 2.X/general purpose"],
  );
  // No perfect match: guesses are classified by accuracy.
  const guess = fp("T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=U)\nT2(R=N)");
  const g = classify(matchFingerprint(guess, db));
  assertEquals(g.perfect, 0);
  assertEquals(g.classes.length, 3);
  assert(g.classes.every((x) => x.accuracy < 1), "guesses");
});
