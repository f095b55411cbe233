/**
 * `deno task bench [--quick] [--no-slow] [--runs N] [FILTER…]`: Porthole beside nmap and masscan,
 * same run, same lab. Each workload brings its lab scenario up, runs the tools interleaved
 * (inside the scanner namespace), and records wall time (median and spread), the ratio to
 * nmap, packets per second on the scanner's link, peak RSS, and whether the answer equals the
 * reference. Micro-benchmarks of the packet core and the send paths follow. The table is
 * printed and written to bench/results/latest.{json,md}; the README shows it. A FILTER runs the
 * workloads whose names contain it, or, when it is a workload's whole name, that one alone.
 */

import { parseArgs } from "node:util";
import {
  expandPorts,
  expectedState,
  Lab,
  labUnavailable,
  lossFreeTable,
  scenario as scenarioByName,
} from "../tests/lab/mod.ts";
import { run } from "../tests/lab/_exec.ts";
import { masscanOpenRows, type PortTable, portTable, tableDiff } from "./port_table.ts";
import { median, si, spread } from "./stats.ts";
import { type ToolName, type Workload, WORKLOADS } from "./workloads.ts";
import { microBenchmarks, type MicroResult } from "./micro.ts";
import { type FingerprintRow, fingerprintRows, renderFingerprints } from "./fingerprints.ts";
import { svLabRows } from "./sv_lab.ts";
import { scLabRows } from "./sc_lab.ts";

interface RunSample {
  wallS: number;
  rssMiB: number;
  txPackets: number;
  ok: boolean;
  diffs: string[];
  code: number;
  stdout: string;
  /** Per-run remarks for the table (sharded runs: each shard's time). */
  notes?: string[];
  /** Porthole's first probe, ms after the runtime started (workloads with firstProbe). */
  firstProbeMs?: number;
}

/** One row of the bench's table. */
export interface ToolRow {
  workload: string;
  title: string;
  tool: ToolName;
  runs: number;
  wallMedianS: number;
  wallSpread: string;
  ratioToNmap?: number;
  pps: number;
  rssMiB: number;
  correct: "identical" | "WRONG" | "n/a" | "failed";
  notes: string[];
}

const REPO = new URL("../", import.meta.url).pathname;
const RESULTS = `${REPO}bench/results`;

async function inScanner(lab: Lab, argv: string[], timeoutMs: number) {
  return await lab.runInScanner(argv, { timeoutMs, cwd: REPO });
}

async function txPackets(lab: Lab, ns = lab.scanner.ns): Promise<number> {
  const r = await run(
    ["ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/statistics/tx_packets"],
    { timeoutMs: 10_000, cwd: REPO },
  );
  return Number(r.stdout.trim()) || 0;
}

function substitute(args: string[], lab: Lab, resultFile: string): string[] {
  return args.map((a) =>
    a === "TARGET"
      ? lab.target.v4
      : a === "ANYIP"
      ? lab.anyip ?? ""
      : a === "RESULTFILE"
      ? resultFile
      : a === "SCANNERIP"
      ? lab.scanner.v4
      : a === "ROUTERMAC"
      // The routed target's end of the veth (the lab's fixed MACs: 02:70:68:<b>:00:02).
      ? `02:70:68:${lab.addr.b.toString(16).padStart(2, "0")}:00:02`
      : a
  );
}

/** The argv for one tool, wrapped in GNU time for peak RSS. */
async function toolArgv(tool: ToolName, args: string[], lab: Lab): Promise<string[]> {
  const time = ["/usr/bin/time", "-f", "PH_BENCH_RSS_KB=%M"];
  if (tool === "porthole") {
    const argv = await lab.portholeArgv(args); // ip netns exec NS deno run … cli/main.ts ARGS
    const ns = argv.indexOf(lab.scanner.ns);
    return [...argv.slice(0, ns + 1), ...time, ...argv.slice(ns + 1)];
  }
  if (tool === "nmap") return ["ip", "netns", "exec", lab.scanner.ns, ...time, "nmap", ...args];
  return ["ip", "netns", "exec", lab.scanner.ns, ...time, "masscan", ...args];
}

