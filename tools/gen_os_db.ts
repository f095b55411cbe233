/**
 * Writes cli/data/porthole-os-db, Porthole's own OS fingerprint database, from fingerprints
 * Porthole measures itself on the lab (root; a few minutes):
 *
 *     deno run -A tools/gen_os_db.ts [--runs 4] [--out cli/data/porthole-os-db]
 *
 * For each configuration below it brings up the "scanme" lab (tag os2), sets the target
 * namespace's sysctls, runs tools/os_measure.ts inside the scanner namespace `--runs` times (one
 * try each) and turns the fingerprints into one reference entry: attributes that never varied
 * are written as measured, the timing-dependent SEQ values as ranges around what was seen,
 * TTLs as nmap's database writes them (T=3B-45%TG=40 for an initial 64).
 *
 * The MatchPoints block (the weight of each test attribute) is nmap's, read from
 * /usr/share/nmap/nmap-os-db, so that scores mean what nmap's mean; the file says so.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Lab } from "../tests/lab/mod.ts";
import type { OsResult } from "../cli/model/os.ts";
import type { FpTest } from "../cli/os/match.ts";
import { TEST_ORDER } from "../cli/os/db.ts";
import { OS_VARIANTS, withVariant } from "../tests/testing/os_variants.ts";

const NMAP_DB = "/usr/share/nmap/nmap-os-db";

const hex = (n: number) => n.toString(16).toUpperCase();
const isHex = (v: string) => /^[0-9A-F]+$/.test(v);

/** One reference test line from the same test measured several times. */
export function generalise(name: string, seen: FpTest[]): string {
  const order: string[] = [];
  const values = new Map<string, string[]>();
  for (const t of seen) {
    for (const [a, v] of t.attrs) {
      if (!values.has(a)) {
        values.set(a, []);
        order.push(a);
      }
      const list = values.get(a)!;
      if (!list.includes(v)) list.push(v);
    }
  }
  const out: string[] = [];
  for (const a of order) {
    const vs = values.get(a)!;
    const nums = vs.every(isHex) ? vs.map((v) => parseInt(v, 16)) : undefined;
    if (a === "T" && nums) {
      // The initial TTL as a window of ±5 hops, and the guess, as nmap's database has them.
      const init = Math.max(...nums);
      out.push(`T=${hex(Math.max(0, init - 5))}-${hex(init + 5)}`, `TG=${hex(init)}`);
    } else if (a === "TG") {
      if (!values.has("T")) out.push(`TG=${vs.join("|")}`);
    } else if (name === "SEQ" && (a === "SP" || a === "ISR") && nums) {
      out.push(`${a}=${hex(Math.max(0, Math.min(...nums) - 16))}-${hex(Math.max(...nums) + 16)}`);
    } else if (name === "SEQ" && a === "GCD" && nums) {
      out.push(Math.max(...nums) <= 6 ? "GCD=1-6" : `GCD=${vs.join("|")}`);
    } else if (name === "SEQ" && a === "TS" && nums && Math.min(...nums) >= 0x1f) {
      // Per-connection random timestamps: log2 of a huge apparent rate, give or take one.
      out.push(`TS=${hex(Math.min(...nums) - 2)}-${hex(Math.max(...nums) + 2)}`);
    } else out.push(`${a}=${vs.join("|")}`);
  }
  return `${name}(${out.join("%")})`;
}

async function must(p: Promise<{ code: number; stdout: string; stderr: string }>, what: string) {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function main() {
  const { values: v } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "4" },
      out: { type: "string", default: "cli/data/porthole-os-db" },
    },
  });
  const runs = Number(v.runs);
  const nmapDb = await Deno.readTextFile(NMAP_DB);
  const points = nmapDb.slice(nmapDb.indexOf("\nMatchPoints\n") + 1).split("\n\n")[0]!;
  const release = (await new Deno.Command("uname", { args: ["-r"] }).output()).stdout;
  const kernel = new TextDecoder().decode(release).trim();
  const [major, minor] = kernel.split(".");
  const entries: string[] = [];
  const lab = await Lab.up({ tag: "os2", scenario: "scanme" });
  try {
    const target = lab.target;
    for (const variant of OS_VARIANTS) {
      const rounds: FpTest[][] = [];
      await withVariant(lab, variant, async () => {
        for (let i = 0; i < runs; i++) {
          const out = await must(
            lab.runInScanner([
              Deno.execPath(),
              "run",
              "-A",
              "tools/os_measure.ts",
              "--target",
              target.v4,
              "--open",
              "22",
              "--closed",
              "1",
              "--max-os-tries",
              "1",
              "--json",
            ], { timeoutMs: 60_000 }),
            "measure.ts",
          );
          const os = JSON.parse(out.trim().split("\n").pop()!) as OsResult;
          rounds.push(os.rounds[0]!);
          // Let the target's ICMP rate limit refill between runs.
          await new Promise((r) => setTimeout(r, 1200));
        }
      });
      const lines = TEST_ORDER.flatMap((name) => {
        const seen = rounds.flatMap((r) => r.filter((t) => t.name === name));
        return seen.length === runs ? [generalise(name, seen)] : [];
      });
      entries.push([
        `# Linux ${kernel} in a network namespace behind a veth (MTU 1500), ${variant.note};`,
        `# measured by tools/gen_os_db.ts, ${runs} runs.`,
        `Fingerprint Linux ${major}.${minor}${variant.suffix}`,
        `Class Linux | Linux | ${major}.X | general purpose`,
        `CPE cpe:/o:linux:linux_kernel:${major} auto`,
        ...lines,
      ].join("\n"));
    }
  } finally {
    await lab.down();
  }
  const header = [
    "# Porthole's OS fingerprint database, in nmap-os-db format (see cli/os/db.ts).",
    "# GENERATED by tools/gen_os_db.ts from fingerprints Porthole measured itself on its lab;",
    "# re-run it (as root) to add or refresh entries. nmap's nmap-os-db, when installed, is",
    "# merged before these prints (cli/os/db.ts); --osdb FILE uses that one file alone.",
    "# The fingerprints are Porthole's own measurements, MIT-licensed as Porthole (LICENSE).",
    "#",
    `# The MatchPoints block below is nmap's, from ${NMAP_DB} (nmap-os-db is`,
    "# (C) Nmap Software LLC, distributed under the Nmap Public Source License,",
    "# https://nmap.org/npsl/), so that accuracies are computed with nmap's weights.",
    "",
  ].join("\n");
  await Deno.writeTextFile(v.out!, header + points + "\n\n" + entries.join("\n\n") + "\n");
  console.log(`wrote ${v.out}: ${entries.length} fingerprints`);
}

if (import.meta.main) await main();
