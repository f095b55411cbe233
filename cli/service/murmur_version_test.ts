import assert from "node:assert/strict";
import { hex, portResult } from "../../tests/testing/version_script_samples.ts";
import { murmurApplies, murmurVersion, parseMurmurPong } from "./murmur_version.ts";

/** Murmur 1.3.4's pong in the real-daemons corpus (tests/data/real-daemons.json). */
const PONG = hex("00010304616263646566676800000000000003e800011940");

Deno.test("murmur-version: a pong's version, users and bandwidth, as the script words them", () => {
  const pong = parseMurmurPong(PONG)!;
  assert.deepEqual(pong, { version: "1.3.4", users: 0, maxUsers: 1000, bandwidth: 72000 });
  assert.deepEqual(murmurVersion(pong, "tcp"), {
    name: "murmur",
    product: "Murmur",
    version: "1.3.4",
    extraInfo: "control port; users: 0; max. users: 1000; bandwidth: 72000 b/s",
  });
  assert.match(murmurVersion(pong, "udp").extraInfo!, /^voice port; /);
});

Deno.test("murmur-version: anything but a pong to its ping is no Murmur", () => {
  assert.equal(parseMurmurPong(PONG.subarray(0, 23)), null);
  const otherIdent = PONG.slice();
  otherIdent[4] = 0x7a;
  assert.equal(parseMurmurPong(otherIdent), null);
  const notZero = PONG.slice();
  notZero[0] = 1;
  assert.equal(parseMurmurPong(notZero), null);
});

Deno.test("murmur-version: port 64738 or a port named murmur, TCP or UDP, at intensity 7+", () => {
  const port = (p: Parameters<typeof portResult>[2] = {}) => portResult("tcp", 64738, p);
  assert.equal(murmurApplies(port({}), 7), true);
  assert.equal(murmurApplies(port({ protocol: "udp", state: "open|filtered" }), 7), true);
  assert.equal(murmurApplies(port({}), 6), false);
  assert.equal(murmurApplies(port({ state: "closed" }), 9), false);
  assert.equal(murmurApplies(port({ port: 443 }), 9), false);
  const named = { name: "murmur", method: "probed" as const, confidence: 10 };
  assert.equal(murmurApplies(port({ port: 443, service: named }), 7), true);
});
