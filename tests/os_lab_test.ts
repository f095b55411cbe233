/**
 * OS detection on the scanme lab, nmap's answer as the expected one: the fingerprint tests that
 * depend on neither timing nor randomness (OPS, WIN, ECN, T1–T7, U1, IE) must equal nmap's for
 * the same target, the guess list against nmap's database must start with nmap's entries, and
 * Porthole's own database must name the lab's kernel.
 *
 * Porthole's side runs tools/os_measure.ts inside the scanner namespace (OS detection with the
 * ports the scan would have found: 22 open, 1 closed).
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { parseFingerprint } from "../cli/model/os_fingerprint.ts";
import {
  agreeingRuns,
  DETERMINISTIC,
  fingerprintBlock,
  fingerprintTests,
} from "./testing/os_fingerprints.ts";
import { loadOsDb } from "../cli/os/db.ts";
import { matchFingerprint } from "../cli/os/match.ts";
import { guesses as listedGuesses } from "../cli/output/os.ts";
import type { OsResult } from "../cli/model/os.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";
import type { Lab } from "./lab/mod.ts";

const NMAP_DB = "/usr/share/nmap/nmap-os-db";
/** "Aggressive OS guesses:" as [name, percent] pairs. */
function guesses(report: string): string[] {
  const line = report.split("\n").find((l) => l.startsWith("Aggressive OS guesses: "));
  if (!line) throw new Error(`no guesses in:\n${report}`);
  return line.slice(23).split(/, (?=[^,]+ \(\d+%\)(?:,|$))/);
}

function measure(lab: Lab, args: string[]) {
  return lab.runInScanner([
    Deno.execPath(),
    "run",
    "-A",
    "tools/os_measure.ts",
    "--target",
    lab.target.v4,
    "--open",
    "22",
    "--closed",
    "1",
    ...args,
  ], { timeoutMs: 120_000 });
}

Deno.test(
  labTest("os: -O fingerprint tests and guesses equal nmap's on the scanme lab", async (t) => {
    await withLab({ tag: "os1", scenario: "scanme" }, async (lab) => {
      const v4 = lab.target.v4;

      await oracleStep(t, ["nmap", NMAP_DB], async () => {
        const { nmap: n, ours: p } = await agreeingRuns(
          async () =>
            ok(
              await lab.nmap(
                ["-vv", "-n", "-O", "--osscan-guess", "--max-os-tries", "1", "-p", "1,22,80", v4],
                { timeoutMs: 120_000 },
              ),
              "nmap",
            ),
          async () => {
            // The ICMP rate limit refills before Porthole's U1.
            await new Promise((r) => setTimeout(r, 1500));
            return ok(
              await measure(lab, ["--osdb", NMAP_DB, "--max-os-tries", "1", "--guess", "-v", "-v"]),
              "porthole",
            );
          },
        );
        const fn = fingerprintTests(n), fp = fingerprintTests(p);
        for (const name of DETERMINISTIC) {
          assert(fn.has(name), `nmap has ${name}`);
          assertEquals(fp.get(name), fn.get(name), name);
        }
        assert(fp.has("SEQ"), "Porthole measured SEQ");
        // SEQ's values depend on timing and the ISNs, so two runs' guess lists may differ in
        // order; the matcher itself must agree with nmap's on one and the same fingerprint.
        const db = await loadOsDb(NMAP_DB);
        const theirs = matchFingerprint(parseFingerprint(fingerprintBlock(n)), db);
        const listed = listedGuesses({ ...theirs } as unknown as OsResult)
          .map((m) => `${m.name} (${Math.floor(m.accuracy * 100)}%)`);
        assertEquals(listed, guesses(n));
        const ours = guesses(p).map((g) => g.replace(/ \(\d+%\)$/, ""));
        const nmaps = guesses(n).map((g) => g.replace(/ \(\d+%\)$/, ""));
        assert(nmaps.includes(ours[0]!), `Porthole's best guess ${ours[0]} is among nmap's`);
        assert(p.includes("Network Distance: 1 hop"), "distance");
      }, "deterministic tests and guesses equal nmap's (nmap's db)");

      await t.step("Porthole's own database names the lab's kernel", async () => {
        const p = ok(await measure(lab, ["-v"]), "porthole");
        const release = new TextDecoder().decode(
          (await new Deno.Command("uname", { args: ["-r"] }).output()).stdout,
        ).trim();
        const [major, minor] = release.split(".");
        const details = p.split("\n").find((l) => l.startsWith("OS details: "));
        assertEquals(details, `OS details: Linux ${major}.${minor}`);
        assert(p.includes(`Running: Linux ${major}.X`), p);
        assert(p.includes(`OS CPE: cpe:/o:linux:linux_kernel:${major}`), p);
        assert(/TCP Sequence Prediction: Difficulty=\d+ \(/.test(p), p);
        assert(p.includes("IP ID Sequence Generation: All zeros"), p);
      });
    });
  }),
);
