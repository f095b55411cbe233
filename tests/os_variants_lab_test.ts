/**
 * Porthole's own OS database on the settings people run: for each configuration it holds a
 * fingerprint for (tests/testing/os_variants.ts: timestamps, SACK, window scaling or ECN off,
 * other initial TTLs), the lab's target is set that way and `porthole -O` must name it —
 * without nmap's data (the built-in database alone) as that configuration's entry, and with
 * nmap's data found (nmap's database merged before Porthole's) still as a Linux.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { untilDeterministic } from "./testing/os_fingerprints.ts";
import { OS_VARIANTS, withVariant } from "./testing/os_variants.ts";
import { portholeWithoutNmap } from "./testing/nmap_hidden.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";

/** The best match of an -O report: the "OS details:" line, else the first aggressive guess. */
function bestMatch(report: string): string {
  const details = report.split("\n").find((l) => l.startsWith("OS details: "));
  if (details) return details.slice(12).split(", ")[0]!;
  const line = report.split("\n").find((l) => l.startsWith("Aggressive OS guesses: "));
  if (!line) throw new Error(`no OS match in:\n${report}`);
  return line.slice(23).split(/ \(\d+%\)/)[0]!;
}

const NMAP_DB = "/usr/share/nmap/nmap-os-db";

Deno.test(
  labTest(
    "os variants: -O names each measured Linux setting, with and without nmap's data",
    async (t) => {
      await withLab({ tag: "osv", scenario: "scanme" }, async (lab) => {
        const release = new TextDecoder().decode(
          (await new Deno.Command("uname", { args: ["-r"] }).output()).stdout,
        ).trim();
        const [major, minor] = release.split(".");
        // --osscan-guess: a run whose SEQ timing fell outside the entry's ranges still lists its
        // best match first; -vv prints the fingerprint, so that runs that lost a deterministic
        // test's reply are measured again.
        const args = ["-n", "-vv", "-O", "--osscan-guess", "-p", "1,22", lab.target.v4];
        const settle = () => new Promise((r) => setTimeout(r, 1500)); // ICMP rate limit refills
        for (const variant of OS_VARIANTS) {
          const name = `Linux ${major}.${minor}${variant.suffix}`;
          await t.step(variant.note, async (t) => {
            await withVariant(lab, variant, async () => {
              await t.step(`the built-in database alone names ${name}`, async () => {
                const own = await untilDeterministic(async () => {
                  await settle();
                  return ok(await portholeWithoutNmap(lab, args), "porthole without nmap's data");
                });
                assertEquals(bestMatch(own), name, own);
                assert(own.includes(`cpe:/o:linux:linux_kernel:${major}`), own);
              });
              // Merged, nmap's prints come first and win ties; a run whose SEQ timing is far off
              // gets nmap's own best guess, which for these targets names a Linux too.
              await oracleStep(t, ["nmap", NMAP_DB], async () => {
                const merged = await untilDeterministic(async () => {
                  await settle();
                  return ok(await lab.porthole(args, { timeoutMs: 180_000 }), "porthole");
                });
                assert(merged.includes("Read data files from: /usr/share/nmap"), merged);
                assert(/\bLinux\b/.test(bestMatch(merged)), merged);
              }, "with nmap's data found (merged) it still names a Linux");
            });
          });
        }
      });
    },
  ),
);
