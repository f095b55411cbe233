/**
 * Micro-benchmarks for the bench table: the packet core's batch rates (from `deno bench --json`
 * over core-wasm/, no permissions) and the send paths of ffi/ (on a veth pair in the lab).
 */

export interface MicroResult {
  name: string;
  /** A rate per second, or (with unit "ms") a duration, or (with unit "bytes") a size. */
  perSecond: number;
  unit?: "ms" | "bytes";
  notes?: string;
}

const REPO = new URL("../", import.meta.url).pathname;

/**
 * Core rates: each Deno.bench in core-wasm names its batch size as "(batch N)", so the rate is
 * N items per measured iteration.
 */
async function coreRates(): Promise<MicroResult[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", "core-wasm/"],
    cwd: REPO,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return [{ name: "core-wasm bench", perSecond: NaN, notes: "failed" }];
  const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    benches: { name: string; results: { ok?: { avg: number } }[] }[];
  };
  return report.benches.flatMap((b) => {
    const avgNs = b.results[0]?.ok?.avg;
    const batch = Number(/\(batch (\d+)\)/.exec(b.name)?.[1] ?? 1);
    return avgNs ? [{ name: `core: ${b.name}`, perSecond: batch / (avgNs / 1e9) }] : [];
  });
}

interface SendPathFigure {
  name: string;
  framesPerSecond: number;
  notes?: string;
}

async function sendPathRates(quick: boolean): Promise<MicroResult[]> {
  let mod: { runFfiBench?: (o: { quick: boolean }) => Promise<SendPathFigure[]> };
  try {
    mod = await import("../ffi/ffi_bench.ts");
  } catch {
    return [];
  }
  if (!mod.runFfiBench) return [];
  const figures = await mod.runFfiBench({ quick });
  return figures.map((f) => ({
    name: `send: ${f.name}`,
    perSecond: f.framesPerSecond,
    notes: f.notes,
  }));
}

/** Wall time of `porthole --version` from source and from the bundle (target: 100 ms). */
async function startupTimes(): Promise<MicroResult[]> {
  const { portholeFlags } = await import("../tools/artifact.ts");
  const flags = portholeFlags();
  const cases: [string, string][] = [["startup --version, from source", "cli/main.ts"]];
  try {
    Deno.statSync(`${REPO}dist/porthole.js`);
    cases.push(["startup --version, dist/porthole.js", "dist/porthole.js"]);
  } catch {
    // no bundle built: `deno task bundle` makes one
  }
  const results: MicroResult[] = [];
  for (const [name, entry] of cases) {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, entry, "--version"],
        cwd: REPO,
        stdout: "null",
      }).output();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    results.push({ name, perSecond: times[3]!, unit: "ms", notes: "median of 7" });
  }
  return results;
}

export async function microBenchmarks(o: { quick: boolean; lab: boolean }): Promise<MicroResult[]> {
  const results = [...await startupTimes(), ...await coreRates()];
  if (o.lab) results.push(...await sendPathRates(o.quick));
  return results;
}
