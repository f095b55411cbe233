// Golden vectors: ICMPv6 time-exceeded messages a Linux router sent quoting probes that carry
// IPv6 extension headers (Destination Options, a Fragment header, Hop-by-Hop Options), as
// traceroute gets them back (tests/data/core/golden_ipv6_ext.ts says how they were captured).
// tcpdump's reading of each probe is the oracle for what the quote must yield: the transport
// behind the extension chain, its ports (none for a non-first fragment), the fragment's id; then
// each reply is rebuilt from its parsed fields and the quote, and must be the same bytes.

import { assert, assertEquals, unhex } from "../tests/testing/assert.ts";
import { IPV6_EXT_FRAMES } from "../tests/data/core/golden_ipv6_ext.ts";
import { formatIpv6, formatMac, Kind, LinkType, packetCore, RecordFlag } from "./mod.ts";

const core = packetCore();

function parseAll() {
  const batch = core.frameBatch(IPV6_EXT_FRAMES.length, IPV6_EXT_FRAMES.length * 2048);
  let off = 0;
  IPV6_EXT_FRAMES.forEach((f, i) => {
    const bytes = unhex(f.hex);
    batch.data.set(bytes, off);
    batch.index.set([off, bytes.length, 0, 0], 4 * i);
    off += bytes.length;
  });
  return core.parseBatch(batch, IPV6_EXT_FRAMES.length, LinkType.EN10MB);
}

/** What tcpdump says a probe carried: addresses, extension headers, ports, fragment id. */
function probeOf(text: string) {
  const m =
    /\) (\S+) > (\S+): ((?:(?:DSTOPT|HBH) \(padn\) |frag \(0x[0-9a-f]+:\d+\|\d+\)(?: |$))+)/m
      .exec(text);
  assert(m, `no extension headers in ${text}`);
  const ports = /(\d+) > (\d+): (?:\[udp sum ok\] )?UDP/.exec(text.slice(m.index + m[0].length));
  const frag = /frag \((0x[0-9a-f]+):(\d+)\|/.exec(m[3]!);
  return {
    src: m[1]!,
    dst: m[2]!,
    ports: ports ? [Number(ports[1]), Number(ports[2])] : undefined,
    fragId: frag ? Number(frag[1]) & 0xffff : 0,
  };
}

Deno.test("golden ICMPv6 time exceeded quoting probes with extension headers: the quote's transport, ports and fragment id", () => {
  const r = parseAll();
  let replies = 0;
  for (let i = 1; i < IPV6_EXT_FRAMES.length; i += 2) {
    const probe = probeOf(IPV6_EXT_FRAMES[i - 1]!.tcpdump);
    const text = IPV6_EXT_FRAMES[i]!.tcpdump;
    const m = /\) (\S+) > (\S+): \[icmp6 sum ok\] ICMP6, time exceeded in-transit for (\S+)/
      .exec(text);
    assert(m, text);
    const what = `frame ${i}: ${text.split("\n")[0]}`;
    assertEquals(r.status(i), 0, what);
    assertEquals(r.kind(i), Kind.ICMP6, what);
    assertEquals([r.icmpType(i), r.icmpCode(i)], [3, 0], what);
    assertEquals(formatIpv6(r.quotedDstV6(i)), m[3], what);
    assertEquals(formatIpv6(r.quotedSrcV6(i)), probe.src, what);
    assertEquals(formatIpv6(r.quotedDstV6(i)), probe.dst, what);
    // The transport behind the chain is UDP; its ports only where the quote holds its header.
    assertEquals(r.quotedProto(i), 17, what);
    assertEquals((r.flags(i) & RecordFlag.QUOTE_PORTS) !== 0, probe.ports !== undefined, what);
    if (probe.ports) {
      assertEquals([r.quotedSrcPort(i), r.quotedDstPort(i)], probe.ports, what);
    }
    assertEquals(r.quotedIpId(i), probe.fragId, what);
    replies++;
  }
  assertEquals(replies, 4);
});

Deno.test("golden ICMPv6 time exceeded with extension headers: rebuilt from the parsed fields, byte for byte", () => {
  const r = parseAll();
  for (let i = 1; i < IPV6_EXT_FRAMES.length; i += 2) {
    const bytes = unhex(IPV6_EXT_FRAMES[i]!.hex);
    // The quote is the ICMPv6 body after its 8-byte header: Ethernet 14 + IPv6 40 + 8.
    const rebuilt = core.buildIcmp({
      linkType: LinkType.EN10MB,
      srcMac: r.srcMac(i).slice(),
      dstMac: r.dstMac(i).slice(),
      src: r.srcV6(i).slice(),
      dst: r.dstV6(i).slice(),
      ttl: r.ttl(i),
      flowLabel: r.flowLabel(i),
      tos: r.tos(i),
      type: r.icmpType(i),
      code: r.icmpCode(i),
      extra: r.icmpExtra(i),
      payload: bytes.subarray(62),
    });
    assertEquals(
      [formatMac(r.srcMac(i)), rebuilt.length],
      [formatMac(bytes.subarray(6, 12)), bytes.length],
    );
    assertEquals(rebuilt, bytes, `frame ${i}`);
  }
});
