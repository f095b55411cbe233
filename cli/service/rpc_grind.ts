/**
 * What nmap 7.93's -sV learns of ONC RPC ports after probing, through its two "version" NSE
 * scripts (run at intensity 7 and more):
 *
 * 1. rpcinfo: port 111's portmapper lists its programs (DUMP, rpcbind version 4, 3, then
 *    portmap 2); every listed TCP or UDP port of the host that is open (or open|filtered) and
 *    not named otherwise by a match gets the program's name, "RPC #number" and the versions
 *    listed ("1-4", or "1"), soft-matched (a fingerprint already there stays).
 * 2. rpc-grind: every port then named "rpcbind" gets NULL calls with an unlikely version over
 *    the program numbers of nmap-rpc (rpc_programs.ts), four connections at a time, until one
 *    answers PROG_MISMATCH: that program, with the lowest and highest versions the answer
 *    gives, hard-matched.
 *
 * The VERSION column then reads as nmap's: "rpcbind 2-4 (RPC #100000)", "status 1 (RPC
 * #100024)". Where nmap 7.93's rpcinfo walks a Lua table in hash order, and so names a port
 * that two programs share (NFS's 2049: nfs and nfs_acl) after either, the higher program
 * number wins here. nmap's rpc-grind also asks every port with no name from probing whether it
 * speaks RPC at all; here that question is the RPCCheck probe's, which at intensity 7 every
 * port has been sent already (and an answer to it names the port "rpcbind").
 *
 * @module
 */

import type { HostResult, PortResult, ServiceInfo } from "../model/mod.ts";
import { type Channel, connectTcp, type Endpoint, openUdp } from "./conn.ts";
import {
  ACCEPT,
  concatBytes,
  NULL_PROCEDURE,
  parsePmapDump,
  parseRpcReply,
  PMAP_DUMP,
  type PmapEntry,
  PORTMAP_PROGRAM,
  recordMarked,
  rpcCall,
  type RpcReply,
  takeRecord,
} from "./rpc.ts";
import type { RpcPrograms } from "./rpc_programs.ts";

/** The portmapper's well-known port, where nmap's rpcinfo asks. */
export const PORTMAPPER_PORT = 111;
/** nmap's rpc-grind: connections per port ground at once (its rpc-grind.threads). */
export const GRIND_THREADS = 4;
/** How long a call waits for its connection and its reply. */
export const RPC_TIMEOUT_MS = 5000;

/** Where and how RPC is asked. */
export interface RpcContext {
  address: string;
  sourceAddress?: string;
  programs: RpcPrograms;
  /** Per call (default {@link RPC_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Trace lines (--version-trace). */
  trace?: (line: string) => void;
  /** Where the portmapper is asked (default {@link PORTMAPPER_PORT}; tests move it). */
  portmapperPort?: number;
}

/** A program identified on a port. */
export interface RpcIdentity {
  program: number;
  low: number;
  high: number;
}

/** An RPC conversation over one TCP connection or one connected UDP socket. */
class RpcConversation {
  #pending: Uint8Array = new Uint8Array(0);
  private constructor(readonly chan: Channel, readonly tcp: boolean) {}

