/**
 * Issue 23: a fresh clone, following the README, gets a `porthole` command on PATH that scans the
 * lab, and `man porthole` works. The clone borrows this tree's node_modules (what
 * `./tools/setup.sh` would install from npm) and installs into a temporary prefix.
 */

import { equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";

const REPO = new URL("../", import.meta.url).pathname;

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
) {
  const r = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

async function have(cmd: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${cmd}`], {}).catch(() => ({ code: 1 }))).code === 0;
}

Deno.test({
  name: "install: from a fresh clone, porthole on PATH (no deno there) scans the lab; man works",
  ignore: (await labUnavailable()) !== null || !(await have("git")) || !(await have("man")),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "ph-install-" });
    try {
      const clone = `${tmp}/clone`;
      const prefix = `${tmp}/prefix`;
      const cloned = await run("git", ["clone", "--quiet", REPO, clone], {});
      equal(cloned.code, 0, cloned.stderr);
      await Deno.symlink(await Deno.realPath(`${REPO}node_modules`), `${clone}/node_modules`);
      const installed = await run(
        `${clone}/node_modules/.bin/deno`,
        ["task", "--quiet", "install", "--prefix", prefix],
        { cwd: clone },
      );
      equal(installed.code, 0, installed.stdout + installed.stderr);

      // Only the prefix and the system on PATH: no deno, no node_modules.
      const env = { PATH: `${prefix}/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: tmp };
      const deno = await run("sh", ["-c", "command -v deno"], { env });
      ok(deno.code !== 0, `deno on PATH: ${deno.stdout}`);
      const version = await run("porthole", ["--version"], { env, cwd: tmp });
      equal(version.code, 0, version.stderr);
      const want = await run(Deno.execPath(), ["run", "-A", `${REPO}cli/main.ts`, "--version"], {});
      equal(version.stdout, want.stdout);

      const man = await run("man", ["porthole"], { env: { ...env, MANWIDTH: "80" } });
      equal(man.code, 0, man.stderr);
      match(man.stdout, /^PORTHOLE\(1\)/);
      match(man.stdout, /--top-ports/);
      for (
        const f of [
          "share/bash-completion/completions/porthole",
          "share/zsh/site-functions/_porthole",
          "share/fish/vendor_completions.d/porthole.fish",
          "share/doc/porthole/LICENSE",
          "share/doc/porthole/THIRD_PARTY.md",
          "share/doc/porthole/README.md",
        ]
      ) ok((await Deno.stat(`${prefix}/${f}`)).isFile, f);

      await using lab = await Lab.up({ tag: "inst", scenario: "policies" });
      const scan = await lab.runInScanner(
        ["porthole", "-sT", "-Pn", "-p", "1004,1005", lab.target.v4],
        { env, cwd: tmp, timeoutMs: 120_000 },
      );
      equal(scan.code, 0, scan.stdout + scan.stderr);
      match(scan.stdout, /^1004\/tcp\s+open\s/m);
      match(scan.stdout, /^1005\/tcp\s+closed\s/m);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
