/**
 * The Lua VM of the script engine: wasmoon (Lua 5.4 in WebAssembly; docs/nse-vm.md says why).
 * Its WebAssembly travels inside Porthole gzipped as base64 (_lua_wasm.ts) so the one-file
 * artifact needs nothing beside it; wasmoon reads it from a path, so it is written to a private temporary
 * file that is removed as soon as the module is compiled.
 */

export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** The bytes of `b64`, decoded natively (a callback per byte cost ~80 ms on every -sC run). */
export function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(b64);
}

/** wasmoon's glue.wasm, unpacked from the copy Porthole carries (tools/gen_lua_wasm.ts). */
export async function luaWasm(): Promise<Uint8Array> {
  const { LUA_WASM_GZIP_BASE64 } = await import("./_lua_wasm.ts");
  const gzip = decodeBase64(LUA_WASM_GZIP_BASE64);
  const stream = new Blob([gzip]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A new Lua state with the standard libraries (the engine narrows io and os itself). */
// deno-lint-ignore no-explicit-any
export async function newLuaEngine(): Promise<any> {
  const path = await Deno.makeTempFile({ prefix: "porthole-lua-", suffix: ".wasm" });
  // wasmoon's emscripten loader takes Node's path for itself from __filename when it is
  // evaluated, which a bundled ES module does not have: lend it one while it loads.
  const g = globalThis as { __filename?: string };
  const lent = g.__filename === undefined;
  if (lent) g.__filename = path;
  try {
    const [{ LuaFactory }, wasm] = await Promise.all([import("wasmoon"), luaWasm()]);
    await Deno.writeFile(path, wasm, { mode: 0o600 });
    const factory = new LuaFactory(path);
    return await factory.createEngine({ injectObjects: false });
  } finally {
    if (lent) delete g.__filename;
    await Deno.remove(path).catch(() => {});
  }
}
