/** Test data for the inventory's tests. */

import type { InvScan } from "../../cli/inventory/scan.ts";

/** A small scan: `open` maps address → open ports (ssh on 22, http elsewhere). */
export function sampleScan(startTime: number, open: Record<string, number[]>): InvScan {
  return {
    scanner: "porthole",
    version: "0.1.0",
    args: "porthole -sV 10.0.0.0/30",
    startTime,
    endTime: startTime + 1000,
    hosts: Object.entries(open).map(([address, ports]) => ({
      address,
      family: 4,
      mac: "02:00:00:00:00:01",
      vendor: "Acme",
      hostnames: [{ name: `h-${address}`, type: "PTR" }],
      status: "up",
      reason: "arp-response",
      ports: ports.map((port) => ({
        protocol: "tcp",
        port,
        state: "open",
        reason: "syn-ack",
        reasonTtl: 64,
        service: port === 22
          ? {
            name: "ssh",
            product: "OpenSSH",
            version: "9.2p1",
            method: "probed",
            conf: 10,
            cpe: ["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"],
          }
          : { name: "http", product: "nginx", method: "probed", conf: 10 },
        scripts: port === 443 ? [{ id: "ssl-cert", output: "SHA-1: aa bb" }] : undefined,
      })),
      extraPorts: [{ state: "closed", count: 997 }],
      os: [{ name: "Linux 6.1", accuracy: 100 }],
    })),
  };
}
