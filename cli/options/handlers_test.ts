import { deepEqual, ok } from "node:assert/strict";
import { NMAP_LONG, SHORT, UNSUPPORTED_LONG } from "./getopt_table.ts";
import { OPTION_FAMILIES, OPTION_HANDLERS, SCAN_TYPE_HANDLERS } from "./handlers.ts";

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
