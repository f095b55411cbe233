import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { builtinProbeDb } from "./db.ts";
import { cachedProbeDb, cachePath, dbFromJson, dbToJson } from "./db_cache.ts";
import { parseProbeDb, type ProbeDb } from "./probe_db.ts";

/** Everything a scan reads from a database, as plain data. */
function shape(db: ProbeDb) {
  const probe = (p: NonNullable<ProbeDb["nullProbe"]>) => ({
    ...p,
    ports: [...p.ports],
    sslPorts: [...p.sslPorts],
    services: [...p.services],
    fallbacks: p.fallbacks.map((f) => f.name),
    matches: p.matches.map((m) => [m.soft, m.service, m.pattern, m.options, m.templates, m.line]),
  });
  return {
    source: db.source,
    excludeTcp: [...db.excludeTcp],
    excludeUdp: [...db.excludeUdp],
    nullProbe: db.nullProbe && probe(db.nullProbe),
    probes: db.probes.map(probe),
  };
}

const ID = { format: 1, path: "/x", size: 1, mtimeMs: 1 };

Deno.test("probe cache: the parsed form comes back as it was parsed", () => {
  const db = builtinProbeDb();
  assertEquals(shape(dbFromJson(dbToJson(db, ID), ID)!), shape(db));
  // High bytes in payloads and patterns survive.
  const hi = parseProbeDb(
    "Probe TCP NULL q||\nmatch x m|^\\xff\\x80é| p/é/\nProbe UDP Hi q|\\xff\\x00\\x80|\nrarity 3\nports 7\n",
    "hi",
  );
  assertEquals(shape(dbFromJson(dbToJson(hi, ID), ID)!), shape(hi));
  // Another file (or the same one changed) is not taken from the cache.
  assertEquals(dbFromJson(dbToJson(db, ID), { ...ID, mtimeMs: 2 }), undefined);
});

Deno.test("probe cache: kept under HOME, used while the file is unchanged", async () => {
  const home = await Deno.makeTempDir();
  const oldHome = Deno.env.get("HOME");
  Deno.env.set("HOME", home);
  try {
    const file = `${home}/probes`;
    const text = "Probe TCP NULL q||\nmatch one m|^ONE|\n";
    await Deno.writeTextFile(file, text);
    let parses = 0;
    const parse = async () => {
      parses++;
      return parseProbeDb(await Deno.readTextFile(file), file);
    };
    const a = await cachedProbeDb(file, parse);
    assert(cachePath(file)!.startsWith(`${home}/.cache/porthole/`));
    const b = await cachedProbeDb(file, parse);
    assertEquals(parses, 1);
    assertEquals(shape(b), shape(a));
    // A changed file is parsed again.
    await Deno.writeTextFile(file, text + "match two m|^TWO|\n");
    const c = await cachedProbeDb(file, parse);
    assertEquals(parses, 2);
    assertEquals(c.nullProbe!.matches.length, 2);
  } finally {
    if (oldHome === undefined) Deno.env.delete("HOME");
    else Deno.env.set("HOME", oldHome);
    await Deno.remove(home, { recursive: true });
  }
});
