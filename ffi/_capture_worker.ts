/**
 * A capture Worker, kept for the receive measurements in ffi_bench.ts: it
 * owns its own non-blocking pcap handle and parks in poll() on its thread
 * between drains, so the main thread only sends. (A blocking handle would
 * not do: libpcap ≥ 1.10 on Linux ignores the timeout while no frame comes.) Messages in: `{ iface, filter }` to start,
 * anything else to stop; out: `{ ready: true }`, then
 * `{ received, dropped }` when stopped.
 *
 * @module
 */

import { Pcap } from "./pcap.ts";
import { createFrameBatch } from "./frame_batch.ts";

const scope = self as unknown as Worker;
scope.onmessage = (e: MessageEvent) => {
  const { iface, filter } = e.data as { iface: string; filter: string };
  const cap = Pcap.open(iface, { filter, snaplen: 128, bufferSize: 32 << 20, nonblocking: true });
  const rx = createFrameBatch(4096, 4096 * 128);
  let received = 0, stop = false;
  scope.onmessage = () => (stop = true);
  scope.postMessage({ ready: true });
  const loop = () => {
    // Drain and poll for ~20 ms, then a macrotask turn to see "stop".
    const until = performance.now() + 20;
    while (performance.now() < until) {
      const n = cap.receiveBatch(rx, 4096);
      received += n;
      if (n === 0) cap.waitReadableSync(5);
    }
    if (stop) {
      const dropped = cap.stats().dropped;
      cap.close();
      scope.postMessage({ received, dropped });
    } else setTimeout(loop, 0);
  };
  loop();
};
