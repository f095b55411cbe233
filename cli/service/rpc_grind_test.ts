/**
 * RPC identification against RPC servers on 127.0.0.1 that answer with the lab's recorded
 * replies (tests/data/real-daemons.json: rpcbind's and rpc.statd's answers to nmap's RPCCheck),
 * the xid set to the call's; the portmapper's list is rpcbind 1.2.6's registrations in the lab.
 */

import assert from "node:assert/strict";
import { words } from "../../tests/testing/xdr.ts";
import { fromBase64 } from "../../tests/lab/replay.ts";
import type { HostResult, PortResult } from "../model/mod.ts";
import { grindPort, groupRegistrations, identifyRpcPorts, rpcVersionText } from "./rpc_grind.ts";
import { ACCEPT, concatBytes, parsePmapDump, PMAP_DUMP, recordMarked, takeRecord } from "./rpc.ts";
import { BUILTIN_RPC_PROGRAMS, RpcPrograms } from "./rpc_programs.ts";

interface CorpusPort {
  daemon: string;
  proto: string;
  port: number;
  blobs: string[];
}
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("../../tests/data/real-daemons.json", import.meta.url)),
) as { ports: CorpusPort[] };
/** A recorded reply (UDP's datagram form). */
const recorded = (daemon: string, proto: string) => {
  const p = corpus.ports.find((x) => x.daemon === daemon && x.proto === proto)!;
  const b = fromBase64(p.blobs[0]!);
  return proto === "tcp" ? takeRecord(b)!.record : b;
};
// rpcbind: PROG_MISMATCH 2-4 for program 100000; statd: PROG_UNAVAIL for any other program.
const MISMATCH_2_4 = recorded("rpcbind", "udp");
const UNAVAIL = recorded("rpc.statd", "udp");

/** A server's programs: number → [lowest, highest] version. */
type Programs = Map<number, [number, number]>;

/** The answer to a call: a recorded reply with the call's xid (and versions), or a DUMP list. */
function answer(call: Uint8Array, programs: Programs, dump?: Uint8Array): Uint8Array {
  const v = new DataView(call.buffer, call.byteOffset, call.byteLength);
  const [xid, prog, vers, proc] = [0, 12, 16, 20].map((o) => v.getUint32(o));
  const reply = (base: Uint8Array, tail: Uint8Array = new Uint8Array()) => {
    const r = concatBytes(base, tail);
    new DataView(r.buffer).setUint32(0, xid!);
    return r;
  };
  const range = programs.get(prog!);
  if (range && proc === PMAP_DUMP && dump && vers! >= range[0] && vers! <= range[1]) {
    // Accepted, SUCCESS: the recorded header with accept_stat 0, then the list.
    const head = UNAVAIL.slice();
    new DataView(head.buffer).setUint32(20, ACCEPT.SUCCESS);
    return reply(head, dump);
  }
  if (!range) return reply(UNAVAIL);
  const r = reply(MISMATCH_2_4);
  new DataView(r.buffer).setUint32(24, range[0]);
  new DataView(r.buffer).setUint32(28, range[1]);
  return r;
}

/**
 * An RPC server on 127.0.0.1 over TCP and UDP on one port number; counts the calls. `dump`
 * gives its portmapper list, from its own port.
 */
function serve(programs: Programs, dump?: (port: number) => Uint8Array) {
  let calls = 0;
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (tcp.addr as Deno.NetAddr).port;
  const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
  const list = dump?.(port);
  (async () => {
    for await (const conn of tcp) {
      (async () => {
        let buf: Uint8Array = new Uint8Array();
        const chunk = new Uint8Array(4096);
        try {
          for (;;) {
            const n = await conn.read(chunk);
            if (n === null) break;
            buf = concatBytes(buf, chunk.subarray(0, n));
            for (let r = takeRecord(buf); r; r = takeRecord(buf)) {
              buf = buf.slice(r.used);
              calls++;
              await conn.write(recordMarked(answer(r.record, programs, list)));
            }
          }
        } catch { /* the client closed */ }
        conn.close();
      })();
    }
  })();
  (async () => {
    try {
      for await (const [msg, from] of udp) {
        calls++;
        await udp.send(answer(msg, programs, list), from);
      }
    } catch { /* closed */ }
  })();
  return {
    port,
    get calls() {
      return calls;
    },
    close() {
      tcp.close();
      udp.close();
    },
  };
}

