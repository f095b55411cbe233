/**
 * A random order over [0, n) with flat memory, as masscan does it: a keyed
 * Feistel network over the smallest even power of two ≥ n, with cycle
 * walking to stay inside the range (Black & Rogaway, "Ciphers with Arbitrary
 * Finite Domains", 2002). Every index maps to exactly one other, so probes go
 * out shuffled without materialising a shuffled list.
 *
 * @module
 */

import { CookieJar } from "./cookie.ts";

const ROUNDS = 4;

/** A bijection of [0, size) onto itself. `at(i)` is the i-th element of the order. */
export interface Permutation {
  readonly size: number;
  at(i: number): number;
}

/** The identity order (nmap's -r, and tiny ranges). */
export class IdentityPermutation implements Permutation {
  constructor(readonly size: number) {}
  at(i: number): number {
    return i;
  }
}

/** A keyed pseudo-random permutation of [0, size), size ≤ 2^52. */
export class FeistelPermutation implements Permutation {
  readonly #jar: CookieJar;
  readonly #halfBits: number;
  readonly #halfSize: number;
  readonly #mask: number;

  /** @param key two 32-bit words; random when omitted. */
  constructor(readonly size: number, key?: ArrayLike<number>) {
    if (!Number.isSafeInteger(size) || size < 0 || size > 2 ** 52) {
      throw new RangeError(`permutation size out of range: ${size}`);
    }
    this.#jar = new CookieJar(key);
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.#halfBits = bits / 2;
    this.#halfSize = 2 ** this.#halfBits;
    this.#mask = this.#halfSize - 1;
  }

  #encrypt(x: number): number {
    let l = Math.floor(x / this.#halfSize);
    let r = x % this.#halfSize;
    for (let round = 0; round < ROUNDS; round++) {
      const f = this.#jar.hash3(r, round, this.#halfBits) & this.#mask;
      const nl = r;
      r = (l ^ f) & this.#mask;
      l = nl;
    }
    return l * this.#halfSize + r;
  }

  at(i: number): number {
    // Cycle walking: re-encrypt until the value lands inside [0, size).
    // The domain is < 4 * size, so this takes < 4 steps on average.
    let x = this.#encrypt(i);
    while (x >= this.size) x = this.#encrypt(x);
    return x;
  }
}

/** The order nmap would use: random unless `randomize` is false. */
export function probeOrder(size: number, randomize: boolean): Permutation {
  return randomize && size > 1 ? new FeistelPermutation(size) : new IdentityPermutation(size);
}
