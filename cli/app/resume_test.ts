import { assertEquals } from "../../tests/testing/assert.ts";
import type { PortResult } from "../model/mod.ts";
import { mergeRecorded, portsLeft } from "./resume.ts";

const closed = (port: number, protocol: "tcp" | "udp" = "tcp"): PortResult => ({
  protocol,
  port,
  state: "closed",
  reason: "reset",
  reasonTtl: 64,
});

Deno.test("portsLeft: ports some partial host still lacks, per protocol", () => {
  const a = [closed(1), closed(2), closed(3), closed(53, "udp")];
  const b = [closed(1), closed(2)];
  const ports = [1, 2, 3, 4, 5];
  assertEquals(portsLeft(ports, "tcp", [a]), [4, 5]);
  assertEquals(portsLeft(ports, "tcp", [a, b]), [3, 4, 5]); // b still needs 3
  assertEquals(portsLeft([53, 161], "udp", [a]), [161]);
  assertEquals(portsLeft([1, 2, 3], "tcp", [a]), []);
});

Deno.test("mergeRecorded: recorded results win, new ones fill in, nmap's order", () => {
  const recorded: PortResult[] = [
    closed(3),
    { protocol: "tcp", port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
    closed(53, "udp"),
  ];
  const scanned: PortResult[] = [
    // Scanned again only because another host of the group lacked it.
    { protocol: "tcp", port: 22, state: "filtered", reason: "no-response" },
    closed(1),
    { protocol: "udp", port: 161, state: "open|filtered", reason: "no-response" },
    closed(25),
  ];
  const merged = mergeRecorded(scanned, recorded);
  assertEquals(merged.map((p) => `${p.protocol}/${p.port}/${p.state}`), [
    "tcp/1/closed",
    "tcp/3/closed",
    "tcp/22/open",
    "tcp/25/closed",
    "udp/53/closed",
    "udp/161/open|filtered",
  ]);
  // Recorded entries are copies (service detection may add to them).
  merged.find((p) => p.port === 22)!.service = { name: "ssh", method: "table", confidence: 3 };
  assertEquals(recorded[1]!.service, undefined);
  assertEquals(mergeRecorded([], []), []);
});
