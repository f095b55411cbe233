import { deepEqual, ok } from "node:assert/strict";
import { helpSections } from "../help.ts";
import { evasion } from "./evasion.ts";
import { NMAP_LONG, SHORT, UNSUPPORTED_LONG } from "./getopt_table.ts";
import { OPTION_FAMILIES, OPTION_HANDLERS, SCAN_TYPE_HANDLERS } from "./handlers.ts";
import { misc } from "./misc.ts";
import { output } from "./output.ts";
import { portSelection } from "./port_selection.ts";
import { scanTechniques } from "./scan_techniques.ts";
import { scripts } from "./scripts.ts";
import { serviceAndOs } from "./service_os.ts";
import type { OptionFamily } from "./state.ts";
import { targetsAndDiscovery } from "./targets_discovery.ts";
import { timing } from "./timing.ts";

const getoptNames = new Set([...NMAP_LONG.map(([name]) => name), ...Object.keys(SHORT)]);

Deno.test("handlers: every option of the getopt table is handled or refused, never both", () => {
  const neither = [...getoptNames].filter((n) =>
    !Object.hasOwn(OPTION_HANDLERS, n) && !Object.hasOwn(UNSUPPORTED_LONG, n)
  );
  deepEqual(neither, [], "options the tokeniser accepts that nothing handles");
  const both = Object.keys(UNSUPPORTED_LONG).filter((n) => Object.hasOwn(OPTION_HANDLERS, n));
  deepEqual(both, [], "options both handled and refused");
});

Deno.test("handlers: no handler or refusal for an option the getopt table lacks", () => {
  const stray = [...Object.keys(OPTION_HANDLERS), ...Object.keys(UNSUPPORTED_LONG)]
    .filter((n) => !getoptNames.has(n));
  deepEqual(stray, [], "unreachable: the tokeniser never yields these");
});

Deno.test("handlers: each family's options are in the joined tables, and -s letters are letters", () => {
  for (const family of OPTION_FAMILIES) {
    for (const [name, handler] of Object.entries(family.options)) {
      ok(OPTION_HANDLERS[name] === handler, name);
    }
    for (const [letter, handler] of Object.entries(family.scanTypes ?? {})) {
      ok(/^[A-Za-z]$/.test(letter) && SCAN_TYPE_HANDLERS[letter] === handler, `-s${letter}`);
    }
  }
});

/** Each --help section's family, as handlers.ts's table says. */
const FAMILY_OF_SECTION: Record<string, OptionFamily> = {
  "TARGET SPECIFICATION": targetsAndDiscovery,
  "HOST DISCOVERY": targetsAndDiscovery,
  "SCAN TECHNIQUES": scanTechniques,
  "PORT SPECIFICATION AND SCAN ORDER": portSelection,
  "SERVICE/VERSION DETECTION": serviceAndOs,
  "SCRIPT SCAN": scripts,
  "OS DETECTION": serviceAndOs,
  "TIMING AND PERFORMANCE": timing,
  "FIREWALL/IDS EVASION AND SPOOFING": evasion,
  OUTPUT: output,
  MISC: misc,
};

Deno.test("handlers: every option --help lists is handled in the family of its section", () => {
  const misplaced: string[] = [];
  for (const section of helpSections()) {
    const family = FAMILY_OF_SECTION[section.title];
    ok(family, `no family for --help's ${section.title}`);
    for (const spelling of section.options.flatMap((o) => o.spellings)) {
      const name = spelling.replace(/^-+/, "");
      const found = Object.hasOwn(OPTION_HANDLERS, name)
        ? Object.hasOwn(family.options, name)
        : name[0] === "s"
        ? Object.hasOwn(family.scanTypes ?? {}, name.slice(1)) // -sV
        : Object.hasOwn(family.options, name[0]!); // -PS22, -T4
      if (!found) misplaced.push(`${spelling} (${section.title})`);
    }
  }
  deepEqual(misplaced, []);
});
