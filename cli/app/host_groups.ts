/**
 * Targets in host groups: how many hosts one group holds, and --randomize-hosts' shuffling a
 * block at a time.
 *
 * @module
 */

import type { Options } from "../options_types.ts";

/** Hosts per group: bounded so a group's probe state stays small. */
export function hostGroupSize(opts: Options, portCount: number): number {
  const t = opts.timing;
  // About 25k probes per group: enough parallelism to fill any window, and
  // a bounded set of host results in memory (a /16 × 100 ports stays small).
  let n = opts.discovery.pingOnly ? 4096 : Math.floor(25_000 / Math.max(1, portCount));
  n = Math.max(16, Math.min(4096, n));
  if (t.minHostgroup > 0) n = Math.max(n, t.minHostgroup);
  if (t.maxHostgroup > 0) n = Math.min(n, t.maxHostgroup);
  return Math.max(1, n);
}

/** Hosts shuffled at a time by --randomize-hosts (nmap reads ahead this many too). */
export const RANDOMIZE_BLOCK = 2048;

/** Yields `source` in blocks of `size`, each in random order (Fisher–Yates). */
export async function* shuffleInBlocks<T>(
  source: AsyncIterable<T> | Iterable<T>,
  size: number,
  random: () => number = Math.random,
): AsyncGenerator<T> {
  let block: T[] = [];
  const flush = function* () {
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [block[i], block[j]] = [block[j]!, block[i]!];
    }
    yield* block;
    block = [];
  };
  for await (const t of source) {
    block.push(t);
    if (block.length >= size) yield* flush();
  }
  yield* flush();
}
