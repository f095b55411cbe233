/**
 * The house's import graph (issue #16, ../shared STYLE "The house"): every relative import of
 * every module under core-wasm/, ffi/ and cli/ is read, each file is put in its room, and the test
 * fails on an arrow between rooms that the table below does not allow, on a cycle between rooms,
 * and on product code that imports a test helper. Test files (`*_test.ts`, `*_bench.ts`) may
 * import anything. Needs read permission only.
 *
 * @module
 */

import { deepEqual, ok } from "node:assert/strict";

/** A room: the files it holds (paths from the repository root) and why it exists. */
interface Room {
  name: string;
  files: RegExp;
  what: string;
}

/**
 * The rooms, top to bottom; a file belongs to the first room whose pattern matches it.
 *
 * Decisions beyond the issue's sketch, written down here so the next reader need not guess:
 * - The option parser is a room of its own below the apps: the run re-checks privileges with it
 *   and `--merge` re-parses each shard's command line. `cli/options/types.ts` ("settings") is
 *   types only: the request every room below the apps reads, never the engine.
 * - `cli/errors.ts` (UsageError, fatal) is the vocabulary of bad input: a leaf everyone may throw.
 * - `cli/model/` imports nothing, not even core-wasm's constants: it is plain data and the pure
 *   functions that order and classify it (port order, nmap's OS class texts).
 * - Data tables (`cli/data/`, the services and IP protocol tables, MAC vendors, where data files
 *   are found) are a leaf above the model: scans, detection, output and input all read them.
 * - Inventory and merge are applications of their own beside the run: the face dispatches to
 *   them, and they read results through output's parsers and writers.
 * - Discovery may use the scans' reply rules (nmap's ping probes are port probes), never the
 *   reverse; traceroute sends the scan's own probes (UDP payloads included).
 * - NSE's pcre module runs on -sV's PCRE engine (one engine, one place): scripts may import
 *   service, never the reverse.
 */
