import assert from "node:assert/strict";
import { FunctionSink, SkidSink, skidText } from "./sink.ts";

Deno.test("skidText: nmap's -oS look-alikes when the coin says swap, case flips otherwise", () => {
  // Always swap (random() = 0): every letter with a look-alike takes it; "!|1"[0] for i.
  assert.equal(skidText("Alice sees ZOO zones.", () => 0), "4l!c3 $33z S00 s0n3z.");
  // s before a letter or digit is $, before anything else z; at the very end $ (as nmap's
  // check of the next byte finds the terminating NUL).
  assert.equal(skidText("ss1 s. s", () => 0), "$$1 z. $");
  // Never swap and never flip (random() = 0.99): unchanged.
  assert.equal(skidText("Starting Nmap", () => 0.99), "Starting Nmap");
  // Not swapped, then flipped (0.5 fails the swap, then 0.2 < 1/3 flips the case).
  const seq = [0.5, 0.2];
  let n = 0;
  assert.equal(skidText("aB", () => seq[n++ % 2]!), "Ab");
  const out: string[] = [];
  const sink = new SkidSink(new FunctionSink((t) => out.push(t)), () => 0);
  sink.write("open");
  assert.deepEqual(out, ["0p3n"]);
});
