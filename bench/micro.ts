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

/**
 * Wall time of `porthole --version`, median of 7: from source, and from a copy of the bundle
 * alone in a folder (as shipped: no deno.json around it). The bundle's usual start is with Deno's
 * V8 code cache of it, which its first run stores (one untimed run first); its first run on a
 * host parses all of it, measured with --no-code-cache. Target: 25 ms, what the former packed
 * bundle took (issue 23).
 */
async function startupTimes(): Promise<MicroResult[]> {
  const { portholeFlags } = await import("../tools/artifact.ts");
  const flags = portholeFlags();
  const cases: [name: string, entry: string, denoFlags: string[], arg: string][] = [
    ["startup --version, from source", `${REPO}cli/main.ts`, [], "--version"],
  ];
  const dir = await Deno.makeTempDir({ prefix: "ph-bench-startup-" });
  try {
    // Deno's own start with the same flags: what no bundle can go below.
    await Deno.writeTextFile(`${dir}/empty.js`, "export {};\n");
    cases.push(["startup, an empty module (Deno's own start)", `${dir}/empty.js`, [], "--version"]);
    await Deno.copyFile(`${REPO}dist/porthole.js`, `${dir}/porthole.js`);
    cases.push(
      ["startup --version, dist/porthole.js", `${dir}/porthole.js`, [], "--version"],
      ["startup --version, dist/porthole.js, first run", `${dir}/porthole.js`, [
        "--no-code-cache",
      ], "--version"],
      ["startup --help, dist/porthole.js", `${dir}/porthole.js`, [], "--help"],
    );
  } catch {
    // no bundle built: `deno task bundle` makes one
  }
  const run = (entry: string, extra: string[], arg: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...extra, ...flags, entry, arg],
      cwd: entry.startsWith(dir) ? dir : REPO,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "null",
    }).output();
  const results: MicroResult[] = [];
  try {
    for (const [name, entry, extra, arg] of cases) {
      await run(entry, extra, arg);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await run(entry, extra, arg);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      results.push({ name, perSecond: times[3]!, unit: "ms", notes: "median of 7" });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

export async function microBenchmarks(o: { quick: boolean; lab: boolean }): Promise<MicroResult[]> {
  const results = [...await startupTimes(), ...await coreRates()];
  if (o.lab) results.push(...await sendPathRates(o.quick));
  return results;
}
