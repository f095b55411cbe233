import assert from "node:assert/strict";
import { lazySymbols } from "./_lazy_symbols.ts";

const LIBC = {
  abs: { parameters: ["i32"], result: "i32" },
  labs: { parameters: ["i64"], result: "i64" },
  no_such_symbol_here: { parameters: [], result: "i32" },
  nor_this_one: { parameters: [], result: "i32", optional: true },
} as const;

Deno.test({
  name: "lazySymbols: each symbol is bound when first used, then stays a plain value",
  ignore: Deno.build.os !== "linux",
  fn() {
    const s = lazySymbols("libc.so.6", LIBC);
    assert.deepEqual(Object.keys(s), Object.keys(LIBC));
    const unbound = (name: string) =>
      typeof Object.getOwnPropertyDescriptor(s, name)?.get === "function";
    assert.ok(unbound("abs") && unbound("labs"), "nothing bound before use");
    assert.equal(s.abs(-7), 7);
    assert.ok(!unbound("abs"), "abs is a plain value once used");
    assert.ok(unbound("labs"), "labs, never used, was never bound");
    assert.equal(s.abs, s.abs);
    // A symbol the library lacks fails where it is first used, as Deno.dlopen would; an
    // optional one is null.
    assert.throws(() => s.no_such_symbol_here(), /no_such_symbol_here/);
    assert.equal(s.nor_this_one, null);
  },
});
