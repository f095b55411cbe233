// Properties: parse(build(x)) == x over seeded random x, for every protocol and link type;
// checksums agree with an independent plain-TS implementation; templates agree with the
// allocating builder.

import { assert, assertEquals, hex, rng } from "../tests/testing/assert.ts";
import { Gen, type GenCase, mismatch, referenceCrc32c } from "./_frame_gen.ts";
import { Kind, LinkType, packetCore, RecordFlag } from "./mod.ts";

const core = packetCore();
const batch = core.frameBatch(1, 70000);

function parseOne(c: GenCase, verifyChecksums = true) {
  batch.data.set(c.frame, 0);
  batch.index.set([0, c.frame.length, 0, 0]);
  return core.parseBatch(batch, 1, c.link, { verifyChecksums });
}

// ---- independent checksum reference (RFC 1071 by the book: 16-bit big-endian words) ----

function refSum(bytes: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) s += bytes[bytes.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}
const refChecksum = (b: Uint8Array, init = 0) => ~refSum(b, init) & 0xffff;
const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** Recomputes every checksum in an IP frame with the reference and compares to the field. */
function checkChecksumsIndependently(frame: Uint8Array, l3: number, l4: number, proto: number) {
  const v = frame[l3]! >> 4;
  if (v === 4) {
    const ihl = (frame[l3]! & 15) * 4;
    const hdr = frame.slice(l3, l3 + ihl);
    const field = be16(hdr, 10);
    hdr[10] = hdr[11] = 0;
    assertEquals(refChecksum(hdr), field, "IPv4 header checksum");
  }
  const total = v === 4 ? be16(frame, l3 + 2) + l3 : be16(frame, l3 + 4) + 40 + l3;
  const seg = frame.slice(l4, total);
  if (proto === 132) {
    // SCTP: CRC32c (RFC 9260 Appendix A) over the packet with a zero field, low byte first.
    const field = new DataView(seg.buffer).getUint32(8, true);
    seg.fill(0, 8, 12);
    assertEquals(field, referenceCrc32c(seg), "SCTP CRC32c");
    return;
  }
  const off = proto === 6 ? 16 : proto === 17 ? 6 : 2;
  const field = be16(seg, off);
  seg[off] = seg[off + 1] = 0;
  let pseudo = 0;
  if (proto !== 1) {
    const addrs = v === 4 ? frame.slice(l3 + 12, l3 + 20) : frame.slice(l3 + 8, l3 + 40);
    pseudo = refSum(addrs) + proto + seg.length;
  }
  let want = refChecksum(seg, pseudo);
  if (proto === 17 && want === 0) want = 0xffff;
  assertEquals(field, want, `transport checksum (proto ${proto})`);
}

Deno.test("parse(build(x)) == x for 3000 random frames over all kinds and link types", () => {
  const g = new Gen(core, rng(0x5eed));
  const kinds = new Set<string>();
  for (let n = 0; n < 3000; n++) {
    const c = g.any();
    kinds.add(c.what.replace(/\/.*/, ""));
    const r = parseOne(c);
    const bad = mismatch(r, 0, c);
    assert(bad === undefined, `case ${n}: ${bad}\n${hex(c.frame)}`);
    const k = r.kind(0);
    if (k !== Kind.ARP) {
      assert(r.flags(0) & RecordFlag.CSUM_VERIFIED, `case ${n} ${c.what}: checksum not verified`);
      checkChecksumsIndependently(c.frame, r.l3Offset(0), r.l4Offset(0), r.ipProto(0));
    }
  }
  assertEquals(kinds.size, 15, [...kinds].join(","));
});

