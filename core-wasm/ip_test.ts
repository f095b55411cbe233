import assert from "node:assert/strict";
import {
  canonicalIp,
  formatIPv6,
  formatMac,
  maskBits,
  parseIp,
  parseIPv4,
  parseIPv6,
  parseMac,
  prefixMatch,
} from "./ip.ts";

Deno.test("IPv4 parse rejects what is not four decimal octets", () => {
  assert.deepEqual(parseIPv4("10.251.0.1"), new Uint8Array([10, 251, 0, 1]));
  for (const bad of ["10.251.0", "10.251.0.256", "1.2.3.4.5", "a.b.c.d", "", "1..2.3"]) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

Deno.test("IPv6 text is printed as glibc inet_ntop prints it (nmap's --iflist)", () => {
  const cases: Array<[string, string]> = [
    ["fe80:0:0:0:fc:ff:fe00:1", "fe80::fc:ff:fe00:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"], // a single zero group stays
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"], // the longest run wins
    ["1:0:0:1:1:0:0:1", "1::1:1:0:0:1"], // first of equal runs
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["FD00:251::2", "fd00:251::2"],
    ["fe80::1%eth0", "fe80::1"],
  ];
  for (const [input, want] of cases) assert.equal(formatIPv6(parseIPv6(input)!), want, input);
  for (const bad of ["1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "g::"]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});

Deno.test("prefix arithmetic", () => {
  const a = parseIp("10.251.0.7")!.bytes;
  assert.ok(prefixMatch(a, parseIp("10.251.0.0")!.bytes, 24));
  assert.ok(!prefixMatch(a, parseIp("10.251.1.0")!.bytes, 24));
  assert.ok(prefixMatch(a, parseIp("10.250.0.0")!.bytes, 14));
  assert.ok(!prefixMatch(a, parseIp("10.250.0.0")!.bytes, 16));
  assert.ok(prefixMatch(a, new Uint8Array(4), 0));
  assert.equal(maskBits(new Uint8Array([255, 255, 254, 0])), 23);
  assert.equal(maskBits(new Uint8Array([255, 0, 255, 0])), -1);
  assert.equal(canonicalIp("fd00:0251:0::0002"), "fd00:251::2");
});

Deno.test("MAC text", () => {
  assert.equal(formatMac(parseMac("02:FC:00:00:00:01")!), "02:fc:00:00:00:01");
  assert.equal(parseMac("02:fc:00:00:00"), null);
  assert.equal(parseMac("02:fc:00:00:00:zz"), null);
});
