/**
 * The measurement behind docs/nse-vm.md: runs one Lua file in fengari or wasmoon and prints the
 * milliseconds it took.
 *
 *   deno run -A bench/nse_vm/run.ts fengari|wasmoon bench/nse_vm/bench.lua
 *   deno run -A bench/nse_vm/run.ts fengari|wasmoon bench/nse_vm/nselib_load.lua
 */

const [vm, file] = Deno.args;
if ((vm !== "fengari" && vm !== "wasmoon") || !file) {
  console.error("usage: run.ts fengari|wasmoon FILE.lua");
  Deno.exit(2);
}
const source = Deno.readTextFileSync(file);
const readFile = (p: string) => {
  try {
    return Deno.readTextFileSync(p);
  } catch {
    return undefined; // wasmoon takes a JS null for a userdata, not nil
  }
};
const t0 = performance.now();
if (vm === "fengari") {
  const { lua, lauxlib, lualib, to_luastring } = await import("fengari");
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  if (lauxlib.luaL_dostring(L, to_luastring(source)) !== 0) {
    console.log("error:", lua.lua_tojsstring(L, -1));
  }
} else {
  const { LuaFactory } = await import("wasmoon");
  const lua = await new LuaFactory().createEngine();
  lua.global.set("host_readfile", readFile);
  try {
    await lua.doString(source);
  } catch (e) {
    console.log("error:", String(e));
  }
}
console.log(vm, "ms", (performance.now() - t0).toFixed(0));
