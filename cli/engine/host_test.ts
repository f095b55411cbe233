import assert from "node:assert/strict";
import { ScanHost } from "./host.ts";
import { CookieJar } from "./cookie.ts";
import { RetryPolicy, RttEstimator } from "../timing/mod.ts";

function timedHost(floorMs: number | undefined, minRttTimeoutMs: number): ScanHost {
  const h = new ScanHost({ address: "10.0.0.1", family: 4, otherAddresses: [] }, new CookieJar());
  const rtt = new RttEstimator({
    initialRttTimeoutMs: 1000,
    minRttTimeoutMs,
    maxRttTimeoutMs: 10000,
    adaptiveFloorMs: floorMs,
  });
  for (let i = 0; i < 20; i++) rtt.sample(0.2);
  h.timing = { rtt, retry: new RetryPolicy({ maxRetries: 10, explicit: false }, 1) };
  h.up = true;
  return h;
}

Deno.test("host times: the timeout as nmap stores it, floored at --min-rtt-timeout (<times to=>, host.times)", () => {
  // Porthole's adaptive floor lets the scan wait ~20 ms on a LAN; nmap's `to` never goes under
  // --min-rtt-timeout (100 ms by default).
  const lan = timedHost(20, 100);
  assert.ok(lan.timing!.rtt.timeout < 100);
  assert.equal(lan.result().times?.timeout, 100_000);
  assert.equal(lan.result().times?.srtt, Math.round(lan.timing!.rtt.srtt! * 1000));
  // With --min-rtt-timeout 5 the scan's own figure shows.
  const low = timedHost(undefined, 5);
  assert.equal(low.result().times?.timeout, Math.round(low.timing!.rtt.timeout * 1000));
  assert.ok(low.result().times!.timeout < 100_000);
});
