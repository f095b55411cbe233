/**
 * ONC RPC messages as version detection needs them (RFC 5531): a call with no
 * credentials, its reply, TCP's record marking, and the portmapper's DUMP list
 * (RFC 1833: portmap version 2, rpcbind versions 3 and 4). Bytes only, no I/O.
 *
 * ```ts
 * const call = rpcCall({ xid: 7, program: 100000, version: 123456, procedure: 0 });
 * const reply = parseRpcReply(datagram); // { xid: 7, acceptStat: 2, low: 2, high: 4, … }
 * ```
 *
 * @module
 */

/** msg_type. */
const CALL = 0;
const REPLY = 1;
/** reply_stat: MSG_ACCEPTED. */
const MSG_ACCEPTED = 0;
/** The RPC protocol version every call carries. */
const RPC_VERSION = 2;

/** accept_stat values (RFC 5531 section 9). */
export const ACCEPT = {
  SUCCESS: 0,
  PROG_UNAVAIL: 1,
  PROG_MISMATCH: 2,
  PROC_UNAVAIL: 3,
  GARBAGE_ARGS: 4,
  SYSTEM_ERR: 5,
} as const;

/** The portmapper's program number, and its DUMP procedure in every version. */
export const PORTMAP_PROGRAM = 100000;
export const PMAP_DUMP = 4;
/** The NULL procedure every program has: it does nothing, and answers. */
export const NULL_PROCEDURE = 0;

/** What a call asks. */
export interface RpcCallFields {
  xid: number;
  program: number;
  version: number;
  procedure: number;
}

/** A call with AUTH_NONE credentials and verifier and no arguments (40 bytes). */
export function rpcCall(c: RpcCallFields): Uint8Array {
  const out = new Uint8Array(40);
  const v = new DataView(out.buffer);
  // xid, CALL, rpcvers, prog, vers, proc; cred and verf: flavour 0, length 0.
  const words = [c.xid, CALL, RPC_VERSION, c.program, c.version, c.procedure, 0, 0, 0, 0];
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0));
  return out;
}

/** One message as one TCP record: a 4-byte mark (last fragment, length) before it (section 11). */
export function recordMarked(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + msg.length);
  new DataView(out.buffer).setUint32(0, (0x80000000 | msg.length) >>> 0);
  out.set(msg, 4);
  return out;
}

/**
 * The first whole record in a TCP byte stream: its fragments joined, and how many bytes it took;
 * undefined while more bytes are needed.
 */
export function takeRecord(stream: Uint8Array): { record: Uint8Array; used: number } | undefined {
  const parts: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    if (stream.length < off + 4) return undefined;
    const mark = new DataView(stream.buffer, stream.byteOffset + off, 4).getUint32(0);
    const len = mark & 0x7fffffff;
    if (stream.length < off + 4 + len) return undefined;
    parts.push(stream.subarray(off + 4, off + 4 + len));
    off += 4 + len;
    if (mark & 0x80000000) break;
  }
  return { record: concatBytes(...parts), used: off };
}

/** The parts one after another, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An accepted reply: its accept_stat, the versions of a PROG_MISMATCH, and the results. */
export interface RpcReply {
  xid: number;
  acceptStat: number;
  /** PROG_MISMATCH: the lowest and highest versions the program serves. */
  low?: number;
  high?: number;
  /** What follows accept_stat (a SUCCESS's results). */
  body: Uint8Array;
}

/** Reads big-endian words off a buffer, undefined past its end. */
class Words {
  off = 0;
  readonly #v: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(): number | undefined {
    if (this.off + 4 > this.bytes.length) return undefined;
    const w = this.#v.getUint32(this.off);
    this.off += 4;
    return w;
  }
  /** An XDR opaque or string: a length, the bytes, padding to 4. */
  opaque(): Uint8Array | undefined {
    const n = this.u32();
    if (n === undefined || this.off + n > this.bytes.length) return undefined;
    const b = this.bytes.subarray(this.off, this.off + n);
    this.off += (n + 3) & ~3;
    return b;
  }
}

/**
 * The reply in `msg` (one datagram, or one TCP record) when it is an accepted reply;
 * undefined for a call, a denied reply or bytes that are no RPC at all.
 */
export function parseRpcReply(msg: Uint8Array): RpcReply | undefined {
  const r = new Words(msg);
  const xid = r.u32();
  if (xid === undefined || r.u32() !== REPLY || r.u32() !== MSG_ACCEPTED) return undefined;
  if (r.u32() === undefined || r.opaque() === undefined) return undefined; // the verifier
  const acceptStat = r.u32();
  if (acceptStat === undefined) return undefined;
  const reply: RpcReply = { xid, acceptStat, body: msg.subarray(r.off) };
  if (acceptStat === ACCEPT.PROG_MISMATCH) {
    const low = r.u32(), high = r.u32();
    if (low === undefined || high === undefined) return undefined;
    reply.low = low;
    reply.high = high;
  }
  return reply;
}

/** One registration in a portmapper's list. */
export interface PmapEntry {
  program: number;
  version: number;
  /** "tcp", "udp", or another netid ("tcp6", "local", …; a number for an unknown protocol). */
  netid: string;
  /** The port, when the address is TCP's or UDP's. */
  port?: number;
}

/** IPPROTO numbers of portmap version 2's entries. */
const PMAP_PROTOCOLS: Record<number, string> = { 6: "tcp", 17: "udp" };

/**
 * The entries of a DUMP's results (a SUCCESS reply's body) in portmapper `version` 2, 3 or 4;
 * undefined when the list is cut short. Versions 3 and 4 give universal addresses (RFC 5665:
 * "h.h.h.h.p1.p2", the port p1 * 256 + p2).
 */
export function parsePmapDump(body: Uint8Array, version: number): PmapEntry[] | undefined {
  const r = new Words(body);
  const out: PmapEntry[] = [];
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  for (;;) {
    const more = r.u32();
    if (more === undefined) return undefined;
    if (more === 0) return out;
    const program = r.u32(), vers = r.u32();
    if (program === undefined || vers === undefined) return undefined;
    if (version > 2) {
      const netid = r.opaque(), addr = r.opaque(), owner = r.opaque();
      if (!netid || !addr || !owner) return undefined;
      // NetApp pads its netids with NULs (nmap's rpc.lua trims them too).
      const e: PmapEntry = { program, version: vers, netid: text(netid).replace(/\0.*$/s, "") };
      const m = /^.*\.(\d+)\.(\d+)$/s.exec(text(addr));
      if (/^[tu][cd]p6?$/.test(e.netid) && m) e.port = Number(m[1]) * 256 + Number(m[2]);
      out.push(e);
    } else {
      const proto = r.u32(), port = r.u32();
      if (proto === undefined || port === undefined) return undefined;
      out.push({ program, version: vers, netid: PMAP_PROTOCOLS[proto] ?? String(proto), port });
    }
  }
}
