/**
 * `--store` on real scans of the lab's scanme replica (root only): the stored scan equals the
 * scan's own -oX (ndiff's cost 0 between them, script output included), into SQLite and into a PostgreSQL server the
 * test starts; and a PostgreSQL that goes away mid-scan loses nothing: -oX is written, the
 * store write is retried, then the scan is kept in a file that `inventory import` stores.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { ndiffText } from "../cli/inventory/diff.ts";
import { importScan } from "../cli/inventory/import.ts";
import { openStore } from "../cli/inventory/store.ts";
import { labTest, ok, withLab } from "./scan_lab.ts";
import { postgresUnavailable, startPostgres } from "./_postgres.ts";

const PORTS = "21,22,25,80,113,443,9929,31337";

Deno.test(
  labTest("inventory: --store FILE records the scan as its -oX says it", async () => {
    await withLab({ tag: "invfile", scenario: "scanme" }, async (lab) => {
      const dir = await Deno.makeTempDir({ prefix: "ph-invfile-" });
      try {
        const db = `${dir}/inv.db`;
        for (let i = 0; i < 2; i++) {
          ok(
            await lab.porthole(
              [
                "-sS",
                "-p",
                PORTS,
                // Script output is part of what is stored (the diff compares it).
                "--script",
                "banner,http-title",
                "--store",
                db,
                "-oX",
                `${dir}/s${i}.xml`,
                lab.target.v4,
              ],
              { timeoutMs: 120_000 },
            ),
            "porthole --store",
          );
        }
        await using store = await openStore(db);
        const scans = await store.scans();
        assertEquals(scans.length, 2);
        assertEquals(scans[0]!.scanner, "porthole");
        for (let i = 0; i < 2; i++) {
          const stored = await store.loadScan(scans[i]!.id);
          const xml = importScan(await Deno.readTextFile(`${dir}/s${i}.xml`));
          assertEquals(ndiffText(xml, { ...stored, scanner: xml.scanner }).cost, 0);
          const ssh = stored.hosts[0]!.ports.find((p) => p.port === 22);
          assertEquals(ssh?.reason, "syn-ack");
          assertEquals(ssh?.scripts?.map((x) => x.id), ["banner"]);
          assert(ssh?.scripts?.[0]?.output.startsWith("SSH-2.0-"), "the banner is stored");
        }
        const ssh = await store.services({ port: 22 });
        assertEquals(ssh.map((r) => [r.address, r.firstSeen, r.lastSeen]), [
          [lab.target.v4, scans[0]!.startTime, scans[1]!.startTime],
        ]);

        // A store that is not one: one message before anything is sent or any file opened.
        await Deno.writeTextFile(`${dir}/bad.db`, "SQLite format 3\u0000" + "x".repeat(5000));
        await Deno.writeTextFile(`${dir}/keep.xml`, "an earlier scan\n");
        const bad = await lab.porthole(
          ["-sS", "-p", PORTS, "--store", `${dir}/bad.db`, "-oX", `${dir}/keep.xml`, lab.target.v4],
          { timeoutMs: 120_000 },
        );
        assertEquals(bad.code, 1, bad.stderr);
        assert(
          /^cannot open store .*bad\.db: .*\(not a Porthole store, or damaged\)\nQUITTING!\n$/.test(
            bad.stderr,
          ) ||
            /^store .*bad\.db: .*\(not a Porthole store, or damaged\)\nQUITTING!\n$/.test(
              bad.stderr,
            ),
          bad.stderr,
        );
        assertEquals(bad.stdout, "");
        assertEquals(await Deno.readTextFile(`${dir}/keep.xml`), "an earlier scan\n");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }),
);

const noPg = postgresUnavailable();
if (noPg) console.warn(`inventory PostgreSQL lab tests ignored: ${noPg}`);

Deno.test({
  ...labTest("inventory: --store postgres://… and a server that goes away mid-scan", async () => {
    await withLab({ tag: "invpg", scenario: "scanme" }, async (lab) => {
      await using pg = await startPostgres();
      const dir = await Deno.makeTempDir({ prefix: "ph-invpg-" });
      try {
        // The server is on a unix socket in its folder: the lab's scanner namespace reaches it.
        ok(
          await lab.porthole(["-sS", "-p", PORTS, "--store", pg.socketUrl, lab.target.v4], {
            timeoutMs: 120_000,
          }),
          "porthole --store postgres",
        );
        {
          await using store = await openStore(pg.url);
          assertEquals((await store.counts()).scans, 1);
        }

        // Slow on purpose (a probe each 300 ms): the server is stopped once the scan has begun.
        const xml = `${dir}/gone.xml`;
        const scan = lab.porthole([
          "-sS",
          "--scan-delay",
          "300ms",
          "-p",
          PORTS,
          "--store",
          pg.socketUrl,
          "-oX",
          xml,
          lab.target.v4,
        ], { timeoutMs: 180_000 });
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const text = await Deno.readTextFile(xml).catch(() => "");
          if (text.includes("<nmaprun")) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await pg.kill();
        const r = await scan;
        assertEquals(r.code, 0, r.stderr);
        const m =
          /^WARNING: the scan was not stored \((.*)\); it is kept in (\S+): porthole inventory import \S+\n$/m
            .exec(r.stderr);
        assert(m, r.stderr);
        assert(m[2]!.startsWith(dir), m[2]);
        // -oX is whole, and the kept scan says the same.
        const fromXml = importScan(await Deno.readTextFile(xml));
        const kept = importScan(await Deno.readTextFile(m[2]!));
        assertEquals(ndiffText(fromXml, { ...kept, scanner: fromXml.scanner }).cost, 0);
        // The server back: the kept file goes in.
        await pg.restart();
        ok(
          await lab.porthole(["inventory", "import", "--store", pg.socketUrl, m[2]!]),
          "inventory import",
        );
        await using store = await openStore(pg.url);
        assertEquals((await store.counts()).scans, 2);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }),
  ignore: labTest("", () => Promise.resolve()).ignore || noPg !== null,
});
