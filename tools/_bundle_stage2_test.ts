import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { toStage2 } from "./_bundle_stage2.ts";

type Stage = (meta: unknown) => Promise<Record<string, unknown>>;

const evaluate = (text: string) => (0, eval)(text) as Stage;

Deno.test("stage 2: imports, exports and import.meta of the bundle keep their meaning", async () => {
  const esm = [
    "// header comment",
    'import * as os from "node:os";',
    'import { Buffer as B2, constants } from "node:buffer";',
    'import path, { sep } from "node:path";',
    "var seen = typeof os.platform + typeof B2.from + typeof constants;",
    "function where() { return [path.sep === sep, import.meta.main, import.meta.url]; }",
    'var arrow = "\u2192 \u2026";',
    "export {",
    "  arrow as pointer,",
    "  seen,",
    "  where",
    "};",
    "",
  ].join("\n");
  const text = toStage2(esm);
  ok(/^[\x20-\x7e\n]*$/.test(text), "ASCII only");
  // Line numbers stay those of the bundle: `var seen` is still on line 5.
  match(text.split("\n")[4]!, /^var seen = /);
  const meta = { main: true, url: "file:///x/porthole.js" };
  const out = await evaluate(text)(meta);
  deepEqual(Object.keys(out).sort(), ["pointer", "seen", "where"]);
  equal(out.pointer, "\u2192 \u2026");
  equal(out.seen, "functionfunctionobject");
  deepEqual((out.where as () => unknown[])(), [true, true, "file:///x/porthole.js"]);
});

Deno.test("stage 2: the top-level code runs in strict mode, after its imports", async () => {
  const esm = [
    "var strict = (function () { return this === undefined; })();",
    'import { EOL } from "node:os";',
    "var eol = EOL;",
    "export { eol, strict };",
  ].join("\n");
  const out = await evaluate(toStage2(esm))({});
  deepEqual(out, { eol: "\n", strict: true });
});

Deno.test("stage 2: what an evaluated script cannot keep is refused at build time", () => {
  const end = "\nexport { a };\n";
  throws(() => toStage2(`import { a } from "./a.ts";${end}`), /left outside the bundle/);
  throws(() => toStage2(`var a = () => import("./b.ts");${end}`), /dynamic import/);
  throws(() => toStage2("var a = 1;\n"), /export/);
  throws(() => toStage2(`var a = String.raw\`\u00e9\`;${end}`), /non-ASCII/);
  throws(() => toStage2(`var __porthole_import_0 = 1, a = 2;${end}`), /taken/);
});
