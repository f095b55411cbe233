/**
 * The demo (`deno task demo`): as root, brings up the scanme replica and runs the article's scans
 * against it with Porthole — default, -sS, -sT, -sU, -sF/-sN/-sX -p 25,135,139, -sV — showing
 * each output, then tears the lab down. `--with-nmap` runs nmap after each for reference;
 * `--icmp-ratelimit on` keeps the kernel's ICMP rate limit (the real scanme's), which makes -sU
 * take as long as it does against the real host. Without root it scans 127.0.0.1 with a connect
 * scan and says why.
 */

import { Lab, labUnavailable, portholeFlags, REPO_ROOT } from "./mod.ts";
import { portholeEnv } from "../../tools/artifact.ts";
import { run, stripAnsi } from "./_exec.ts";

/** The article's scans, in its order (/work/shared/reference/nmap-scans-article.txt). */
export const ARTICLE_SCANS: readonly string[][] = [
  [],
  ["-sV"],
  ["-sT"],
  ["-sS"],
  ["-sU"],
  ["-sF", "-p", "25,135,139"],
  ["-sN", "-p", "25,135,139"],
  ["-sX", "-p", "25,135,139"],
];

const TAG = "demo";
const TIMEOUT_MS = 300_000;

function banner(text: string): void {
  console.log(`\n\x1b[1m$ ${text}\x1b[0m`);
}

async function portholeOnLoopback(why: string): Promise<number> {
  console.log(`demo: ${why}.`);
  console.log("demo: scanning 127.0.0.1 with a connect scan instead (no namespace needed).");
  const flags = await portholeFlags();
  const args = ["-sT", "-p", "1-1024", "127.0.0.1"];
  banner(`porthole ${args.join(" ")}`);
  const r = await run([
    "env",
    ...portholeEnv(),
    `${REPO_ROOT}/node_modules/.bin/deno`,
    "run",
    ...flags,
    "cli/main.ts",
    ...args,
  ], {
    cwd: REPO_ROOT,
    timeoutMs: TIMEOUT_MS,
  });
  Deno.stdout.writeSync(new TextEncoder().encode(r.stdout));
  if (r.code !== 0) {
    console.log(`porthole failed (exit ${r.code}): ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
  }
  return r.code;
}

async function main(argv: string[]): Promise<number> {
  const withNmap = argv.includes("--with-nmap");
  const rlIndex = argv.indexOf("--icmp-ratelimit");
  const rl = rlIndex >= 0 ? argv[rlIndex + 1] : "off";
  const known = new Set(["--with-nmap", "--icmp-ratelimit", "on", "off"]);
  const bad = argv.find((a) => !known.has(a));
  if (bad || (rl !== "on" && rl !== "off")) {
    console.error("usage: deno task demo [--with-nmap] [--icmp-ratelimit on|off]");
    return 2;
  }
  const why = await labUnavailable();
  if (why) return await portholeOnLoopback(why);

  Deno.addSignalListener("SIGINT", () => Lab.down(TAG).finally(() => Deno.exit(130)));
  await using lab = await Lab.up({ tag: TAG, scenario: "scanme", icmpRatelimit: rl === "on" });
  const t = lab.target;
  console.log(
    `demo: scanme replica up: ${t.hostname} = ${t.v4} (and ${t.v6}) in namespace ${t.ns}`,
  );
  console.log(`demo: scanners run in ${lab.scanner.ns}, whose only link leads to the lab`);
  console.log(
    `demo: ICMP rate limit ${rl}${rl === "off" ? " (--icmp-ratelimit on for the real thing)" : ""}`,
  );
  let failures = 0;
  for (const scan of ARTICLE_SCANS) {
    const args = [...scan, t.v4];
    banner(`porthole ${args.join(" ")}`);
    const r = await lab.porthole(args, { timeoutMs: TIMEOUT_MS });
    Deno.stdout.writeSync(new TextEncoder().encode(r.stdout));
    if (r.code !== 0) {
      failures++;
      const err = stripAnsi(r.stderr).trim().split("\n").filter(Boolean);
      console.log(
        `porthole ${r.timedOut ? "timed out" : `failed (exit ${r.code})`}: ${err.at(-1) ?? ""}`,
      );
    }
    if (withNmap) {
      banner(`nmap ${args.join(" ")}`);
      const n = await lab.nmap(args, { timeoutMs: TIMEOUT_MS });
      Deno.stdout.writeSync(new TextEncoder().encode(n.stdout || n.stderr));
    }
  }
  console.log(
    `\ndemo: ${
      ARTICLE_SCANS.length - failures
    }/${ARTICLE_SCANS.length} scans ran; taking the lab down`,
  );
  return failures ? 1 : 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    console.error(`demo: ${e instanceof Error ? e.message : e}`);
    code = 1;
  }
  Deno.exit(code);
}
