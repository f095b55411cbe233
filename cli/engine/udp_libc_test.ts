import assert from "node:assert/strict";
import { udpLibcAvailable, udpLibcConnect } from "./udp_libc.ts";

Deno.test({
  name: "nse udp: a closed local port reads as nmap's 'Connection refused', not a timeout",
  ignore: !udpLibcAvailable(),
  async fn() {
    // A port that was just free: bind, note it, release it.
    const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const conn = udpLibcConnect("127.0.0.1", port);
    try {
      await conn.send(new Uint8Array([3]));
      const t0 = performance.now();
      await assert.rejects(conn.read(10_000), /Connection refused/);
      assert.ok(performance.now() - t0 < 9_000, "waited for the timeout");
    } finally {
      conn.close();
    }
  },
});

Deno.test({
  name: "nse udp: datagrams both ways with a local echo, and a silent peer times out",
  ignore: !udpLibcAvailable(),
  async fn() {
    const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (peer.addr as Deno.NetAddr).port;
    const conn = udpLibcConnect("127.0.0.1", port);
    try {
      assert.equal(conn.info.rport, port);
      assert.equal(conn.info.lhost, "127.0.0.1");
      await assert.rejects(conn.read(50), /TIMEOUT/);
      await conn.send(new Uint8Array([0, 1, 255]));
      const [got, from] = await peer.receive();
      assert.deepEqual(got, new Uint8Array([0, 1, 255]));
      assert.equal((from as Deno.NetAddr).port, conn.info.lport);
      await peer.send(new Uint8Array([9, 0, 9]), from);
      assert.deepEqual(await conn.read(5_000), new Uint8Array([9, 0, 9]));
    } finally {
      conn.close();
      peer.close();
    }
  },
});
