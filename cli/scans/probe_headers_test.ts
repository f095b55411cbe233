import assert from "node:assert/strict";
import { scanProbeHeaders } from "./probe_headers.ts";

Deno.test("scanProbeHeaders: each raw scan's bytes before the payload; SYN by default", () => {
  assert.deepEqual(scanProbeHeaders([]), [{ name: "-sS", headerBytes: 24 }]);
  assert.deepEqual(scanProbeHeaders(["ack", "udp", "sctpinit"]), [
    { name: "-sA", headerBytes: 20 },
    { name: "-sU", headerBytes: 8 },
    { name: "-sY", headerBytes: 32 },
  ]);
  // Connect and FTP bounce send no raw probe of their own.
  assert.deepEqual(scanProbeHeaders(["connect", "bounce"]), []);
  assert.deepEqual(scanProbeHeaders(["ipproto"], [6, 255]), [
    { name: "-sO protocol 6", headerBytes: 20 },
    { name: "-sO protocol 255", headerBytes: 0 },
  ]);
});
