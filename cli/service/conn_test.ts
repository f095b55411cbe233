import assert from "node:assert/strict";
import dgram from "node:dgram";
import { canonicalAddress, openUdp } from "./conn.ts";

Deno.test("canonicalAddress: one spelling per address", () => {
  assert.equal(canonicalAddress("10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalAddress("FD00:0:0::0001"), "fd00::1");
  assert.equal(canonicalAddress("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalAddress("::1"), "::1");
  assert.equal(canonicalAddress("fe80::1%eth0"), "fe80::1");
});

/** A UDP socket bound on `address`, port chosen by the kernel. */
async function bound(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

Deno.test("openUdp: only the probed address and port's datagrams are replies", async () => {
  // The probed port, and another address and another port of the same host answering in its
  // place: a service bound to 0.0.0.0 replying from its outgoing interface, as inetd's echo does.
  const probed = await bound("127.0.0.1");
  const otherAddress = await bound("127.0.0.2");
  const otherPort = await bound("127.0.0.1");
  probed.on("message", (m, from) => {
    otherAddress.send(Uint8Array.from([1]), from.port, from.address);
    otherPort.send(Uint8Array.from([2]), from.port, from.address);
    setTimeout(() => probed.send(m, from.port, from.address), 50);
  });
  const chan = await openUdp({ address: "127.0.0.1", port: probed.address().port });
  try {
    await chan.write(new TextEncoder().encode("ping"));
    const ev = await chan.next(performance.now() + 2000);
    assert.equal(ev.kind, "data");
    assert.equal(new TextDecoder().decode((ev as { data: Uint8Array }).data), "ping");
    assert.equal((await chan.next(performance.now() + 200)).kind, "timeout");
  } finally {
    chan.close();
    for (const s of [probed, otherAddress, otherPort]) s.close();
  }
});
