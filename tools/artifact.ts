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

/** The permission and unstable flags of the `porthole` task. */
export function portholeFlags(): string[] {
  const cfg = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`));
  const task = cfg.tasks.porthole;
  const command: string = typeof task === "string" ? task : task.command;
  return command.split(/\s+/).filter((w) => /^--(allow-|unstable-|v8-flags=)/.test(w));
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
 * V8 only pre-parses, and built-ins load on first use (a static import of one would be hoisted to
 * the top and run at every start, --version included, so it fails the build).
 */
async function bundle(): Promise<number> {
  await Deno.mkdir(DIST, { recursive: true });
  const out = `${DIST}/porthole.js`;
  const code = await denoBundle(ENTRY);
  if (code === undefined) return 1;
  const hoisted = code.match(/^import\b.*$/gm);
  if (hoisted) {
    console.error(
      `bundle: static imports left at the bundle's top (they would load at every start):\n  ${
        hoisted.join("\n  ")
      }\nload them on first use with import(), as cli/service/conn.ts does.`,
    );
    return 1;
  }
  const flags = portholeFlags().join(" ");
  await Deno.writeTextFile(
    out,
    `#!/usr/bin/env -S deno run --quiet ${flags}\n${await notices(flags)}${
      code.replace(/^#!.*\n/, "")
    }`,
  );
  await Deno.chmod(out, 0o755);
  const size = (await Deno.stat(out)).size;
  console.log(`dist/porthole.js (${(size / 1024).toFixed(0)} KiB): run it with`);
  console.log(`  deno run ${flags} porthole.js ARGS   (or ./porthole.js ARGS)`);
  return 0;
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
