/**
 * -sC and --script: nmap's NSE scripts, from nmap's installed scripts/ and nselib/, run in the
 * sandboxed Lua engine (engine.ts) after a host's port scan (and -sV, -O), as nmap does.
 *
 *   const nse = await loadScripts(opts.scripts, { verbose, debug, log });
 *   await nse.host(hostResult); // fills ports[].scripts and hostScripts
 */
import type { HostResult, ScriptOutput, ServiceInfo } from "../model/mod.ts";
import type { ProxyHop, ScriptOptions } from "../options/types.ts";
import { socketNet } from "./net.ts";
import { NseEngine, type ScriptResult, type ServiceUpdate } from "./engine.ts";
import { chooseScripts, type DbEntry, diskEnv, type SelectEnv } from "./select.ts";
import { BUILTIN_SCRIPTS } from "./_builtin_scripts.ts";

/** Where nmap keeps scripts/, nselib/ and script.db, in the order nmap looks. */
export const NMAP_DATA_DIRS = ["/usr/local/share/nmap", "/usr/share/nmap"];

/** Bad --script or --script-args: one message for the user. */
export class ScriptSetupError extends Error {}

/** The directory the built-in scripts seem to live in: chosen scripts' paths start with it. */
export const BUILTIN_DIR = "porthole:builtin";

/** The scripts a run chooses from, and how it reads them. */
interface ScriptSet {
  env: SelectEnv;
  /** nmap's data directory, or none for the built-in scripts. */
  dataDirs: string[];
  read(path: string): Promise<string>;
}

/** Porthole's own scripts (builtin/*.nse) as a script database. */
function builtinEnv(): SelectEnv {
  const db: DbEntry[] = Object.entries(BUILTIN_SCRIPTS).map(([id, src]) => ({
    filename: `${id}.nse`,
    categories: [...(src.match(/^categories\s*=\s*\{([^}]*)\}/m)?.[1] ?? "").matchAll(/"([^"]*)"/g)]
      .map((m) => m[1]!),
  }));
  const disk = diskEnv("", []);
  return {
    scriptsDir: BUILTIN_DIR,
    db,
    stat: (path) =>
      path.startsWith(`${BUILTIN_DIR}/`)
        ? (builtinSource(path) === undefined ? undefined : "file")
        : disk.stat(path),
    listDir: disk.listDir,
  };
}

const builtinSource = (path: string) =>
  path.startsWith(`${BUILTIN_DIR}/`)
    ? BUILTIN_SCRIPTS[path.slice(BUILTIN_DIR.length + 1).replace(/\.nse$/, "")]
    : undefined;

/**
 * nmap's scripts when nmap is installed, Porthole's built-in ones otherwise. nmap's win: they are
 * the reference the built-in ones copy (ids, categories, output), and they are many more; the
 * built-in set exists so that -sC and --script still answer on a host without nmap.
 */
