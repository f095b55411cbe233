import assert from "node:assert/strict";
import { pingProbeHeaders } from "./ping_headers.ts";

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