async function runTool(
  w: Workload,
  tool: ToolName,
  lab: Lab,
  reference: PortTable | undefined,
): Promise<RunSample> {
  if (tool === "porthole" && w.shards) return await runShards(w, lab);
  const resultFile = `/tmp/ph-bench-${tool}-${Deno.pid}.out`;
  const args = substitute(w.args[tool]!, lab, resultFile);
  const before = await txPackets(lab);
  const argv = await toolArgv(tool, args, lab);
  const traced = tool === "porthole" && w.firstProbe;
  // PORTHOLE_DEBUG_TIMING marks the phases on stderr; `env` in the argv takes it.
  if (traced) argv.splice(argv.indexOf("env") + 1, 0, "PORTHOLE_DEBUG_TIMING=1");
  const r = await run(argv, { timeoutMs: w.timeoutMs, cwd: REPO });
  const after = await txPackets(lab);
  const rss = Number(/PH_BENCH_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  let diffs: string[] = [];
  if (w.reference === "anyip-count") {
    const want = anyipOpenCount(w);
    const got = tool === "masscan"
      ? [...masscanOpenRows(r.stdout).values()].reduce((n, s) => n + s.size, 0)
      : countGrepableOpen(resultFile);
    if (got !== want) diffs = [`${got} open host-ports, expected ${want}`];
  } else if (reference && tool !== "masscan") {
    diffs = tableDiff(reference, portTable(r.stdout));
  }
  await Deno.remove(resultFile).catch(() => {});
  const ok = r.code === 0 && diffs.length === 0;
  if (r.code !== 0) {
    const why = r.stderr.split("\n").filter((l) => l.trim() && !l.startsWith("PH_BENCH_RSS_KB="));
    diffs.unshift(`exit ${r.code}: ${why.at(-1) ?? ""}`);
  }
  const first = traced ? /timing: ([\d.]+) ms first send/.exec(r.stderr)?.[1] : undefined;
  return {
    wallS: r.wallMs / 1000,
    rssMiB: rss,
    txPackets: after - before,
    ok,
    diffs,
    code: r.code,
    stdout: r.stdout,
    firstProbeMs: first === undefined ? undefined : Number(first),
  };
}

/** Scanner namespaces for shards, by lab: the lab's own, then ones added as needed. */
const shardScanners = new WeakMap<Lab, string[]>();

/** Porthole as `w.shards` shards at once, one scanner namespace each; the answer is their sum. */
async function runShards(w: Workload, lab: Lab): Promise<RunSample> {
  const n = w.shards!;
  const nss = shardScanners.get(lab) ?? [lab.scanner.ns];
  while (nss.length < n) nss.push((await lab.addScanner(nss.length)).ns);
  shardScanners.set(lab, nss);
  const time = ["/usr/bin/time", "-f", "PH_BENCH_RSS_KB=%M"];
  const files = nss.slice(0, n).map((_, i) => `/tmp/ph-bench-shard${i}-${Deno.pid}.out`);
  const before = await Promise.all(nss.slice(0, n).map((ns) => txPackets(lab, ns)));
  const t0 = performance.now();
  const results = await Promise.all(
    nss.slice(0, n).map(async (ns, i) => {
      const args = [
        ...substitute(w.args.porthole!, lab, files[i]!),
        ...["--shards", String(n), "--shard", String(i), "--seed", "1"],
      ];
      const argv = await lab.portholeArgv(args); // ip netns exec <lab's scanner> …
      argv.splice(0, 4, "ip", "netns", "exec", ns, ...time);
      const r = await run(argv, { timeoutMs: w.timeoutMs, cwd: REPO });
      return { ...r, endMs: performance.now() - t0 };
    }),
  );
  const wallS = Math.max(...results.map((r) => r.endMs)) / 1000;
  const after = await Promise.all(nss.slice(0, n).map((ns) => txPackets(lab, ns)));
  const got = files.reduce((sum, f) => sum + Math.max(0, countGrepableOpen(f)), 0);
  for (const f of files) await Deno.remove(f).catch(() => {});
  const want = anyipOpenCount(w);
  const diffs = got === want ? [] : [`${got} open host-ports, expected ${want}`];
  const failed = results.find((r) => r.code !== 0);
  if (failed) diffs.unshift(`exit ${failed.code}: ${failed.stderr.split("\n").at(-2) ?? ""}`);
  return {
    wallS,
    rssMiB:
      Math.max(...results.map((r) => Number(/PH_BENCH_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0))) /
      1024,
    txPackets: after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0),
    ok: !failed && diffs.length === 0,
    diffs,
    code: failed?.code ?? 0,
    stdout: "",
    notes: [
      `per shard: ${
        results.map((r) => (r.wallMs / 1000).toFixed(1)).join(", ")
      } s; RSS is the largest shard's`,
    ],
  };
}

