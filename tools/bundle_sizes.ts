/**
 * What dist/porthole.js is made of: its bytes by module, each split into code and data.
 *
 *   deno task bundle:sizes [FILE] [--all]
 *
 * deno bundle writes each module under a `// path` line; a module runs to the next such line.
 * Data is every string literal on one line of {@link DATA_LITERAL_MIN} characters or more (the
 * services table's columns, base64 of WebAssembly or of gzip); the rest, comments and template
 * literals included (the built-in Lua scripts are code an auditor reads), is code. Start-up costs
 * grow with the file's bytes of either kind (README, "The artifact"), so this is where to look
 * before adding to the bundle.
 *
 * @module
 */

/** One module of the bundle. */
export interface ModuleSize {
  /** Its path as deno bundle names it, node_modules' from `node_modules/` on. */
  path: string;
  /** Its bytes in the bundle, its `// path` line included (all ASCII: one byte a character). */
  bytes: number;
  /** Of those, the bytes of long string literals. */
  dataBytes: number;
}

/** The shortest string literal counted as data. */
export const DATA_LITERAL_MIN = 1000;

/** A `// path` line: one word with a slash or a file extension (comments are sentences). */
const MODULE_LINE = /^\/\/ (\S*(?:\/|\.[a-z]+$)\S*)$/;

/** A single- or double-quoted literal on one line, at least DATA_LITERAL_MIN characters long. */
const LONG_LITERAL = new RegExp(
  `"(?:[^"\\\\\\n]|\\\\.){${DATA_LITERAL_MIN},}"|'(?:[^'\\\\\\n]|\\\\.){${DATA_LITERAL_MIN},}'`,
  "g",
);

/**
 * The modules of bundled `code`, in bundle order; what comes before the first module (the
 * shebang, the notices, deno bundle's helpers) is the module `(head)`.
 */
export function bundleSizes(code: string): ModuleSize[] {
  const modules: ModuleSize[] = [];
  let current: ModuleSize = { path: "(head)", bytes: 0, dataBytes: 0 };
  for (const line of code.split("\n")) {
    const path = MODULE_LINE.exec(line)?.[1];
    if (path !== undefined) {
      if (current.bytes > 0) modules.push(current);
      current = {
        path: path.replace(/^(\.\.\/)*.*?(?=node_modules\/)/, ""),
        bytes: 0,
        dataBytes: 0,
      };
    }
    current.bytes += line.length + 1;
    for (const m of line.matchAll(LONG_LITERAL)) current.dataBytes += m[0].length;
  }
  if (code.endsWith("\n")) current.bytes -= 1; // split() made an empty last line
  modules.push(current);
  return modules;
}

/** The table `deno task bundle:sizes` prints: largest modules first, then the totals. */
export function renderSizes(file: string, modules: ModuleSize[], all = false): string {
  const kb = (n: number) => (n / 1024).toFixed(0).padStart(6);
  const sorted = [...modules].sort((a, b) => b.bytes - a.bytes);
  const shown = all ? sorted : sorted.slice(0, 25);
  const total = modules.reduce((s, m) => s + m.bytes, 0);
  const data = modules.reduce((s, m) => s + m.dataBytes, 0);
  const lines = [
    `${file}: ${kb(total).trim()} KiB in ${modules.length} modules, ` +
    `code ${kb(total - data).trim()} KiB, data ${kb(data).trim()} KiB`,
    "   KiB   data  module",
    ...shown.map((m) => `${kb(m.bytes)} ${m.dataBytes ? kb(m.dataBytes) : "     -"}  ${m.path}`),
  ];
  if (shown.length < sorted.length) {
    const rest = sorted.slice(shown.length);
    lines.push(
      `${kb(rest.reduce((s, m) => s + m.bytes, 0))} ${
        kb(rest.reduce((s, m) => s + m.dataBytes, 0))
      }  ${rest.length} more (--all lists them)`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const all = Deno.args.includes("--all");
  const named = Deno.args.find((a) => a !== "--all");
  const file = named ?? new URL("../dist/porthole.js", import.meta.url).pathname;
  let code: string;
  try {
    code = await Deno.readTextFile(file);
  } catch (e) {
    console.error(
      `bundle:sizes: cannot read ${file} (${e instanceof Error ? e.message : e}); ` +
        "`deno task bundle` makes dist/porthole.js.",
    );
    Deno.exit(1);
  }
  console.log(renderSizes(named ?? "dist/porthole.js", bundleSizes(code), all));
}
