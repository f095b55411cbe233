/**
 * Micro-benchmarks for the bench table: the packet core's batch rates (from `deno bench --json`
 * over core-wasm/, no permissions) and the send paths of ffi/ (on a veth pair in the lab).
 */

export interface MicroResult {
  name: string;
  perSecond: number;
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

export async function microBenchmarks(o: { quick: boolean; lab: boolean }): Promise<MicroResult[]> {
  const results = await coreRates();
  if (o.lab) results.push(...await sendPathRates(o.quick));
  return results;
}