const PROGRAMS = new RpcPrograms(BUILTIN_RPC_PROGRAMS);
const ctx = { address: "127.0.0.1", programs: PROGRAMS, timeoutMs: 2000 };

Deno.test("grindPort: rpc.statd's program and versions, over TCP and over UDP", async () => {
  const srv = serve(new Map([[100024, [1, 1]]]));
  try {
    for (const proto of ["tcp", "udp"] as const) {
      assert.deepEqual(await grindPort(ctx, srv.port, proto), { program: 100024, low: 1, high: 1 });
    }
    // Grinding stops once found: far fewer calls than programs known, twice.
    const index = BUILTIN_RPC_PROGRAMS.findIndex((p) => p.number === 100024);
    assert.ok(srv.calls <= 2 * (index + 1 + 4), `${srv.calls} calls`);
  } finally {
    srv.close();
  }
});

Deno.test("grindPort: a program no table knows is not found", async () => {
  const srv = serve(new Map([[0x20000001, [1, 1]]])); // a user-defined program (RFC 5531 §13)
  try {
    assert.equal(await grindPort(ctx, srv.port, "tcp"), undefined);
    assert.equal(srv.calls, BUILTIN_RPC_PROGRAMS.length);
  } finally {
    srv.close();
  }
});

const port = (
  protocol: "tcp" | "udp",
  n: number,
  service?: PortResult["service"],
): PortResult => ({ protocol, port: n, state: "open", reason: "syn-ack", service });

/** rpcbind's list in the lab: itself in versions 2-4, statd on `statd` (portmap 2's form). */
const labDump = (pm: number, statd: number) =>
  words(
    ...[2, 3, 4].flatMap((v) => [1, 100000, v, 6, pm, 1, 100000, v, 17, pm]),
    ...[1, 100024, 1, 17, statd, 1, 100024, 1, 6, statd],
    0,
  );

Deno.test("identifyRpcPorts: the portmapper's list names statd's ports; rpcbind is ground", async () => {
  const statd = serve(new Map([[100024, [1, 1]]]));
  const srv = serve(new Map([[100000, [2, 4]]]), (own) => labDump(own, statd.port));
  try {
    const host = {
      address: "127.0.0.1",
      ports: [
        port("tcp", srv.port, { name: "rpcbind", method: "probed", confidence: 10 }),
        port("udp", srv.port, { name: "rpcbind", method: "probed", confidence: 10 }),
        port("tcp", statd.port, {
          name: "unknown",
          method: "table",
          confidence: 3,
          fingerprint: "SF:x",
        }),
        { ...port("udp", statd.port), state: "open|filtered" as const },
      ],
    } as unknown as HostResult;
    await identifyRpcPorts(host, host.ports, { ...ctx, portmapperPort: srv.port });
    const shown = host.ports.map((p) =>
      `${
        p.port === srv.port ? "pm" : "statd"
      }/${p.protocol} ${p.service?.name} ${p.service?.version} (${p.service?.extraInfo}) ${p.service?.method} ${
        p.service?.fingerprint ?? ""
      }`
        .trimEnd()
    );
    assert.deepEqual(shown, [
      "pm/tcp rpcbind 2-4 (RPC #100000) probed",
      "pm/udp rpcbind 2-4 (RPC #100000) probed",
      // Soft-matched from the list: the fingerprint stays, as nmap's set_port_version keeps it.
      "statd/tcp status 1 (RPC #100024) probed SF:x",
      "statd/udp status 1 (RPC #100024) probed",
    ]);
  } finally {
    srv.close();
    statd.close();
  }
});

Deno.test("groupRegistrations: versions in order, the higher program wins a shared port", () => {
  const list = parsePmapDump(
    words(
      ...[3, 4, 2].flatMap((v) => [1, 100003, v, 6, 2049]),
      ...[3, 2].flatMap((v) => [1, 100227, v, 6, 2049]),
      ...[1, 100005, 1, 17, 20048, 1, 100005, 3, 17, 20048],
      0,
    ),
    2,
  )!;
  assert.deepEqual(Object.fromEntries(groupRegistrations(list)), {
    "2049/tcp": { program: 100227, versions: [2, 3] },
    "20048/udp": { program: 100005, versions: [1, 3] },
  });
  assert.equal(rpcVersionText(1, 4), "1-4");
  assert.equal(rpcVersionText(1, 1), "1");
});
