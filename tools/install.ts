/**
 * Puts a working `porthole` command on PATH, with its man page, completions and notices:
 *
 *     deno task install [--prefix DIR]      (default /usr/local)
 *
 * PREFIX/bin/porthole is the compiled executable when DENORT_BIN names a denort (`deno task
 * compile` makes and checks it), else a launcher script that runs PREFIX/lib/porthole/porthole.js
 * (the bundle) with a copy of this Deno, PREFIX/lib/porthole/deno, and the flags of the
 * `porthole` task: `deno` itself need not be on PATH. Also PREFIX/share/man/man1/porthole.1,
 * bash/zsh/fish completions under PREFIX/share, and README.md, LICENSE and THIRD_PARTY.md
 * under PREFIX/share/doc/porthole.
 *
 * @module
 */

import { portholeFlags } from "./artifact.ts";
import { writeDocs } from "./docs.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DIST = `${REPO}dist`;

/** Quotes `s` for sh. */
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs a task of deno.json; true when it succeeded. */
async function task(name: string): Promise<boolean> {
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", name],
    cwd: REPO,
  }).spawn().status;
  return success;
}

async function copy(from: string, to: string, mode: number): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  // Through a temporary name: replacing a running binary in place would fail (ETXTBSY).
  const tmp = `${to}.tmp-${Deno.pid}`;
  await Deno.copyFile(from, tmp);
  await Deno.chmod(tmp, mode);
  await Deno.rename(tmp, to);
}

async function write(to: string, text: string, mode: number): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(to, text, { mode });
  await Deno.chmod(to, mode);
}

/** The launcher: the bundle, run by the Deno installed beside it, with Porthole's flags. */
function launcher(lib: string): string {
  return `#!/bin/sh
# Porthole, installed by \`deno task install\`: runs the bundle with the Deno copied beside it
# (deno need not be on PATH) and the permissions of the \`porthole\` task; no update check.
export DENO_NO_UPDATE_CHECK=1
exec ${sh(`${lib}/deno`)} run --quiet ${portholeFlags().join(" ")} ${sh(`${lib}/porthole.js`)} "$@"
`;
}

async function install(args: string[]): Promise<number> {
  const i = args.indexOf("--prefix");
  const unknown = args.filter((a, n) => !(a === "--prefix" || (i >= 0 && n === i + 1)));
  if ((i >= 0 && !args[i + 1]) || unknown.length > 0) {
    console.error("usage: deno task install [--prefix DIR]   (default /usr/local)");
    return 2;
  }
  const prefix = (i >= 0 ? args[i + 1]! : "/usr/local").replace(/\/+$/, "");
  const abs = prefix.startsWith("/") ? prefix : `${Deno.cwd()}/${prefix}`;
  const lib = `${abs}/lib/porthole`;
  const compiled = Deno.env.get("DENORT_BIN") !== undefined;
  if (!await task(compiled ? "compile" : "bundle")) return 1;
  const docs = await Deno.makeTempDir({ prefix: "ph-docs-" });
  try {
    await writeDocs(docs);
    if (compiled) await copy(`${DIST}/porthole`, `${abs}/bin/porthole`, 0o755);
    else {
      await copy(`${DIST}/porthole.js`, `${lib}/porthole.js`, 0o644);
      await copy(Deno.execPath(), `${lib}/deno`, 0o755);
      await write(`${abs}/bin/porthole`, launcher(lib), 0o755);
    }
    await copy(`${docs}/porthole.1`, `${abs}/share/man/man1/porthole.1`, 0o644);
    const c = `${docs}/completions`;
    await copy(`${c}/porthole.bash`, `${abs}/share/bash-completion/completions/porthole`, 0o644);
    await copy(`${c}/_porthole`, `${abs}/share/zsh/site-functions/_porthole`, 0o644);
    await copy(`${c}/porthole.fish`, `${abs}/share/fish/vendor_completions.d/porthole.fish`, 0o644);
    for (const f of ["README.md", "LICENSE", "THIRD_PARTY.md"]) {
      await copy(`${REPO}${f}`, `${abs}/share/doc/porthole/${f}`, 0o644);
    }
  } catch (e) {
    console.error(`install: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await Deno.remove(docs, { recursive: true });
  }
  console.log(
    `${abs}/bin/porthole (${compiled ? "compiled executable" : `launcher for ${lib}/`}), ` +
      `man page, completions and ${abs}/share/doc/porthole/`,
  );
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(`${abs}/bin`)) console.log(`add ${abs}/bin to PATH to run \`porthole\``);
  return 0;
}

if (import.meta.main) Deno.exit(await install(Deno.args));
