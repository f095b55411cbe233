/** Run-time keys (nmap's nmap_tty.cc): v/V, d/D, p/P, ? and any other key. */

import assert from "node:assert/strict";
import { Progress, type RuntimeKeys, runtimeKeysHelp } from "./progress.ts";

function setup(withTrace: boolean) {
  const out: string[] = [];
  const trace: boolean[] = [];
  const keys: RuntimeKeys = {
    verbose: 0,
    debug: 0,
    setVerbose(l) {
      this.verbose = l;
    },
    setDebug(l) {
      this.debug = l;
    },
    packetTrace: withTrace ? (on) => trace.push(on) : undefined,
  };
  let now = 1_000_000;
  const p = new Progress({
    statsEveryMs: 0,
    interactive: false,
    keys,
    write: (t) => out.push(t),
    now: () => now,
    startTime: now,
  });
  p.setPhase("UDP Scan", 1);
  now += 3000;
  p.update(45, 100);
  return { p, out, keys, trace };
}

Deno.test("keys: v/V and d/D change the levels, p/P packet tracing, ? the help", () => {
  const { p, out, keys, trace } = setup(true);
  for (const k of "vvVddDpP?") p.pressed(k);
  assert.deepEqual(out, [
    "Verbosity Increased to 1.\n",
    "Verbosity Increased to 2.\n",
    "Verbosity Decreased to 1.\n",
    "Debugging Increased to 1.\n",
    "Debugging Increased to 2.\n",
    "Debugging Decreased to 1.\n",
    "Packet Tracing enabled.\n",
    "Packet Tracing disabled.\n",
    runtimeKeysHelp(true),
  ]);
  assert.match(runtimeKeysHelp(true), /^p\/P +Enable\/disable packet tracing$/m);
  assert.equal(keys.verbose, 1);
  assert.equal(keys.debug, 1);
  assert.deepEqual(trace, [true, false]);
  // Levels stay within 0..10, as nmap's.
  p.pressed("V");
  p.pressed("V");
  assert.equal(keys.verbose, 0);
});

Deno.test("keys: any other key prints the status with % done and ETC", () => {
  const { p, out } = setup(false);
  p.pressed("x");
  p.pressed("\n");
  assert.equal(out.length, 2);
  assert.match(
    out[0]!,
    /^Stats: 0:00:03 elapsed; 0 hosts completed \(1 up\), 1 undergoing UDP Scan\n/,
  );
  assert.match(
    out[0]!,
    /\nUDP Scan Timing: About 45\.00% done; ETC: \d\d:\d\d \(0:00:0\d remaining\)\n$/,
  );
  // Without packet tracing to turn, p is any other key, and ? does not offer it.
  p.pressed("p");
  assert.match(out[2]!, /^Stats: /);
  p.pressed("?");
  assert.equal(out[3], runtimeKeysHelp(false));
  assert.doesNotMatch(out[3]!, /packet tracing/);
});
