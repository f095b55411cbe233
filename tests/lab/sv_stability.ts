/**
 * `-sV` run again and again over the real daemons (real_daemons.ts): every run must name every
 * port as a run with one probe in flight per port does (`--version-parallelism 1`, nmap's
 * schedule), with Porthole's own probes and with nmap's probe file. The lab test runs a few
 * daemons; `deno task lab:sv-stable` runs them all, and the bench uses the same runs for its
 * `-sV` wall-time rows beside nmap's.
 *
 *     deno task lab:sv-stable [--tag sv] [--runs 5] [--only snmpd,kadmind] [--ports 199,749]
 *                             [--db builtin,nmap] [--nmap] [--keep DIR] [--extra "-dd --reason"]
 *                             [--no-serial]
 *
 * `--keep DIR` keeps every run's XML and stderr there (to see what a differing run said);
 * `--extra` adds Porthole options to every run; `--nmap` runs nmap -sV once too and lists its
 * answers the same way; `--no-serial` holds the runs to the first of them instead of a
 * one-at-a-time run (quicker, to look for variation).
 */

import { RealDaemonsLab } from "./real_daemons.ts";
import { DAEMONS } from "./real_daemons.ts";
import { parseNmapXml } from "./capture.ts";
import { REPO_ROOT } from "./mod.ts";
import type { Answer } from "./replay.ts";

/** nmap's probe file, as Porthole finds it in nmap's data directory. */
export const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";
/** Porthole's own probe file, given alone. */
export const BUILTIN_PROBES = `${REPO_ROOT}/cli/data/porthole-service-probes`;

/** Which probes a run uses: Porthole's alone, or nmap's found in its data directory (merged). */
export type ProbeSet = "builtin" | "nmap";

/** What a run said about each port ("tcp/199" → answer), and how long it took. */
export interface SvRun {
  answers: Map<string, Answer>;
  wallS: number;
  code: number;
  stderr: string;
}

/** One probe set: the one-at-a-time run, the repeated runs, and the ports that differed. */
export interface SvStability {
  probes: ProbeSet;
  serial: SvRun;
  runs: SvRun[];
  /** "run 3 tcp/199: smux|Linux SNMP multiplexer|| ≠ one at a time: ||| " */
  differences: string[];
}

/** The part of an answer the runs must agree on. */
export function answerKey(a: Answer | undefined): string {
  return [a?.service ?? "", a?.product ?? "", a?.version ?? "", a?.tunnel ?? ""].join("|");
}

/** The ports of a started lab as -p's list ("T:22,199,U:161"), optionally only some. */
export function portSpec(rl: RealDaemonsLab, only?: number[]): string {
  const ports = rl.ports().map((p) => p.port).filter((p) => !only || only.includes(p.port));
  const tcp = ports.filter((p) => p.proto === "tcp").map((p) => p.port);
  const udp = ports.filter((p) => p.proto === "udp").map((p) => p.port);
  return [tcp.length ? `T:${tcp.join(",")}` : "", udp.length ? `U:${udp.join(",")}` : ""]
    .filter(Boolean).join(",");
}

/** The scan's arguments, without the probe set and the target. */
function scanArgs(spec: string): string[] {
  const udp = spec.includes("U:");
  return ["-sS", ...(udp ? ["-sU"] : []), "-sV", "-Pn", "-n", "-p", spec];
}

/** Where `--keep` keeps each run's XML and stderr (unset: nowhere). */
let keepDir: string | undefined;
/** Options `--extra` adds to every Porthole run. */
let extraArgs: string[] = [];

/** One `porthole -sV` in the lab's scanner namespace. */
export async function portholeSv(
  rl: RealDaemonsLab,
  spec: string,
  probes: ProbeSet,
  extra: string[] = [],
): Promise<SvRun> {
  const xml = `${rl.dir}/sv-${crypto.randomUUID()}.xml`;
  const db = probes === "builtin" ? ["--versiondb", BUILTIN_PROBES] : [];
  const args = [...scanArgs(spec), ...db, ...extra, ...extraArgs, "-oX", xml, rl.v4];
  const r = await rl.lab.porthole(args, { timeoutMs: 1_800_000 });
  const text = await Deno.readTextFile(xml).catch(() => "");
  await Deno.remove(xml).catch(() => {});
  if (keepDir) {
    const base = `${keepDir}/${probes}-${new Date().toISOString().replaceAll(":", "")}`;
    await Deno.writeTextFile(`${base}.xml`, text);
    await Deno.writeTextFile(`${base}.stderr`, `${args.join(" ")}\n${r.stderr}`);
  }
  return { answers: parseNmapXml(text), wallS: r.wallMs / 1000, code: r.code, stderr: r.stderr };
}

