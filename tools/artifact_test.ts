import { equal } from "node:assert/strict";
import { asciiOnly, functionInits, lazyRequireShim, nativeWasmDecode } from "./artifact.ts";

const SHIM = 'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);\n";

Deno.test("lazyRequireShim: node:module is fetched on the first require(), not imported", () => {
  const out = lazyRequireShim(`var a = 1;\n${SHIM}var b = __require("node:events");\n`)!;
  equal(/^import\b/m.test(out), false);
  equal(out.includes('getBuiltinModule("node:module").createRequire(import.meta.url)'), true);
  equal(out.endsWith('var b = __require("node:events");\n'), true);
  // Evaluated (import.meta.url as a parameter: Function bodies are scripts), it requires what
  // createRequire's require() does, and fetches node:module only when first called.
  const shim = out.slice(out.indexOf("var __deno_internal_require"), out.indexOf("var b"))
    .replace("import.meta.url", "url");
  const require = new Function("globalThis", "url", `${shim}return __require;`);
  let asked = 0;
  const fake = {
    process: {
      getBuiltinModule: (id: string) => {
        asked++;
        equal(id, "node:module");
        return { createRequire: (url: string) => (m: string) => `${url}: ${m}` };
      },
    },
  };
  const req = require(fake, "file:///p.js") as (id: string) => string;
  equal(asked, 0);
  equal(req("node:events"), "file:///p.js: node:events");
  equal(req("node:url"), "file:///p.js: node:url");
  equal(asked, 1);
});

Deno.test("lazyRequireShim: a bundle without the shim is kept, an unknown shim refused", () => {
  equal(lazyRequireShim("var a = 1;\n"), "var a = 1;\n");
  equal(
    lazyRequireShim(
      'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
        "var req = __deno_internal_createRequire(import.meta.url);\n",
    ),
    undefined,
  );
});

Deno.test("asciiOnly: characters beyond ASCII become escapes of the same character", () => {
  equal(asciiOnly("const a = 1;"), "const a = 1;");
  const src = '// 1 \u2264 n \u2026\nconst s = "\u2014", t = `\u00b7${s}`, r = /[\u2013]/;\n';
  const out = asciiOnly(src)!;
  equal(/[\u0080-\uffff]/.test(out), false);
  equal(out.startsWith("// 1 \\u2264 n \\u2026\n"), true);
  const values = new Function(`${out}return [s, t, r.test("\u2013")];`)();
  equal(JSON.stringify(values), JSON.stringify(["\u2014", "\u00b7\u2014", true]));
});

Deno.test("asciiOnly: refused where an escape would change the text", () => {
  equal(asciiOnly("const s = String.raw`a\u2026`;"), undefined);
  equal(asciiOnly('const s = "\\\u2026";'), undefined);
  // String.raw elsewhere is fine.
  equal(asciiOnly("const s = String.raw`a`; // \u2026"), "const s = String.raw`a`; // \\u2026");
});

Deno.test("nativeWasmDecode: inlined WebAssembly decoded by Uint8Array.fromBase64, same bytes", () => {
  const b64 = "AGFzbQEAAAA="; // a WebAssembly header: "\0asm", version 1
  const bundled =
    `var __deno_wasm_bytes__;\n__deno_wasm_bytes__ = Uint8Array.from(atob("${b64}"), ` +
    "(c) => c.charCodeAt(0));\n";
  const out = nativeWasmDecode(bundled)!;
  equal(out, `var __deno_wasm_bytes__;\n__deno_wasm_bytes__ = Uint8Array.fromBase64("${b64}");\n`);
  const decode = (line: string) =>
    new Function(`let __deno_wasm_bytes__; ${line} return __deno_wasm_bytes__;`)() as Uint8Array;
  equal(decode(out.split("\n")[1]!).join(), decode(bundled.split("\n")[1]!).join());
});

Deno.test("nativeWasmDecode: a bundle without WebAssembly is kept, an unknown decoding refused", () => {
  equal(nativeWasmDecode("var a = 1;\n"), "var a = 1;\n");
  equal(
    nativeWasmDecode("__deno_wasm_bytes__ = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));\n"),
    undefined,
  );
});

const ESM = [
  "var __esm = (fn, res) => function __init() {",
  "  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;",
  "};",
].join("\n");

Deno.test("functionInits: module wrappers become functions named by a comment, run once", () => {
  const bundled = `var __getOwnPropNames = Object.getOwnPropertyNames;\n${ESM}\n` +
    '// a.ts\nvar A;\nvar init_a = __esm({\n  "a.ts"() {\n    A = `x\n  }\n`;\n  }\n});\n' +
    '// b.ts\nvar init_b = __esm({\n  "b.ts"() {\n  }\n});\n\n' +
    '// c.ts\nvar init_c = __esm({\n  async "c.ts"() {\n    await 0;\n  }\n});\n' +
    "init_a();\ninit_a();\n";
  const out = functionInits(bundled)!;
  equal(out.includes("__esm({"), false);
  equal(
    out.includes("var init_a = __esm(/* a.ts */ function () {\n    A = `x\n  }\n`;\n});\n"),
    true,
  );
  equal(out.includes("var init_b = __esm(/* b.ts */ function () {\n});\n\n// c.ts"), true);
  equal(
    out.includes("var init_c = __esm(/* c.ts */ async function () {\n    await 0;\n});\n"),
    true,
  );
  let runs = 0;
  const run = (code: string) =>
    new Function("count", code.replace("A = `", "count(); A = `") + "return A;");
  equal(run(out)(() => runs++), "x\n  }\n");
  equal(runs, 1);
});

Deno.test("functionInits: a bundle without wrappers is kept, unknown wrappers refused", () => {
  equal(functionInits("var a = 1;\n"), "var a = 1;\n");
  equal(functionInits('var init_a = __esm({\n  "a.ts"() {\n  }\n});\n'), undefined);
  const unclosed = `${ESM}\nvar init_a = __esm({\n  "a.ts"() {\n    f();\n  }\n});\n  g();\n`;
  equal(functionInits(unclosed), undefined);
});
