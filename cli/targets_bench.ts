/** Target expansion rate: `deno bench cli/targets_bench.ts`. */
import { buildExcludeSet, expandTargetBatches, expandTargets } from "./targets.ts";

const resolver = { lookup: () => Promise.resolve([]), reverse: () => Promise.resolve(undefined) };
const opts = (exclude: string[]) => ({
  targets: ["10.0.0.0/16"],
  inputList: undefined,
  exclude,
  excludeFile: undefined,
  ipv6: false,
});

Deno.bench("expandTargets /16 (one await per address)", async () => {
  for await (const _ of expandTargets(opts([]), { resolver }));
});

Deno.bench("expandTargetBatches /16", async () => {
  for await (const _ of expandTargetBatches(opts([]), { resolver }));
});

Deno.bench("expandTargetBatches /16 minus a /24", async () => {
  for await (const _ of expandTargetBatches(opts(["10.0.3.0/24"]), { resolver }));
});

// issue 15: a 1,000,000-line --excludefile (nmap: 0.64 s and 143 MB for 1024 hosts).
const million = (() => {
  const enc = new TextEncoder();
  const lines: string[] = [];
  let x = 12345;
  for (let i = 0; i < 1_000_000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    lines.push(`${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`);
  }
  return enc.encode(lines.join("\n") + "\n");
})();
// Through a real file, as `--excludefile` reads it.
const file = Deno.makeTempFileSync({ suffix: ".txt" });
Deno.writeFileSync(file, million);
globalThis.addEventListener("unload", () => Deno.removeSync(file));
const exOpts = { exclude: [], excludeFile: file, ipv6: false };

Deno.bench("buildExcludeSet, 1M single addresses", { n: 5, warmup: 1 }, async () => {
  (await buildExcludeSet(exOpts, { resolver })).size;
});

const excludes = await buildExcludeSet(exOpts, { resolver });
Deno.bench("expandTargetBatches /16 minus 1M single addresses", async () => {
  for await (const _ of expandTargetBatches(opts([]), { resolver, excludes }));
});
