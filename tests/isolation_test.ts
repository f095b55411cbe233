/**
 * The suite runs in a network namespace of its own (`deno task test`, tests/in_own_netns.sh), so
 * that the scanners unit tests start against 127.0.0.1 never run in the host's namespace.
 */

import assert from "node:assert/strict";

const root = Deno.uid() === 0;

Deno.test({
  name: "the test suite runs outside the host's network namespace",
  ignore: !root,
}, () => {
  // The host's namespace has its uplink (eth0 and the like); this one must have none.
  const links = Deno.readTextFileSync("/proc/net/dev").split("\n").slice(2)
    .map((l) => l.split(":")[0]!.trim()).filter((n) => n !== "");
  assert.deepEqual(
    links,
    ["lo"],
    "run the suite with `deno task test` (tests/in_own_netns.sh): no link but its loopback",
  );
});
