import assert from "node:assert/strict";
import { parseProcIpv6Route, parseProcRoute, routeTo, sortRoutes } from "./routes.ts";
import type { NetInterface } from "./interfaces.ts";

const dir = new URL("./testdata/", import.meta.url);
const v4 = parseProcRoute(Deno.readTextFileSync(new URL("host_route.txt", dir)));
const v6 = parseProcIpv6Route(Deno.readTextFileSync(new URL("host_ipv6_route.txt", dir)));

Deno.test("/proc/net/route: host-order hex, masks to prefix lengths, gateways", () => {
  assert.deepEqual(v4, [
    {
      family: 4,
      destination: "0.0.0.0",
      prefixLength: 0,
      gateway: "192.0.2.1",
      metric: 0,
      iface: "eth0",
      flags: 3,
    },
    {
      family: 4,
      destination: "192.0.2.0",
      prefixLength: 24,
      gateway: undefined,
      metric: 0,
      iface: "eth0",
      flags: 1,
    },
  ]);
});

Deno.test("/proc/net/ipv6_route: hex metric, RTF_UP only (the kernel's reject route is left out)", () => {
  assert.equal(v6.length, 7);
  assert.ok(!v6.some((r) => r.iface === "lo" && r.prefixLength === 0), "reject route skipped");
  const def = v6.find((r) => r.prefixLength === 0)!;
  assert.deepEqual([def.destination, def.gateway, def.metric, def.iface], [
    "::",
    "fd00::1",
    1024,
    "eth0",
  ]);
});

Deno.test("routes sort as libnetutil's getsysroutes: family, longer prefix, lower metric, table order", () => {
  const order = sortRoutes([...v4, ...v6]).map((r) => `${r.destination}/${r.prefixLength}`);
  assert.deepEqual(order, [
    "192.0.2.0/24",
    "0.0.0.0/0",
    "::1/128",
    "fd00::2/128",
    "fe80::fc:ff:fe00:1/128",
    "fd00::/64",
    "fe80::/64",
    "ff00::/8",
    "::/0",
  ]);
});

function iface(
  name: string,
  index: number,
  addrs: Array<[4 | 6, string, number]>,
  extra: Partial<NetInterface> = {},
): NetInterface {
  return {
    name,
    index,
    arphrd: 1,
    kind: "ethernet",
    linkKind: "ethernet",
    mac: "02:fc:00:00:00:01",
    mtu: 1500,
    flags: 0x1003,
    up: true,
    running: true,
    loopback: false,
    noarp: false,
    pointToPoint: false,
    addresses: addrs.map(([family, address, prefixLength]) => ({
      family,
      address,
      prefixLength,
      scope: address.startsWith("fe80") ? "link" : "global",
    })),
    ...extra,
  };
}

const lo = iface("lo", 1, [[4, "127.0.0.1", 8], [6, "::1", 128]], {
  arphrd: 772,
  kind: "loopback",
  mac: "00:00:00:00:00:00",
  loopback: true,
  flags: 0x9,
});
const eth0 = iface("eth0", 4, [[4, "192.0.2.2", 24], [6, "fe80::fc:ff:fe00:1", 64], [
  6,
  "fd00::2",
  64,
]]);
const down = iface("eth1", 5, [[4, "198.51.100.2", 24]], { up: false, flags: 0x1002 });
const ifs = [lo, eth0, down];
const table = [...v4, ...v6, {
  family: 4 as const,
  destination: "198.51.100.0",
  prefixLength: 24,
  metric: 0,
  iface: "eth1",
  flags: 1,
}];
const t = (target: string, opts = {}) => {
  const r = routeTo(target, { interfaces: ifs, routes: table, ...opts });
  return r && [r.iface.name, r.source, r.gateway ?? null, r.nextHop, r.direct, r.local];
};

Deno.test("the table rule: own addresses via loopback, longest prefix, gateways, up links only", () => {
  assert.deepEqual(t("192.0.2.77"), ["eth0", "192.0.2.2", null, "192.0.2.77", true, false]);
  assert.deepEqual(t("203.0.113.5"), ["eth0", "192.0.2.2", "192.0.2.1", "192.0.2.1", false, false]);
  assert.deepEqual(t("192.0.2.2"), ["lo", "192.0.2.2", null, "192.0.2.2", true, true]);
  assert.deepEqual(t("127.0.0.9"), ["lo", "127.0.0.9", null, "127.0.0.9", true, true]);
  assert.deepEqual(t("fd00::9"), ["eth0", "fd00::2", null, "fd00::9", true, false]);
  assert.deepEqual(t("2001:db8::1"), ["eth0", "fd00::2", "fd00::1", "fd00::1", false, false]);
  assert.deepEqual(t("fe80::9"), ["eth0", "fe80::fc:ff:fe00:1", null, "fe80::9", true, false]);
  // eth1 is down: its subnet falls through to the default route.
  assert.deepEqual(t("198.51.100.9"), [
    "eth0",
    "192.0.2.2",
    "192.0.2.1",
    "192.0.2.1",
    false,
    false,
  ]);
});

Deno.test("the table rule honours -e, -S and %zone, and refuses nonsense", () => {
  assert.deepEqual(t("198.51.100.9", { device: "eth1" }), [
    "eth1",
    "198.51.100.2",
    null,
    "198.51.100.9",
    true,
    false,
  ]);
  assert.deepEqual(t("fe80::9%eth0"), ["eth0", "fe80::fc:ff:fe00:1", null, "fe80::9", true, false]);
  assert.deepEqual(t("192.0.2.77", { source: "192.0.2.200" }), [
    "eth0",
    "192.0.2.200",
    null,
    "192.0.2.77",
    true,
    false,
  ]);
  assert.throws(() => t("192.0.2.77", { device: "nope0" }), /no interface named nope0/);
  assert.throws(() => t("192.0.2.77", { source: "fd00::2" }), /different address families/);
  assert.throws(() => t("not-an-address"), /not an IP address/);
  assert.equal(
    routeTo("203.0.113.5", { interfaces: ifs, routes: v4.filter((r) => r.prefixLength > 0) }),
    null,
  );
});
