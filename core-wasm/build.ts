/**
 * Builds core-wasm/build/core.wasm with asc when it is missing or older than
 * any AssemblyScript source, so `npm ci` followed by any task just works.
 */
const here = new URL(".", import.meta.url);
const sourceDir = new URL("assembly/", here);
const output = new URL("build/core.wasm", here);

function newestSourceMtime(dir: URL): number {
  let newest = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) newest = Math.max(newest, newestSourceMtime(url));
    else if (entry.name.endsWith(".ts")) {
      newest = Math.max(newest, Deno.statSync(url).mtime?.getTime() ?? 0);
    }
  }
  return newest;
}

function outputMtime(): number {
  try {
    return Deno.statSync(output).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

if (Deno.args.includes("--force") || outputMtime() < newestSourceMtime(sourceDir)) {
  const asc = new URL("../node_modules/assemblyscript/bin/asc.js", here);
  const args = [
    "run",
    "-A",
    asc.pathname,
    new URL("index.ts", sourceDir).pathname,
    "--outFile",
    output.pathname,
    "--textFile",
    output.pathname.replace(/\.wasm$/, ".wat"),
    "--optimizeLevel",
    "3",
    "--shrinkLevel",
    "0",
    "--runtime",
    "stub",
    "--noAssert",
    "--use",
    "abort=",
    "--initialMemory",
    "64",
  ];
  const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  if (code !== 0) {
    console.error("core-wasm: asc failed");
    Deno.exit(code);
  }
}
