import { assertEquals } from "../../tests/testing/assert.ts";
import { icmpOpenReason, PROTOCOL_SILENT, protocolIcmpVerdict } from "./ip_protocol.ts";

const verdict = (family: 4 | 6, type: number, code: number, fromTarget = true) => {
  const v = protocolIcmpVerdict(family, type, code, fromTarget);
  return v && `${v.state} ${v.reason}`;
};

Deno.test("-sO: ICMP errors quoting a probe decide its protocol as nmap's rules do", () => {
  // IPv4 destination unreachable: protocol unreachable closes, port unreachable opens (the
  // transport was reached), both only from the target itself.
  assertEquals(verdict(4, 3, 2), "closed proto-unreach");
  assertEquals(verdict(4, 3, 2, false), "filtered proto-unreach");
  assertEquals(verdict(4, 3, 3), "open port-unreach");
  assertEquals(verdict(4, 3, 3, false), "filtered port-unreach");
  assertEquals(verdict(4, 3, 1), "filtered host-unreach");
  assertEquals(verdict(4, 3, 13), "filtered admin-prohibited");
  assertEquals(verdict(4, 3, 10), "filtered host-prohibited");
  assertEquals(verdict(4, 11, 0), "filtered time-exceeded");
  assertEquals(verdict(4, 3, 4), null); // fragmentation needed: nmap acts on nothing
  assertEquals(verdict(4, 4, 0), null);
  // ICMPv6: parameter problem's "unrecognised next header" closes, "erroneous field" opens.
  assertEquals(verdict(6, 4, 1), "closed param-problem");
  assertEquals(verdict(6, 4, 1, false), "filtered param-problem");
  assertEquals(verdict(6, 4, 0), "open param-problem");
  assertEquals(verdict(6, 1, 4), "open port-unreach");
  assertEquals(verdict(6, 1, 1), "filtered admin-prohibited");
  assertEquals(verdict(6, 1, 3), "filtered host-unreach");
  assertEquals(verdict(6, 1, 7), null);
  assertEquals(verdict(6, 3, 0), null);
});

Deno.test("-sO: ICMP is open on any ICMP from the target, by that message's reason", () => {
  assertEquals(icmpOpenReason(0, 0), "echo-reply");
  assertEquals(icmpOpenReason(3, 2), "proto-unreach");
  assertEquals(icmpOpenReason(3, 3), "port-unreach");
  assertEquals(`${PROTOCOL_SILENT.state} ${PROTOCOL_SILENT.reason}`, "open|filtered no-response");
});
