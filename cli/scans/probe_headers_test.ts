import assert from "node:assert/strict";
import { pingProbeHeaders, scanProbeHeaders } from "./probe_headers.ts";

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

Deno.test("pingProbeHeaders: nmap's default pings; ARP and connect pings carry no payload", () => {
  const pings = [{ type: "echo" }, { type: "syn", port: 443 }, { type: "ack", port: 80 }, {
    type: "timestamp",
  }] as const;
  assert.deepEqual(pingProbeHeaders(pings).map((p) => [p.name, p.headerBytes]), [
    ["Host discovery's -PE", 8],
    ["Host discovery's -PS", 24],
    ["Host discovery's -PA", 20],
    ["Host discovery's -PP", 20],
  ]);
  assert.deepEqual(pingProbeHeaders([{ type: "arp" }, { type: "connect", port: 80 }]), []);
  assert.deepEqual(pingProbeHeaders([{ type: "proto", protocol: 17 }]), [
    {
      name: "Host discovery's -PO 17",
      headerBytes: 8,
      alternative: "skip host discovery with -Pn",
    },
  ]);
});
