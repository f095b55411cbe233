/** Target expansion rate: `deno bench cli/targets_bench.ts`. */
import { expandTargetBatches, expandTargets } from "./targets.ts";

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
