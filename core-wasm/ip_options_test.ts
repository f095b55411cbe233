// --ip-options golden bytes: what nmap 7.93 printed as "Binary ip options to be send" for each
// form, and two of its SYNs as tcpdump captured them on lo (a loose source route, timestamps).

import { assertEquals, hex, unhex } from "../tests/testing/assert.ts";
import { type IpOptionsRequest, LinkType, packetCore, type TcpSpec } from "./mod.ts";

const core = packetCore();
const quads = (...q: string[]) => Uint8Array.from(q.flatMap((s) => s.split(".").map(Number)));
const zeros = (n: number) => "00".repeat(n);

Deno.test("ip options: each of nmap's forms, byte for byte", () => {
  const cases: [IpOptionsRequest, string][] = [
    [{ kind: "route", route: "record", hops: quads() }, "01072704" + zeros(36)],
    [
      { kind: "route", route: "record", hops: quads("1.2.3.4", "5.6.7.8") },
      "01072704" + "0102030405060708" + zeros(28),
    ],
    [{ kind: "timestamp", withAddresses: false }, "44280500" + zeros(36)],
    [{ kind: "timestamp", withAddresses: true }, "44240501" + zeros(32)],
    [{ kind: "route", route: "loose", hops: quads() }, "01830704" + zeros(4)],
    [
      { kind: "route", route: "loose", hops: quads("10.0.0.1", "10.0.0.2") },
      "01830f04" + "0a0000010a000002" + zeros(4),
    ],
    [
      { kind: "route", route: "strict", hops: quads("1.2.3.4") },
      "01890b04" + "01020304" + zeros(4),
    ],
    [
      {
        kind: "route",
        route: "strict",
        hops: quads(...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${i}.${i}.${i}.${i}`)),
      },
      "01892704" + [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `0${i}`.repeat(4)).join("") + zeros(4),
    ],
    [{ kind: "bytes", bytes: unhex("88041234") }, "88041234"],
  ];
  for (const [request, expected] of cases) {
    assertEquals(hex(core.buildIpOptions(request).bytes), expected, JSON.stringify(request));
  }
  // A source route knows its first hop and the target's slot; the others need neither.
  const lsrr = core.buildIpOptions({ kind: "route", route: "loose", hops: quads("10.0.0.1") });
  assertEquals([lsrr.firstHop, lsrr.lastHop], [4, 8]);
  assertEquals(
    core.buildIpOptions({ kind: "route", route: "loose", hops: quads() }).lastHop,
    undefined,
  );
});

/** nmap --ip-options "L 10.0.0.9" -sS -p 7 127.0.0.1: sent to the hop, the target in the last slot. */
const NMAP_LSRR_SYN = "48000038892200003206de027f0000010a000009" + "01830b040a0000097f000001" +
  "cb5900079d76e7e3000000006002040045690000020405b4";
/** nmap --ip-options T -sS -p 8 127.0.0.1. */
const NMAP_TS_SYN = "4f000054f62d000037063c4c7f0000017f000001" + "44280500" + zeros(36) +
  "af910008103d83f3000000006002040052 5a0000020405b4".replace(" ", "");

const syn = (o: Partial<TcpSpec>): TcpSpec => ({
  src: "127.0.0.1",
  dst: "127.0.0.1",
  srcPort: 1,
  dstPort: 1,
  window: 1024,
  options: [{ kind: "mss", value: 1460 }],
  linkType: LinkType.RAW,
  ...o,
});

Deno.test("ip options: nmap's SYNs rebuilt (the builder and a template)", () => {
  const lsrr = core.buildIpOptions({ kind: "route", route: "loose", hops: quads("10.0.0.9") });
  const ts = core.buildIpOptions({ kind: "timestamp", withAddresses: false });
  const lsrrSpec = syn({
    ttl: 50,
    ipId: 0x8922,
    srcPort: 52057,
    dstPort: 7,
    seq: 0x9d76e7e3,
    ipOptions: lsrr,
  });
  const tsSpec = syn({
    ttl: 55,
    ipId: 0xf62d,
    srcPort: 44945,
    dstPort: 8,
    seq: 0x103d83f3,
    ipOptions: ts,
  });
  assertEquals(hex(core.buildTcp(lsrrSpec)), NMAP_LSRR_SYN);
  assertEquals(hex(core.buildTcp(tsSpec)), NMAP_TS_SYN);
  for (const [spec, golden] of [[lsrrSpec, NMAP_LSRR_SYN], [tsSpec, NMAP_TS_SYN]] as const) {
    const t = core.probeTemplate({
      protocol: "tcp",
      ...spec,
      dst: "10.9.9.9",
      srcPort: 9,
      seq: 0,
      capacity: 1,
    });
    t.ipId[0] = spec.ipId!;
    t.srcPort[0] = spec.srcPort;
    t.dstPort[0] = spec.dstPort;
    t.seq[0] = spec.seq!;
    t.dstV4[0] = 0x7f000001;
    const out = core.emitBatch(t, 1);
    assertEquals(hex(out.data.subarray(0, t.frameLength)), golden);
  }
});

Deno.test("ip options: IPv6 datagrams carry none", () => {
  const v6 = syn({
    src: "::1",
    dst: "::1",
    ipOptions: core.buildIpOptions({ kind: "timestamp", withAddresses: false }),
  });
  assertEquals(core.buildTcp(v6).length, 40 + 24);
});
