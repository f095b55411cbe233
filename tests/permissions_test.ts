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

Deno.test("permissions: no --allow-run, and nothing that ships starts a process", async () => {
  const flags = portholeFlags();
  deepEqual(flags.filter((f) => f.startsWith("--allow-run")), []);
  ok(!flags.includes("--allow-all") && !flags.includes("-A"), flags.join(" "));
  for (const { path, text } of await sources) {
    ok(!/\bDeno\.(?:Command|run)\b|node:child_process/.test(text), `${path} starts a process`);
  }
});
