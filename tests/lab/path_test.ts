import assert from "node:assert/strict";
import { Impairment, pathConfig, queueRules } from "./path.ts";
import { scenario } from "./scenarios.ts";

Deno.test("path: a process only where delay or bursts are asked for, one queue per direction", () => {
  assert.equal(pathConfig(undefined), null);
  assert.equal(pathConfig(scenario("asymmetric").path), null, "one-way loss is nftables'");
  assert.deepEqual(pathConfig(scenario("jitter").path), {
    queues: [
      { queue: 0, delayMs: [50, 250], bursts: undefined },
      { queue: 1, delayMs: [50, 250], bursts: undefined },
    ],
  });
  assert.deepEqual(pathConfig({ fromTarget: { bursts: { goodMs: 5, badMs: 1 } } })?.queues, [
    { queue: 1, delayMs: undefined, bursts: { goodMs: 5, badMs: 1 } },
  ]);
});

Deno.test("path: NFQUEUE rules on the link, in before the host's filter, out after it", () => {
  const cfg = pathConfig(scenario("jitter").path)!;
  const v4 = queueRules(cfg, "eth0", false);
  assert.equal(
    v4,
    "*mangle\n-A PREROUTING -i eth0 -j NFQUEUE --queue-num 0\n" +
      "-A POSTROUTING -o eth0 -j NFQUEUE --queue-num 1\nCOMMIT\n",
  );
  // Neighbour discovery passes untouched (as ARP does), before the queue rule.
  const v6 = queueRules(cfg, "eth0", true);
  assert.equal(v6.match(/--icmpv6-type 13[5-6] -j RETURN/g)?.length, 4);
  assert.ok(v6.indexOf("RETURN") < v6.indexOf("NFQUEUE"));
});

Deno.test("path: delays within their range; bursts lose whole periods, about bad/(good+bad)", () => {
  const delay = new Impairment({ queue: 0, delayMs: [50, 250] });
  for (let i = 0; i < 1000; i++) {
    const d = delay.next(i)!;
    assert.ok(d >= 50 && d <= 250, `${d}`);
  }
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const bursty = new Impairment({ queue: 0, bursts: { goodMs: 500, badMs: 50 } }, random);
  let lost = 0, runs = 0, prev = false;
  for (let t = 0; t < 600_000; t++) {
    const drop = bursty.next(t) === null;
    if (drop) lost++;
    if (drop && !prev) runs++;
    prev = drop;
  }
  const share = lost / 600_000;
  assert.ok(share > 0.07 && share < 0.11, `lost ${share}`);
  // A packet every ms: the bad periods come as runs of about 50 drops, not coin flips.
  assert.ok(lost / runs > 30 && lost / runs < 80, `mean run ${lost / runs}`);
});
