// Assertions for the core's tests: thin wrappers over node:assert/strict (typed arrays,
// Maps, Sets and class instances compare by content and type).

import { deepStrictEqual } from "node:assert/strict";

/** Throws when `cond` is falsy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  if (!cond) throw new Error(msg ?? "assertion failed");
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `<${hex(v)}>`;
  return Deno.inspect(v, { depth: 6, colors: false, iterableLimit: 200 });
}

/** Deep strict equality (node:assert/strict's deepStrictEqual); bytes shown in hex. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  try {
    deepStrictEqual(actual, expected);
  } catch {
    throw new Error(
      `${msg ? msg + ": " : ""}values differ\n  actual:   ${show(actual)}\n  expected: ${
        show(expected)
      }`,
    );
  }
}

/** Hex of bytes, for readable byte comparisons. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes from hex (whitespace ignored). */
export function unhex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Deterministic PRNG (mulberry32) for property and fuzz tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CRC32c one bit at a time (RFC 9260 Appendix A): the tests' reference, independent of the
 * core's table-driven one.
 */
export function referenceCrc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
