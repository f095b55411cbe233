/**
 * Builds the one file users drop on a host.
 *
 *   deno task bundle   → dist/porthole.js: one readable JavaScript file with the WASM core inlined
 *                        (as base64 data), runnable from an empty folder as
 *                        `deno run <flags> porthole.js` (or `./porthole.js`, its shebang carries
 *                        the flags).
 *   deno task compile [-- --target T] → dist/porthole[-T]: a self-contained executable.
 *
 * Both take Porthole's permissions from the `porthole` task in deno.json, so the three ways to
 * run it never drift apart. `deno compile` downloads its runtime (denort) unless DENORT_BIN names
 * a local copy: offline hosts set DENORT_BIN=/path/to/denort (from the denort-<target>.zip of the
 * same Deno release).
 */

const REPO = new URL("../", import.meta.url).pathname;
const ENTRY = `${REPO}cli/main.ts`;
const DIST = `${REPO}dist`;

/** The words of the `porthole` task's command. */
function portholeTask(): string[] {
  const cfg = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`));
  const task = cfg.tasks.porthole;
  const command: string = typeof task === "string" ? task : task.command;
  return command.split(/\s+/);
}

/** The permission and unstable flags of the `porthole` task. */
export function portholeFlags(): string[] {
  return portholeTask().filter((w) => /^--(allow-|unstable-|v8-flags=|no-prompt$)/.test(w));
}

/**
 * The `NAME=value` words the `porthole` task puts before deno: DENO_NO_UPDATE_CHECK=1, or Deno
 * would look up its update host (dl.deno.land) during every scan. The compiled executable needs
 * none: its runtime, denort, has no update check.
 */
export function portholeEnv(): string[] {
  const words = portholeTask();
  const end = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  return words.slice(0, end < 0 ? words.length : end);
}

async function deno(args: string[], env?: Record<string, string>): Promise<boolean> {
  const { success } = await new Deno.Command(Deno.execPath(), { args, cwd: REPO, env }).spawn()
    .status;
  return success;
}

/** Runs `deno bundle` on `entry`; returns the JavaScript, or undefined when it failed. */
async function denoBundle(entry: string): Promise<string | undefined> {
  const tmp = await Deno.makeTempFile({ prefix: "ph-bundle-", suffix: ".js" });
  try {
    const ok = await deno(["bundle", "--quiet", "--platform", "deno", "-o", tmp, entry]);
    return ok ? await Deno.readTextFile(tmp) : undefined;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * dist/porthole.js: `deno bundle` of cli/main.ts as it is (not minified, comments kept, each
 * module under a `// path` line), after the shebang and a comment with the license notices. No
 * packing and no eval: what an auditor reads is what runs. Start-up stays quick because the
 * bundle's top level does little: modules that cli/main.ts loads lazily stay in functions that
 * V8 only pre-parses (and, from the second run on, takes from Deno's code cache: see the end of
 * cli/main.ts), and built-ins load on first use. A static import of a built-in would be hoisted
 * to the top and run at every start, --version included, so it fails the build; deno bundle's own
 * one, node:module for CommonJS require(), is made lazy by {@link lazyRequireShim}. Two more
 * rewrites of deno bundle's wrappers keep the text as readable: {@link functionInits} and
 * {@link nativeWasmDecode}.
 */
async function bundle(): Promise<number> {
  await Deno.mkdir(DIST, { recursive: true });
  const out = `${DIST}/porthole.js`;
  const bundled = await denoBundle(ENTRY);
  if (bundled === undefined) return 1;
  let lazy = bundled;
  for (const [rewrite, problem] of BUNDLE_REWRITES) {
    const next = rewrite(lazy);
    if (next === undefined) {
      console.error(`bundle: ${problem}`);
      return 1;
    }
    lazy = next;
  }
  const flags = portholeFlags().join(" ");
  const run = [...portholeEnv(), "deno", "run"].join(" ");
  const code = asciiOnly(
    `#!/usr/bin/env -S ${run} --quiet ${flags}\n${await notices(flags)}${
      lazy.replace(/^#!.*\n/, "")
    }`,
  );
  if (code === undefined) {
    console.error(
      "bundle: a character beyond ASCII where a \\u escape would change the text (in a " +
        "String.raw template, or after a backslash); write it in ASCII in the source.",
    );
    return 1;
  }
  const hoisted = code.match(/^import\b.*$/gm);
  if (hoisted?.length) {
    console.error(
      `bundle: static imports left at the bundle's top (they would load at every start):\n  ${
        hoisted.join("\n  ")
      }\nload them on first use with import(), as cli/service/conn.ts does.`,
    );
    return 1;
  }
  await Deno.writeTextFile(out, code);
  await Deno.chmod(out, 0o755);
  const size = (await Deno.stat(out)).size;
  console.log(`dist/porthole.js (${(size / 1024).toFixed(0)} KiB): run it with`);
  console.log(`  ${run} ${flags} porthole.js ARGS   (or ./porthole.js ARGS)`);
  return 0;
}

/** The rewrites of deno bundle's output, each with what it says when the output is not the one it
 * knows (a newer Deno): the build stops rather than ship a slower bundle. */
const BUNDLE_REWRITES: [(code: string) => string | undefined, string][] = [
  [
    (code) => lazyRequireShim(code),
    "deno bundle's require() shim (an import of node:module) is not the one " +
    "tools/artifact.ts knows how to make lazy; update lazyRequireShim for this Deno.",
  ],
  [
    (code) => functionInits(code),
    "deno bundle's module wrappers (__esm) are not the ones tools/artifact.ts knows; " +
    "update functionInits for this Deno.",
  ],
  [
    (code) => nativeWasmDecode(code),
    "deno bundle's inlined WebAssembly (__deno_wasm_bytes__) is not decoded the way " +
    "tools/artifact.ts knows; update nativeWasmDecode for this Deno.",
  ],
];

/** deno bundle's shim for CommonJS require(): pg (inventory's PostgreSQL client) and wasmoon's
 * loader (the Lua VM of scripts) call it. */
const REQUIRE_SHIM = [
  'import { createRequire as __deno_internal_createRequire } from "node:module";',
  "var __require = __deno_internal_createRequire(import.meta.url);",
].join("\n");

/**
 * `code` with deno bundle's require() shim made lazy, or undefined when the shim is not the
 * known one. The shim's static import of node:module loads Deno's Node compatibility layer at
 * every start: more than half of the instructions of a `--version` run. require() is only
 * called when a module that needs it loads (a PostgreSQL store, scripts), so the same
 * createRequire is fetched then, synchronously, through process.getBuiltinModule. A bundle
 * without CommonJS has no shim and is left as it is.
 */
export function lazyRequireShim(code: string): string | undefined {
  if (!code.includes("__deno_internal_createRequire")) return code;
  if (code.split(REQUIRE_SHIM).length !== 2) return undefined;
  return code.replace(
    REQUIRE_SHIM,
    [
      "// deno bundle's require() shim, made lazy by tools/artifact.ts: node:module (Node",
      "// compatibility) loads when a CommonJS package first calls require(), not at every start.",
      "var __deno_internal_require;",
      "var __require = (id) => (__deno_internal_require ??= globalThis.process",
      '  .getBuiltinModule("node:module").createRequire(import.meta.url))(id);',
    ].join("\n"),
  );
}

/** deno bundle's helper that runs a lazily loaded module's top level once. */
const ESM_HELPER = [
  "var __esm = (fn, res) => function __init() {",
  "  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;",
  "};",
].join("\n");

/** The start of one module's wrapper: `var init_x = __esm({` and its `"path"() {` method. */
const ESM_START = /= __esm\(\{\n {2}(async )?"([^"\n]*)"\(\) \{\n/g;
/** The end of a wrapper: the method's brace, then the object's. */
const ESM_END = "\n  }\n});\n";

/**
 * `code` with every module wrapper `__esm({ "path"() { … } })` written
 * `__esm(/* path *\/ function () { … })`, or undefined when the wrappers are not the known ones.
 * Each object literal keyed by a different path gives V8 a new hidden class to make and cache:
 * the 214 of them cost every start, --version included, 2.4 million instructions (3 %) more than
 * plain functions. The module's code inside is not touched.
 */
export function functionInits(code: string): string | undefined {
  if (!code.includes("__esm(")) return code;
  if (code.split(ESM_HELPER).length !== 2) return undefined;
  let out = code.replace(
    ESM_HELPER,
    ESM_HELPER.replace("(0, fn[__getOwnPropNames(fn)[0]])(fn = 0)", "fn(fn = 0)"),
  );
  const parts: string[] = [];
  let at = 0;
  for (const m of out.matchAll(ESM_START)) {
    if (m.index < at) return undefined;
    const end = out.indexOf(ESM_END, m.index + m[0].length - 1);
    // The wrapper ends where top-level code resumes: a blank line or a line at column 0.
    const next = out[end + ESM_END.length];
    if (end < 0 || (next !== undefined && /[ \t]/.test(next))) return undefined;
    parts.push(
      out.slice(at, m.index),
      `= __esm(/* ${m[2]!.replaceAll("*/", "* /")} */ ${m[1] ?? ""}function () {\n`,
      out.slice(m.index + m[0].length, end + 1),
      "});\n",
    );
    at = end + ESM_END.length;
  }
  parts.push(out.slice(at));
  out = parts.join("");
  return out.includes("__esm({") ? undefined : out;
}

/** How deno bundle decodes a `.wasm` import it inlines: one callback per byte. */
const WASM_BYTES =
  /__deno_wasm_bytes__ = Uint8Array\.from\(atob\(("[A-Za-z0-9+/=]*")\), \(c\) => c\.charCodeAt\(0\)\);/g;

/**
 * `code` with deno bundle's decoding of inlined WebAssembly done by the engine, or undefined when
 * the bundle inlines WebAssembly some other way. `Uint8Array.from(atob(s), (c) =>
 * c.charCodeAt(0))` calls a function per byte: for the packet core's 19 KB, 53 million
 * instructions alone, 28 million more before a scan's first probe (cachegrind). Uint8Array's
 * fromBase64(s) gives the same bytes in native code; with the module's compilation, 2.5 million.
 */
export function nativeWasmDecode(code: string): string | undefined {
  const decoded = code.replace(WASM_BYTES, "__deno_wasm_bytes__ = Uint8Array.fromBase64($1);");
  return /__deno_wasm_bytes__ = Uint8Array\.from\b/.test(decoded) ? undefined : decoded;
}

/**
 * `code` with every character beyond ASCII written as a `\\uXXXX` escape, or undefined when an
 * escape could change what the code means. Deno hands an all-ASCII source to V8 as one byte
 * per character; a single "—" in a comment makes all 2.5 MB two bytes per character, which
 * costs a quarter of a start's page faults. In strings, template literals, regular expressions
 * and comments an escape means the same character; only a template's raw text (String.raw) or a
 * character escaped by a backslash would differ, so those are refused.
 */
export function asciiOnly(code: string): string | undefined {
  if (!/[\u0080-\uffff]/.test(code)) return code;
  const raw = code.match(/\bString\.raw`(?:[^`\\]|\\.)*`/g) ?? [];
  if (raw.some((r) => /[\u0080-\uffff]/.test(r)) || /\\[\u0080-\uffff]/.test(code)) {
    return undefined;
  }
  return code.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The comment block at the top of the bundle: what it is, LICENSE and THIRD_PARTY.md. */
async function notices(flags: string): Promise<string> {
  const text = [
    "Porthole: a network scanner with nmap's flags and answers (see README.md).",
    "This file is `deno task bundle`'s bundle of cli/main.ts. Run it with",
    `  deno run ${flags} porthole.js ARGS`,
    "",
    await Deno.readTextFile(`${REPO}LICENSE`),
    await Deno.readTextFile(`${REPO}THIRD_PARTY.md`),
  ].join("\n").replaceAll("*/", "* /");
  return `/*!\n${text.trimEnd().split("\n").map((l) => ` * ${l}`.trimEnd()).join("\n")}\n */\n`;
}

/** Output of running `cmd args`, or the reason it could not run. */
async function capture(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (e) {
    return { code: -1, out: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Why DENORT_BIN cannot be deno compile's runtime, or undefined when it may be. A denort run
 * on its own has nothing to run and fails; the deno CLI answers --version with "deno X.Y.Z",
 * and deno compile would then make a copy of deno that ignores the scanner (exit 0, 300 MB).
 */
async function denortProblem(path: string): Promise<string | undefined> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) return `DENORT_BIN=${path} is not a file`;
  const { code, out } = await capture(path, ["--version"]);
  if (code === -1) return `DENORT_BIN=${path} cannot be run (${out})`;
  if (/^deno \d/.test(out)) {
    return `DENORT_BIN=${path} is the deno CLI (it printed "${out.split("\n")[0]}"), not denort, ` +
      "the runtime that deno compile puts in executables";
  }
}

/**
 * dist/porthole[-T]: denort plus dist/porthole.js (2.8 MB), compiled from the bundle with no
 * config file, so nothing of node_modules is embedded. For the host's target the result is run
 * before it counts: `--version` must print what the bundle prints, and a connect scan of
 * 127.0.0.1 inside a lab scanner namespace (root) must report the port; otherwise it is removed.
 */
async function compile(args: string[]): Promise<number> {
  const denort = Deno.env.get("DENORT_BIN");
  const problem = denort === undefined ? undefined : await denortProblem(denort);
  if (problem !== undefined) {
    console.error(
      `compile: ${problem}. Point DENORT_BIN at the denort of Deno ${Deno.version.deno} ` +
        "(unzipped from denort-<target>.zip of that release), or unset it so that deno compile " +
        "downloads it. Without denort, `deno task bundle` makes the artifact, dist/porthole.js.",
    );
    return 1;
  }
  if (await bundle() !== 0) return 1;
  const target = args.includes("--target") ? args[args.indexOf("--target") + 1] : undefined;
  const name = target ? `porthole-${target}` : "porthole";
  const exe = `${DIST}/${name}`;
  const ok = await deno([
    "compile",
    "--quiet",
    "--no-config",
    ...portholeFlags(),
    ...(target ? ["--target", target] : []),
    "-o",
    exe,
    `${DIST}/porthole.js`,
  ]);
  if (!ok) {
    console.error(
      "compile: deno compile could not produce an executable. It needs its runtime, denort, " +
        "which it downloads unless DENORT_BIN points at a local copy: set " +
        "DENORT_BIN=/path/to/denort (unzipped from the denort-<target>.zip of Deno " +
        `${Deno.version.deno}). Without it, \`deno task bundle\` makes dist/porthole.js.`,
    );
    return 1;
  }
  if (target && target !== Deno.build.target) {
    console.log(`dist/${name} (built for ${target}: not run here)`);
    return 0;
  }
  const failure = await checkExecutable(exe);
  if (failure !== undefined) {
    await Deno.remove(exe).catch(() => {});
    console.error(`compile: dist/${name} ${failure}; removed it.`);
    return 1;
  }
  const mb = (await Deno.stat(exe)).size / 2 ** 20;
  console.log(`dist/${name} (${mb.toFixed(1)} MiB): --version and a loopback scan checked`);
  return 0;
}

