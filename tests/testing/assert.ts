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

/** Where two strings first differ, with some context on each side. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split("\n").length;
  return `first difference at line ${line}:\n  actual:   ${
    JSON.stringify(a.slice(i - 40 < 0 ? 0 : i - 40, i + 60))
  }\n  expected: ${JSON.stringify(b.slice(i - 40 < 0 ? 0 : i - 40, i + 60))}`;
}

/**
 * Deep strict equality (deepStrictEqual); strings that differ show where they first differ, byte
 * arrays are shown in hex.
 */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (typeof actual === "string" && typeof expected === "string") {
    if (actual !== expected) {
      throw new AssertionError({
        message: `${msg ? msg + ": " : ""}${firstDifference(actual, expected)}`,
      });
    }
    return;
  }
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

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  if (!re.test(text)) {
    throw new AssertionError({
      message: `${msg ? msg + ": " : ""}${JSON.stringify(text.slice(0, 2000))} !~ ${re}`,
    });
  }
}

/** Throws if `text` matches `re`. */
export function assertNotMatch(text: string, re: RegExp, msg?: string): void {
  if (re.test(text)) {
    throw new AssertionError({
      message: `${msg ? msg + ": " : ""}${JSON.stringify(text)} =~ ${re}`,
    });
  }
}

/**
 * What a thrown error must be: its class and, optionally, a part of its message; or, given a
 * RegExp instead of a class, any error whose message matches it.
 */
function checkError<E extends Error>(
  e: unknown,
  // deno-lint-ignore no-explicit-any
  cls: (new (...args: any[]) => E) | RegExp,
  includes?: string,
): E {
  if (cls instanceof RegExp) {
    assertMatch(e instanceof Error ? e.message : String(e), cls);
    return e as E;
  }
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

/**
 * Runs `fn`, expecting it to throw an instance of `cls` whose message contains `includes` (or,
 * with a RegExp for `cls`, an error whose message matches it).
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: (new (...args: any[]) => E) | RegExp = Error as any,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError({
    message: `expected ${cls instanceof RegExp ? `a throw matching ${cls}` : cls.name}`,
  });
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
