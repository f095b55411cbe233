/**
 * The tests' one assertion helper: thin wrappers over `node:assert/strict`, so Maps, Sets, Dates,
 * typed arrays and class instances compare by content and type (never "any two Maps are equal").
 * Plus the byte helpers the core's tests share (hex, unhex, and the fuzzers' seeded PRNG).
 *
 * @module
 */

import { AssertionError, deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
import { hex } from "../../core-wasm/_frame_gen.ts";

export { hex, rng } from "../../core-wasm/_frame_gen.ts";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError({ message: msg });
}

/** Deep strict equality (deepStrictEqual); byte arrays that differ are shown in hex. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (actual instanceof Uint8Array && expected instanceof Uint8Array) {
    try {
      deepStrictEqual(actual, expected);
    } catch {
      throw new AssertionError({
        message: `${msg ? msg + ": " : ""}bytes differ\n  actual:   <${hex(actual)}>\n` +
          `  expected: <${hex(expected)}>`,
      });
    }
    return;
  }
  deepStrictEqual(actual, expected, msg);
}

/** Throws when the two values are deeply (strictly) equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  notDeepStrictEqual(actual, expected, msg);
}

/** Plain objects and arrays copied without their undefined properties; anything else as is. */
function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (v === null || typeof v !== "object") return v;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = withoutUndefined(x);
  return out;
}

/**
 * {@link assertEquals}, except that an undefined property of a plain object counts as absent
 * (results written and read back drop them).
 */
export function assertSameData<T>(actual: T, expected: T, msg?: string): void {
  deepStrictEqual(withoutUndefined(actual), withoutUndefined(expected), msg);
}

/** What a thrown error must be: its class and, optionally, a part of its message. */
function checkError<E extends Error>(
  e: unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E,
  includes?: string,
): E {
  if (!(e instanceof cls)) throw new AssertionError({ message: `expected ${cls.name}, got ${e}` });
  if (includes !== undefined && !e.message.includes(includes)) {
    throw new AssertionError({
      message: `expected message containing ${JSON.stringify(includes)}, got ${
        JSON.stringify(e.message)
      }`,
    });
  }
  return e;
}

/** Runs `fn`, expecting it to throw an instance of `cls` whose message contains `includes`. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E = Error as any,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError({ message: `expected ${cls.name} to be thrown` });
}

/** Async {@link assertThrows}. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E = Error as any,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError({ message: `expected ${cls.name} to be thrown` });
}

/** Line-by-line comparison with a readable first difference. */
export function assertText(actual: string, expected: string, msg?: string): void {
  if (actual === expected) return;
  const a = actual.split("\n"), b = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      throw new AssertionError({
        message: `${msg ? msg + ": " : ""}line ${i + 1} differs\n  got:      ${
          JSON.stringify(a[i])
        }\n  expected: ${
          JSON.stringify(b[i])
        }\n--- got ---\n${actual}\n--- expected ---\n${expected}`,
      });
    }
  }
}

/** Bytes from hex (whitespace ignored). */
export function unhex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}
