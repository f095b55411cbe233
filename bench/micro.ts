/**
 * Micro-benchmarks for the bench table: the packet core's batch rates (from `deno bench --json`
 * over core-wasm/, no permissions) and the send paths of ffi/ (on a veth pair in the lab).
 */

export interface MicroResult {
  name: string;
  /** A rate per second, or with a unit: a duration ("ms"), a size ("bytes"), a count ("count"). */
  perSecond: number;
  unit?: "ms" | "bytes" | "count";
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

/**
 * What a warm `--version` start costs in counts that a busy host does not blur (issue 23): user
 * instructions (cachegrind) and minor page faults (GNU time, mostly the kernel's share of the
 * time), for an empty module with the same flags (Deno's own start) and a copy of the bundle
 * alone in a folder, each after one untimed run that stores Deno's code cache. Rows are left out
 * where valgrind or /usr/bin/time is missing, or no bundle was built.
 */
export async function startupCounts(): Promise<MicroResult[]> {
  const { portholeFlags } = await import("../tools/artifact.ts");
  const dir = await Deno.makeTempDir({ prefix: "ph-bench-counts-" });
  const results: MicroResult[] = [];
  try {
    await Deno.writeTextFile(`${dir}/empty.js`, "export {};\n");
    const entries: [name: string, file: string][] = [
      ["an empty module (Deno's own start)", "empty.js"],
    ];
    try {
      await Deno.copyFile(`${REPO}dist/porthole.js`, `${dir}/porthole.js`);
      entries.push(["dist/porthole.js", "porthole.js"]);
    } catch {
      // no bundle built: `deno task bundle` makes one
    }
    const run = async (prefix: string[], file: string) => {
      const r = await new Deno.Command(prefix[0]!, {
        args: [...prefix.slice(1), Deno.execPath(), "run", ...portholeFlags(), file, "--version"],
        cwd: dir,
        env: { DENO_NO_UPDATE_CHECK: "1" },
        stdout: "null",
        stderr: "piped",
      }).output().catch(() => undefined);
      return r?.success ? new TextDecoder().decode(r.stderr) : undefined;
    };
    for (const [name, file] of entries) {
      await run(["env"], file);
      const time = await run(["/usr/bin/time", "-f", "faults %R"], file);
      const faults = Number(/^faults (\d+)$/m.exec(time ?? "")?.[1]);
      if (faults > 0) {
        results.push({
          name: `startup --version, ${name}: page faults`,
          perSecond: faults,
          unit: "count",
          notes: "minor faults, GNU time",
        });
      }
      const grind = await run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"],
        file,
      );
      const refs = Number(/I\s+refs:\s+([\d,]+)/.exec(grind ?? "")?.[1]?.replaceAll(",", ""));
      if (refs > 0) {
        results.push({
          name: `startup --version, ${name}: instructions`,
          perSecond: refs,
          unit: "count",
          notes: "user space, cachegrind",
        });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

/**
 * Issue 24's first probe: ms from spawning `porthole -sS -p 22,80 TARGET` in the lab's scanner
 * namespace to its first IP frame at the target, stamped by tcpdump there (the same clock),
 * median of 7 after one untimed run (which stores Deno's code cache). From a copy of the bundle
 * alone in a folder, and from source. The spawn goes through `ip netns exec`, whose own few ms
 * count against Porthole. Goal: 50 ms.
 */
export async function firstProbeTimes(): Promise<MicroResult[]> {
  const { Lab } = await import("../tests/lab/mod.ts");
  const { portholeEnv, portholeFlags } = await import("../tools/artifact.ts");
  const dir = await Deno.makeTempDir({ prefix: "ph-bench-first-" });
  const results: MicroResult[] = [];
  try {
    await using lab = await Lab.up({ tag: "first", scenario: "scanme" });
    const entries: [string, string][] = [["from source", `${REPO}cli/main.ts`]];
    try {
      await Deno.copyFile(`${REPO}dist/porthole.js`, `${dir}/porthole.js`);
      entries.unshift(["dist/porthole.js", `${dir}/porthole.js`]);
    } catch {
      // no bundle built: `deno task bundle` makes one
    }
    const once = async (entry: string): Promise<number | undefined> => {
      const dump = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          lab.target.ns,
          "tcpdump",
          "-i",
          "eth0",
          "-Q",
          "in",
          "-n",
          "-tt",
          "-l",
          "--immediate-mode",
          "-c",
          "1",
          `ip and src ${lab.scanner.v4}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = new Response(dump.stdout).text();
      const err = dump.stderr.pipeThrough(new TextDecoderStream()).getReader();
      for (let seen = ""; !seen.includes("listening on");) {
        const { value, done } = await err.read();
        if (done) break;
        seen += value;
      }
      const start = performance.timeOrigin + performance.now();
      await new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          lab.scanner.ns,
          "env",
          ...portholeEnv(),
          Deno.execPath(),
          "run",
          ...portholeFlags(),
          entry,
          "-sS",
          "-p",
          "22,80",
          lab.target.v4,
        ],
        cwd: entry.startsWith(dir) ? dir : REPO,
        stdout: "null",
        stderr: "null",
      }).output();
      const timer = setTimeout(() => {
        try {
          dump.kill();
        } catch {
          // gone already
        }
      }, 5_000);
      try {
        await dump.status;
      } finally {
        clearTimeout(timer);
      }
      await err.cancel();
      const stamp = Number((await out).split(" ", 1)[0]);
      return stamp > 0 ? stamp * 1000 - start : undefined;
    };
    for (const [name, entry] of entries) {
      await once(entry);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t = await once(entry);
        if (t !== undefined) times.push(t);
      }
      times.sort((a, b) => a - b);
      results.push({
        name: `first probe after start, -sS -p 22,80, ${name}`,
        perSecond: times.length ? times[times.length >> 1]! : NaN,
        unit: "ms",
        notes: `median of ${times.length}, tcpdump at the lab target; goal 50 ms`,
      });
    }
  } catch (e) {
    results.push({ name: "first probe after start", perSecond: NaN, notes: String(e) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

/**
 * NSE's lpeg in Lua on nselib's heaviest use of it: json.parse of a 130 KB document (2000
 * objects), and lpeg-utility's anywhere over 100 KB, in one engine (the VM made once). Median of
 * 5, by the script's os.clock. nmap's C LPeg took 0.047 s and 0.002 s (2026-12-07, this machine).
 */
async function nseModuleTimes(): Promise<MicroResult[]> {
  try {
    Deno.statSync("/usr/share/nmap/nselib/json.lua");
  } catch {
    return [];
  }
  const { NseEngine } = await import("../cli/scripts/engine.ts");
  const e = await NseEngine.create({ dataDirs: ["/usr/share/nmap"], targets: new Set() });
  try {
    const err = e.loadScript(
      "lpeg-bench.nse",
      `local json = require "json"
local U = require "lpeg-utility"
local lpeg = require "lpeg"
description = [[bench]]
categories = {"safe"}
prerule = function() return true end
action = function()
  local items = {}
  for i = 1, 2000 do
    items[i] = ('{"id": %d, "name": "item%d", "tags": ["a", "b"], "v": %d.5}'):format(i, i, i)
  end
  local doc = "[" .. table.concat(items, ", ") .. "]"
  local body = string.rep("x", 100000) .. "Server: nginx"
  local p = U.anywhere(lpeg.P"Server: " * lpeg.C(lpeg.P(1)^1))
  local json_t, any_t = {}, {}
  for k = 1, 5 do
    local t0 = os.clock()
    assert(json.parse(doc))
    local t1 = os.clock()
    assert(p:match(body))
    json_t[k], any_t[k] = t1 - t0, os.clock() - t1
  end
  table.sort(json_t)
  table.sort(any_t)
  return json_t[3] * 1000 .. " " .. any_t[3] * 1000
end`,
    );
    if (err) return [{ name: "nse lpeg", perSecond: NaN, notes: err }];
    const [r] = await e.run("pre");
    const [json, any] = (r?.output ?? "").split(" ").map(Number);
    return [
      {
        name: "nse: json.parse, 130 KB (lpeg in Lua)",
        perSecond: json!,
        unit: "ms",
        notes: "median of 5",
      },
      {
        name: "nse: lpeg-utility anywhere, 100 KB",
        perSecond: any!,
        unit: "ms",
        notes: "median of 5",
      },
    ];
  } finally {
    e.close();
  }
}

export async function microBenchmarks(o: { quick: boolean; lab: boolean }): Promise<MicroResult[]> {
  const results = [
    ...await startupTimes(),
    ...await startupCounts(),
    ...await coreRates(),
    ...await nseModuleTimes(),
  ];
  if (o.lab) results.push(...await firstProbeTimes(), ...await sendPathRates(o.quick));
  return results;
}
