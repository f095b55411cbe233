import { TcpFlag } from "../../core-wasm/mod.ts";
import { assertEquals } from "../../tests/testing/assert.ts";
import {
  icmpErrorVerdict,
  icmpReason,
  SCAN_FLAGS,
  silenceVerdict,
  tcpReplyVerdict,
} from "./tcp_rules.ts";

Deno.test("rules: SYN scan replies", () => {
  assertEquals(tcpReplyVerdict("syn", TcpFlag.SYN | TcpFlag.ACK, 64240), {
    state: "open",
    reason: "syn-ack",
  });
  assertEquals(tcpReplyVerdict("syn", TcpFlag.RST | TcpFlag.ACK, 0), {
    state: "closed",
    reason: "reset",
  });
  assertEquals(tcpReplyVerdict("syn", TcpFlag.SYN, 100), {
    state: "open",
    reason: "split-handshake-syn",
  });
  assertEquals(tcpReplyVerdict("syn", TcpFlag.ACK, 0), null);
  assertEquals(silenceVerdict("syn"), { state: "filtered", reason: "no-response" });
});

Deno.test("rules: FIN/NULL/Xmas/Maimon: RST closed, silence open|filtered", () => {
  for (const k of ["fin", "null", "xmas", "maimon"] as const) {
    assertEquals(tcpReplyVerdict(k, TcpFlag.RST | TcpFlag.ACK, 0), {
      state: "closed",
      reason: "reset",
    });
    // A SYN-ACK to a FIN probe is not an answer nmap acts on.
    assertEquals(tcpReplyVerdict(k, TcpFlag.SYN | TcpFlag.ACK, 0), null);
    assertEquals(silenceVerdict(k), { state: "open|filtered", reason: "no-response" });
  }
});

Deno.test("rules: ACK and Window scans", () => {
  assertEquals(tcpReplyVerdict("ack", TcpFlag.RST, 0), { state: "unfiltered", reason: "reset" });
  assertEquals(tcpReplyVerdict("window", TcpFlag.RST, 512), { state: "open", reason: "reset" });
  assertEquals(tcpReplyVerdict("window", TcpFlag.RST, 0), { state: "closed", reason: "reset" });
  assertEquals(silenceVerdict("ack").state, "filtered");
  assertEquals(silenceVerdict("window").state, "filtered");
});

Deno.test("rules: probe flags as nmap sends them", () => {
  assertEquals(SCAN_FLAGS.syn, TcpFlag.SYN);
  assertEquals(SCAN_FLAGS.null, 0);
  assertEquals(SCAN_FLAGS.xmas, TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG);
  assertEquals(SCAN_FLAGS.maimon, TcpFlag.FIN | TcpFlag.ACK);
});

Deno.test("rules: ICMP unreachable codes for TCP are filtered", () => {
  for (const code of [0, 1, 2, 3, 9, 10, 13]) {
    assertEquals(icmpErrorVerdict(4, 3, code, "tcp", true)?.state, "filtered");
  }
  assertEquals(icmpErrorVerdict(4, 3, 13, "tcp", false), {
    state: "filtered",
    reason: "admin-prohibited",
  });
  assertEquals(icmpErrorVerdict(4, 3, 1, "tcp", false)?.reason, "host-unreach");
  assertEquals(icmpErrorVerdict(4, 3, 4, "tcp", true), null); // frag needed: ignored
  assertEquals(icmpErrorVerdict(4, 11, 0, "tcp", false), {
    state: "filtered",
    reason: "time-exceeded",
  });
  assertEquals(icmpErrorVerdict(4, 5, 0, "tcp", false), null); // redirect
  // UDP: port unreachable from the target is closed, from elsewhere filtered.
  assertEquals(icmpErrorVerdict(4, 3, 3, "udp", true), { state: "closed", reason: "port-unreach" });
  assertEquals(icmpErrorVerdict(4, 3, 3, "udp", false)?.state, "filtered");
});

Deno.test("rules: ICMPv6", () => {
  assertEquals(icmpErrorVerdict(6, 1, 1, "tcp", true), {
    state: "filtered",
    reason: "admin-prohibited",
  });
  assertEquals(icmpErrorVerdict(6, 1, 3, "tcp", false)?.reason, "host-unreach");
  assertEquals(icmpErrorVerdict(6, 1, 4, "udp", true), { state: "closed", reason: "port-unreach" });
  assertEquals(icmpErrorVerdict(6, 1, 0, "tcp", false)?.reason, "no-route");
  assertEquals(icmpReason(6, 129, 0), "echo-reply");
  assertEquals(icmpReason(4, 14, 0), "timestamp-reply");
});
