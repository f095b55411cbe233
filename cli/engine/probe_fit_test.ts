import assert from "node:assert/strict";
import { probeFitError } from "./probe_fit.ts";

const eth0 = { family: 4 as const, iface: "eth0", mtu: 1500 };
const syn = { name: "-sS", headerBytes: 24 };
const udp = { name: "-sU", headerBytes: 8 };

Deno.test("probeFitError: the largest probe against the MTU, to the byte", () => {
  assert.equal(probeFitError(eth0, [syn, udp], { payloadBytes: 1456 }), undefined); // 20+24+1456
  assert.equal(
    probeFitError(eth0, [udp, syn], { payloadBytes: 1457 }),
    "-sS probes with the 1457-byte --data/--data-string/--data-length payload are 1501 bytes, " +
      "more than eth0's MTU of 1500: use --data-length 1456 or less, or fragment them with -f or --mtu.",
  );
  assert.equal(probeFitError(eth0, [udp], { payloadBytes: 1472 }), undefined);
  assert.match(probeFitError(eth0, [udp], { payloadBytes: 3000 })!, /are 3028 bytes/);
});

Deno.test("probeFitError: -f/--mtu fit when one fragment does", () => {
  assert.equal(probeFitError(eth0, [udp], { payloadBytes: 3000, fragment: 8 }), undefined);
  assert.equal(probeFitError(eth0, [udp], { payloadBytes: 3000, fragment: 1480 }), undefined);
  assert.equal(
    probeFitError(eth0, [udp], { payloadBytes: 3000, fragment: 1488 }),
    "-f/--mtu 1488: fragments of 1508 bytes do not fit eth0's MTU of 1500; use --mtu 1480 or less.",
  );
});

Deno.test("probeFitError: a probe's own way out is offered too", () => {
  const ping = { name: "Host discovery's -PS", headerBytes: 24, alternative: "skip it with -Pn" };
  assert.match(
    probeFitError(eth0, [udp, ping], { payloadBytes: 1472 })!,
    /^Host discovery's -PS probes .* are 1516 bytes, .*: use --data-length 1456 or less, or fragment them with -f or --mtu, or skip it with -Pn\.$/,
  );
});

Deno.test("probeFitError: IPv6 has a 40-byte header and no fragments", () => {
  const v6 = { ...eth0, family: 6 as const };
  assert.equal(probeFitError(v6, [udp], { payloadBytes: 1452 }), undefined);
  assert.match(
    probeFitError(v6, [udp], { payloadBytes: 1453, fragment: 8 })!,
    /are 1501 bytes, .*use --data-length 1452 or less \(IPv6 probes are not fragmented\)\.$/,
  );
});

Deno.test("probeFitError: nothing to check without an MTU or a raw probe", () => {
  assert.equal(
    probeFitError({ ...eth0, mtu: undefined }, [syn], { payloadBytes: 9000 }),
    undefined,
  );
  assert.equal(probeFitError(eth0, [], { payloadBytes: 9000 }), undefined);
  assert.equal(probeFitError({ ...eth0, mtu: 65536 }, [syn], { payloadBytes: 9000 }), undefined);
});
