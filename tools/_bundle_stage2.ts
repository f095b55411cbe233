/**
 * Turns `deno bundle`'s ES module output into the second stage of dist/porthole.js: the text of
 * `(async function (meta) { ... })`, which tools/_bundle_stage1.ts evaluates with an indirect
 * eval and calls with its own `import.meta`, getting the module's exports back.
 *
 * The bundle keeps only a handful of module-only constructs, each rewritten here:
 * - top-level `import … from "node:…"` (built-ins are never inlined) → `await import(…)`, hoisted
 *   to the top as ES imports are;
 * - the final `export { … }` → `return { … }`;
 * - `import.meta` → the `meta` parameter.
 * Anything else module-only makes the build fail rather than ship a program that behaves
 * differently.
 *
 * @module
 */

const META = "__porthole_import_meta";

/** One `import … from "spec";` line (as esbuild prints them) → declarations. */
function rewriteImport(clause: string | undefined, spec: string, n: number): string {
  if (clause === undefined) return `await import(${spec});`;
  const ns = `__porthole_import_${n}`;
  const out = [`const ${ns} = await import(${spec});`];
  let rest = clause.trim();
  const dflt = /^([\w$]+)\s*(?:,\s*|$)/.exec(rest);
  if (dflt) {
    out.push(`const ${dflt[1]} = ${ns}.default;`);
    rest = rest.slice(dflt[0].length);
  }
  const star = /^\*\s+as\s+([\w$]+)$/.exec(rest);
  const named = /^\{([^}]*)\}$/.exec(rest);
  if (star) out.push(`const ${star[1]} = ${ns};`);
  else if (named) {
    const names = named[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const parts = names.map((s) => {
      const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
      if (!m) throw new Error(`bundle: cannot rewrite import specifier "${s}"`);
      return m[2] ? `${m[1]}: ${m[2]}` : m[1]!;
    });
    out.push(`const { ${parts.join(", ")} } = ${ns};`);
  } else if (rest !== "") throw new Error(`bundle: cannot rewrite import clause "${clause}"`);
  return out.join(" ");
}

/** Rewrites the ES module bundle `esm` into the text of an async function expression. */
export function toStage2(esm: string): string {
  if (esm.includes("__porthole_import_")) throw new Error("bundle: __porthole_import_ is taken");
  const body = esm.replace(/^#!.*\n/, "").split("\n");
  const imports: string[] = [];
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    if (!line.startsWith("import ")) continue;
    const m = /^import\s+(?:(.+?)\s+from\s+)?("[^"]+");?$/.exec(line);
    if (!m) throw new Error(`bundle: cannot rewrite "${line}"`);
    if (!m[2]!.startsWith('"node:')) {
      throw new Error(`bundle: ${m[2]} was left outside the bundle; only node: built-ins may be`);
    }
    imports.push(rewriteImport(m[1], m[2]!, n++));
    body[i] = ""; // keeps the line numbers
  }
  let text = body.join("\n");
  const exp = /^export\s*\{([^}]*)\};?\s*$(?![\s\S]*^export\b)/m.exec(text);
  if (!exp) throw new Error("bundle: no final `export { … }` found");
  const exported = exp[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
    if (!m) throw new Error(`bundle: cannot rewrite export "${s}"`);
    return m[2] ? `${m[2]}: ${m[1]}` : m[1]!;
  });
  text = text.slice(0, exp.index) + `return { ${exported.join(", ")} };\n` +
    text.slice(exp.index + exp[0].length);
  if (/^(import|export)\b/m.test(text)) {
    throw new Error("bundle: a module-only import/export is left in the second stage");
  }
  if (/\bimport\s*\((?!"node:)/.test(text)) {
    // Evaluated code resolves specifiers from nowhere in particular: only built-ins are safe.
    throw new Error("bundle: a dynamic import() of a module is left in the second stage");
  }
  text = text.replaceAll(/\bimport\.meta\b/g, META);
  // ASCII only: stage 1 decodes it faster. A \uXXXX escape means the same character in strings,
  // template literals, regular expressions, identifiers and comments; only a template's raw text
  // (String.raw) or a character escaped by a backslash would differ, so those are refused.
  if (/[\u0080-\uffff]/.test(text) && /\bString\.raw\b|\\[\u0080-\uffff]/.test(text)) {
    throw new Error("bundle: non-ASCII text that \\u escapes could change");
  }
  text = text.replaceAll(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  // The header shares line 1 with the bundle's first line, so a stack trace's line numbers in the
  // second stage are those of `deno bundle cli/main.ts`'s output.
  return `(async function porthole(${META}) { "use strict"; ${imports.join(" ")} ${text}\n})`;
}
