/**
 * Assertions for the CLI front's unit tests (options, ports, targets,
 * services, normal output). No JSR here, and node:assert has no types
 * without @types/node.
 */

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Deep equality of plain data (undefined properties count as absent). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) {
    const show = (v: unknown) =>
      typeof v === "string"
        ? JSON.stringify(v)
        : JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}n` : x);
    throw new Error(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
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
