/**
 * The bench's `-sC` row on the real-daemons lab (tests/lab/real_daemons.ts), issue 18's figures:
 * nmap 7.93 and Porthole run the same command (`-sS -sU -sC -Pn -n -p <every daemon port>`),
 * Porthole finding nmap's scripts and nselib in nmap's data directory as a user's would. Wall
 * times and their ratio, and the parity of the script output: for every (port, script) where
 * nmap prints output, whether Porthole prints the same text, the same text once values that
 * differ by nature are blanked (tests/testing/by_nature.ts), a different text, or nothing.
 *
 *     deno run --allow-all --unstable-net bench/sc_lab.ts [--runs N] [--only d1,d2] [--keep DIR] [--tag T]
 *         [--timeline DIR]
 *
 * prints every pair that is not identical, with both texts (`--keep` keeps the normal outputs;
 * `--tag` names the lab, "bsc" by default; `--timeline` runs both tools with -d and writes their
 * output with each line's arrival time to DIR/TOOL.tl, and prints the script threads that ended
 * last and the longest: nse_timeline.ts).
 */

import { labUnavailable, REPO_ROOT } from "../tests/lab/mod.ts";
import { DAEMONS, installedVersion, RealDaemonsLab } from "../tests/lab/real_daemons.ts";
import { portSpec } from "../tests/lab/sv_stability.ts";
import { scriptsByPort } from "../tests/testing/script_output.ts";
import { byNature } from "../tests/testing/by_nature.ts";
import { median, spread } from "./stats.ts";
import { stampedRun, threadSpans, timelineSummary } from "./nse_timeline.ts";
import type { ToolRow } from "./main.ts";

/** How one (port, script) pair of nmap's output came out in Porthole's. */
export type Verdict = "identical" | "by-nature" | "differing" | "missing";

/** One pair that both tools (or one) printed. */
export interface Pair {
  key: string;
  verdict: Verdict | "extra";
  nmap?: string;
  porthole?: string;
}

/** The parity of one Porthole run against nmap's. */
export interface Parity {
  counts: Record<Verdict | "extra", number>;
  /** Pairs nmap printed. */
  total: number;
  /** Identical or identical modulo values that differ by nature, in % of `total`. */
  samePercent: number;
  pairs: Pair[];
}

/** Compares two normal outputs pair by pair ("80/tcp http-title", "host nbstat"). */
export function parity(nmapOut: string, portholeOut: string): Parity {
  const theirs = scriptsByPort(nmapOut), ours = scriptsByPort(portholeOut);
  const counts = { identical: 0, "by-nature": 0, differing: 0, missing: 0, extra: 0 };
  const pairs: Pair[] = [];
  for (const key of [...new Set([...theirs.keys(), ...ours.keys()])].sort()) {
    const [port, id] = key.split(" ") as [string, string];
    const n = theirs.get(key), p = ours.get(key);
    const verdict: Pair["verdict"] = n === undefined
      ? "extra"
      : p === undefined
      ? "missing"
      : n === p
      ? "identical"
      : byNature(port, id, n) === byNature(port, id, p)
      ? "by-nature"
      : "differing";
    counts[verdict]++;
    pairs.push({ key, verdict, nmap: n, porthole: p });
  }
  const total = theirs.size;
  const same = counts.identical + counts["by-nature"];
  return { counts, total, samePercent: total ? (100 * same) / total : NaN, pairs };
}

/** "41/43 same (95.3%): 39 identical, 2 by nature, 1 differing, 1 missing; 0 extra". */
export function parityLine(p: Parity): string {
  const c = p.counts;
  return `${c.identical + c["by-nature"]}/${p.total} same (${p.samePercent.toFixed(1)}%): ` +
    `${c.identical} identical, ${c["by-nature"]} by nature, ${c.differing} differing, ` +
    `${c.missing} missing; ${c.extra} extra` + odd(p);
}

/** The pairs a run's line must name: whatever is not the same is worth a look without the logs. */
function odd(p: Parity): string {
  const named = p.pairs.filter((x) =>
    x.verdict === "differing" || x.verdict === "missing" ||
    x.verdict === "extra"
  );
  return named.length ? ` (${named.map((x) => `${x.verdict}: ${x.key}`).join(", ")})` : "";
}

/** The scan both tools run, without the target. */
function scArgs(spec: string): string[] {
  return ["-sS", ...(spec.includes("U:") ? ["-sU"] : []), "-sC", "-Pn", "-n", "-p", spec];
}

