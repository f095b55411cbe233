import { deepEqual, equal, ok } from "node:assert/strict";
import { HostSharding, shardPorts } from "./shard.ts";

Deno.test("host sharding: every position in exactly one shard, sizes within one, the same for the same seed", () => {
  for (const count of [1, 2, 3, 4, 7]) {
    for (const total of [0, 1, 5, 256, 1000]) {
      const a = new HostSharding(count, 42);
      const b = new HostSharding(count, 42);
      const sizes = new Array(count).fill(0);
      for (let p = 0; p < total; p++) {
        const s = a.shardOf(p);
        ok(s >= 0 && s < count && Number.isInteger(s));
        equal(b.shardOf(p), s);
        sizes[s]++;
      }
      equal(sizes.reduce((x, y) => x + y, 0), total);
      ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards of ${total}: ${sizes}`);
    }
  }
});

Deno.test("host sharding: another seed deals the hosts differently, and not in stripes", () => {
  const of = (seed: number) =>
    Array.from({ length: 400 }, (_, p) => new HostSharding(4, seed).shardOf(p));
  const a = of(1), b = of(2);
  ok(a.some((s, i) => s !== b[i]));
  // Not a fixed stride: position p and p + 4 are not always in the same shard.
  ok(a.some((s, i) => i + 4 < a.length && a[i + 4] !== s));
  deepEqual(of(1), a);
});

Deno.test("probe sharding: every (protocol, port) of a host in exactly one shard, sizes within one, the same in every retry", () => {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const cases = [
    { tcp: range(1, 1000), udp: [], sctp: [] },
    { tcp: range(1, 100), udp: range(1, 7), sctp: [80] },
    { tcp: [22], udp: [], sctp: [] },
    { tcp: [], udp: [], sctp: [] },
    { tcp: range(1, 20000), udp: [], sctp: [] },
  ];
  for (const ports of cases) {
    for (const count of [1, 2, 3, 4, 5]) {
      const owner = new Map<string, number>();
      const sizes: number[] = [];
      for (let index = 0; index < count; index++) {
        const part = shardPorts(ports, count, index, 9);
        deepEqual(shardPorts(ports, count, index, 9), part, "a retry splits alike");
        let size = 0;
        for (const proto of ["tcp", "udp", "sctp"] as const) {
          for (const port of part[proto]) {
            const key = `${proto}/${port}`;
            equal(owner.get(key), undefined, `${key} in shards ${owner.get(key)} and ${index}`);
            owner.set(key, index);
            size++;
          }
        }
        sizes.push(size);
      }
      equal(owner.size, ports.tcp.length + ports.udp.length + ports.sctp.length, "every port once");
      ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards: ${sizes}`);
    }
  }
  // Another seed splits differently; the ports keep their order within a shard.
  const tcp = range(1, 200);
  const a = shardPorts({ tcp, udp: [], sctp: [] }, 2, 0, 1).tcp;
  const b = shardPorts({ tcp, udp: [], sctp: [] }, 2, 0, 2).tcp;
  ok(a.join() !== b.join());
  deepEqual(a, [...a].sort((x, y) => x - y));
});