Deno.test("checksum and RFC 1624 adjustment agree with the reference", () => {
  const g = new Gen(core, rng(7));
  for (let n = 0; n < 2000; n++) {
    const b = g.bytes(g.int(1600));
    const c = core.checksum(b);
    assertEquals(c, refChecksum(b), `length ${b.length}`);
    // Change one aligned word and compare the incremental update with a full sum.
    if (b.length >= 2) {
      const at = g.int(b.length >> 1) * 2;
      const old = be16(b, at);
      const nw = g.u16();
      b[at] = nw >> 8;
      b[at + 1] = nw & 255;
      const adj = core.checksumAdjust(c, old, nw);
      // One's complement has two zeros; the adjusted and full sums agree modulo that.
      const full = refChecksum(b);
      assert(adj === full || (adj ^ full) === 0xffff && (adj === 0 || full === 0), `adjust`);
    }
    if (b.length >= 4) {
      const c2 = core.checksum(b);
      const at = g.int(b.length >> 2) * 4;
      const old = ((be16(b, at) << 16) | be16(b, at + 2)) >>> 0;
      const nw = g.u32();
      b.set([nw >>> 24, (nw >>> 16) & 255, (nw >>> 8) & 255, nw & 255], at);
      const adj = core.checksumAdjust32(c2, old, nw);
      const full = refChecksum(b);
      assert(adj === full || (adj ^ full) === 0xffff && (adj === 0 || full === 0), `adjust32`);
    }
  }
});

Deno.test("templates emit what the allocating builder builds, for every protocol and link", () => {
  const g = new Gen(core, rng(99));
  const links = [
    LinkType.EN10MB,
    LinkType.LINUX_SLL,
    LinkType.LINUX_SLL2,
    LinkType.NULL,
    LinkType.LOOP,
    LinkType.RAW,
  ];
  const cap = 32;
  for (const family of [4, 6]) {
    for (const link of links) {
      for (const protocol of ["tcp", "udp", "icmp"] as const) {
        const base = {
          linkType: link,
          srcMac: g.mac(),
          dstMac: g.mac(),
          src: family === 4 ? g.u32() : g.v6(),
          dst: family === 4 ? g.u32() : g.v6(),
          ttl: 1 + g.int(255),
          df: g.bool(),
          tos: g.u8(),
          flowLabel: family === 6 ? g.int(1 << 20) : undefined,
          vlan: link === LinkType.EN10MB && g.bool() ? g.u16() : undefined,
        };
        const payload = g.bytes(g.int(40));
        const t = protocol === "tcp"
          ? core.probeTemplate({
            ...base,
            protocol,
            srcPort: 1,
            dstPort: 2,
            flags: 0x02,
            window: 1024,
            options: [{ kind: "mss", value: 1460 }],
            capacity: cap,
          })
          : protocol === "udp"
          ? core.probeTemplate({
            ...base,
            protocol,
            srcPort: 1,
            dstPort: 2,
            payload,
            capacity: cap,
          })
          : core.probeTemplate({ ...base, protocol, id: 1, seq: 2, payload, capacity: cap });
        // Untouched inputs carry the template's own values.
        assertEquals([t.srcPort[cap - 1], t.dstPort[cap - 1]], [
          protocol === "icmp" ? 0 : 1,
          protocol === "icmp" ? 0 : 2,
        ]);
        for (let i = 0; i < cap; i++) {
          t.dstV4[i] = g.u32();
          t.dstV6.set(g.v6(), 16 * i);
          t.srcPort[i] = g.u16();
          t.dstPort[i] = g.u16();
          t.seq[i] = g.u32();
          t.ack[i] = g.u32();
          t.ipId[i] = g.u16();
          t.icmpId[i] = g.u16();
          t.icmpSeq[i] = g.u16();
        }
        const out = core.emitBatch(t, cap);
        const r = core.parseBatch(out, cap, link);
        assertEquals(r.okCount, cap, `${protocol}${family} on ${link}`);
        for (let i = 0; i < cap; i++) {
          assert(r.flags(i) & RecordFlag.CSUM_VERIFIED);
          const dst = family === 4 ? t.dstV4[i]! : t.dstV6.slice(16 * i, 16 * i + 16);
          const spec = { ...base, dst, ipId: t.ipId[i] };
          const want = protocol === "tcp"
            ? core.buildTcp({
              ...spec,
              srcPort: t.srcPort[i]!,
              dstPort: t.dstPort[i]!,
              seq: t.seq[i],
              ack: t.ack[i],
              flags: 0x02,
              window: 1024,
              options: [{ kind: "mss", value: 1460 }],
            })
            : protocol === "udp"
            ? core.buildUdp({ ...spec, srcPort: t.srcPort[i]!, dstPort: t.dstPort[i]!, payload })
            : core.buildIcmpEcho({ ...spec, id: t.icmpId[i]!, seq: t.icmpSeq[i]!, payload });
          assertEquals(hex(r.frame(i)), hex(want), `${protocol}${family} link ${link} probe ${i}`);
        }
      }
    }
  }
});
