/**
 * Assertions for the output writers' tests (no JSR here, and node:assert has
 * no types without @types/node). Failures show both values.
 */

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split("\n").length;
  return `first difference at line ${line}:\n  actual:   ${
    JSON.stringify(a.slice(i - 40 < 0 ? 0 : i - 40, i + 60))
  }\n  expected: ${JSON.stringify(b.slice(i - 40 < 0 ? 0 : i - 40, i + 60))}`;
}

/** Deep equality through JSON (plain data only); strings show where they differ. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const a = typeof actual === "string" ? actual : JSON.stringify(actual);
  const e = typeof expected === "string" ? expected : JSON.stringify(expected);
  if (a === e) return;
  const detail = typeof actual === "string" && typeof expected === "string"
    ? firstDifference(actual, expected)
    : `expected ${e}\n  got ${a}`;
  throw new Error(`${msg ? msg + ": " : ""}${detail}`);
}

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  if (!re.test(text)) throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text)} !~ ${re}`);
}

/** Throws if `text` matches `re`. */
export function assertNotMatch(text: string, re: RegExp, msg?: string): void {
  if (re.test(text)) throw new Error(`${msg ? msg + ": " : ""}${JSON.stringify(text)} =~ ${re}`);
}

/** Throws unless `fn` throws an error whose message matches `re`. */
export function assertThrows(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assertMatch(e instanceof Error ? e.message : String(e), re);
    return;
  }
  throw new Error(`expected a throw matching ${re}`);
}
