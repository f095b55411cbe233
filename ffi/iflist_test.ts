import assert from "node:assert/strict";
import { formatIfList, formatTable } from "./iflist.ts";
import { classify, type NetInterface, parseIfInet6, parseProcNetDev } from "./interfaces.ts";
import { parseProcIpv6Route, parseProcRoute } from "./routes.ts";

const dir = new URL("./testdata/", import.meta.url);
const read = (f: string) => Deno.readTextFileSync(new URL(f, dir));

Deno.test("formatTable pads like NmapOutputTable and leaves no trailing spaces", () => {
  assert.equal(
    formatTable([["A", "BB", "C"], ["AAA", "", "C"], ["A", "B", ""]]),
    "A   BB C\nAAA    C\nA   B\n",
  );
});

Deno.test("formatIfList reproduces nmap --iflist from the same /proc and /sys facts", () => {
  // The development host: lo, two down ifb devices (BROADCAST|NOARP → "other"), eth0.
  const sys: Record<
    string,
    { flags: number; arphrd: number; mtu: number; mac: string; v4: Array<[string, number]> }
  > = {
    lo: { flags: 0x9, arphrd: 772, mtu: 65536, mac: "00:00:00:00:00:00", v4: [["127.0.0.1", 8]] },
    ifb0: { flags: 0x82, arphrd: 1, mtu: 1500, mac: "8a:6a:55:7e:2d:d3", v4: [] },
    ifb1: { flags: 0x82, arphrd: 1, mtu: 1500, mac: "92:79:e9:42:03:de", v4: [] },
    eth0: {
      flags: 0x1003,
      arphrd: 1,
      mtu: 1400,
      mac: "02:fc:00:00:00:01",
      v4: [["192.0.2.2", 24]],
    },
  };
  const v6 = parseIfInet6(read("host_if_inet6.txt"));
  const ifs: NetInterface[] = parseProcNetDev(read("host_dev.txt")).map((name, i) => {
    const s = sys[name]!;
    return {
      name,
      index: i + 1,
      arphrd: s.arphrd,
      kind: classify(s.flags),
      linkKind: "ethernet",
      mac: s.mac,
      mtu: s.mtu,
      flags: s.flags,
      up: (s.flags & 1) !== 0,
      running: true,
      loopback: (s.flags & 8) !== 0,
      noarp: (s.flags & 0x80) !== 0,
      pointToPoint: false,
      addresses: [
        ...s.v4.map(([address, prefixLength]) => ({
          family: 4 as const,
          address,
          prefixLength,
          scope: "global",
        })),
        ...v6.filter((a) => a.iface === name),
      ],
    };
  });
  const routes = [
    ...parseProcRoute(read("host_route.txt")),
    ...parseProcIpv6Route(read("host_ipv6_route.txt")),
  ];
  assert.equal(formatIfList(ifs, routes), read("host_iflist_nmap.txt"));
});

Deno.test("nmap's interface types from the flags", () => {
  assert.equal(classify(0x9), "loopback");
  assert.equal(classify(0x1003), "ethernet");
  assert.equal(classify(0x82), "other"); // broadcast but NOARP
  assert.equal(classify(0x1091), "point2point"); // tun: UP|POINTOPOINT|NOARP|MULTICAST
});

Deno.test("empty tables print nmap's NONE FOUND lines", () => {
  assert.equal(formatIfList([], []), "INTERFACES: NONE FOUND(!)\nROUTES: NONE FOUND(!)\n");
});
