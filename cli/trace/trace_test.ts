import { assertEquals } from "../../tests/testing/assert.ts";
import type { HostResult, PortResult } from "../model/mod.ts";
import {
  chooseProbe,
  directTrace,
  HopCache,
  traceHost,
  type TraceIo,
  type TraceReply,
} from "./trace.ts";
import { traceJson, traceLines, traceXml } from "../output/trace.ts";
import { replyTtl, TRACE_SNAPLEN } from "./io.ts";
import { LinkType, packetCore } from "../../core-wasm/mod.ts";
import { IPV6_EXT_FRAMES } from "../../tests/data/core/golden_ipv6_ext.ts";
import { unhex } from "../../tests/testing/assert.ts";

const core = packetCore();

/**
 * replyTtl of one captured frame (Ethernet; or an IP packet, given an Ethernet header here),
 * parsed by the packet core as the trace's capture parses it, cut at the capture's snaplen.
 */
function answers(
  packet: Uint8Array,
  target: string,
  probe: Parameters<typeof replyTtl>[3],
  base: number,
  snaplen = TRACE_SNAPLEN,
) {
  const frame = packet[0]! >> 4 === 4 || packet[0]! >> 4 === 6
    ? new Uint8Array([
      ...new Array(12).fill(2),
      ...(packet[0]! >> 4 === 4 ? [8, 0] : [0x86, 0xdd]),
      ...packet,
    ])
    : packet;
  const batch = core.frameBatch(1, 4096);
  const cut = frame.subarray(0, snaplen);
  batch.data.set(cut);
  batch.index.set([0, cut.length, 0, 0]);
  return replyTtl(core.parseBatch(batch, 1, LinkType.EN10MB), 0, target, probe, base);
}
import { checkPrivileges, parseOptions } from "../options/mod.ts";
import { UsageError } from "../errors.ts";
import { assertThrows } from "../../tests/testing/assert.ts";

