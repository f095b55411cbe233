/**
 * `porthole inventory …` run as the `porthole` task runs it (the same permissions): import,
 * scans, diff against ndiff's output and exit status, query, history, and bad input — one line
 * on stderr, exit 2, no stack trace. No scanning.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { porthole } from "./testing/porthole_cli.ts";
import { ndiffText } from "../cli/inventory/diff.ts";
import { importScan } from "../cli/inventory/import.ts";
import { openStore } from "../cli/inventory/store.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DATA = `${REPO}tests/data/inventory/`;
const dec = new TextDecoder();

function hasNdiff(): boolean {
  try {
    new Deno.Command("ndiff", { args: ["-h"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

Deno.test("porthole inventory: import, scans, diff of files and stored scans, query, history", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-inv-" });
  try {
    const imp = await porthole(
      ["inventory", "import", `${DATA}nmap-a.xml`, `${DATA}nmap-c.xml`, `${DATA}masscan.json`],
      dir,
    );
    assertEquals(imp.stderr, "");
    assertEquals(imp.code, 0);
    assert(/^stored scan 1 from .*nmap-a\.xml: 1 hosts, 7 ports$/m.test(imp.stdout), imp.stdout);
    assert(/^stored scan 3 from .*masscan\.json: 2 hosts, 3 ports$/m.test(imp.stdout), imp.stdout);
    // The default store is ./porthole-inventory.db.
    await Deno.stat(`${dir}/porthole-inventory.db`);

    const scans = await porthole(["inventory", "scans", "--json"], dir);
    assertEquals(scans.stdout.trim().split("\n").map((l) => JSON.parse(l).id), [3, 1, 2]);

    // Stored scans diff as their files do, byte for byte and with ndiff's exit status.
    const stored = await porthole(["inventory", "diff", "@1", "@2"], dir);
    const files = await porthole(
      ["inventory", "diff", `${DATA}nmap-a.xml`, `${DATA}nmap-c.xml`],
      dir,
    );
    assertEquals(stored.code, 1);
    assertEquals(stored.stdout, files.stdout);
    if (hasNdiff()) {
      const o = await new Deno.Command("ndiff", {
        args: [`${DATA}nmap-a.xml`, `${DATA}nmap-c.xml`],
        stdout: "piped",
      }).output();
      assertEquals(stored.stdout, dec.decode(o.stdout));
    }
    const same = await porthole(["inventory", "diff", "--xml", "@1", `${DATA}nmap-a.xml`], dir);
    assertEquals(same.code, 0);
    assert(same.stdout.endsWith("<scandiff></scandiff></nmapdiff>") || same.stdout.includes("<a>"));
    const events = await porthole(["inventory", "diff", "--json", "@last~1", "@last"], dir);
    assertEquals(events.code, 1);
    assertEquals(events.stdout.trim().split("\n").map((l) => JSON.parse(l).event), [
      "version-changed",
      "port-opened",
      "host-appeared",
    ]);

    const q = await porthole(["inventory", "query", "--port", "22", "--json"], dir);
    assertEquals(q.code, 0);
    assertEquals(q.stdout.trim().split("\n").map((l) => JSON.parse(l).address), [
      "10.0.0.2",
      "10.215.1.1",
      "10.215.1.2",
    ]);
    const cpe = await porthole(["inventory", "query", "--cpe", "cpe:/a:apache:http_server"], dir);
    assert(/^10\.215\.1\.1\t80\/tcp\thttp\tApache httpd 2\.4\.58\t/m.test(cpe.stdout), cpe.stdout);
    // By service, version and first/last seen (with the protocol) too.
    const addressPort = (out: string) =>
      out.trim().split("\n").map((l) => JSON.parse(l)).map((r) => `${r.address} ${r.port}`);
    const ssh = await porthole(["inventory", "query", "--service", "ssh", "--json"], dir);
    assertEquals(addressPort(ssh.stdout), ["10.0.0.2 22", "10.215.1.1 22", "10.215.1.2 22"]);
    const version = await porthole(["inventory", "query", "--version", "2.4.58", "--json"], dir);
    assertEquals(addressPort(version.stdout), ["10.215.1.1 80"]);
    const seen = await porthole([
      "inventory",
      "query",
      "--protocol",
      "tcp",
      "--service",
      "http",
      "--first-seen-since",
      "2026-12-06T23:10:00Z",
      "--seen-since",
      "2026-12-06T23:11:00Z",
      "--json",
    ], dir);
    assertEquals(addressPort(seen.stdout), ["10.215.1.1 443"]);
    const gone = await porthole(
      ["inventory", "query", "--not-seen-since", "2026-01-01", "--limit", "2", "--json"],
      dir,
    );
    assertEquals(addressPort(gone.stdout), ["10.0.0.1 80", "10.0.0.1 443"]);
    const h = await porthole(["inventory", "history", "10.215.1.1"], dir);
    assertEquals(h.stdout.trim().split("\n").length, 2);
    assert(h.stdout.includes("443/tcp http"), h.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("porthole inventory: six processes write into one new SQLite file at once, every scan whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-inv-" });
  try {
    const files = ["nmap-a.xml", "nmap-b.xml", "nmap-c.xml", "masscan.json"].map((f) => DATA + f);
    // The file does not exist yet: the writers race to create and migrate it, then to store.
    const runs = await Promise.all(
      Array.from(
        { length: 6 },
        () => porthole(["inventory", "import", "--store", "c.db", ...files], dir),
      ),
    );
    for (const r of runs) assertEquals([r.code, r.stderr], [0, ""]);
    await using store = await openStore(`${dir}/c.db`);
    const scans = await store.scans();
    assertEquals(scans.length, 6 * files.length);
    assertEquals(new Set(scans.map((s) => s.id)).size, scans.length);
    const want = new Map(files.map((f) => [f, importScan(Deno.readTextFileSync(f), f)]));
    for (const row of scans) {
      const file = want.get(row.source!)!;
      const stored = await store.loadScan(row.id);
      assertEquals(stored.hosts.length, file.hosts.length, row.source!);
      assertEquals(ndiffText(file, { ...stored, scanner: file.scanner }).cost, 0, row.source!);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("porthole inventory: bad input — one line, exit 2, nothing stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-inv-" });
  try {
    await Deno.writeTextFile(`${dir}/junk.xml`, "<nmaprun><host></nmaprun>");
    await Deno.writeTextFile(`${dir}/corrupt.db`, "SQLite format 3\u0000" + "garbage".repeat(500));
    const cases: [string[], RegExp][] = [
      [
        ["inventory", "import", `${DATA}nmap-a.xml`, "junk.xml"],
        /^porthole inventory: junk\.xml: unexpected <\/nmaprun> at offset \d+\n$/,
      ],
      [
        ["inventory", "import", "missing.xml"],
        /^porthole inventory: cannot read missing\.xml: No such file or directory\n$/,
      ],
      [
        ["inventory", "scans", "--store", "corrupt.db"],
        /^porthole inventory: .*corrupt\.db.*(not a Porthole store, or damaged)/,
      ],
      [["inventory", "diff", "@1"], /^porthole inventory: diff needs exactly two scans\n/],
      [
        ["inventory", "diff", "@7", "@last"],
        /^porthole inventory: porthole-inventory\.db has no scan 7\n$/,
      ],
      [
        ["inventory", "query", "--port", "http"],
        /^porthole inventory: --port http: not a port number\n/,
      ],
      [
        ["inventory", "query", "--limit", "ten"],
        /^porthole inventory: --limit ten: not a count \(a whole number, 1 or more\)\n/,
      ],
      [
        ["inventory", "report", "--limit", "0"],
        /^porthole inventory: --limit 0: not a count \(a whole number, 1 or more\)\n/,
      ],
      [["inventory", "frobnicate"], /^porthole inventory: unknown inventory command frobnicate\n/],
      [
        ["inventory", "scans", "--store", "postgres://u@127.0.0.1:1/db"],
        /^porthole inventory: store postgres:\/\/u@127\.0\.0\.1:1\/db: connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await porthole(args, dir);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert(re.test(r.stderr), `${args.join(" ")}: ${JSON.stringify(r.stderr)}`);
      assert(!/\n\s+at /.test(r.stderr), r.stderr);
    }
    // The import with a bad file stored nothing at all.
    const s = await porthole(["inventory", "scans"], dir);
    assertEquals(s.stdout, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
