/**
 * Data files on the many-hosts lab (issue 17): which files -v says were read, next to nmap's
 * own "Read data files from:" lines; MAC vendor lines next to nmap's (the lab's printer has
 * Hewlett Packard's OUI), and from the IEEE table when nmap's does not name the vendor; -6 -O
 * saying that no OS scan was done.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

/** The data-file lines of a report, nmap's "/usr/bin/../share/nmap" spelled as its real path. */
function dataFileLines(out: string): string[] {
  return out.split("\n").filter((l) => /^Read (data files from:|from) /.test(l))
    .map((l) => l.replace(/\/[^ :]*\/\.\.\/share\/nmap/g, "/usr/share/nmap"));
}

function macLines(out: string): string[] {
  return out.split("\n").filter((l) => l.startsWith("MAC Address: "));
}

const NMAP_DIR = "/usr/share/nmap";

Deno.test(
  labTest("data files: -v names the files read as nmap does; MAC vendors; -6 -O", async (t) => {
    await withLab({ tag: "ddfiles", scenario: "many-hosts" }, async (lab) => {
      const web = lab.targets.find((h) => h.spec.name === "web")!;
      const printer = lab.targets.find((h) => h.spec.name === "printer")!;
      const tmp = await Deno.makeTempDir({ prefix: "ph-datadir-lab-" });
      try {
        await t.step({
          name: "-v -sV: Read data files from (nmap's installed files)",
          ignore: !(await exists(`${NMAP_DIR}/nmap-service-probes`)),
          fn: async (t) => {
            const args = ["-v", "-Pn", "-sV", "-p", "22,80", web.v4];
            const p = ok(await lab.porthole(args), "porthole");
            assertEquals(dataFileLines(p), [`Read data files from: ${NMAP_DIR}`], p);
            // nmap's words for the port: its own database, merged before Porthole's.
            assert(/^22\/tcp\s+open\s+ssh\s+OpenSSH 8\.4p1 Debian 5\+deb11u1/m.test(p), p);
            await oracleStep(t, "nmap", async () => {
              const n = ok(await lab.nmap(args), "nmap");
              assertEquals(dataFileLines(p), dataFileLines(n));
            });
          },
        });

        await t.step({
          name: "NMAPDIR: files from two directories, listed per directory as nmap does",
          ignore: !(await exists(`${NMAP_DIR}/nmap-mac-prefixes`)),
          fn: async (t) => {
            await Deno.copyFile(`${NMAP_DIR}/nmap-mac-prefixes`, `${tmp}/nmap-mac-prefixes`);
            const args = ["-v", "-Pn", "-sV", "-p", "22", web.v4];
            const env = { NMAPDIR: tmp };
            const p = ok(await lab.porthole(args, { env }), "porthole");
            assertEquals(dataFileLines(p), [
              `Read from ${tmp}: nmap-mac-prefixes.`,
              `Read from ${NMAP_DIR}: nmap-service-probes nmap-services.`,
            ]);
            await oracleStep(t, "nmap", async () => {
              const n = ok(await lab.nmap(args, { env }), "nmap");
              assertEquals(dataFileLines(p), dataFileLines(n));
            });
          },
        });

        await t.step(
          "MAC vendors equal nmap's; the IEEE table names what nmap's lacks",
          async (t) => {
            const args = ["-v", "-T4", "-sn", web.v4, printer.v4];
            const p = ok(await lab.porthole(args), "porthole");
            const macs = macLines(p);
            assertEquals(macs.length, 2, p);
            const hp = macs.find((l) => l.startsWith("MAC Address: 3C:D9:2B:"));
            assert(hp, p);
            if (await exists(`${NMAP_DIR}/nmap-mac-prefixes`)) {
              assert(hp.endsWith("(Hewlett Packard)"), hp);
            }
            assert(macs.some((l) => /^MAC Address: 02:70:68:.* \(Unknown\)$/.test(l)), p);
            await oracleStep(t, "nmap", async () => {
              const n = ok(await lab.nmap(args), "nmap");
              assertEquals(macs, macLines(n));
              // -sn reads the MAC table only (no services table), as nmap does.
              assertEquals(dataFileLines(p), dataFileLines(n));
            });
            // An nmap table that does not know HP's prefix: the built-in IEEE table names it.
            await Deno.writeTextFile(`${tmp}/nmap-mac-prefixes`, "000000 Xerox\n");
            const own = ok(await lab.porthole([...args, "--datadir", tmp]), "porthole");
            assert(
              macLines(own).some((l) => /^MAC Address: 3C:D9:2B:.* \(Hewlett Packard\)$/.test(l)),
            );
            assertEquals(dataFileLines(own), [`Read data files from: ${tmp}`]);
          },
        );

        await t.step(
          "PORTHOLE_DATADIR, then ~/.porthole, through the shipped permissions",
          async () => {
            const env = `${tmp}/env`, home = `${tmp}/home`;
            await Deno.mkdir(env, { recursive: true });
            await Deno.mkdir(`${home}/.porthole`, { recursive: true });
            await Deno.writeTextFile(`${env}/nmap-mac-prefixes`, "3CD92B From PORTHOLE_DATADIR\n");
            await Deno.writeTextFile(`${home}/.porthole/nmap-mac-prefixes`, "3CD92B From HOME\n");
            const args = ["-v", "-sn", printer.v4];
            const both = ok(
              await lab.porthole(args, { env: { PORTHOLE_DATADIR: env, HOME: home } }),
              "porthole",
            );
            assert(/^MAC Address: 3C:D9:2B:.* \(From PORTHOLE_DATADIR\)$/m.test(both), both);
            assertEquals(dataFileLines(both), [`Read data files from: ${env}`]);
            const homeOnly = ok(await lab.porthole(args, { env: { HOME: home } }), "porthole");
            assert(/^MAC Address: 3C:D9:2B:.* \(From HOME\)$/m.test(homeOnly), homeOnly);
          },
        );

        await t.step(
          "-6 -O: says the OS scan was not done, never 'OS detection performed'",
          async () => {
            const r = await lab.porthole(["-6", "-O", "-p", "22,81", web.v6]);
            const p = ok(r, "porthole");
            assert(r.stderr.includes("WARNING: Disabling OS Scan (-O)"), r.stderr);
            assert(!/OS detection performed|OS details|Running:/.test(p), p);
            assert(/^22\/tcp open/m.test(p), p);
          },
        );
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    });
  }),
);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