function scriptSet(): ScriptSet {
  for (const d of NMAP_DATA_DIRS) {
    try {
      if (Deno.statSync(`${d}/scripts/script.db`).isFile) {
        return { env: diskEnv(`${d}/scripts`), dataDirs: [d], read: (p) => Deno.readTextFile(p) };
      }
    } catch { /* next */ }
  }
  return {
    env: builtinEnv(),
    dataDirs: [],
    read: (p) => {
      const src = builtinSource(p);
      return src === undefined ? Deno.readTextFile(p) : Promise.resolve(src);
    },
  };
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
  const set = scriptSet();
  let chosen;
  try {
    chosen = chooseScripts(rules.split(","), set.env);
  } catch (e) {
    throw new ScriptSetupError((e as Error).message);
  }
  const engine = await NseEngine.create({ dataDirs: set.dataDirs, targets: new Set() });
  try {
    let out = "";
    for (const c of chosen) {
      const id = c.path.replace(/^.*\//, "").replace(/\.nse$/, "");
      let twinWhy: string | undefined;
      const err = loadWithTwin(engine, c.path, await set.read(c.path), false, (why) => {
        twinWhy = why;
      });
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
      const note = whichRuns(id, c.path, twinWhy);
      if (note) out += `${note}\n`;
    }
    return out;
  } finally {
    engine.close();
  }
}

/**
 * --script-help's note on an id that both nmap and Porthole have a script for: which one runs
 * here, and why. Nothing for ids Porthole has no script of its own for, nor for the built-in
 * scripts on a host without nmap's (their descriptions say so).
 */
export function whichRuns(id: string, path: string, twinWhy?: string): string | undefined {
  if (BUILTIN_SCRIPTS[id] === undefined || path.startsWith(`${BUILTIN_DIR}/`)) return undefined;
  if (twinWhy !== undefined) {
    const why = twinWhy.replace(/^[^:]*:\d+: /, "").replace(/:$/, "");
    return `Porthole: nmap's ${id}.nse cannot load here (${why});\n` +
      `Porthole's built-in ${id} runs instead.`;
  }
  return `Porthole: nmap's ${id}.nse runs (nmap's scripts are installed) and is the reference\n` +
    `Porthole's built-in ${id} copies; the built-in one runs where they are not installed.`;
}

/**
 * Loads a script; when it is one of nmap's that cannot load in Porthole (a C module Porthole
 * lacks, such as lpeg for ntp-info) and Porthole has a built-in script of the same id, loads that
 * one instead: nmap's wins wherever it runs, the built-in one is better than nothing.
 */
function loadWithTwin(
  engine: NseEngine,
  path: string,
  source: string,
  byName: boolean,
  onTwin?: (why: string) => void,
): string | undefined {
  const err = engine.loadScript(path, source, byName);
  if (!err || path.startsWith(`${BUILTIN_DIR}/`)) return err;
  const id = path.replace(/^.*\//, "").replace(/\.nse$/, "");
  const twin = BUILTIN_SCRIPTS[id];
  if (twin === undefined || engine.loadScript(`${BUILTIN_DIR}/${id}.nse`, twin, byName)) return err;
  onTwin?.(err.split("\n")[0]!);
  return undefined;
}

/**
 * A port's service after a script's nmap.set_port_version, as nmap's
 * PortList::setServiceProbeResults makes it: the old one replaced whole; a (hard or soft) match
 * is a probed name of confidence 10, tcpwrapped 8, anything else a table name of confidence 3.
 */
export function serviceOf(u: ServiceUpdate, old: ServiceInfo | undefined): ServiceInfo {
  const matched = u.probestate === "hardmatched" || u.probestate === "softmatched";
  const wrapped = u.probestate === "tcpwrapped";
  const name = u.name ?? (wrapped ? "tcpwrapped" : matched ? undefined : old?.name);
  const s: ServiceInfo = {
    name: name ?? "unknown",
    method: matched || wrapped ? "probed" : "table",
    confidence: matched ? 10 : wrapped ? 8 : 3,
  };
  if (u.product !== undefined) s.product = u.product;
  if (u.version !== undefined) s.version = u.version;
  if (u.extrainfo !== undefined) s.extraInfo = u.extrainfo;
  if (u.hostname !== undefined) s.hostname = u.hostname;
  if (u.ostype !== undefined) s.osType = u.ostype;
  if (u.devicetype !== undefined) s.deviceType = u.devicetype;
  if (u.tunnel === "ssl") s.tunnel = "ssl";
  if (u.cpe.length) s.cpe = u.cpe;
  return s;
}

function outputOf(r: ScriptResult): ScriptOutput {
  return r.elems ? { id: r.id, output: r.output, elems: r.elems } : { id: r.id, output: r.output };
}

const byId = (a: ScriptOutput, b: ScriptOutput) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

type ScannedPort = HostResult["ports"][number];
const STATE_RANK: Record<string, number> = { open: 0, "open|filtered": 1 };
const PROTO_RANK: Record<string, number> = { tcp: 0, udp: 1, sctp: 2 };

/** The order nmap hands a host's ports to the portrules (nse_main.cc: ports()): open ports, then
 * open|filtered; TCP, UDP, SCTP; by number. Threads queue for the socket lock in this order. */
export function nmapPortOrder(a: ScannedPort, b: ScannedPort): number {
  return (STATE_RANK[a.state] ?? 2) - (STATE_RANK[b.state] ?? 2) ||
    (PROTO_RANK[a.protocol] ?? 3) - (PROTO_RANK[b.protocol] ?? 3) || a.port - b.port;
}

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
    /** -T, -6 and --max-parallelism, as nmap hands them to scripts. */
    timing?: number;
    family?: 4 | 6;
    maxParallelism?: number;
    /** --proxies: the scripts' TCP sockets go through this chain. */
    proxies?: readonly ProxyHop[];
    /** --datadir (MAC vendors for nmapdb.mac2corp). */
    datadir?: string;
  },
): Promise<ScriptRunner> {
  const set = scriptSet();
  let chosen;
  try {
    chosen = o.versionScan
      ? chooseScripts([...so.rules, "version"], set.env, new Set(["version"]))
      : chooseScripts(so.rules, set.env);
  } catch (e) {
    throw new ScriptSetupError((e as Error).message);
  }
  const targets = new Set<string>();
  const engine = await NseEngine.create({
    dataDirs: set.dataDirs,
    targets,
    verbosity: o.verbose,
    debugging: o.debug,
    privileged: o.privileged,
    versionIntensity: o.versionIntensity,
    timing: o.timing,
    family: o.family,
    maxParallelism: o.maxParallelism,
    trace: so.trace ? o.log : undefined,
    scriptTimeoutMs: so.timeoutMs,
    log: o.log,
    net: o.proxies ? socketNet(o.proxies) : undefined,
    datadir: o.datadir,
    writeDir: so.writeDir,
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
    const byName = c.selection === "name";
    const err = loadWithTwin(engine, c.path, await set.read(c.path), byName, (why) => {
      if (o.verbose > 0 || o.debug > 0) {
        o.log(
          `NSE: nmap's ${c.path.replace(/^.*\//, "")} cannot load here (${why}); ` +
            "Porthole's built-in script of that id runs instead",
        );
      }
    });
    if (err) skipped.push(`${c.path.replace(/^.*\//, "")}: ${err.split("\n")[0]}`);
  }
  if (skipped.length && (o.verbose > 0 || o.debug > 0)) {
    o.log(`NSE: ${skipped.length} script(s) skipped:\n  ${skipped.join("\n  ")}`);
  }
  return {
    async host(r) {
      if (r.status !== "up") return;
      targets.add(r.address);
      const ports = r.ports.filter((p) => p.state === "open" || p.state === "open|filtered")
        .sort(nmapPortOrder);
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
          confidence: p.service?.confidence,
          method: p.service?.method,
        })),
        r.times,
      );
      const results = await engine.run("host");
      for (const u of engine.takeServiceUpdates()) {
        const port = r.ports.find((p) => p.port === u.port && p.protocol === u.protocol);
        if (port && u.host === r.address) port.service = serviceOf(u, port.service);
      }
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
