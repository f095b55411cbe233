/**
 * `--shards N --shard I --seed S`: an exact partition of a scan by host, so N
 * machines (a Kubernetes Indexed Job's pods) each scan a disjoint part and the
 * merged outputs equal one machine's scan (cli/output/merge.ts).
 *
 * Targets stream (a /8, `-iL -`), so their count is not known up front. The
 * stream is cut into windows of N consecutive targets (after exclusions); in
 * every window a keyed permutation (permutation.ts, keyed by the seed), turned
 * by a keyed per-window rotation, deals one target to each shard. Every target
 * is in exactly one shard, shards differ in size by at most one host, and which
 * host lands where is random but the same in every shard and every retry: it
 * depends only on the seed, N and the target's position.
 *
 * @module
 */

import { CookieJar } from "./cookie.ts";
import { FeistelPermutation } from "./permutation.ts";

/** The two 32-bit key words a seed stands for. */
export function seedKey(seed: number): [number, number] {
  return [seed % 2 ** 32 | 0, Math.floor(seed / 2 ** 32) | 0];
}

/** Which shard scans the target at `position` (0-based, in target order after exclusions). */
export class HostSharding {
  readonly #count: number;
  readonly #perm: FeistelPermutation;
  readonly #jar: CookieJar;

  constructor(count: number, seed: number) {
    this.#count = count;
    const key = seedKey(seed);
    this.#perm = new FeistelPermutation(count, key);
    // A second key for the rotation, so it is unrelated to the permutation's rounds.
    this.#jar = new CookieJar([key[0] ^ 0x5348_4152, key[1] ^ 0x4453_4545]);
  }

  /** The shard, in [0, count), of the target at `position`. */
  shardOf(position: number): number {
    const n = this.#count;
    if (n === 1) return 0;
    const window = Math.floor(position / n);
    const rotation = (this.#jar.hash3(window % 2 ** 32, Math.floor(window / 2 ** 32), 0) >>> 0) %
      n;
    return (this.#perm.at(position % n) + rotation) % n;
  }
}

/** The items of shard `index` of `count` (items in order; positions counted over all of them). */
export async function* takeShard<T>(
  items: AsyncIterable<T> | Iterable<T>,
  count: number,
  index: number,
  seed: number,
): AsyncGenerator<T> {
  const sharding = new HostSharding(count, seed);
  let position = 0;
  for await (const item of items) if (sharding.shardOf(position++) === index) yield item;
}

/** A host's ports by protocol, in the order the options list them. */
export interface PortLists {
  tcp: number[];
  udp: number[];
  sctp: number[];
}

/**
 * `--shard-by probe`: shard `index`'s part of every host's ports. The ports
 * are counted TCP, then UDP, then SCTP (so each host's probes split within one
 * port among the shards) and dealt like targets (HostSharding): every (host,
 * port) is probed by exactly one shard, and the split depends only on the
 * seed, N and the port lists, so it is the same in every shard and every retry.
 */
export function shardPorts(
  ports: PortLists,
  count: number,
  index: number,
  seed: number,
): PortLists {
  const sharding = new HostSharding(count, seed);
  let position = 0;
  const take = (list: number[]) => list.filter(() => sharding.shardOf(position++) === index);
  const tcp = take(ports.tcp);
  const udp = take(ports.udp);
  return { tcp, udp, sctp: take(ports.sctp) };
}
