import { assert, assertEquals, assertThrows } from "../tests/testing/assert.ts";
import {
  canonicalIp,
  formatIp,
  formatIpv6,
  formatMac,
  ipv4ToU32,
  isIpv4,
  isIpv6,
  maskBits,
  parseIp,
  parseIpv4,
  parseIpv6,
  parseMac,
  prefixMatch,
  solicitedNodeAddress,
  splitZone,
  u32ToIpv4,
} from "./addr.ts";

Deno.test("IPv4 text <-> number", () => {
  assertEquals(ipv4ToU32("10.0.0.1"), 0x0a000001);
  assertEquals(ipv4ToU32("255.255.255.255"), 0xffffffff);
  assertEquals(u32ToIpv4(0xc0a80101), "192.168.1.1");
  assertEquals(parseIpv4("10.251.0.1"), new Uint8Array([10, 251, 0, 1]));
  // inet_pton's answers (nmap's for an address literal): no leading zeros, four decimal octets.
  for (
    const bad of [
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "10.0.0.010",
      "a.b.c.d",
      "",
      "1..2.3",
    ]
  ) {
    assertEquals(isIpv4(bad), false, bad);
    assertEquals(parseIpv4(bad), null, bad);
    assertEquals(parseIp(bad), null, bad);
  }
});

Deno.test("IPv6 parse, and format as glibc's inet_ntop (what nmap prints, RFC 5952 style)", () => {
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
    ["fe80:0:0:0:fc:ff:fe00:1", "fe80::fc:ff:fe00:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"],
    ["1:0:0:1:1:0:0:1", "1::1:1:0:0:1"],
    ["FD00:251::2", "fd00:251::2"],
    // inet_ntop's dotted tail: IPv4-mapped and IPv4-compatible (six zero groups first).
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["::2:3", "::0.2.0.3"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
  ];
  for (const [input, want] of cases) assertEquals(formatIpv6(parseIpv6(input)), want, input);
  for (
    const bad of [
      "1:2:3:4:5:6:7",
      "1::2::3",
      "1:::2",
      "12345::",
      ":1",
      "1:2:3:4:5:6:7:8:9",
      "g::",
      "::01.2.3.4",
      "::1.2.3.4:5",
      "fe80::1%eth0",
    ]
  ) {
    assertEquals(isIpv6(bad), false, bad);
  }
  // A zone is the caller's: parseIp drops it, splitZone keeps it apart.
  assertEquals(formatIp(parseIp("fe80::1%eth0")!.bytes), "fe80::1");
  assertEquals(splitZone("fe80::1%eth0"), { address: "fe80::1", zone: "eth0" });
  assertEquals(splitZone("fe80::1"), { address: "fe80::1" });
});

Deno.test("prefix arithmetic and canonical text", () => {
  const a = parseIp("10.251.0.7")!.bytes;
  assert(prefixMatch(a, parseIp("10.251.0.0")!.bytes, 24));
  assert(!prefixMatch(a, parseIp("10.251.1.0")!.bytes, 24));
  assert(prefixMatch(a, parseIp("10.250.0.0")!.bytes, 14));
  assert(!prefixMatch(a, parseIp("10.250.0.0")!.bytes, 16));
  assert(prefixMatch(a, new Uint8Array(4), 0));
  assertEquals(maskBits(new Uint8Array([255, 255, 254, 0])), 23);
  assertEquals(maskBits(new Uint8Array([255, 0, 255, 0])), -1);
  assertEquals(canonicalIp("fd00:0251:0::0002"), "fd00:251::2");
  assertEquals(canonicalIp("10.0.0.1"), "10.0.0.1");
  assertEquals(canonicalIp("10.0.0.01"), null);
});

Deno.test("MACs and the solicited-node group", () => {
  assertEquals(formatMac(parseMac("02:AB:cd:0:1:ff")), "02:ab:cd:00:01:ff");
  assertEquals(formatMac(parseMac("02-FC-00-00-00-01")), "02:fc:00:00:00:01");
  for (const bad of ["02:fc:00:00:00", "02:fc:00:00:00:zz", "02:fc:00:00:00:00:00"]) {
    assertThrows(() => parseMac(bad), TypeError, "not a MAC address");
  }
  assertEquals(
    formatIpv6(solicitedNodeAddress(parseIpv6("fd00::1234:5678"))),
    "ff02::1:ff34:5678",
  );
});
