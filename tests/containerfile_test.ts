/**
 * The Containerfile cannot be built here (its base image comes from a registry), so these tests
 * check the recipe itself and run what it sets up: the bundle started by its shebang through a
 * deno that holds only cap_net_raw and cap_net_admin as file capabilities, by a non-root user,
 * inside a lab scanner namespace.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { portholeEnv, portholeFlags } from "../tools/artifact.ts";
import { Lab, labUnavailable } from "./lab/mod.ts";

const REPO = new URL("../", import.meta.url).pathname;

/** The Containerfile's instructions: [keyword, rest], continuation lines joined. */
function instructions(): [string, string][] {
  const text = Deno.readTextFileSync(`${REPO}Containerfile`);
  const joined = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n")
    .replaceAll(/\\\n/g, " ");
  return joined.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const m = /^([A-Z]+)\s+(.*)$/.exec(l.trim());
    ok(m, `not an instruction: ${l}`);
    return [m[1]!, m[2]!.replaceAll(/\s+/g, " ")];
  });
}

async function output(cmd: string, args: string[]) {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("containerfile: non-root, two capabilities, the bundle as entry point, libpcap", () => {
  const ins = instructions();
  const all = (k: string) => ins.filter(([i]) => i === k).map(([, rest]) => rest);
  const known = ["FROM", "RUN", "COPY", "USER", "ENV", "WORKDIR", "ENTRYPOINT", "CMD"];
  deepEqual(ins.map(([i]) => i).filter((i) => !known.includes(i)), []);
  deepEqual(all("FROM"), ["docker.io/library/debian:12-slim"]);
  const run = all("RUN").join(" && ");
  match(run, /apt-get install -y --no-install-recommends libpcap0\.8 /);
  match(run, /setcap cap_net_raw,cap_net_admin\+ep \/usr\/local\/bin\/deno /);
  equal(run.match(/setcap/g)?.length, 1);
  match(run, /useradd --system --uid 10001 --gid 10001 /);
  equal(all("USER").at(-1), "10001:10001");
  deepEqual(JSON.parse(all("ENTRYPOINT")[0]!), ["/opt/porthole/porthole.js"]);
  // Every COPY source is in the repository (or made by `deno task bundle`) and let through by
  // .dockerignore, which podman and buildah read too.
  const allowed = Deno.readTextFileSync(`${REPO}.dockerignore`).split("\n")
    .filter((l) => l.startsWith("!")).map((l) => l.slice(1));
  const sources = all("COPY").flatMap((c) =>
    c.split(" ").filter((w) => !w.startsWith("--")).slice(0, -1)
  );
  deepEqual(sources.filter((s) => !allowed.includes(s)), [], "COPY sources .dockerignore drops");
  for (const s of sources.filter((s) => s !== "dist/porthole.js")) {
    ok(Deno.statSync(`${REPO}${s}`).isFile, `${s} missing`);
  }
  ok(sources.includes("dist/porthole.js") && sources.includes("node_modules/deno/deno"));
  ok(sources.includes("LICENSE") && sources.includes("THIRD_PARTY.md"), "the notices ship");
});

Deno.test({
  name: "containerfile: its set-up scans raw as a non-root user with only the two capabilities",
  ignore: (await labUnavailable()) !== null ||
    (await output("sh", ["-c", "command -v setcap && command -v setpriv"])).code !== 0,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const built = await output(Deno.execPath(), ["task", "--quiet", "bundle"]);
    equal(built.code, 0, built.stderr);
    // The image's layout: deno on PATH with file capabilities, the bundle run by its shebang.
    const root = await Deno.makeTempDir({ prefix: "ph-image-" });
    try {
      await Deno.chmod(root, 0o755);
      await Deno.mkdir(`${root}/bin`);
      await Deno.copyFile(Deno.execPath(), `${root}/bin/deno`);
      await Deno.chmod(`${root}/bin/deno`, 0o755);
      const cap = await output("setcap", ["cap_net_raw,cap_net_admin+ep", `${root}/bin/deno`]);
      equal(cap.code, 0, cap.stderr);
      await Deno.copyFile(`${REPO}dist/porthole.js`, `${root}/porthole.js`);
      await Deno.chmod(`${root}/porthole.js`, 0o755);
      await Deno.mkdir(`${root}/cache`, { mode: 0o777 });
      await Deno.chmod(`${root}/cache`, 0o777);
      const first = Deno.readTextFileSync(`${root}/porthole.js`).split("\n", 1)[0]!;
      equal(
        first,
        `#!/usr/bin/env -S ${[...portholeEnv(), "deno run --quiet", ...portholeFlags()].join(" ")}`,
      );

      await using lab = await Lab.up({ tag: "img", scenario: "policies" });
      const r = await lab.runInScanner([
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--bounding-set=-all,+net_raw,+net_admin",
        "env",
        "-i",
        `PATH=${root}/bin:/usr/bin:/bin`,
        `DENO_DIR=${root}/cache`,
        `${root}/porthole.js`,
        "-sS",
        "--reason",
        "-Pn",
        "-p",
        "1004,1005",
        lab.target.v4,
      ], { cwd: root, timeoutMs: 120_000 });
      equal(r.code, 0, r.stdout + r.stderr);
      // A raw SYN scan: the reply's TTL is known (a connect scan would print conn-refused).
      match(r.stdout, /^1004\/tcp\s+open\s+\S+\s+syn-ack ttl \d+$/m);
      match(r.stdout, /^1005\/tcp\s+closed\s+\S+\s+reset ttl \d+$/m);
      equal(/connect scan|privilege/i.test(r.stdout + r.stderr), false, r.stdout + r.stderr);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
