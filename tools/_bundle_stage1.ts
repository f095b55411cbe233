/**
 * First stage of dist/porthole.js (see tools/artifact.ts): answers `--version` and `--help` from
 * a few kilobytes of JavaScript, and only otherwise unpacks and starts the rest of Porthole.
 *
 * Why: Deno spends time on every byte of a main module before running any of it (module graph,
 * code cache, V8 scan): 15-45 ms per MB here. And the one-stage bundle loaded node:tls, node:net
 * and node:dgram through static imports (~35 ms) that the source tree only loads for a scan. So
 * the full bundle (≈1 MB) travels here gzip-compressed in one string literal (≈330 KB as base64),
 * decoded only when a scan needs it: `porthole.js --version` costs what `deno eval 1` does.
 *
 * @module
 */

import { helpText, versionText } from "../cli/help.ts";

/**
 * The rest of Porthole, put here by tools/artifact.ts: gzip-compressed, base64. Inside a function
 * so that V8 only scans over the literal at start-up: a top-level one would be allocated and
 * stored in the code cache, which costs twice as much per byte.
 */
function payload(): string {
  return "@@PORTHOLE_PAYLOAD@@";
}

/** What the second stage (the whole bundle of cli/main.ts) exports. */
interface Full {
  main(args: string[]): Promise<number>;
}

/** Same write loop as cli/main.ts: the fast path prints exactly what the full program would. */
function writeAll(fd: { writeSync(p: Uint8Array): number }, s: string): void {
  let bytes = new TextEncoder().encode(s);
  while (bytes.length > 0) bytes = bytes.subarray(fd.writeSync(bytes));
}

let full: Promise<Full> | undefined;

/**
 * Decodes and evaluates the second stage. Its `import.meta` is this file's, so `import.meta.main`
 * there is true exactly when porthole.js is the program, as it was in the one-stage bundle.
 */
function loadFull(meta: ImportMeta): Promise<Full> {
  return full ??= (async () => {
    // node:zlib decompresses in one call, twice as fast as a DecompressionStream when cold, and
    // Node compatibility is loaded anyway by the node: built-ins the scanner imports.
    const { gunzipSync } = await import("node:zlib");
    const bytes = gunzipSync(Uint8Array.fromBase64(payload()));
    // The stage is ASCII (tools/_bundle_stage2.ts escapes the rest), which TextDecoder turns into
    // a string several times faster than mixed UTF-8.
    const source = new TextDecoder().decode(bytes);
    // An indirect eval compiles the stage as a plain script: no module graph, no import of a
    // 1 MB blob: URL. tools/artifact.ts turned it into `(async function (meta) {...})`.
    const stage = (0, eval)(source) as (meta: ImportMeta) => Promise<Full>;
    return await stage(meta);
  })();
}

/** Runs Porthole with `args`; the same entry point the one-stage bundle exported. */
export async function main(args: string[]): Promise<number> {
  return await (await loadFull(import.meta)).main(args);
}

if (import.meta.main) {
  const args = Deno.args;
  // The same test as cli/main.ts's fast path (tests/artifact_test.ts compares the outputs).
  if (args.length === 1 && ["-V", "--version", "-h", "--help"].includes(args[0]!)) {
    writeAll(
      Deno.stdout,
      args[0]!.startsWith("-h") || args[0] === "--help" ? helpText() : versionText(),
    );
    Deno.exit(0);
  }
  try {
    // The second stage's own `if (import.meta.main)` block runs the scanner and exits.
    await loadFull(import.meta);
  } catch (e) {
    writeAll(Deno.stderr, `porthole: ${e instanceof Error ? e.message : String(e)}\nQUITTING!\n`);
    Deno.exit(1);
  }
}
