import { TcpFlag } from "../../core-wasm/mod.ts";
import { assertEquals } from "../../tests/testing/assert.ts";
import { PortTable, verdictCode, verdictOf } from "./port_table.ts";
import { silenceVerdict, tcpReplyVerdict } from "./tcp_rules.ts";

Deno.test("port table: first verdict wins, results ascend, TTL and router kept", () => {
  const t = new PortTable(2, [22, 80, 443], "tcp");
  const closed = tcpReplyVerdict("syn", TcpFlag.RST, 0)!;
  assertEquals(t.set(1, 2, closed, 64), true);
  assertEquals(t.set(1, 2, silenceVerdict("syn")), false);
  t.set(1, 0, { state: "filtered", reason: "host-unreach" }, 63, "10.0.0.1");
  assertEquals(t.results(1), [
    {
      protocol: "tcp",
      port: 22,
      state: "filtered",
      reason: "host-unreach",
      reasonTtl: 63,
      reasonAddr: "10.0.0.1",
    },
    { protocol: "tcp", port: 443, state: "closed", reason: "reset", reasonTtl: 64 },
  ]);
  assertEquals(t.decided(1), 2);
  assertEquals(t.results(0), []);
  assertEquals(t.results(0, silenceVerdict("syn")).map((r) => r.state), [
    "filtered",
    "filtered",
    "filtered",
  ]);
  t.clearHost(1);
  assertEquals(t.decided(1), 0);
});

Deno.test("port table: unsorted port lists come out ascending; verdict codes intern", () => {
  const t = new PortTable(1, [443, 22, 80], "udp");
  for (let p = 0; p < 3; p++) t.set(0, p, { state: "open|filtered", reason: "no-response" });
  assertEquals(t.results(0).map((r) => r.port), [22, 80, 443]);
  const a = verdictCode({ state: "open", reason: "syn-ack" });
  assertEquals(verdictCode({ state: "open", reason: "syn-ack" }), a);
  assertEquals(verdictOf(a), { state: "open", reason: "syn-ack" });
});
