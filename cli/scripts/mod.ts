/**
 * -sC and --script: nmap's NSE scripts, from nmap's installed scripts/ and nselib/, run in the
 * sandboxed Lua engine (engine.ts) after a host's port scan (and -sV, -O), as nmap does.
 *
 *   const nse = await loadScripts(opts.scripts, { verbose, debug, log });
 *   await nse.host(hostResult); // fills ports[].scripts and hostScripts
 */
import type { HostResult, ScriptOutput } from "../model.ts";
import type { ScriptOptions } from "../options_types.ts";
import { NseEngine, type ScriptResult } from "./engine.ts";
import { chooseScripts, diskEnv } from "./select.ts";

/** Where nmap keeps scripts/, nselib/ and script.db, in the order nmap looks. */
export const NMAP_DATA_DIRS = ["/usr/local/share/nmap", "/usr/share/nmap"];

/** Bad --script, --script-args or a missing nmap data directory: one message for the user. */
export class ScriptSetupError extends Error {}

function dataDir(): string {
  for (const d of NMAP_DATA_DIRS) {
    try {
      if (Deno.statSync(`${d}/scripts/script.db`).isFile) return d;
    } catch { /* next */ }
  }
  throw new ScriptSetupError(
    `NSE: no nmap scripts found (looked for scripts/script.db in ${NMAP_DATA_DIRS.join(", ")})`,
  );
}

export interface ScriptRunner {
  /** Runs host and port scripts for one scanned host and stores their output in it. */
  host(r: HostResult): Promise<void>;
  /** Runs the prerule ("pre") or postrule ("post") scripts; their output, sorted by id. */
  phase(which: "pre" | "post"): Promise<ScriptOutput[]>;
  close(): void;
}

/** The scripts nmap's --script-help would describe: "id\nCategories: …\nURL\n  description". */
export async function scriptHelp(rules: string): Promise<string> {
  const dir = dataDir();
  let chosen;
  try {
    chosen = chooseScripts(rules.split(","), diskEnv(`${dir}/scripts`));
  } catch (e) {
    throw new ScriptSetupError((e as Error).message);
  }
  const engine = await NseEngine.create({ dataDirs: [dir], targets: new Set() });
  try {
    let out = "";
    for (const c of chosen) {
      const id = c.path.replace(/^.*\//, "").replace(/\.nse$/, "");
      const err = engine.loadScript(c.path, await Deno.readTextFile(c.path));
      const s = engine.scripts.at(-1);
      out += `\n${id}\n`;
      if (err || !s || s.id !== id) {
        out += `(not loadable: ${err})\n`;
        continue;
      }
      out += `Categories: ${s.categories.join(" ")}\n`;
      out += `https://nmap.org/nsedoc/scripts/${id}.html\n`;
      const desc = (s.description ?? "").replace(/^\s*\n/, "").replace(/\s+$/, "");
      out += desc.split("\n").map((l) => (l === "" ? "" : `  ${l}`)).join("\n") + "\n";
    }
    return out;
  } finally {
    engine.close();
  }
}

function outputOf(r: ScriptResult): ScriptOutput {
  return r.elems ? { id: r.id, output: r.output, elems: r.elems } : { id: r.id, output: r.output };
}

const byId = (a: ScriptOutput, b: ScriptOutput) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Chooses and loads the scripts; scripts that cannot load are skipped with a note at -v/-d. */
export async function loadScripts(
  so: ScriptOptions,
  o: {
    verbose: number;
    debug: number;
    privileged: boolean;
    log: (line: string) => void;
    /** -sV is on: nmap adds the "version" category to the rules (nse_main.lua check_rules). */
    versionScan?: boolean;
    versionIntensity?: number;
  },
): Promise<ScriptRunner> {
  const dir = dataDir();
  let chosen;
  try {
    chosen = o.versionScan
      ? chooseScripts([...so.rules, "version"], diskEnv(`${dir}/scripts`), new Set(["version"]))
      : chooseScripts(so.rules, diskEnv(`${dir}/scripts`));
  } catch (e) {
    throw new ScriptSetupError((e as Error).message);
  }
  const targets = new Set<string>();
  const engine = await NseEngine.create({
    dataDirs: [dir],
    targets,
    verbosity: o.verbose,
    debugging: o.debug,
    privileged: o.privileged,
    versionIntensity: o.versionIntensity,
    trace: so.trace ? o.log : undefined,
    scriptTimeoutMs: so.timeoutMs,
    log: o.log,
  });
  try {
    let args = so.args ?? "";
    if (so.argsFile !== undefined) {
      const file = await Deno.readTextFile(so.argsFile).catch(() => {
        throw new ScriptSetupError(`Failed to open --script-args-file "${so.argsFile}"`);
      });
      // nmap joins the file's lines with commas, before the command line's arguments.
      const lines = file.split("\n").map((l) => l.trim()).filter((l) => l !== "");
      args = [...lines, args].filter((x) => x !== "").join(",");
    }
    if (args !== "") {
      try {
        engine.setArgs(args);
      } catch (e) {
        throw new ScriptSetupError(`NSE: bad --script-args: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    engine.close();
    throw e;
  }
  const skipped: string[] = [];
  for (const c of chosen) {
    const err = engine.loadScript(c.path, await Deno.readTextFile(c.path));
    if (err) skipped.push(`${c.path.replace(/^.*\//, "")}: ${err.split("\n")[0]}`);
  }
  if (skipped.length && (o.verbose > 0 || o.debug > 0)) {
    o.log(`NSE: ${skipped.length} script(s) skipped:\n  ${skipped.join("\n  ")}`);
  }
  return {
    async host(r) {
      if (r.status !== "up") return;
      targets.add(r.address);
      const ports = r.ports.filter((p) => p.state === "open" || p.state === "open|filtered");
      engine.addTarget(
        r.address,
        r.userHostname ?? r.ptrHostname ?? "",
        ports.map((p) => ({
          number: p.port,
          protocol: p.protocol,
          state: p.state,
          service: p.service?.name,
          product: p.service?.product,
          version: p.service?.version,
          extrainfo: p.service?.extraInfo,
          tunnel: p.service?.tunnel,
        })),
      );
      const results = await engine.run("host");
      targets.delete(r.address);
      const host = results.filter((x) => x.rule === "hostrule").map(outputOf).sort(byId);
      if (host.length) r.hostScripts = host;
      for (const p of ports) {
        const mine = results
          .filter((x) => x.rule === "portrule" && x.port === p.port && x.protocol === p.protocol)
          .map(outputOf)
          .sort(byId);
        if (mine.length) p.scripts = mine;
      }
    },
    async phase(which) {
      const rule = which === "pre" ? "prerule" : "postrule";
      return (await engine.run(which)).filter((x) => x.rule === rule).map(outputOf).sort(byId);
    },
    close: () => engine.close(),
  };
}
