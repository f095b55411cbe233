/**
 * Assertions for the engine's unit tests: thin wrappers over
 * `node:assert/strict`, so Maps, Sets, Dates and class instances compare by
 * content and type.
 *
 * @module
 */

import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep strict equality (node:assert/strict's deepStrictEqual). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  deepStrictEqual(actual, expected, msg);
}

/** Throws when the two values are deeply (strictly) equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  notDeepStrictEqual(actual, expected, msg);
}