/** What is wrong with a freshly compiled `exe`, or undefined when it runs Porthole. */
async function checkExecutable(exe: string): Promise<string | undefined> {
  const want = await capture(Deno.execPath(), [
    "run",
    "--quiet",
    ...portholeFlags(),
    `${DIST}/porthole.js`,
    "--version",
  ]);
  const got = await capture(exe, ["--version"]);
  if (got.code !== 0 || got.out !== want.out) {
    return `does not run Porthole: its --version printed "${got.out.split("\n")[0]}" ` +
      `(exit ${got.code}), the bundle's "${want.out.split("\n")[0]}"; DENORT_BIN, if set, is ` +
      "probably not a denort";
  }
  const { Lab, labUnavailable } = await import("../tests/lab/mod.ts");
  const why = await labUnavailable();
  if (why !== null) {
    return `was not checked with a scan: that runs in a lab namespace, and ${why}`;
  }
  await using lab = await Lab.up({ tag: "compile", scenario: "policies" });
  const scan = await lab.runInScanner([exe, "-sT", "-p", "1", "127.0.0.1"], { timeoutMs: 60_000 });
  if (scan.code !== 0 || !/^1\/tcp +closed /m.test(scan.stdout)) {
    return `cannot scan: \`${baseName(exe)} -sT -p 1 127.0.0.1\` in a lab namespace exited ` +
      `${scan.code}:\n${scan.stdout}${scan.stderr}`;
  }
}

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

if (import.meta.main) {
  const [what, ...rest] = Deno.args;
  Deno.exit(what === "compile" ? await compile(rest) : await bundle());
}
