import assert from "node:assert/strict";
import { rawProbeHeaders } from "./probe_headers.ts";

Deno.test("rawProbeHeaders: each raw scan's bytes before the payload; SYN by default", () => {
  assert.deepEqual(rawProbeHeaders([], false), [{ name: "-sS", headerBytes: 24 }]);
  assert.deepEqual(rawProbeHeaders(["ack", "udp", "sctpinit"], false), [
    { name: "-sA", headerBytes: 20 },
    { name: "-sU", headerBytes: 8 },
    { name: "-sY", headerBytes: 32 },
  ]);
  // Connect and FTP bounce send no raw probe of their own; -sn only pings.
  assert.deepEqual(rawProbeHeaders(["connect", "bounce"], false), []);
  assert.deepEqual(rawProbeHeaders(["syn"], true), [{ name: "Host discovery", headerBytes: 8 }]);
});
