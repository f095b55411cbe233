import { deepEqual, equal, match } from "node:assert/strict";
import { bundleSizes, DATA_LITERAL_MIN, renderSizes } from "./bundle_sizes.ts";

const LONG = "A".repeat(DATA_LITERAL_MIN);

/** A bundle the way deno bundle writes one: helpers, then each module under its `// path`. */
const BUNDLE = [
  "#!/usr/bin/env -S deno run",
  "var __esm = (fn, res) => function __init() {};",
  "// deno bundle's require() shim, made lazy by tools/artifact.ts: node:module (Node",
  "// cli/data/table.json",
  `var table_default = { names: "${LONG}", short: "a b" };`,
  "// ../main/node_modules/pkg/index.js",
  `var s = '${LONG}\\'';`,
  "// cli/main.ts",
  "var lua = `",
  `${LONG}`,
  "`;",
  'async function main(args) { return "--version"; }',
  "",
].join("\n");

Deno.test("bundleSizes: each module's bytes from its // path line on, long one-line literals as data", () => {
  const sizes = bundleSizes(BUNDLE);
  deepEqual(sizes.map((m) => m.path), [
    "(head)",
    "cli/data/table.json",
    "node_modules/pkg/index.js",
    "cli/main.ts",
  ]);
  // Every byte counted once, newlines included.
  equal(sizes.reduce((s, m) => s + m.bytes, 0), BUNDLE.length);
  equal(sizes[0]!.dataBytes, 0);
  // The quotes count: the literal's bytes as they stand in the file.
  equal(sizes[1]!.dataBytes, DATA_LITERAL_MIN + 2);
  equal(sizes[2]!.dataBytes, DATA_LITERAL_MIN + 4, "an escaped quote stays inside the literal");
  // A template literal over several lines is code (the built-in Lua scripts, say).
  equal(sizes[3]!.dataBytes, 0);
});

Deno.test("bundleSizes: a short literal is code, and a bundle without module lines is one (head)", () => {
  const short = `var x = "${"A".repeat(DATA_LITERAL_MIN - 1)}";\n`;
  deepEqual(bundleSizes(short), [{ path: "(head)", bytes: short.length, dataBytes: 0 }]);
});

Deno.test("renderSizes: totals first, largest modules next, the rest summed", () => {
  const text = renderSizes("b.js", [
    { path: "(head)", bytes: 2048, dataBytes: 0 },
    { path: "cli/data/x.json", bytes: 10240, dataBytes: 9216 },
  ]);
  const lines = text.split("\n");
  equal(lines[0], "b.js: 12 KiB in 2 modules, code 3 KiB, data 9 KiB");
  match(lines[2]!, /^ +10 +9 {2}cli\/data\/x\.json$/);
  match(lines[3]!, /^ +2 +- {2}\(head\)$/);
  const many = Array.from(
    { length: 30 },
    (_, i) => ({ path: `m${i}.ts`, bytes: 1024, dataBytes: 0 }),
  );
  match(renderSizes("b.js", many).split("\n").at(-1)!, /^ +5 +0 {2}5 more \(--all lists them\)$/);
  equal(renderSizes("b.js", many, true).split("\n").length, 32);
});