interface ScRun {
  wallS: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** The runs of one -sC comparison: nmap once, Porthole `runs` times, in one lab. */
export interface ScLab {
  title: string;
  nmap: ScRun;
  porthole: { run: ScRun; parity: Parity }[];
}

/** The daemons installed here (the lab starts only those). */
async function installedDaemons(only?: string[]) {
  const wanted = only ? DAEMONS.filter((d) => only.includes(d.name)) : DAEMONS;
  const installed = await Promise.all(wanted.map((d) => installedVersion(d.pkg)));
  return wanted.filter((_, i) => installed[i] !== null);
}

/** Brings the lab up (tag "bsc"), runs nmap once and Porthole `runs` times. */
export async function scLab(
  opts: {
    runs: number;
    only?: string[];
    keep?: string;
    tag?: string;
    timeline?: string;
    log?: (s: string) => void;
  },
): Promise<ScLab> {
  const log = opts.log ?? (() => {});
  const daemons = await installedDaemons(opts.only);
  await using rl = await RealDaemonsLab.up({ tag: opts.tag ?? "bsc", daemons, timeoutMs: 300_000 });
  for (const f of rl.failed) log(`  sc-lab: not up: ${f.name}: ${f.why}`);
  const spec = portSpec(rl);
  const title = `-sC, real-daemons lab (${rl.started.length} daemons, ${rl.ports().length} ports)`;
  const args = [...scArgs(spec), ...(opts.timeline ? ["-d"] : []), rl.v4];
  const keep = async (name: string, r: ScRun) => {
    if (opts.keep) await Deno.writeTextFile(`${opts.keep}/${name}.txt`, r.stdout + r.stderr);
  };
  const timed = async (
    r: Promise<{ wallMs: number; code: number; stdout: string; stderr: string }>,
  ) => {
    const x = await r;
    return { wallS: x.wallMs / 1000, code: x.code, stdout: x.stdout, stderr: x.stderr };
  };
  // With a timeline, each line stamped as it arrives (nmap's stdout made line-buffered for it).
  const stamped = async (argv: string[], name: string): Promise<ScRun> => {
    const r = await stampedRun(argv, { cwd: REPO_ROOT, timeoutMs: 1_800_000 });
    const text = r.lines.map((l) => `${l.t.toFixed(3).padStart(8)} ${l.line}\n`).join("");
    await Deno.writeTextFile(`${opts.timeline}/${name}.tl`, text);
    log(`  sc-lab ${name}, script threads:\n${timelineSummary(threadSpans(r.lines))}`);
    return {
      wallS: r.wallS,
      code: r.code,
      stdout: r.lines.map((l) => l.line).join("\n"),
      stderr: r.stderr,
    };
  };
  const nmap = opts.timeline
    ? await stamped(
      ["ip", "netns", "exec", rl.lab.scanner.ns, "stdbuf", "-oL", "nmap", ...args],
      "nmap",
    )
    : await timed(rl.lab.nmap(args, { timeoutMs: 1_800_000 }));
  await keep("nmap", nmap);
  log(`  sc-lab nmap: ${nmap.wallS.toFixed(1)} s (exit ${nmap.code})`);
  const porthole: ScLab["porthole"] = [];
  for (let i = 0; i < opts.runs; i++) {
    const run = opts.timeline
      ? await stamped(await rl.lab.portholeArgv(args), `porthole-${i + 1}`)
      : await timed(rl.lab.porthole(args, { timeoutMs: 1_800_000 }));
    await keep(`porthole-${i + 1}`, run);
    const p = parity(nmap.stdout, run.stdout);
    porthole.push({ run, parity: p });
    log(
      `  sc-lab porthole run ${i + 1}: ${run.wallS.toFixed(1)} s (exit ${run.code}); ${
        parityLine(p)
      }`,
    );
  }
  return { title, nmap, porthole };
}

/** The bench's rows: none when the lab or most daemons are missing. */
export async function scLabRows(
  opts: { runs: number; log?: (s: string) => void },
): Promise<ToolRow[]> {
  const log = opts.log ?? (() => {});
  if (await labUnavailable()) return [];
  if ((await installedDaemons()).length < 50) {
    log("bench: sc-lab skipped: the lab's daemons are not installed (deno task lab:capture)");
    return [];
  }
  const r = await scLab(opts);
  const walls = r.porthole.map((p) => p.run.wallS);
  const worst = r.porthole.reduce((a, b) => (b.parity.samePercent < a.parity.samePercent ? b : a));
  const row = (tool: ToolRow["tool"], ws: number[], failed: boolean, notes: string[]) => ({
    workload: "sc-lab",
    title: r.title,
    tool,
    runs: ws.length,
    wallMedianS: median(ws),
    wallSpread: spread(ws),
    ratioToNmap: tool === "nmap" ? undefined : median(ws) / r.nmap.wallS,
    pps: NaN,
    rssMiB: NaN,
    correct: failed
      ? "failed" as const
      : tool === "nmap"
      ? "n/a" as const
      : worst.parity.counts.differing + worst.parity.counts.missing
      ? "WRONG" as const
      : "identical" as const,
    notes,
  });
  return [
    row("nmap", [r.nmap.wallS], r.nmap.code !== 0, ["nmap -sS -sU -sC, once"]),
    row("porthole", walls, r.porthole.some((p) => p.run.code !== 0), [
      "nmap's scripts found in its data directory",
      `script output vs nmap's, worst run: ${parityLine(worst.parity)}`,
    ]),
  ];
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const log = (s: string) => console.error(s);
  const why = await labUnavailable();
  if (why) {
    log(`sc-lab: the lab cannot run here (${why})`);
    return 1;
  }
  const keep = arg(args, "--keep"), timeline = arg(args, "--timeline");
  for (const dir of [keep, timeline]) if (dir) await Deno.mkdir(dir, { recursive: true });
  const r = await scLab({
    runs: Number(arg(args, "--runs") ?? 1),
    only: arg(args, "--only")?.split(","),
    tag: arg(args, "--tag"),
    keep,
    timeline,
    log,
  });
  console.log(`${r.title}\nnmap: ${r.nmap.wallS.toFixed(1)} s`);
  for (const [i, p] of r.porthole.entries()) {
    const ratio = p.run.wallS / r.nmap.wallS;
    console.log(
      `porthole run ${i + 1}: ${p.run.wallS.toFixed(1)} s (${ratio.toFixed(2)}× nmap); ` +
        parityLine(p.parity),
    );
    for (const x of p.parity.pairs.filter((x) => x.verdict !== "identical")) {
      console.log(`\n[${x.verdict}] ${x.key}`);
      if (x.verdict === "by-nature") continue;
      console.log(`--- nmap\n${x.nmap ?? "(nothing)"}\n--- porthole\n${x.porthole ?? "(nothing)"}`);
    }
  }
  return r.nmap.code || r.porthole.some((p) => p.run.code) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
