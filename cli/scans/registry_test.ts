import { assertEquals } from "../../tests/testing/assert.ts";
import { kindsOf, SCAN_KINDS } from "./registry.ts";

Deno.test("registry: each kind's module scans the entry's protocol, options are unique", () => {
  const options = new Set<string>();
  for (const [name, e] of Object.entries(SCAN_KINDS)) {
    options.add(e.option);
    if (e.driver.kind !== "module") continue;
    const m = e.driver.module({ ttl: 64 });
    assertEquals([m.name, m.protocol], [name, e.protocol]);
  }
  assertEquals(options.size, Object.keys(SCAN_KINDS).length);
});

Deno.test("registry: kinds by protocol keep nmap's phase order", () => {
  const all = ["udp", "sctpinit", "ack", "syn"] as const;
  assertEquals(kindsOf(all, "tcp"), ["syn", "ack"]);
  assertEquals(kindsOf(all, "udp"), ["udp"]);
  assertEquals(kindsOf(all, "sctp"), ["sctpinit"]);
});
