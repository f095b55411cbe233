import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { FeistelPermutation, IdentityPermutation, probeOrder } from "./permutation.ts";

Deno.test("permutation: is a bijection for many sizes", () => {
  for (const n of [0, 1, 2, 3, 4, 5, 7, 16, 17, 100, 1000, 4097, 65535, 65536, 100003]) {
    const p = new FeistelPermutation(n, [n, 42]);
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = p.at(i);
      assert(Number.isInteger(x) && x >= 0 && x < n, `out of range ${x} for n=${n}`);
      assert(seen[x] === 0, `duplicate ${x} for n=${n}`);
      seen[x] = 1;
    }
  }
});

Deno.test("permutation: shuffles (not the identity, key-dependent)", () => {
  const n = 1000;
  const a = new FeistelPermutation(n, [1, 1]);
  const b = new FeistelPermutation(n, [1, 2]);
  let fixed = 0, same = 0;
  for (let i = 0; i < n; i++) {
    if (a.at(i) === i) fixed++;
    if (a.at(i) === b.at(i)) same++;
  }
  assert(fixed < 20, `too many fixed points: ${fixed}`);
  assert(same < 20, `keys give similar orders: ${same}`);
});

Deno.test("permutation: large sizes stay in range without memory", () => {
  const n = 2 ** 40 + 12345;
  const p = new FeistelPermutation(n, [3, 4]);
  for (let i = 0; i < 1000; i++) {
    const x = p.at(i * 1_000_003);
    assert(x >= 0 && x < n);
  }
});

Deno.test("permutation: -r keeps the order", () => {
  const p = probeOrder(10, false);
  assert(p instanceof IdentityPermutation);
  assertEquals(Array.from({ length: 10 }, (_, i) => p.at(i)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
