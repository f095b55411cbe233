import { assertEquals } from "../tests/testing/assert.ts";
import {
  formatIpv6,
  formatMac,
  ipv4ToU32,
  isIpv4,
  isIpv6,
  parseIpv6,
  parseMac,
  solicitedNodeAddress,
  u32ToIpv4,
} from "./addr.ts";

Deno.test("IPv4 text <-> number", () => {
  assertEquals(ipv4ToU32("10.0.0.1"), 0x0a000001);
  assertEquals(ipv4ToU32("255.255.255.255"), 0xffffffff);
  assertEquals(u32ToIpv4(0xc0a80101), "192.168.1.1");
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "", "1..2.3"]) {
    assertEquals(isIpv4(bad), false, bad);
  }
});

Deno.test("IPv6 parse and RFC 5952 format", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not ::
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run wins
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of equal runs wins
    ["fe80::0202:b3ff:fe1e:8329", "fe80::202:b3ff:fe1e:8329"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1::", "1::"],
  ];
  for (const [input, want] of cases) assertEquals(formatIpv6(parseIpv6(input)), want, input);
  for (const bad of ["1:2:3:4:5:6:7", "1::2::3", "12345::", ":1", "1:2:3:4:5:6:7:8:9", "g::"]) {
    assertEquals(isIpv6(bad), false, bad);
  }
});

Deno.test("MACs and the solicited-node group", () => {
  assertEquals(formatMac(parseMac("02:AB:cd:0:1:ff")), "02:ab:cd:00:01:ff");
  assertEquals(
    formatIpv6(solicitedNodeAddress(parseIpv6("fd00::1234:5678"))),
    "ff02::1:ff34:5678",
  );
});