/** Closed ports past the kernel's burst of 6, at one ICMP error per second. */
function icmpFloorSeconds(t: PortTable): number {
  const folded = Number(/(\d+) closed udp ports/.exec(t.folded)?.[1] ?? 0);
  const listed = t.rows.filter((r) => r.endsWith(" closed")).length;
  return Math.max(0, folded + listed - 6);
}

/** The ports a workload's Porthole command line scans (its -p list). */
function portsOf(w: Workload): string {
  const args = w.args.porthole!;
  return args[args.indexOf("-p") + 1] ?? "";
}

/** Open host-ports of an AnyIP workload: every address of the range, every open port. */
function anyipOpenCount(w: Workload): number {
  const sc = scenarioByName(w.scenario);
  const host = sc.hosts[0]!;
  const open =
    expandPorts(portsOf(w)).filter((p) => expectedState(host, "tcp", p, "syn") === "open").length;
  return 2 ** (32 - (sc.anyipPrefixLength ?? 16)) * open;
}

/** The loss-free table of the workload's scenario (its first host) from the rules. */
function rulesTable(w: Workload): PortTable {
  const t = lossFreeTable(scenarioByName(w.scenario).hosts[0]!, portsOf(w));
  return { rows: t.rows.sort(), folded: `Not shown: ${t.closed} closed tcp ports (reset)` };
}

