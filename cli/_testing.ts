/**
 * Assertions for the CLI front's unit tests (options, ports, targets,
 * services, normal output): thin wrappers over `node:assert/strict`, so Maps,
 * Sets, Dates and class instances compare by content and type.
 */

import { deepStrictEqual } from "node:assert/strict";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
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
 * Deep strict equality (node:assert/strict's deepStrictEqual), except that an
 * undefined property of a plain object counts as absent (results written and
 * read back drop them).
 */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  deepStrictEqual(withoutUndefined(actual), withoutUndefined(expected), msg);
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
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    if (includes !== undefined && !e.message.includes(includes)) {
      throw new Error(
        `expected message containing ${JSON.stringify(includes)}, got ${JSON.stringify(e.message)}`,
      );
    }
    return e;
  }
  throw new Error(`expected ${cls.name} to be thrown`);
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
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    if (includes !== undefined && !e.message.includes(includes)) {
      throw new Error(
        `expected message containing ${JSON.stringify(includes)}, got ${JSON.stringify(e.message)}`,
      );
    }
    return e;
  }
  throw new Error(`expected ${cls.name} to be thrown`);
}

/** Line-by-line comparison with a readable first difference. */
export function assertText(actual: string, expected: string, msg?: string): void {
  if (actual === expected) return;
  const a = actual.split("\n"), b = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      throw new Error(
        `${msg ? msg + ": " : ""}line ${i + 1} differs\n  got:      ${
          JSON.stringify(a[i])
        }\n  expected: ${
          JSON.stringify(b[i])
        }\n--- got ---\n${actual}\n--- expected ---\n${expected}`,
      );
    }
  }
}
