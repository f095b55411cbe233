// The TypeScript mirror of the record layout must match what core.wasm exports, and the
// module must import nothing from the host.

import { assert, assertEquals } from "../tests/testing/assert.ts";
import * as wasm from "./build/core.wasm";
import * as L from "./_layout.ts";
import { coreWasmBase64 } from "./build/core_wasm_bytes.ts";

Deno.test("layout constants agree with core.wasm exports", () => {
  const exported = wasm as unknown as Record<string, unknown>;
  let checked = 0;
  for (const [name, value] of Object.entries(L)) {
    assertEquals(exported[name], value, `${name} differs between _layout.ts and core.wasm`);
    checked++;
  }
  assert(checked > 100, `only ${checked} constants checked`);
  // And every layout constant the wasm exports is mirrored.
  for (const [name, value] of Object.entries(exported)) {
    if (
      typeof value === "number" && /^(REC|SPEC|FLAG|OPT|KIND|E|DLT|LINKTYPE|T|BUILD)_/.test(name)
    ) {
      assert(name in L, `${name} is exported by core.wasm but not mirrored in _layout.ts`);
    }
  }
});

Deno.test("core.wasm has no imports and exports only functions, constants and memory", () => {
  const bytes = Uint8Array.from(atob(coreWasmBase64), (c) => c.charCodeAt(0));
  const module = new WebAssembly.Module(bytes);
  assertEquals(WebAssembly.Module.imports(module), []);
  const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  // The bytes module is the same build as the natively imported one.
  assertEquals(names, Object.keys(wasm).sort());
  const memories = WebAssembly.Module.exports(module).filter((e) => e.kind === "memory");
  assertEquals(memories.length, 1);
});

Deno.test("linear memory is a fixed map that cannot grow", () => {
  const memory = wasm.memory as WebAssembly.Memory;
  const before = memory.buffer.byteLength;
  let grew = true;
  try {
    memory.grow(1);
  } catch {
    grew = false;
  }
  assertEquals(grew, false);
  assertEquals(memory.buffer.byteLength, before);
  assertEquals(before, 128 * 1024 * 1024);
});
