/**
 * Every option's handler, from the family tables (one per --help section). To find what an
 * option does, look in the family of its --help section:
 *
 * | --help section                          | module               |
 * | --------------------------------------- | -------------------- |
 * | TARGET SPECIFICATION, HOST DISCOVERY    | targets_discovery.ts |
 * | SCAN TECHNIQUES (and the -s letters)    | scan_techniques.ts   |
 * | PORT SPECIFICATION AND SCAN ORDER       | port_selection.ts    |
 * | SERVICE/VERSION DETECTION, OS DETECTION | service_os.ts        |
 * | SCRIPT SCAN                             | scripts.ts           |
 * | TIMING AND PERFORMANCE                  | timing.ts            |
 * | FIREWALL/IDS EVASION AND SPOOFING       | evasion.ts           |
 * | OUTPUT                                  | output.ts            |
 * | MISC                                    | misc.ts              |
 *
 * An -s letter lives with its family too (-sV in service_os.ts, -sn in targets_discovery.ts).
 *
 * @module
 */

import { evasion } from "./evasion.ts";
import { misc } from "./misc.ts";
import { output } from "./output.ts";
import { portSelection } from "./port_selection.ts";
import { scanTechniques, scanTypeOption } from "./scan_techniques.ts";
import { scripts } from "./scripts.ts";
import { serviceAndOs } from "./service_os.ts";
import type { OptionFamily, OptionTable } from "./state.ts";
import { targetsAndDiscovery } from "./targets_discovery.ts";
import { timing } from "./timing.ts";

/** The families, in --help's order. */
export const OPTION_FAMILIES: readonly OptionFamily[] = [
  targetsAndDiscovery,
  scanTechniques,
  portSelection,
  serviceAndOs,
  scripts,
  timing,
  evasion,
  output,
  misc,
];

/** The tables as one; a name in two families is a mistake in the tables. */
function joinTables(tables: readonly OptionTable[]): OptionTable {
  const all: Record<string, OptionTable[string]> = {};
  for (const table of tables) {
    for (const [name, handler] of Object.entries(table)) {
      if (Object.hasOwn(all, name)) throw new Error(`option ${name} is in two families`);
      all[name] = handler;
    }
  }
  return all;
}

/** Every -s letter's handler ("V" for -sV). */
export const SCAN_TYPE_HANDLERS: OptionTable = joinTables(
  OPTION_FAMILIES.map((f) => f.scanTypes ?? {}),
);

/** Every option's handler, by getopt name (long name or short letter). */
export const OPTION_HANDLERS: OptionTable = joinTables([
  ...OPTION_FAMILIES.map((f) => f.options),
  { s: scanTypeOption(SCAN_TYPE_HANDLERS) },
]);