const ROOMS: Room[] = [
  { name: "face", files: /^cli\/(main|help)\.ts$/, what: "main.ts and help" },
  { name: "inventory", files: /^cli\/inventory\//, what: "porthole inventory …" },
  { name: "merge", files: /^cli\/merge(_ports)?\.ts$/, what: "porthole --merge" },
  { name: "app", files: /^cli\/app\//, what: "one run: privileges, host groups, resume, emission" },
  { name: "options", files: /^cli\/options\/(?!types\.ts$)/, what: "the option parser" },
  { name: "settings", files: /^cli\/options\/types\.ts$/, what: "the parsed request (types)" },
  { name: "input", files: /^cli\/(targets|ports|dns)\.ts$/, what: "targets, ports, names" },
  { name: "discovery", files: /^cli\/discovery\//, what: "host discovery (ping kinds)" },
  { name: "scans", files: /^cli\/scans\//, what: "one module per scan kind" },
  { name: "service", files: /^cli\/service\//, what: "detect: -sV" },
  { name: "os", files: /^cli\/os\//, what: "detect: -O" },
  { name: "scripts", files: /^cli\/scripts\//, what: "detect: NSE" },
  { name: "trace", files: /^cli\/trace\//, what: "detect: --traceroute" },
  { name: "output", files: /^cli\/output\//, what: "one writer per format; they render" },
  { name: "engine", files: /^cli\/(engine|timing)\//, what: "scheduler, timing, sessions, routes" },
  {
    name: "data",
    files: /^cli\/(data\/|services_db\.ts$|ip_protocols\.ts$|mac_vendors\.ts$|data_files\.ts$)/,
    what: "data tables",
  },
  { name: "errors", files: /^cli\/errors\.ts$/, what: "bad input, as nmap words it" },
  { name: "model", files: /^cli\/model\//, what: "results everyone shares" },
  { name: "ffi", files: /^ffi\//, what: "the operating system's edge" },
  { name: "core", files: /^core-wasm\//, what: "bytes only: the packet core, addresses" },
];

const DETECT = ["service", "os", "scripts", "trace"];
const LEAVES = ["data", "errors", "model"];
const BELOW_APPS = ["input", "discovery", "scans", ...DETECT, "output", "engine"];

/** Which rooms each room may import (besides itself). Anything else is a forbidden arrow. */
const ALLOWED: Record<string, string[]> = {
  face: ["app", "inventory", "merge", "options", "settings", "core", ...LEAVES],
  inventory: ["output", "input", "settings", ...LEAVES],
  merge: ["options", "output", "input", "settings", ...LEAVES],
  app: ["options", "settings", "inventory", "core", ...BELOW_APPS, ...LEAVES],
  options: ["settings", "input", ...LEAVES],
  settings: ["engine", "model"],
  input: ["settings", "engine", "core", ...LEAVES],
  discovery: ["scans", "engine", "settings", "core", ...LEAVES],
  scans: ["engine", "settings", "core", ...LEAVES],
  service: ["engine", "settings", "core", ...LEAVES],
  os: ["engine", "settings", "core", ...LEAVES],
  scripts: ["service", "engine", "settings", "core", ...LEAVES],
  trace: ["scans", "engine", "settings", "core", ...LEAVES],
  output: ["settings", "core", ...LEAVES],
  engine: ["ffi", "core", ...LEAVES],
  data: ["errors", "model", "core"],
  errors: [],
  model: [],
  ffi: ["core"],
  core: [],
};

/** Helpers only tests may import: they live under tests/ (tests/testing/ and the lab). */
const TEST_HELPER = /^tests\/|(^|\/)_(test_|testing|assert|fake)[^/]*\.ts$/;

const ROOT = new URL("../", import.meta.url).pathname;
const isTest = (path: string) => /_(test|bench)\.ts$/.test(path);

/** Every .ts file under `dir` (relative to the repository root), generated code excluded. */
function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(ROOT + dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (path !== "core-wasm/build" && path !== "core-wasm/assembly") out.push(...listTs(path));
    } else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The relative specifiers a module imports: static, re-exports and dynamic import(). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]!);
  return found.filter((s) => s.startsWith("."));
}

/** `spec` imported from `from`, as a path from the repository root. */
function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const s of spec.split("/")) {
    if (s === "..") parts.pop();
    else if (s !== ".") parts.push(s);
  }
  return parts.join("/");
}

function roomOf(path: string): string | undefined {
  return ROOMS.find((r) => r.files.test(path))?.name;
}

/** Product files' arrows as `from → to` file pairs. */
function productImports(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of ["core-wasm", "ffi", "cli"].flatMap(listTs)) {
    if (isTest(file)) continue;
    for (const spec of importsOf(Deno.readTextFileSync(ROOT + file))) {
      edges.push([file, resolve(file, spec)]);
    }
  }
  return edges;
}

Deno.test("import graph: the table names every room once and allows only known rooms", () => {
  const names = ROOMS.map((r) => r.name);
  deepEqual(new Set(names).size, names.length);
  deepEqual(Object.keys(ALLOWED).sort(), [...names].sort());
  for (const [room, to] of Object.entries(ALLOWED)) {
    for (const t of to) ok(names.includes(t), `${room} allows unknown room ${t}`);
  }
});

Deno.test("import graph: the parser finds static, re-exported and dynamic imports", () => {
  const src = [
    `import { a } from "./a.ts";`,
    `import type {`,
    `  B,`,
    `} from "../b.ts";`,
    `export { c } from "./c.ts";`,
    `import "./side.ts";`,
    `const d = await import("./d.ts");`,
    `/** import { e } from "./e.ts"; */`,
    `// import { f } from "./f.ts";`,
    `import { parseArgs } from "node:util";`,
  ].join("\n");
  deepEqual(importsOf(src).sort(), ["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./side.ts"]);
});

Deno.test("import graph: every product file sits in a room", () => {
  const homeless = ["core-wasm", "ffi", "cli"].flatMap(listTs)
    .filter((f) => !isTest(f) && !roomOf(f));
  deepEqual(homeless, []);
});

Deno.test("import graph: test helpers live under tests/, and product code imports none", () => {
  const misplaced = ["core-wasm", "ffi", "cli"].flatMap(listTs).filter((f) => TEST_HELPER.test(f));
  deepEqual(misplaced, []);
  const bad = productImports().filter(([, to]) => TEST_HELPER.test(to))
    .map(([from, to]) => `${from} → ${to}`);
  deepEqual(bad, [], `product imports of test helpers:\n${bad.join("\n")}`);
});

Deno.test("import graph: no arrow between rooms that the table forbids", () => {
  const bad: string[] = [];
  for (const [from, to] of productImports()) {
    const a = roomOf(from), b = roomOf(to);
    if (!a || !b || a === b) continue;
    if (!ALLOWED[a]!.includes(b)) bad.push(`${a} → ${b}: ${from} → ${to}`);
  }
  deepEqual(bad, [], `forbidden arrows:\n${bad.join("\n")}`);
});

Deno.test("import graph: no cycle between rooms", () => {
  const arrows = new Map<string, Set<string>>();
  for (const [from, to] of productImports()) {
    const a = roomOf(from), b = roomOf(to);
    if (!a || !b || a === b) continue;
    if (!arrows.has(a)) arrows.set(a, new Set());
    arrows.get(a)!.add(b);
  }
  // Depth-first search; a room met again while still on the path closes a cycle.
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (r: string) => {
    if (done.has(r)) return;
    const at = path.indexOf(r);
    if (at >= 0) {
      cycles.push([...path.slice(at), r].join(" → "));
      return;
    }
    path.push(r);
    for (const next of arrows.get(r) ?? []) visit(next);
    path.pop();
    done.add(r);
  };
  for (const r of arrows.keys()) visit(r);
  deepEqual(cycles, [], `cycles:\n${cycles.join("\n")}`);
});
