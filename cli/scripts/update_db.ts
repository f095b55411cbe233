/**
 * --script-updatedb: nmap's script.db rebuilt from a scripts directory (nse_main.lua's "Update
 * Missing Script Database"). Every `*.nse` file, in byte order of its path, is loaded in the NSE
 * engine for its `categories`; each gives one line
 *
 *     Entry { filename = "banner.nse", categories = { "discovery", "safe", } }
 *
 * with the categories sorted and lower-cased, as nmap writes them. A script the engine cannot load
 * (a library Porthole lacks) still gets its line: its `categories = {…}` is read from the source.
 *
 * @module
 */

import { NseEngine } from "./engine.ts";

/** script.db's text for the scripts in `scriptsDir`; `dataDirs` hold nselib/ for loading them. */
export async function scriptDbText(scriptsDir: string, dataDirs: string[]): Promise<string> {
  const files = [...Deno.readDirSync(scriptsDir)]
    .filter((e) => e.name.endsWith(".nse"))
    .map((e) => e.name)
    .sort(byteOrder);
  const engine = await NseEngine.create({ dataDirs, targets: new Set() });
  try {
    let text = "";
    for (const name of files) {
      const source = Deno.readTextFileSync(`${scriptsDir}/${name}`);
      const err = engine.loadScript(`${scriptsDir}/${name}`, source);
      const categories = err ? declaredCategories(source) : engine.scripts.at(-1)!.categories;
      text += `Entry { filename = "${name}", categories = {`;
      for (const c of [...categories].sort(byteOrder)) text += ` "${c.toLowerCase()}",`;
      text += " } }\n";
    }
    return text;
  } finally {
    engine.close();
  }
}

/**
 * Rebuilds `scriptsDir`/script.db, saying so on `log` as nmap does ("NSE: …"). Throws with nmap's
 * "Could not save script.db: …" when the directory cannot be written.
 */
export async function updateScriptDb(
  scriptsDir: string,
  dataDirs: string[],
  log: (line: string) => void,
): Promise<void> {
  log("NSE: Updating rule database.");
  const text = await scriptDbText(scriptsDir, dataDirs);
  try {
    Deno.writeTextFileSync(`${scriptsDir}/script.db`, text);
  } catch (e) {
    throw new Error(`Could not save script.db: ${e instanceof Error ? e.message : e}`);
  }
  log("NSE: Script Database updated successfully.");
}

/**
 * Where nmap's --script-updatedb writes: the first data directory (data_files.ts's order:
 * --datadir, ~/.porthole, $NMAPDIR, ~/.nmap, nmap's own) that has a scripts/ directory.
 */
export function scriptsDirIn(dataDirs: readonly string[]): string | undefined {
  for (const d of dataDirs) {
    try {
      if (Deno.statSync(`${d}/scripts`).isDirectory) return `${d}/scripts`;
    } catch { /* next */ }
  }
  return undefined;
}

/** `categories = {"a", "b"}` as written in a script's source (strings only). */
export function declaredCategories(source: string): string[] {
  const list = source.match(/^categories\s*=\s*\{([^}]*)\}/m)?.[1] ?? "";
  return [...list.matchAll(/["']([^"']*)["']/g)].map((m) => m[1]!);
}

/** Lua's string order (strcmp/strcoll in the C locale). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