/** One `nmap -sV` in the lab's scanner namespace (the bench's reference time). */
export async function nmapSv(rl: RealDaemonsLab, spec: string): Promise<SvRun> {
  const xml = `${rl.dir}/nmap-${crypto.randomUUID()}.xml`;
  const r = await rl.lab.nmap([...scanArgs(spec), "-oX", xml, rl.v4], { timeoutMs: 1_800_000 });
  const text = await Deno.readTextFile(xml).catch(() => "");
  await Deno.remove(xml).catch(() => {});
  return { answers: parseNmapXml(text), wallS: r.wallMs / 1000, code: r.code, stderr: r.stderr };
}

/** The differences of `run` from `serial`, port by port. */
export function compareRuns(serial: SvRun, run: SvRun, label: string): string[] {
  const out: string[] = [];
  if (run.code !== 0) out.push(`${label}: exit ${run.code}: ${run.stderr.trim().slice(-300)}`);
  const ports = new Set([...serial.answers.keys(), ...run.answers.keys()]);
  for (const id of [...ports].sort()) {
    const want = answerKey(serial.answers.get(id));
    const got = answerKey(run.answers.get(id));
    if (got !== want) out.push(`${label} ${id}: ${got} ≠ one at a time: ${want}`);
  }
  return out;
}

/** The one-at-a-time run, then `runs` runs, for one probe set. */
export async function svStability(
  rl: RealDaemonsLab,
  spec: string,
  probes: ProbeSet,
  runs: number,
  log: (s: string) => void = () => {},
  withSerial = true,
): Promise<SvStability> {
  // Without the one-at-a-time run (--no-serial), runs are held to the first of them.
  const serial = await portholeSv(
    rl,
    spec,
    probes,
    withSerial ? ["--version-parallelism", "1"] : [],
  );
  log(
    `${probes}: ${withSerial ? "one probe at a time per port" : "first run"}: ${
      serial.wallS.toFixed(1)
    } s`,
  );
  const differences = serial.code === 0
    ? []
    : [`one at a time: exit ${serial.code}: ${serial.stderr.trim().slice(-300)}`];
  const all: SvRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await portholeSv(rl, spec, probes);
    const d = compareRuns(serial, r, `run ${i + 1}`);
    log(`${probes}: run ${i + 1}: ${r.wallS.toFixed(1)} s${d.length ? `: ${d.join("; ")}` : ""}`);
    differences.push(...d);
    all.push(r);
  }
  return { probes, serial, runs: all, differences };
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const log = (s: string) => console.error(s);
  const only = arg(args, "--only")?.split(",");
  const daemons = only ? DAEMONS.filter((d) => only.includes(d.name)) : DAEMONS;
  const ports = arg(args, "--ports")?.split(",").map(Number);
  const runs = Number(arg(args, "--runs") ?? 5);
  const sets = (arg(args, "--db") ?? "builtin,nmap").split(",") as ProbeSet[];
  keepDir = arg(args, "--keep");
  if (keepDir) await Deno.mkdir(keepDir, { recursive: true });
  extraArgs = arg(args, "--extra")?.split(" ").filter(Boolean) ?? [];
  await using rl = await RealDaemonsLab.up({ tag: arg(args, "--tag") ?? "sv", daemons, log });
  for (const f of rl.failed) log(`not up: ${f.name}: ${f.why}`);
  const spec = portSpec(rl, ports);
  log(`${rl.started.length} daemons up; ports ${spec}`);
  let failed = 0;
  for (const probes of sets) {
    const s = await svStability(rl, spec, probes, runs, log, !args.includes("--no-serial"));
    for (const [id, a] of [...s.serial.answers].sort()) log(`  ${probes} ${id}: ${answerKey(a)}`);
    if (s.differences.length) {
      failed++;
      log(`${probes}: ${s.differences.length} differences`);
    } else log(`${probes}: ${runs} runs, every port as one at a time`);
  }
  if (args.includes("--nmap")) {
    const n = await nmapSv(rl, spec);
    log(`nmap -sV: ${n.wallS.toFixed(1)} s`);
    // nmap's own words beside the runs', so that a port Porthole leaves unnamed can be told
    // from one nmap leaves unnamed too (a name from nmap-services alone counts as none).
    for (const [id, a] of [...n.answers].sort()) log(`  nmap 7.93 ${id}: ${answerKey(a)}`);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`lab:sv-stable: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
