import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { resolveRoute, RouteError, sourceOptionsProblem } from "./route.ts";
import { interfaces, type NetInterface } from "../../ffi/mod.ts";
import { RawSession } from "./raw_session.ts";
import { createFrameBatch, type FrameBatch } from "../../ffi/frame_batch.ts";

const root = Deno.uid?.() === 0;

Deno.test("route: 127.0.0.1 goes over loopback with zero MACs", () => {
  const r = resolveRoute("127.0.0.1");
  assertEquals(r.iface, "lo");
  assert(r.loopback);
  assertEquals(r.family, 4);
  assertEquals(r.source, "127.0.0.1");
  assertEquals(Array.from(r.dstMac!), [0, 0, 0, 0, 0, 0]);
  assertEquals(r.linkKind, "ethernet");
  assertEquals(r.onLink, false);
});

Deno.test("route: interfaces already read are taken as they are, the kernel still picks the route", () => {
  const known = interfaces().map((i) => i.name === "lo" ? { ...i, mtu: 1234 } : i);
  const r = resolveRoute("127.0.0.1", {}, known);
  assertEquals(r.iface, "lo");
  assertEquals(r.source, "127.0.0.1");
  assertEquals(r.mtu, 1234); // from the list given, not read again
  assertEquals({ ...r, mtu: undefined }, { ...resolveRoute("127.0.0.1"), mtu: undefined });
});

Deno.test("route: ::1 goes over loopback", () => {
  const r = resolveRoute("::1");
  assertEquals(r.iface, "lo");
  assertEquals(r.family, 6);
  assertEquals(r.source, "::1");
});

Deno.test("route: bad interface and family mismatch are one-line errors", () => {
  let err: unknown;
  try {
    resolveRoute("127.0.0.1", { iface: "nosuchif0" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof RouteError && /nosuchif0/.test(err.message));
  err = undefined;
  try {
    resolveRoute("127.0.0.1", { source: "::1" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof RouteError);
});

Deno.test({
  name: "session: opens on lo, sends a frame, sees nothing addressed elsewhere, closes",
  ignore: !root,
  fn() {
    const fake = {
      frameBatch: (n: number, bytes: number) => createFrameBatch(n, bytes),
      parseBatch: (b: FrameBatch, n: number) => ({ b, n }),
    };
    const route = resolveRoute("127.0.0.1");
    const s = RawSession.open({ route, core: fake, filter: "dst host 127.0.0.254 and udp" });
    try {
      assertEquals(s.linkType, 1); // Ethernet framing on Linux loopback
      assertEquals(s.poll(() => {}), 0);
    } finally {
      s.close();
    }
    assert(s.closed);
    s.close(); // idempotent
  },
});

Deno.test("-e and -S are checked as nmap does, with nmap's words", () => {
  const eth0 = {
    name: "eth0",
    addresses: [
      { family: 4, address: "10.0.0.1", prefixLength: 24, scope: "global" },
      { family: 6, address: "fe80::1", prefixLength: 64, scope: "link" },
    ],
  } as NetInterface;
  const v4only = { name: "tun0", addresses: [eth0.addresses[0]!] } as NetInterface;
  const list = [eth0, v4only];
  const check = (o: { iface?: string; source?: string; family?: 4 | 6 }) =>
    sourceOptionsProblem({ family: 4, ...o }, list);
  assertEquals(check({}), undefined);
  assertEquals(check({ iface: "eth0" }), undefined);
  assertEquals(check({ iface: "eth0", family: 6 }), undefined);
  assertEquals(check({ source: "10.0.0.1" }), undefined);
  assertEquals(check({ source: "fe80:0::1", family: 6 }), undefined); // any spelling of it
  assertEquals(check({ source: "192.0.2.7", iface: "eth0" }), undefined); // spoofing with -e
  assertEquals(
    check({ iface: "nosuch0" }),
    "I cannot figure out what source address to use for device nosuch0, does it even exist?",
  );
  assertEquals(
    check({ iface: "tun0", family: 6 }),
    "I cannot figure out what source address to use for device tun0, does it even exist?",
  );
  assert(check({ source: "192.0.2.7" })!.startsWith("Could not figure out what device"));
  assertEquals(
    check({ source: "192.0.2.7", iface: "nosuch0" }),
    "Could not find interface nosuch0 which was specified by -e",
  );
});