/** A path on a virtual clock: `path[i]` answers TTL i+1 (null: silent), then the target. */
class SimIo implements TraceIo {
  t = 0;
  sent: number[] = [];
  #queue: TraceReply[] = [];
  constructor(readonly path: (string | null)[], readonly target: string) {}
  send(ttl: number): number {
    this.sent.push(ttl);
    const from = ttl <= this.path.length ? this.path[ttl - 1] : this.target;
    if (from) this.#queue.push({ ttl, from, at: this.t + ttl * 0.25 });
    return this.t;
  }
  poll(): TraceReply[] {
    const ready = this.#queue.filter((r) => r.at <= this.t);
    this.#queue = this.#queue.filter((r) => r.at > this.t);
    return ready;
  }
  wait(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
  now(): number {
    return this.t;
  }
}

function host(address: string, ports: Partial<PortResult>[] = []): HostResult {
  return {
    address,
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "syn-ack",
    ports: ports.map((p) => ({ protocol: "tcp", port: 0, state: "open", reason: "", ...p })),
    startTime: 0,
    endTime: 0,
  };
}

Deno.test("chooseProbe: nmap's pingprobe_score (closed beats open, spoofed ports lower, ICMP last)", () => {
  const h = host("10.9.0.2", [
    { port: 22, state: "open", reason: "syn-ack" },
    { port: 80, state: "open", reason: "syn-ack" },
    { port: 113, state: "closed", reason: "reset" },
  ]);
  assertEquals(chooseProbe(h, true, false), { proto: "tcp", port: 113 });
  h.ports.push({ protocol: "tcp", port: 443, state: "closed", reason: "reset" });
  assertEquals(chooseProbe(h, true, false), { proto: "tcp", port: 443 });
  assertEquals(chooseProbe(host("10.9.0.2", [{ port: 80, reason: "syn-ack" }]), true, false), {
    proto: "tcp",
    port: 80,
  });
  // A connect scan's answers cannot be sent again as raw probes.
  assertEquals(chooseProbe(host("10.9.0.2", [{ port: 80, reason: "syn-ack" }]), false, false), {
    proto: "icmp",
  });
  const u = host("10.9.0.2", [{
    protocol: "udp",
    port: 53,
    state: "closed",
    reason: "port-unreach",
  }]);
  assertEquals(chooseProbe(u, true, false), { proto: "udp", port: 53 });
  // 161 has three payloads (score 17); 7 (no payload) ties with 53 at 20: the lower port wins.
  u.ports.push({ protocol: "udp", port: 161, state: "open", reason: "udp-response" });
  u.ports.push({ protocol: "udp", port: 7, state: "closed", reason: "port-unreach" });
  assertEquals(chooseProbe(u, true, false), { proto: "udp", port: 7 });
  const filtered = host("10.9.0.2", [{ port: 80, state: "filtered", reason: "no-response" }]);
  assertEquals(chooseProbe(filtered, true, false), { proto: "icmp" });
});

Deno.test("traceHost: hops up to the target, a silent router as an address-less hop", async () => {
  const io = new SimIo(["10.1.0.1", null, "10.3.0.1"], "10.9.0.2");
  const hops = await traceHost("10.9.0.2", io, new HopCache());
  assertEquals(hops.map((h) => [h.ttl, h.ipaddr, h.tag]), [
    [1, "10.1.0.1", "10.9.0.2"],
    [2, undefined, "10.9.0.2"],
    [3, "10.3.0.1", "10.9.0.2"],
    [4, "10.9.0.2", "10.9.0.2"],
  ]);
  // The silent TTL was tried three times (two resends), as nmap's MAX_RESENDS says.
  assertEquals(io.sent.filter((t) => t === 2).length, 3);
});

Deno.test("traceHost: a second target behind the same routers takes the first one's hops", async () => {
  const cache = new HopCache();
  const path = ["10.1.0.1", null, "10.3.0.1"];
  await traceHost("10.9.0.2", new SimIo(path, "10.9.0.2"), cache);
  const hops = await traceHost("10.9.0.3", new SimIo(path, "10.9.0.3"), cache);
  assertEquals(hops.map((h) => [h.ttl, h.ipaddr, h.tag]), [
    [1, "10.1.0.1", "10.9.0.2"],
    [2, undefined, "10.9.0.2"],
    [3, "10.3.0.1", "10.9.0.2"],
    [4, "10.9.0.3", "10.9.0.3"],
  ]);
  const h = host("10.9.0.3");
  h.trace = { proto: "tcp", port: 80, hops };
  assertEquals(traceLines(h), [
    "",
    "TRACEROUTE (using port 80/tcp)",
    "HOP RTT     ADDRESS",
    "-   Hops 1-3 are the same as for 10.9.0.2",
    "4   1.00 ms 10.9.0.3",
  ]);
  assertEquals(traceJson(h), {
    proto: "tcp",
    protoNumber: 6,
    port: 80,
    hops: [
      { ttl: 1, ipaddr: "10.1.0.1", rtt: 0.25, host: undefined, sameAs: "10.9.0.2" },
      { ttl: 2, ipaddr: undefined, rtt: undefined, host: undefined, sameAs: "10.9.0.2" },
      { ttl: 3, ipaddr: "10.3.0.1", rtt: 0.75, host: undefined, sameAs: "10.9.0.2" },
      { ttl: 4, ipaddr: "10.9.0.3", rtt: 1, host: undefined, sameAs: undefined },
    ],
  });
});

Deno.test("traceLines/traceXml: nmap's table, '...' runs, names, and <trace>", () => {
  const h = host("10.9.0.2");
  h.trace = {
    proto: "icmp",
    hops: [
      { ttl: 1, ipaddr: "10.1.0.1", rttMs: 0.054, host: "r1.lab", tag: "10.9.0.2" },
      { ttl: 2, tag: "10.9.0.2" },
      { ttl: 3, tag: "10.9.0.2" },
      { ttl: 4, ipaddr: "10.9.0.2", rttMs: 12.345, tag: "10.9.0.2" },
    ],
  };
  assertEquals(traceLines(h), [
    "",
    "TRACEROUTE (using proto 1/icmp)",
    "HOP RTT      ADDRESS",
    "1   0.05 ms  r1.lab (10.1.0.1)",
    "2   ... 3",
    "4   12.35 ms 10.9.0.2",
  ]);
  assertEquals(traceLines(h, 1).slice(4, 6), ["2   ...", "3   ..."]);
  assertEquals(
    traceXml(h),
    '<trace proto="icmp">\n<hop ttl="1" ipaddr="10.1.0.1" rtt="0.05" host="r1.lab"/>\n' +
      '<hop ttl="4" ipaddr="10.9.0.2" rtt="12.35"/>\n</trace>\n',
  );
  assertEquals(traceLines(host("10.9.0.2")), []);
  assertEquals(traceXml(host("10.9.0.2")), "");
});

Deno.test("replyTtl: time-exceeded quoting our TCP probe, and the target's own answer", () => {
  const me = "10.0.0.1", target = "10.9.0.2", router = "10.3.0.1";
  const probe = { proto: "tcp" as const, port: 80 };
  const sent = core.buildTcp({ src: me, dst: target, ttl: 3, srcPort: 40003, dstPort: 80 });
  // An ICMP error quotes the IP header and the first 8 bytes after it (RFC 792).
  const exceeded = core.buildIcmp({
    src: router,
    dst: me,
    type: 11,
    code: 0,
    payload: sent.subarray(14, 14 + 28),
  });
  assertEquals(answers(exceeded, target, probe, 40000), { ttl: 3, from: router });
  const synack = core.buildTcp({ src: target, dst: me, srcPort: 80, dstPort: 40004, flags: 0x12 });
  assertEquals(answers(synack, target, probe, 40000), { ttl: 4, from: target });
  assertEquals(answers(synack, target, { proto: "tcp", port: 81 }, 40000), undefined);
  assertEquals(answers(exceeded, "10.9.0.9", probe, 40000), undefined);
});

Deno.test("--traceroute is taken, and needs raw packets as nmap says", () => {
  const o = parseOptions(["-sT", "--traceroute", "h"]);
  assertEquals(o.traceroute, true);
  assertEquals(parseOptions(["h"]).traceroute, undefined);
  assertThrows(() => checkPrivileges(o, false), UsageError, "Traceroute has to be run as root");
  checkPrivileges(o, true);
});

Deno.test("directTrace: a directly connected host is one hop at its srtt, under a bare TRACEROUTE", () => {
  const h = host("10.9.0.12");
  h.times = { srtt: 540, rttvar: 100, timeout: 100000 };
  h.trace = directTrace(h);
  assertEquals(traceLines(h), [
    "",
    "TRACEROUTE",
    "HOP RTT     ADDRESS",
    "1   0.54 ms 10.9.0.12",
  ]);
  assertEquals(traceXml(h), '<trace>\n<hop ttl="1" ipaddr="10.9.0.12" rtt="0.54"/>\n</trace>\n');
});

Deno.test("replyTtl (IPv6): hop limit on the probe, ICMPv6 errors quoting it, echo replies", async () => {
  const { packetCore } = await import("../../core-wasm/mod.ts");
  const core = packetCore();
  const me = "fd00:9::1", target = "fd00:9:1::1", router = "fd00:9:21::2";
  const ETH = 14;
  const l3 = (frame: Uint8Array) => frame.subarray(ETH);
  const probe = { proto: "tcp" as const, port: 80 };
  const sent = l3(core.buildTcp({ src: me, dst: target, ttl: 3, srcPort: 40003, dstPort: 80 }));
  // The TTL is the IPv6 hop limit (byte 7) of the probe.
  assertEquals([sent[0]! >> 4, sent[6], sent[7]], [6, 6, 3]);
  const exceeded = l3(core.buildIcmp({ src: router, dst: me, type: 3, code: 0, payload: sent }));
  assertEquals(answers(exceeded, target, probe, 40000), { ttl: 3, from: router });
  const unreach = l3(core.buildIcmp({ src: target, dst: me, type: 1, code: 4, payload: sent }));
  assertEquals(answers(unreach, target, probe, 40000), { ttl: 3, from: target });
  assertEquals(answers(exceeded, "fd00:9:1::2", probe, 40000), undefined);
  // An IPv4-style type (11) means nothing in ICMPv6.
  const bogus = l3(core.buildIcmp({ src: router, dst: me, type: 11, code: 0, payload: sent }));
  assertEquals(answers(bogus, target, probe, 40000), undefined);
  const synack = l3(core.buildTcp({ src: target, dst: me, srcPort: 80, dstPort: 40004 }));
  assertEquals(answers(synack, target, probe, 40000), { ttl: 4, from: target });
  assertEquals(answers(synack, target, { proto: "tcp", port: 81 }, 40000), undefined);
  // ICMPv6 echo: id = base, sequence = TTL, in the reply and in an error's quote.
  const icmp = { proto: "icmp" as const };
  const echo = l3(
    core.buildIcmp({ src: me, dst: target, ttl: 2, type: 128, code: 0, extra: (777 << 16) | 2 }),
  );
  assertEquals([echo[6], echo[7]], [58, 2]);
  const quoted = l3(core.buildIcmp({ src: router, dst: me, type: 3, code: 0, payload: echo }));
  assertEquals(answers(quoted, target, icmp, 777), { ttl: 2, from: router });
  const reply = l3(
    core.buildIcmp({ src: target, dst: me, type: 129, code: 0, extra: (777 << 16) | 5 }),
  );
  assertEquals(answers(reply, target, icmp, 777), { ttl: 5, from: target });
  assertEquals(answers(reply, target, icmp, 778), undefined);
});

Deno.test("replyTtl: ICMPv6 time exceeded quoting probes with extension headers (a Linux router's)", () => {
  const target = "fd00:207:1::1", router = "fd00:207::2";
  const udp = (port: number) => ({ proto: "udp" as const, port });
  const frame = (i: number) => unhex(IPV6_EXT_FRAMES[i]!.hex);
  // Destination Options, then UDP 40001 > 33434: TTL 1 for a base of 40000.
  assertEquals(answers(frame(1), target, udp(33434), 40000), { ttl: 1, from: router });
  // A first fragment after Destination Options (UDP 40002 > 33435), its quote 1232 bytes: the
  // capture keeps the whole error.
  assertEquals(answers(frame(3), target, udp(33435), 40000), { ttl: 2, from: router });
  // The second fragment's quote holds no UDP header: no port, no TTL.
  assertEquals(answers(frame(5), target, udp(33435), 40000), undefined);
  // Hop-by-Hop Options, then UDP 40003 > 33436.
  assertEquals(answers(frame(7), target, udp(33436), 40000), { ttl: 3, from: router });
  assertEquals(answers(frame(7), target, udp(33434), 40000), undefined);
});
