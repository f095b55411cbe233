import assert from "node:assert/strict";
import { LUA_WASM_VERSION } from "./_lua_wasm.ts";
import { luaWasm } from "./lua_vm.ts";

Deno.test("the Lua VM carried in Porthole is node_modules' wasmoon glue.wasm (else run tools/gen_lua_wasm.ts)", async () => {
  const here = new URL("../../node_modules/wasmoon/", import.meta.url);
  const version = JSON.parse(Deno.readTextFileSync(new URL("package.json", here))).version;
  assert.equal(LUA_WASM_VERSION, version);
  assert.deepEqual(
    await luaWasm(),
    Deno.readFileSync(new URL("dist/glue.wasm", here)),
  );
});
