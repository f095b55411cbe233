import assert from "node:assert/strict";
import { setPortVersion } from "./version_script.ts";

Deno.test("set_port_version: a hard match that keeps the tunnel, types and CPEs, drops the fingerprint", () => {
  const before = {
    name: "unknown",
    method: "table" as const,
    confidence: 3,
    tunnel: "ssl" as const,
    product: "old",
    extraInfo: "kept unless set",
    osType: "Linux",
    cpe: ["cpe:/o:linux:linux_kernel"],
    fingerprint: "SF-Port64738-TCP:…",
  };
  assert.deepEqual(
    setPortVersion(before, { name: "murmur", product: "Murmur", version: "1.3.4" }),
    {
      name: "murmur",
      method: "probed",
      confidence: 10,
      tunnel: "ssl",
      product: "Murmur",
      version: "1.3.4",
      extraInfo: "kept unless set",
      osType: "Linux",
      cpe: ["cpe:/o:linux:linux_kernel"],
    },
  );
  // An empty value clears the field; a port with no service yet gets one.
  assert.deepEqual(setPortVersion(before, { name: "stun", product: "" }).product, undefined);
  assert.deepEqual(setPortVersion(undefined, { name: "stun", product: "x\u0001" }), {
    name: "stun",
    method: "probed",
    confidence: 10,
    product: "x.",
  });
});
