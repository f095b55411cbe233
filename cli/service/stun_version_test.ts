import assert from "node:assert/strict";
import { hex, portResult } from "../../tests/testing/version_script_samples.ts";
import { stunApplies, stunBindingRequest, stunVersion } from "./stun_version.ts";

/**
 * coturn 4.6.1's Binding response in the real-daemons lab: XOR-MAPPED-ADDRESS, MAPPED-ADDRESS,
 * RESPONSE-ORIGIN, SOFTWARE "Coturn-4.6.1 'Gorst'".
 */
const COTURN = hex(
  "0101003c2112a4422f7c25182e6b065e052331f1002000080001c6012be5a443000100080001e7130af700" +
    "01802b000800010d960af7010180220014436f7475726e2d342e362e312027476f72737427",
);

Deno.test("stun-version: SOFTWARE is the product", () => {
  assert.deepEqual(stunVersion(COTURN), { name: "stun", product: "Coturn-4.6.1 'Gorst'" });
});

Deno.test("stun-version: a MAPPED-ADDRESS alone names the port, with no product", () => {
  const mappedOnly = Uint8Array.from([...COTURN.subarray(0, 20), ...COTURN.subarray(32, 44)]);
  mappedOnly[3] = 12;
  assert.deepEqual(stunVersion(mappedOnly), { name: "stun", product: "" });
});

Deno.test("stun-version: no Binding response, or neither attribute, names nothing", () => {
  const error = COTURN.slice();
  error[1] = 0x11; // Binding error response
  assert.equal(stunVersion(error), null);
  assert.equal(stunVersion(COTURN.subarray(0, 19)), null);
  const xorOnly = Uint8Array.from(COTURN.subarray(0, 32));
  xorOnly[3] = 12;
  assert.equal(stunVersion(xorOnly), null);
});

Deno.test("stun-version: the request is a Binding request with the magic cookie", () => {
  const req = stunBindingRequest();
  assert.deepEqual([...req.subarray(0, 8)], [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]);
  assert.equal(req.length, 20);
});

Deno.test("stun-version: UDP 3478 or a UDP port named stun", () => {
  const port = (p: Parameters<typeof portResult>[2] = {}) => portResult("udp", 3478, p);
  assert.equal(stunApplies(port({}), 7), true);
  assert.equal(stunApplies(port({ protocol: "tcp", state: "open" }), 7), false);
  assert.equal(stunApplies(port({}), 6), false);
  const named = { name: "stun", method: "table" as const, confidence: 3 };
  assert.equal(stunApplies(port({ port: 5349, service: named }), 7), true);
});
