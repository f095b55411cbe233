/**
 * The bench's `-sV` rows on the real-daemons lab (tests/lab/real_daemons.ts): Porthole with its
 * own probes, Porthole with nmap's probe file found in nmap's data directory, and nmap 7.93, all
 * daemons, TCP and UDP, interleaved in one lab. Each Porthole run is also checked against the
 * others of its kind: the answer must not change from run to run (issue 25; the proof against a
 * one-probe-at-a-time run is `deno task lab:sv-stable`).
 */

import { labUnavailable } from "../tests/lab/mod.ts";
import { DAEMONS, installedVersion, RealDaemonsLab } from "../tests/lab/real_daemons.ts";
import {
  answerKey,
  nmapSv,
  portholeSv,
  portSpec,
  type ProbeSet,
  type SvRun,
} from "../tests/lab/sv_stability.ts";
import { median, spread } from "./stats.ts";
import type { ToolRow } from "./main.ts";

/** Ports whose answer differs between runs of one kind, as "tcp/199: a ≠ b". */
function unstable(runs: SvRun[]): string[] {
  const out: string[] = [];
  const first = runs[0];
  if (!first) return out;
  for (const r of runs.slice(1)) {
    for (const id of new Set([...first.answers.keys(), ...r.answers.keys()])) {
      const a = answerKey(first.answers.get(id));
      const b = answerKey(r.answers.get(id));
      if (a !== b) out.push(`${id}: ${a} ≠ ${b}`);
    }
  }
  return [...new Set(out)];
}

/**
 * Brings the real-daemons lab up (tag "bsv"), runs nmap once and each Porthole kind `runs`
 * times, and returns the rows; none when the lab or the daemons are missing.
 */
export async function svLabRows(
  opts: { runs: number; log?: (s: string) => void },
): Promise<ToolRow[]> {
  const log = opts.log ?? (() => {});
  if (await labUnavailable()) return [];
  const installed = await Promise.all(DAEMONS.map((d) => installedVersion(d.pkg)));
  const daemons = DAEMONS.filter((_, i) => installed[i] !== null);
  if (daemons.length < 50) {
    log(`bench: sv-lab skipped: ${daemons.length} daemons installed (deno task lab:capture)`);
    return [];
  }
  await using rl = await RealDaemonsLab.up({ tag: "bsv", daemons });
  const spec = portSpec(rl);
  const ports = rl.ports().length;
  const title = `-sV, real-daemons lab (${rl.started.length} daemons, ${ports} ports)`;
  const nmap = await nmapSv(rl, spec);
  log(`  sv-lab nmap: ${nmap.wallS.toFixed(1)} s`);
  const kinds: [ProbeSet, string][] = [
    ["builtin", "Porthole's own probes"],
    ["nmap", "nmap's probe file found"],
  ];
  const runs = new Map<ProbeSet, SvRun[]>(kinds.map(([k]) => [k, []]));
  for (let i = 0; i < opts.runs; i++) {
    for (const [k] of kinds) {
      const r = await portholeSv(rl, spec, k);
      runs.get(k)!.push(r);
      log(`  sv-lab porthole (${k}) run ${i + 1}: ${r.wallS.toFixed(1)} s`);
    }
  }
  const row = (
    tool: ToolRow["tool"],
    rs: SvRun[],
    note: string,
    ratio?: number,
  ): ToolRow => {
    const walls = rs.map((r) => r.wallS);
    const diff = unstable(rs);
    const failed = rs.some((r) => r.code !== 0);
    return {
      workload: "sv-lab",
      title,
      tool,
      runs: rs.length,
      wallMedianS: median(walls),
      wallSpread: spread(walls),
      ratioToNmap: ratio,
      pps: NaN,
      rssMiB: NaN,
      correct: failed ? "failed" : tool === "nmap" ? "n/a" : diff.length ? "WRONG" : "identical",
      notes: [
        note,
        ...(tool === "porthole" ? ["answer the same in every run (vs each other)"] : []),
        ...diff.slice(0, 4).map((d) => `varies: ${d}`),
      ],
    };
  };
  return [
    row("nmap", [nmap], "nmap -sV -sS -sU, once"),
    ...kinds.map(([k, note]) => {
      const rs = runs.get(k)!;
      return row("porthole", rs, note, median(rs.map((r) => r.wallS)) / nmap.wallS);
    }),
  ];
}