function countGrepableOpen(file: string): number {
  try {
    return (Deno.readTextFileSync(file).match(/\/open\//g) ?? []).length;
  } catch {
    return -1;
  }
}

async function referenceTable(w: Workload, tag: string): Promise<PortTable | undefined> {
  if (w.reference === "rules") return rulesTable(w);
  if (w.reference !== "nmap-clean") return undefined;
  // nmap on a fresh lab of the same scenario with no loss and no ICMP limits is the answer.
  await using lab = await Lab.up({
    tag,
    scenario: w.scenario,
    lossPercent: 0,
    icmpRatelimit: false,
  });
  const args = substitute(w.args.nmap!, lab, "");
  const r = await inScanner(lab, ["nmap", ...args], w.timeoutMs);
  return portTable(r.stdout);
}

async function benchWorkload(w: Workload, opts: Options): Promise<ToolRow[]> {
  const tools = (Object.keys(w.args) as ToolName[]).filter((t) =>
    t === "porthole" || opts.hasTool(t)
  );
  const skipSlow = (t: ToolName) => w.slowTools?.includes(t) && (opts.quick || opts.noSlow);
  const tag = `bench${WORKLOADS.indexOf(w)}`;
  let reference = await referenceTable(w, tag);
  await using lab = await Lab.up({
    tag,
    scenario: w.scenario,
    lossPercent: w.lossPercent,
    icmpRatelimit: w.icmpRatelimit,
  });
  for (const sysctl of w.targetSysctls ?? []) {
    await lab.runInTarget(0, ["sysctl", "-qw", sysctl]);
  }
  const runs = opts.runs ?? (opts.quick ? 1 : w.runs);
  const samples = new Map<ToolName, RunSample[]>(tools.map((t) => [t, []]));
  const notes = new Map<ToolName, string[]>(tools.map((t) => [t, []]));
  for (let i = 0; i < runs; i++) {
    // nmap first in each round: with reference "nmap" its table is the answer of this round.
    for (const tool of ["nmap", "masscan", "porthole"] as ToolName[]) {
      if (!tools.includes(tool)) continue;
      if (skipSlow(tool) || (i > 0 && w.slowTools?.includes(tool))) continue;
      const s = await runTool(
        w,
        tool,
        lab,
        tool === "nmap" && w.reference === "nmap" ? undefined : reference,
      );
      if (tool === "nmap" && w.reference === "nmap" && s.code === 0) {
        reference = portTable(s.stdout);
      }
      samples.get(tool)!.push(s);
      console.error(
        `  ${w.name} ${tool} run ${i + 1}: ${s.wallS.toFixed(2)} s${
          s.diffs.length ? ` (${s.diffs.slice(0, 3).join("; ")})` : ""
        }`,
      );
    }
  }
  for (const t of tools) if (skipSlow(t)) notes.get(t)!.push("skipped (slow; full bench only)");
  const floorS = w.icmpFloor && reference ? icmpFloorSeconds(reference) : undefined;
  const nmapMedian = median(samples.get("nmap")?.map((s) => s.wallS) ?? []);
  return tools.map((tool) => {
    const ss = samples.get(tool)!;
    const walls = ss.map((s) => s.wallS);
    const wall = median(walls);
    const wrong = ss.filter((s) => !s.ok);
    const correct: ToolRow["correct"] = ss.length === 0
      ? "n/a"
      : ss.some((s) => s.code !== 0)
      ? "failed"
      : w.reference === "none" || (tool === "nmap" && w.reference === "nmap") ||
          !reference &&
            w.reference !== "anyip-count"
      ? "n/a"
      : wrong.length
      ? "WRONG"
      : "identical";
    const n = notes.get(tool)!;
    if (floorS !== undefined && ss.length) {
      n.push(`floor ${floorS} s, ${(wall / floorS).toFixed(3)}× floor`);
    }
    if (wrong.length) n.push(...new Set(wrong.flatMap((s) => s.diffs.slice(0, 4))));
    n.push(...ss.flatMap((s) => s.notes ?? []));
    const firsts = ss.flatMap((s) => s.firstProbeMs === undefined ? [] : [s.firstProbeMs]);
    if (firsts.length) {
      n.push(`first probe ${median(firsts).toFixed(0)} ms after the runtime started (median)`);
    }
    return {
      workload: w.name,
      title: w.title,
      tool,
      runs: ss.length,
      wallMedianS: wall,
      wallSpread: spread(walls),
      ratioToNmap: tool !== "nmap" && nmapMedian > 0 ? wall / nmapMedian : undefined,
      pps: median(ss.map((s) => s.txPackets / s.wallS)),
      rssMiB: median(ss.map((s) => s.rssMiB)),
      correct,
      notes: n,
    };
  });
}

interface Options {
  quick: boolean;
  noSlow: boolean;
  runs?: number;
  filters: string[];
  hasTool(t: ToolName): boolean;
}

function renderMarkdown(rows: ToolRow[], micro: MicroResult[], machine: string): string {
  const f = (n: number | undefined, d = 2) =>
    n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(d);
  const lines = [
    `Machine: ${machine}`,
    "",
    "| workload | tool | runs | wall s (median) | spread | × nmap | pps | peak RSS MiB | answer | notes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.title} | ${r.tool} | ${r.runs} | ${f(r.wallMedianS)} | ${r.wallSpread} | ${
        f(r.ratioToNmap)
      } | ${si(r.pps)} | ${f(r.rssMiB, 1)} | ${r.correct} | ${r.notes.join("; ")} |`
    ),
  ];
  if (micro.length) {
    lines.push("", "| micro-benchmark | rate | notes |", "| --- | --- | --- |");
    for (const m of micro) {
      const figure = m.unit === "ms"
        ? `${m.perSecond.toFixed(0)} ms`
        : m.unit === "bytes"
        ? `${m.perSecond.toFixed(0)} B`
        : m.unit === "count"
        ? (m.perSecond >= 1e6 ? si(m.perSecond) : m.perSecond.toFixed(0))
        : `${si(m.perSecond)}/s`;
      lines.push(`| ${m.name} | ${figure} | ${m.notes ?? ""} |`);
    }
  }
  return lines.join("\n") + "\n";
}

async function machineLine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const nmapV = await new Deno.Command("nmap", { args: ["--version"] }).output()
    .then((o) => new TextDecoder().decode(o.stdout).split("\n")[0] ?? "")
    .catch(() => "no nmap");
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.osRelease()}, Deno ${Deno.version.deno}, ${nmapV}, ${
    new Date().toISOString().slice(0, 16)
  } UTC`;
}

async function updateReadme(markdown: string): Promise<void> {
  const path = `${REPO}README.md`;
  const text = await Deno.readTextFile(path);
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  await Deno.writeTextFile(path, text.slice(0, i + start.length) + "\n" + markdown + text.slice(j));
  // The README is formatted like the rest of the tree (deno fmt aligns Markdown tables).
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      "no-slow": { type: "boolean", default: false },
      runs: { type: "string" },
      "no-readme": { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  const has = new Map<ToolName, boolean>();
  for (const t of ["nmap", "masscan"] as ToolName[]) {
    has.set(t, await new Deno.Command("which", { args: [t] }).output().then((o) => o.success));
  }
  const opts: Options = {
    quick: values.quick,
    noSlow: values["no-slow"],
    runs: values.runs ? Number(values.runs) : undefined,
    filters: positionals,
    hasTool: (t) => has.get(t) ?? false,
  };
  // A filter naming a workload exactly runs that one alone (`anyip16` without its shard rows);
  // any other filter runs every workload whose name contains it.
  const exact = new Set(WORKLOADS.map((w) => w.name));
  const selected = WORKLOADS.filter((w) =>
    opts.filters.length
      ? opts.filters.some((f) => exact.has(f) ? w.name === f : w.name.includes(f))
      : !opts.quick || w.quick
  );
  const why = await labUnavailable();
  const rows: ToolRow[] = [];
  if (why) console.error(`bench: the lab cannot run here (${why}); only micro-benchmarks run`);
  else {
    for (const w of selected) {
      console.error(`bench: ${w.name} — ${w.title}`);
      try {
        rows.push(...await benchWorkload(w, opts));
      } catch (e) {
        console.error(`bench: ${w.name} failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  // The real-daemons lab's rows: each its own lab, daemons started once for every tool.
  const realDaemonRows: [string, string, typeof svLabRows][] = [
    ["sv-lab", "-sV on the real-daemons lab", svLabRows],
    // Issue 18: wall time and script output beside nmap's.
    ["sc-lab", "-sC on the real-daemons lab", scLabRows],
  ];
  for (const [name, title, rowsOf] of realDaemonRows) {
    if (why || !(opts.filters.includes(name) || (!opts.filters.length && !opts.quick))) continue;
    console.error(`bench: ${name} — ${title}`);
    try {
      rows.push(...await rowsOf({ runs: opts.runs ?? 3, log: (s) => console.error(s) }));
    } catch (e) {
      console.error(`bench: ${name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  const micro = opts.filters.length && !opts.filters.includes("micro")
    ? []
    : await microBenchmarks({ quick: opts.quick, lab: !why });
  let fingerprints: FingerprintRow[] = [];
  let fpMd = "";
  if (!opts.filters.length || opts.filters.includes("fingerprints")) {
    try {
      const fp = await fingerprintRows();
      fingerprints = fp.rows;
      fpMd = "\n" + renderFingerprints(fp.corpus, fp.rows);
    } catch (e) {
      console.error(`bench: fingerprints failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  if (!opts.filters.length || opts.filters.includes("inventory")) {
    // The inventory's figures need no lab: synthetic scans, stores, diffs.
    const { inventoryFigures } = await import("./inventory.ts");
    micro.push(...await inventoryFigures({ quick: opts.quick }));
  }
  const machine = await machineLine();
  const md = renderMarkdown(rows, micro, machine) + fpMd;
  console.log(md);
  await Deno.mkdir(RESULTS, { recursive: true });
  await Deno.writeTextFile(
    `${RESULTS}/latest.json`,
    JSON.stringify({ machine, quick: opts.quick, rows, micro, fingerprints }, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${RESULTS}/latest.md`, md);
  if (!values["no-readme"] && !opts.quick && !opts.filters.length) await updateReadme(md);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
