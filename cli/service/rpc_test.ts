import assert from "node:assert/strict";
import { words } from "../../tests/testing/xdr.ts";
import {
  ACCEPT,
  concatBytes,
  parsePmapDump,
  parseRpcReply,
  recordMarked,
  rpcCall,
  takeRecord,
} from "./rpc.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
/** An XDR string: length, bytes, padding. */
const xdrString = (s: string) => {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(4 + ((b.length + 3) & ~3));
  new DataView(out.buffer).setUint32(0, b.length);
  out.set(b, 4);
  return out;
};

// nmap-service-probes' "Probe TCP RPCCheck": a NULL call to program 100000, version 0x1977c.
const RPC_CHECK = hex(
  "80000028" + "72fe1d13" + "00000000" + "00000002" + "000186a0" + "0001977c" + "00".repeat(20),
);

Deno.test("rpcCall + recordMarked: nmap's RPCCheck probe, byte for byte", () => {
  const call = rpcCall({ xid: 0x72fe1d13, program: 100000, version: 0x1977c, procedure: 0 });
  assert.deepEqual(recordMarked(call), RPC_CHECK);
  assert.deepEqual(call, RPC_CHECK.subarray(4));
});

// rpcbind 1.2.6's answer to RPCCheck over TCP, from the lab's corpus (tests/data/real-daemons.json).
const RPCBIND_TCP = hex("8000002072fe1d1300000001000000000000000000000000000000020000000200000004");
// rpc.statd's answer over UDP: program 100000 is not its own.
const STATD_UDP = hex("72fe1d130000000100000000000000000000000000000001");

Deno.test("takeRecord + parseRpcReply: rpcbind's PROG_MISMATCH, versions 2 to 4", () => {
  const got = takeRecord(RPCBIND_TCP)!;
  assert.equal(got.used, RPCBIND_TCP.length);
  const r = parseRpcReply(got.record)!;
  assert.equal(r.xid, 0x72fe1d13);
  assert.equal(r.acceptStat, ACCEPT.PROG_MISMATCH);
  assert.deepEqual([r.low, r.high], [2, 4]);
});

Deno.test("parseRpcReply: statd's PROG_UNAVAIL; a call, a denied reply and short bytes are none", () => {
  assert.equal(parseRpcReply(STATD_UDP)!.acceptStat, ACCEPT.PROG_UNAVAIL);
  assert.equal(parseRpcReply(RPC_CHECK.subarray(4)), undefined);
  assert.equal(parseRpcReply(words(1, 1, 1, 0, 0)), undefined); // MSG_DENIED
  assert.equal(parseRpcReply(STATD_UDP.subarray(0, 20)), undefined);
  assert.equal(parseRpcReply(RPCBIND_TCP.subarray(4, 36 - 4)), undefined); // mismatch cut short
});

Deno.test("takeRecord: waits for the whole record, joins fragments, leaves what follows", () => {
  assert.equal(takeRecord(RPCBIND_TCP.subarray(0, 20)), undefined);
  assert.equal(takeRecord(RPCBIND_TCP.subarray(0, 3)), undefined);
  const body = RPCBIND_TCP.subarray(4);
  const split = concatBytes(
    words(8),
    body.subarray(0, 8),
    words(0x80000000 | 24),
    body.subarray(8),
  );
  const got = takeRecord(concatBytes(split, hex("ff")))!;
  assert.deepEqual(got.record, body);
  assert.equal(got.used, split.length);
});

Deno.test("parsePmapDump: portmap 2's list", () => {
  const body = words(1, 100000, 2, 6, 111, 1, 100024, 1, 17, 32765, 0);
  assert.deepEqual(parsePmapDump(body, 2), [
    { program: 100000, version: 2, netid: "tcp", port: 111 },
    { program: 100024, version: 1, netid: "udp", port: 32765 },
  ]);
  assert.equal(parsePmapDump(body.subarray(0, body.length - 4), 2), undefined);
});

Deno.test("parsePmapDump: rpcbind 4's list, universal addresses, NUL-padded netids", () => {
  const entry = (prog: number, vers: number, netid: string, addr: string, owner: string) =>
    concatBytes(words(1, prog, vers), xdrString(netid), xdrString(addr), xdrString(owner));
  const body = concatBytes(
    entry(100000, 4, "tcp6", "::.0.111", "superuser"),
    entry(100000, 4, "local", "/run/rpcbind.sock", "superuser"),
    entry(100024, 1, "udp\0\0", "0.0.0.0.127.253", "28"),
    words(0),
  );
  assert.deepEqual(parsePmapDump(body, 4), [
    { program: 100000, version: 4, netid: "tcp6", port: 111 },
    { program: 100000, version: 4, netid: "local" },
    { program: 100024, version: 1, netid: "udp", port: 32765 },
  ]);
});

Deno.test("the built-in database's RPCCheck probes are this module's NULL call", async () => {
  const { builtinProbeDb } = await import("./db.ts");
  const probes = builtinProbeDb().probes.filter((p) => p.name === "RPCCheck");
  const call = rpcCall({ xid: 0x50487263, program: 100000, version: 0x504801, procedure: 0 });
  assert.deepEqual(probes.map((p) => p.protocol).sort(), ["tcp", "udp"]);
  for (const p of probes) {
    assert.deepEqual(p.payload, p.protocol === "tcp" ? recordMarked(call) : call);
  }
});
