// Golden-test helpers: parse one frame given as hex, and emit a spec into a region pre-filled
// with 0xa5 (every byte of the frame must be written, none past it).

import { assert, assertEquals, unhex } from "./assert.ts";
import * as wasm from "../../core-wasm/build/core.wasm";
import * as L from "../../core-wasm/_layout.ts";
import { type SpecFields, writeSpec } from "../../core-wasm/_spec.ts";
import { LinkType, packetCore, type ParsedRecords } from "../../core-wasm/mod.ts";

/** Parses the one frame `frameHex` on link type `link`. */
export function parseOne(frameHex: string, link: LinkType = LinkType.RAW): ParsedRecords {
  const core = packetCore();
  const batch = core.frameBatch(1, 2048);
  const frame = unhex(frameHex);
  batch.data.set(frame, 0);
  batch.index.set([0, frame.length, 0, 0]);
  return core.parseBatch(batch, 1, link);
}

/** Emits `f` (link type `link`) into exactly `len` bytes of a region pre-filled with 0xa5. */
export function emitPrefilled(
  f: SpecFields,
  len: number,
  link: LinkType = LinkType.RAW,
): Uint8Array {
  const mem = (wasm.memory as WebAssembly.Memory).buffer as ArrayBuffer;
  const spec = wasm.allocRegion(L.SPEC_SIZE + 4096) as number;
  writeSpec(mem, spec, spec + L.SPEC_SIZE, f);
  const out = wasm.allocRegion(len + 64) as number;
  const u8 = new Uint8Array(mem);
  u8.fill(0xa5, out, out + len + 64);
  const n = wasm.buildFrame(spec, link, out, len) as number;
  assertEquals(n, len, "frame length");
  assert(u8.subarray(out + len, out + len + 64).every((b) => b === 0xa5), "wrote past the end");
  return u8.slice(out, out + len);
}
