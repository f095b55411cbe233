/**
 * Porthole asks for no more permission than it uses (issue 15). The flags are the `porthole`
 * task's, which the bundle's shebang, the compiled executable and the lab all take
 * (tools/artifact.ts); the code is what ships: cli/main.ts's module graph, as `deno info` sees it.
 * The lab tests (egress_lab_test.ts, artifact_test.ts) scan with exactly these flags.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { portholeFlags } from "../tools/artifact.ts";

const REPO = new URL("../", import.meta.url).pathname;

/** Path and text of every local module cli/main.ts loads, dynamic imports included. */
async function shippedSources(): Promise<{ path: string; text: string }[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `${REPO}cli/main.ts`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
    modules: { specifier: string; local?: string }[];
  };
  const files = info.modules.filter((m) => m.specifier.startsWith("file:") && m.local)
    .map((m) => m.local!).filter((p) => /\.(ts|js)$/.test(p));
  ok(files.some((p) => p.endsWith("/ffi/_libpcap.ts")), "the graph reaches ffi/");
  return files.map((path) => ({
    path: path.slice(REPO.length),
    text: Deno.readTextFileSync(path),
  }));
}

const sources = shippedSources();

/** The one module that may start a process: `inventory watch --exec`, through /bin/sh, under a
 * run permission the user adds (README, "Inventory"). */
const STARTS_A_PROCESS = "cli/inventory/deliver.ts";

Deno.test("permissions: no --allow-run, and only inventory watch --exec starts a process", async () => {
  const flags = portholeFlags();
  deepEqual(flags.filter((f) => f.startsWith("--allow-run")), []);
  ok(!flags.includes("--allow-all") && !flags.includes("-A"), flags.join(" "));
  const starters = (await sources).filter(({ text }) =>
    /\bDeno\.(?:Command|run)\b|node:child_process/.test(text)
  ).map(({ path }) => path);
  deepEqual(starters, [STARTS_A_PROCESS]);
  const text = (await sources).find(({ path }) => path === STARTS_A_PROCESS)!.text;
  // One command only, the shell named by the constant the permission check asks about.
  const commands = [...text.matchAll(/new Deno\.Command\(([^,]+),/g)].map((m) => m[1]);
  deepEqual(commands, ["SHELL", "SHELL"]);
  ok(/export const SHELL = "\/bin\/sh";/.test(text), "SHELL is /bin/sh");
});

Deno.test("permissions: --allow-env names the variables Porthole reads (its own by their prefix)", async () => {
  const env = portholeFlags().filter((f) => f.startsWith("--allow-env"));
  equal(env.length, 1, env.join(" "));
  const m = /^--allow-env=(.+)$/.exec(env[0]!);
  ok(m, `${env[0]} grants every variable`);
  const granted = m[1]!.split(",").sort();
  const read = new Set<string>();
  for (const { path, text } of await sources) {
    for (const r of text.matchAll(/\bDeno\.env\.get\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g)) {
      read.add(r[1]!);
    }
    // Any other way in would ask for a variable the flag does not grant (a prompt on a terminal).
    const other = text.replaceAll(/\bDeno\.env\.get\(\s*"[A-Za-z_][A-Za-z0-9_]*"\s*\)/g, "");
    ok(!/\bDeno\.env\b|\bprocess\.env\b/.test(other), `${path} reads the environment otherwise`);
  }
  // Porthole's own variables are granted as one prefix (PORTHOLE_*): the bundle's shebang must
  // stay within the kernel's 256 bytes. Every grant covers a variable read, every read is granted.
  const covers = (g: string, name: string) =>
    g.endsWith("*") ? name.startsWith(g.slice(0, -1)) : g === name;
  for (const name of read) ok(granted.some((g) => covers(g, name)), `${name} is not granted`);
  for (const g of granted) ok([...read].some((name) => covers(g, name)), `${g} is never read`);
  deepEqual(granted.filter((g) => g.endsWith("*")), ["PORTHOLE_*"]);
  // No variable decides what code is loaded: debug switches, and where data files are looked
  // for (cli/data_files.ts: PORTHOLE_DATADIR, nmap's NMAPDIR, HOME for ~/.porthole and ~/.nmap).
  for (const name of read) {
    ok(/^PORTHOLE_DEBUG_[A-Z]+$|^NMAPDIR$|^PORTHOLE_DATADIR$|^HOME$/.test(name), name);
  }
});

Deno.test("permissions: --help names --libpcap, the one way to choose another libpcap", async () => {
  const { helpText } = await import("../cli/help.ts");
  ok(/--libpcap <path>: /.test(helpText()), "--libpcap is not in --help");
});

Deno.test("permissions: the bundle's shebang fits the kernel's 256 bytes", async () => {
  const { portholeEnv } = await import("../tools/artifact.ts");
  const line = `#!/usr/bin/env -S ${
    [...portholeEnv(), "deno", "run", "--quiet", ...portholeFlags()].join(" ")
  }`;
  ok(line.length < 256, `${line.length} bytes: ${line}`);
});
