import { assertEquals } from "../tests/testing/assert.ts";
import { builtinIpProtocols, parseIpProtocols } from "./ip_protocols.ts";
import { missingTools } from "../tests/_oracle.ts";

Deno.test("ip protocols: nmap-protocols lines, the first name of a number winning", () => {
  const names = parseIpProtocols(
    "# comment\nicmp 1 ICMP # Internet Control\ngre\t47\tGRE\nother 47\nbig 300\nbad x\n",
  );
  assertEquals([names[1], names[47], names[2]], ["icmp", "gre", undefined]);
  assertEquals(names.length, 256);
});

Deno.test("ip protocols: the built-in table has IANA's keywords, none for unassigned numbers", () => {
  const b = builtinIpProtocols();
  assertEquals(
    [b[0], b[1], b[2], b[6], b[17], b[47], b[50], b[58], b[132], b[143]],
    ["hopopt", "icmp", "igmp", "tcp", "udp", "gre", "esp", "ipv6-icmp", "sctp", "ethernet"],
  );
  assertEquals([b[61], b[200], b[255]], [undefined, undefined, undefined]);
});

Deno.test({
  name: "ip protocols: the built-in names equal nmap-protocols' but where nmap departs from IANA",
  ignore: missingTools("nmap").length > 0,
  fn() {
    const nmap = parseIpProtocols(Deno.readTextFileSync("/usr/share/nmap/nmap-protocols"));
    const ours = builtinIpProtocols();
    const differ = [];
    for (let n = 0; n < 256; n++) if (nmap[n] !== ours[n]) differ.push(n);
    // nmap's own words for IANA's unnamed "any host internal protocol" and the like (61, 63,
    // 68, 99, 114), older keywords (48 dsp, 55 mobile, 124 isis-ipv4, 135 mobility-hdr), and
    // its experimental 253/254 and no NSH (145).
    assertEquals(differ, [48, 55, 61, 63, 68, 99, 114, 124, 135, 145, 253, 254]);
  },
});
