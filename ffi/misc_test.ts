import assert from "node:assert/strict";
import { replyFilter } from "./filter.ts";
import { createFrameBatch, frameAt, packFrames } from "./frame_batch.ts";
import { parseProcArp } from "./neighbours.ts";
import { linkLayerOf } from "./pcap.ts";
import { describeError, OsError, PcapError } from "./errors.ts";

Deno.test("reply filter: addressed to us, ICMP or our source ports, optional sources/ARP/NDP", () => {
  assert.equal(
    replyFilter({ localAddresses: ["10.251.0.1"], ports: { from: 40000, to: 40255 } }),
    "(ip and dst host 10.251.0.1 and (icmp or ((tcp or udp or sctp) and dst portrange 40000-40255)))",
  );
  assert.equal(
    replyFilter({
      localAddresses: ["10.251.0.1", "fd00:251:0::1"],
      targets: ["10.251.0.2", "10.251.0.3"],
      ports: { from: 7, to: 7 },
      arp: true,
      ndp: true,
    }),
    "(ip and dst host 10.251.0.1 and (icmp or ((tcp or udp or sctp) and dst port 7)) and (src host 10.251.0.2 or src host 10.251.0.3))" +
      " or (ip6 and dst host fd00:251::1 and (icmp6 or ((tcp or udp or sctp) and dst port 7)))" +
      " or (arp and arp[6:2] = 2) or (icmp6 and ip6[40] = 136)",
  );
  const many = Array.from({ length: 40 }, (_, i) => `10.251.1.${i}`);
  assert.ok(!replyFilter({ localAddresses: ["10.251.0.1"], targets: many }).includes("src host"));
  assert.throws(() => replyFilter({ localAddresses: ["10.251.0.1 or 1=1"] }), /not an IP address/);
  assert.throws(() => replyFilter({ localAddresses: [] }), /at least one/);
});

Deno.test("frame batches pack and unpack by the shared index layout", () => {
  const b = createFrameBatch(2, 10);
  const n = packFrames(b, [
    new Uint8Array([1, 2, 3]),
    new Uint8Array([4, 5, 6, 7]),
    new Uint8Array([8]),
  ]);
  assert.equal(n, 2);
  assert.deepEqual([...b.index.subarray(0, 8)], [0, 3, 0, 0, 3, 4, 0, 0]);
  assert.deepEqual(frameAt(b, 1), new Uint8Array([4, 5, 6, 7]));
});

Deno.test("/proc/net/arp: complete entries only", () => {
  const text = `IP address       HW type     Flags       HW address            Mask     Device
10.251.0.2       0x1         0x2         5a:8c:51:06:99:0B     *        phA
10.251.0.77      0x1         0x0         00:00:00:00:00:00     *        phA
`;
  assert.deepEqual(parseProcArp(text), [{
    family: 4,
    address: "10.251.0.2",
    mac: "5a:8c:51:06:99:0b",
    iface: "phA",
  }]);
});

Deno.test("datalinks we read: Ethernet, raw IP, cooked v1/v2, BSD loopback; others refused", () => {
  assert.deepEqual(linkLayerOf(1), { kind: "ethernet", headerLength: 14 });
  assert.deepEqual(linkLayerOf(12), { kind: "raw", headerLength: 0 });
  assert.deepEqual(linkLayerOf(113), { kind: "cooked", headerLength: 16 });
  assert.deepEqual(linkLayerOf(276), { kind: "cooked2", headerLength: 20 });
  assert.equal(linkLayerOf(127), null); // 802.11 radiotap
});

Deno.test("errors say what failed and how to fix it, in one line", () => {
  assert.equal(
    describeError(new PcapError("dlopen", "libpcap not found", { hint: "install libpcap0.8" })),
    "libpcap not found (install libpcap0.8)",
  );
  const e = new OsError("socket", 1, "Operation not permitted", "run as root");
  assert.equal(e.code, "EPERM");
  assert.equal(describeError(e), "socket: Operation not permitted (run as root)");
});