  static async open(
    ctx: RpcContext,
    port: number,
    protocol: "tcp" | "udp",
  ): Promise<RpcConversation | undefined> {
    const ep: Endpoint = { address: ctx.address, port, sourceAddress: ctx.sourceAddress };
    try {
      const chan = protocol === "tcp"
        ? await connectTcp(ep, ctx.timeoutMs ?? RPC_TIMEOUT_MS)
        : await openUdp(ep);
      return new RpcConversation(chan, protocol === "tcp");
    } catch (e) {
      ctx.trace?.(`RPC: connect to ${port}/${protocol} failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Sends a call and returns its accepted reply (undefined: none in time, or not one). */
  async call(msg: Uint8Array, xid: number, timeoutMs: number): Promise<RpcReply | undefined> {
    try {
      await this.chan.write(this.tcp ? recordMarked(msg) : msg);
    } catch {
      return undefined;
    }
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let record: Uint8Array | undefined;
      if (this.tcp) {
        const got = takeRecord(this.#pending);
        if (got) {
          record = got.record;
          this.#pending = this.#pending.slice(got.used);
        }
      }
      if (!record) {
        const ev = await this.chan.next(deadline);
        if (ev.kind !== "data") return undefined;
        if (!this.tcp) record = ev.data;
        else {
          this.#pending = concatBytes(this.#pending, ev.data);
          continue;
        }
      }
      const reply = parseRpcReply(record);
      // A stray datagram (a late answer to an earlier call) is passed over.
      if (reply?.xid === xid) return reply;
      if (this.tcp) return undefined;
    }
  }

  close(): void {
    this.chan.close();
  }
}

const randomWord = () => crypto.getRandomValues(new Uint32Array(1))[0]!;

/**
 * The portmapper's list over `protocol`: DUMP in rpcbind version 4, then 3, then portmap 2
 * (the first that answers SUCCESS), as nmap's rpc.Helper.RpcInfo asks; undefined if none does.
 */
export async function portmapperList(
  ctx: RpcContext,
  protocol: "tcp" | "udp",
  port = PORTMAPPER_PORT,
): Promise<PmapEntry[] | undefined> {
  const timeout = ctx.timeoutMs ?? RPC_TIMEOUT_MS;
  for (let version = 4; version >= 2; version--) {
    const conv = await RpcConversation.open(ctx, port, protocol);
    if (!conv) return undefined;
    try {
      const xid = randomWord();
      const call = rpcCall({ xid, program: PORTMAP_PROGRAM, version, procedure: PMAP_DUMP });
      const reply = await conv.call(call, xid, timeout);
      if (reply?.acceptStat === ACCEPT.SUCCESS) {
        const list = parsePmapDump(reply.body, version);
        if (list) return list;
      }
      ctx.trace?.(`RPC: portmapper ${port}/${protocol} gave no list in version ${version}`);
    } finally {
      conv.close();
    }
  }
  return undefined;
}

/**
 * Grinds one port: NULL calls over the known programs with a version no program serves, on
 * {@link GRIND_THREADS} connections, until one answers PROG_MISMATCH. Undefined when none does.
 */
export async function grindPort(
  ctx: RpcContext,
  port: number,
  protocol: "tcp" | "udp",
): Promise<RpcIdentity | undefined> {
  const list = ctx.programs.list;
  const timeout = ctx.timeoutMs ?? RPC_TIMEOUT_MS;
  let next = 0;
  let found: RpcIdentity | undefined;
  const worker = async () => {
    const conv = await RpcConversation.open(ctx, port, protocol);
    if (!conv) return;
    try {
      let xid = randomWord() % 123456789;
      // nmap's rpc-grind: a random version between 12345 and 123456789, most likely unserved.
      const version = 12345 + randomWord() % (123456789 - 12345);
      while (!found && next < list.length) {
        const program = list[next++]!.number;
        xid = (xid + 1) >>> 0;
        const call = rpcCall({ xid, program, version, procedure: NULL_PROCEDURE });
        const reply = await conv.call(call, xid, timeout);
        if (!reply) return; // no answer: this connection is done, as nmap's thread is
        if (reply.acceptStat === ACCEPT.PROG_MISMATCH) {
          found ??= { program, low: reply.low!, high: reply.high! };
        } else if (reply.acceptStat !== ACCEPT.PROG_UNAVAIL) {
          ctx.trace?.(
            `RPC: ${port}/${protocol} answered accept state ${reply.acceptStat} for program ${program}`,
          );
        }
      }
    } finally {
      conv.close();
    }
  };
  await Promise.all(Array.from({ length: GRIND_THREADS }, worker));
  return found;
}

/** "1-4", or "1" when one version: the VERSION nmap's scripts give. */
export function rpcVersionText(low: number, high: number): string {
  return low === high ? String(high) : `${low}-${high}`;
}

/** The port's service after an RPC identification (other fields of a match kept). */
function identified(
  s: ServiceInfo | undefined,
  name: string | undefined,
  program: number,
  version: string,
): ServiceInfo {
  const out: ServiceInfo = { ...(s ?? { name: "unknown" }), method: "probed", confidence: 10 };
  if (name !== undefined) out.name = name;
  out.version = version;
  out.extraInfo = `RPC #${program}`;
  return out;
}

const rpcCandidate = (p: PortResult) =>
  (p.protocol === "tcp" || p.protocol === "udp") &&
  (p.state === "open" || p.state === "open|filtered");

/**
 * Names the host's RPC ports, after probing, as nmap's rpcinfo and rpc-grind do (see the module
 * comment). `probed` are the ports version detection was asked to look at (not excluded).
 */
export async function identifyRpcPorts(
  host: HostResult,
  probed: readonly PortResult[],
  ctx: RpcContext,
): Promise<void> {
  // 1. rpcinfo, on 111/tcp (else 111/udp): one list serves both, as nmap's registry keeps it.
  const pmPort = ctx.portmapperPort ?? PORTMAPPER_PORT;
  const pm = host.ports.filter((p) => p.port === pmPort && rpcCandidate(p))
    .sort((a, b) => (a.protocol === "tcp" ? -1 : b.protocol === "tcp" ? 1 : 0));
  for (const p111 of pm) {
    const list = await portmapperList(ctx, p111.protocol as "tcp" | "udp", pmPort);
    if (!list) continue;
    const overrides = p111.service?.name === "rpcbind";
    for (const [key, reg] of groupRegistrations(list)) {
      const [portText, proto] = key.split("/");
      const target = host.ports.find((p) =>
        p.port === Number(portText) && p.protocol === proto && rpcCandidate(p)
      );
      if (!target) continue;
      if (!overrides && target.service && target.service.method !== "table") continue;
      const vs = reg.versions;
      const version = vs.length > 1 ? `${vs[0]}-${vs[vs.length - 1]}` : String(vs[0]);
      target.service = identified(
        target.service,
        ctx.programs.name(reg.program),
        reg.program,
        version,
      );
      ctx.trace?.(`RPC: ${key} is program ${reg.program} (portmapper's list)`);
    }
    break;
  }
  // 2. rpc-grind, on every port now named rpcbind.
  const grind = probed.filter((p) => rpcCandidate(p) && p.service?.name === "rpcbind");
  await Promise.all(grind.map(async (p) => {
    const id = await grindPort(ctx, p.port, p.protocol as "tcp" | "udp");
    if (!id) {
      ctx.trace?.(`RPC: ${p.port}/${p.protocol} answered no program of the ones known`);
      return;
    }
    const s = identified(
      p.service,
      ctx.programs.name(id.program),
      id.program,
      rpcVersionText(id.low, id.high),
    );
    delete s.fingerprint; // hard-matched: nmap prints no fingerprint
    p.service = s;
    ctx.trace?.(`RPC: ${p.port}/${p.protocol} is program ${id.program} (grinding)`);
  }));
}

/**
 * The portmapper's registrations by "port/proto" (TCP and UDP ones): for each, the program
 * named last in ascending program order, with its versions in ascending order, its port the
 * last one listed for that program and protocol (nmap's rpc.lua keeps the last).
 */
export function groupRegistrations(
  list: readonly PmapEntry[],
): Map<string, { program: number; versions: number[] }> {
  // program → proto → { port, versions }
  const progs = new Map<number, Map<string, { port?: number; versions: number[] }>>();
  for (const e of list) {
    let byProto = progs.get(e.program);
    if (!byProto) progs.set(e.program, byProto = new Map());
    let t = byProto.get(e.netid);
    if (!t) byProto.set(e.netid, t = { versions: [] });
    t.port = e.port;
    t.versions.push(e.version);
  }
  const out = new Map<string, { program: number; versions: number[] }>();
  for (const program of [...progs.keys()].sort((a, b) => a - b)) {
    for (const [netid, t] of progs.get(program)!) {
      if ((netid !== "tcp" && netid !== "udp") || t.port === undefined) continue;
      out.set(`${t.port}/${netid}`, { program, versions: [...t.versions].sort((a, b) => a - b) });
    }
  }
  return out;
}
