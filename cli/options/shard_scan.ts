/**
 * What makes the shards of `--shards N --shard I --seed S` one scan: the same
 * targets, the same seed and shard count, the same scan options; only the
 * shard index and the output files may differ. `porthole --merge` checks it
 * between files, and `--store` keys the one stored scan by it.
 *
 * @module
 */

import type { Options } from "./types.ts";

/** The command line without --shard I: what every shard shares. */
export function withoutShardIndex(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--shard" || a === "-shard") {
      i++;
      continue;
    }
    if (/^--?shard=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/** The targets the shards split: equal in every shard of one scan. */
export function targetsOf(o: Options): string {
  return JSON.stringify([o.targets, o.inputList, o.exclude, o.excludeFile, o.ipv6]);
}

/** The whole scan but the shard index and outputs: equal in every shard of one scan. */
export function scanOf(o: Options): string {
  const { argv: _a, output: _o, warnings: _w, shard, ...rest } = o;
  return JSON.stringify({
    ...rest,
    shard: { count: shard?.count, seed: shard?.seed, by: shard?.by },
  });
}

/** The stored scan's key: a digest of {@link scanOf} (the shards of one scan share it). */
export async function shardedScanKey(o: Options): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scanOf(o)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
