/**
 * Builds the one file users drop on a host.
 *
 *   deno task bundle   → dist/porthole.js: one JavaScript file with the WASM core inlined, runnable
 *                        from an empty folder as `deno run <flags> porthole.js` (or `./porthole.js`,
 *                        its shebang carries the flags). Two stages in one file, so that --version
 *                        and --help start as fast as from source (see bundle() below).
 *   deno task compile [-- --target T] → dist/porthole[-T]: a self-contained executable.
 *
 * Both take Porthole's permissions from the `porthole` task in deno.json, so the three ways to
 * run it never drift apart. `deno compile` downloads its runtime (denort) unless DENORT_BIN names
 * a local copy: offline hosts set DENORT_BIN=/path/to/denort (from the denort-<target>.zip of the
 * same Deno release).
 */

import { toStage2 } from "./_bundle_stage2.ts";

const REPO = new URL("../", import.meta.url).pathname;
const ENTRY = `${REPO}cli/main.ts`;
const DIST = `${REPO}dist`;
const STAGE1 = `${REPO}tools/_bundle_stage1.ts`;
/** The string literal in stage 1 that the packed second stage replaces. */
const PAYLOAD_MARK = "@@PORTHOLE_PAYLOAD@@";

/** The words of the `porthole` task's command. */
function portholeTask(): string[] {
  const cfg = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`));
  const task = cfg.tasks.porthole;
  const command: string = typeof task === "string" ? task : task.command;
  return command.split(/\s+/);
}

/** The permission and unstable flags of the `porthole` task. */
export function portholeFlags(): string[] {
  return portholeTask().filter((w) => /^--(allow-|unstable-|v8-flags=)/.test(w));
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
 * dist/porthole.js in two stages, one file. The first stage (tools/_bundle_stage1.ts, ~10 KB)
 * answers --version and --help at once; it carries the whole bundle of cli/main.ts as a
 * gzip-compressed base64 string that it decodes and evaluates for anything else
 * (tools/_bundle_stage2.ts makes that bundle evaluable). Deno's start-up cost grows with the
 * size of the main module, so this keeps `porthole.js --version` as quick as the source tree's.
 */
async function bundle(): Promise<number> {
  await Deno.mkdir(DIST, { recursive: true });
  const out = `${DIST}/porthole.js`;
  const full = await denoBundle(ENTRY);
  if (full === undefined) return 1;
  const first = await denoBundle(STAGE1);
  if (first === undefined) return 1;
  let second: string;
  try {
    second = toStage2(full);
    // Compiles it (without running it): a rewrite that broke the syntax fails here, not on a host.
    if (typeof (0, eval)(second) !== "function") throw new Error("bundle: stage 2 is no function");
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  const parts = first.split(`"${PAYLOAD_MARK}"`);
  if (parts.length !== 2) {
    console.error(`bundle: ${PAYLOAD_MARK} must occur once in tools/_bundle_stage1.ts's bundle`);
    return 1;
  }
  const flags = portholeFlags().join(" ");
  const run = [...portholeEnv(), "deno", "run"].join(" ");
  await Deno.writeTextFile(
    out,
    `#!/usr/bin/env -S ${run} --quiet ${flags}\n${parts[0]}"${await pack(second)}"${parts[1]}`,
  );
  await Deno.chmod(out, 0o755);
  const size = (await Deno.stat(out)).size;
  console.log(`dist/porthole.js (${(size / 1024).toFixed(0)} KiB): run it with`);
  console.log(`  ${run} ${flags} porthole.js ARGS   (or ./porthole.js ARGS)`);
  return 0;
}

/** gzip at its best setting, then base64: about a third of the bundle's size. */
async function pack(source: string): Promise<string> {
  const { gzipSync, constants } = await import("node:zlib");
  const packed = gzipSync(new TextEncoder().encode(source), {
    level: constants.Z_BEST_COMPRESSION,
  });
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.length).toBase64();
}

async function compile(args: string[]): Promise<number> {
  await Deno.mkdir(DIST, { recursive: true });
  const target = args[args.indexOf("--target") + 1];
  const name = args.includes("--target") && target ? `porthole-${target}` : "porthole";
  const ok = await deno([
    "compile",
    "--quiet",
    ...portholeFlags(),
    ...(args.includes("--target") && target ? ["--target", target] : []),
    "-o",
    `${DIST}/${name}`,
    ENTRY,
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
  console.log(`dist/${name}`);
  return 0;
}

if (import.meta.main) {
  const [what, ...rest] = Deno.args;
  Deno.exit(what === "compile" ? await compile(rest) : await bundle());
}
