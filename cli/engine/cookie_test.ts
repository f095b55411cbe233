import { assert, assertEquals as assertEquals_, assertNotEquals } from "./_assert.ts";
import { CookieJar, FlowCookies, SOURCE_PORT_BASE } from "./cookie.ts";

Deno.test("cookie: hash is deterministic per key and differs across keys", () => {
  const a = new CookieJar([1, 2]);
  const b = new CookieJar([1, 2]);
  const c = new CookieJar([1, 3]);
  assertEquals_(a.hash3(10, 20, 30), b.hash3(10, 20, 30));
  assertNotEquals(a.hash3(10, 20, 30), c.hash3(10, 20, 30));
  assertNotEquals(a.hash3(10, 20, 30), a.hash3(10, 20, 31));
  const h = a.hash3(0xffffffff, 0x80000000, 7);
  assert(h >= -0x80000000 && h <= 0x7fffffff && Number.isInteger(h), "an int32");
});

Deno.test("cookie: one input bit flips about half the output bits", () => {
  const jar = new CookieJar([0xdeadbeef, 0x12345678]);
  let flipped = 0;
  const n = 2000;
  for (let i = 0; i < n; i++) {
    const x = jar.hash3(i, 443, 9) ^ jar.hash3(i ^ 1 << (i % 32), 443, 9);
    let bits = 0;
    for (let v = x >>> 0; v; v &= v - 1) bits++;
    flipped += bits;
  }
  const mean = flipped / n;
  assert(mean > 14 && mean < 18, `mean flipped bits ${mean}`);
});

Deno.test("cookie: source port encodes the try number and round-trips", () => {
  const f = new FlowCookies(new CookieJar([5, 6]));
  const host = f.jar.addressDigest(0x7f000001);
  for (const dport of [1, 22, 80, 443, 65535]) {
    const seen = new Set<number>();
    for (let t = 0; t < 30; t++) {
      const sp = f.sourcePort(host, dport, t);
      assert(sp >= SOURCE_PORT_BASE && sp <= 65535);
      seen.add(sp);
      assertEquals_(f.tryNumber(host, dport, sp, 30), t);
    }
    assertEquals_(seen.size, 30);
    // A port beyond the allowed tries is rejected.
    assertEquals_(f.tryNumber(host, dport, f.sourcePort(host, dport, 30), 30), -1);
    assertEquals_(f.tryNumber(host, dport, 80, 30), -1);
  }
});

Deno.test("cookie: reply matching follows RFC 793 reset rules", () => {
  const f = new FlowCookies(new CookieJar([7, 8]));
  const host = f.jar.addressDigest(0x0a000002);
  const seq = f.sequence(host, 22, 40000);
  const ACK = 0x10, RST = 0x04, SYN = 0x02, FIN = 0x01;
  const syn = FlowCookies.sequenceSpace(SYN);
  assertEquals_(syn, 1);
  assertEquals_(FlowCookies.sequenceSpace(SYN | FIN), 2);
  assertEquals_(FlowCookies.sequenceSpace(0), 0);
  // SYN-ACK or RST+ACK to a SYN: ack = seq + 1, exactly.
  assert(FlowCookies.matches(seq, SYN | ACK, 12345, (seq + 1) >>> 0, syn));
  assert(FlowCookies.matches(seq, RST | ACK, 0, (seq + 1) >>> 0, syn));
  assert(!FlowCookies.matches(seq, SYN | ACK, 0, (seq + 2) >>> 0, syn));
  assert(!FlowCookies.matches(seq, SYN | ACK, 0, seq, syn));
  // RST+ACK to a NULL probe: ack = seq.
  assert(FlowCookies.matches(seq, RST | ACK, 0, seq, 0));
  assert(!FlowCookies.matches(seq, RST | ACK, 0, (seq + 1) >>> 0, 0));
  // RST to an ACK probe: seq = the probe's ack (= cookie), no ACK flag.
  assert(FlowCookies.matches(seq, RST, seq, 0, 0));
  assert(!FlowCookies.matches(seq, RST, (seq + 1) >>> 0, 0, 0));
  // Wraparound at 2^32.
  assert(FlowCookies.matches(0xffffffff, SYN | ACK, 0, 0, 1));
});

Deno.test("cookie: IPv6 digests depend on every byte", () => {
  const jar = new CookieJar([9, 10]);
  const a = new Uint8Array(16);
  a[15] = 1;
  const base = jar.addressDigest(a);
  for (let i = 0; i < 16; i++) {
    const b = a.slice();
    b[i]! ^= 0x40;
    assertNotEquals(jar.addressDigest(b), base);
  }
});
