/**
 * rtnetlink (rtnetlink(7)) over libc: addresses, neighbours (the IPv6
 * neighbour table has no /proc file) and the kernel's own route lookup
 * (RTM_GETROUTE, what `ip route get` and nmap on Linux use). Unprivileged;
 * needs only --allow-ffi.
 *
 * @module
 */

import { AF_NETLINK, lastError, libc, SOCK_CLOEXEC, SOCK_RAW } from "./_libc.ts";
import { OsError } from "./errors.ts";
import { formatIp, formatMac } from "../core-wasm/ip.ts";

const NETLINK_ROUTE = 0;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;
const RTM_NEWNEIGH = 28;
const RTM_GETNEIGH = 30;
const AF_INET = 2;
const AF_INET6 = 10;

/** One netlink message: type plus the bytes after the 16-byte header. */
interface NlMessage {
  type: number;
  body: Uint8Array;
}

let seq = 1;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Sends one request and collects the replies (all parts of a dump). */
function request(type: number, flags: number, body: Uint8Array): NlMessage[] {
  const c = libc();
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw lastError("socket(AF_NETLINK)");
  try {
    const len = 16 + body.length;
    const req = new Uint8Array(len);
    const v = new DataView(req.buffer);
    const mySeq = seq++;
    v.setUint32(0, len, true);
    v.setUint16(4, type, true);
    v.setUint16(6, flags | NLM_F_REQUEST, true);
    v.setUint32(8, mySeq, true);
    req.set(body, 16);
    if (Number(c.send(fd, req, BigInt(len), 0)) < 0) throw lastError("netlink send");
    const out: NlMessage[] = [];
    const buf = new Uint8Array(1 << 16);
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    for (;;) {
      const n = Number(c.recv(fd, buf, BigInt(buf.length), 0));
      if (n < 0) throw lastError("netlink recv");
      if (n === 0) return out;
      const rv = new DataView(buf.buffer, 0, n);
      let off = 0;
      while (off + 16 <= n) {
        const mlen = rv.getUint32(off, true);
        const mtype = rv.getUint16(off + 4, true);
        if (mlen < 16 || off + mlen > n) break;
        if (rv.getUint32(off + 8, true) === mySeq) {
          if (mtype === NLMSG_DONE) return out;
          if (mtype === NLMSG_ERROR) {
            const err = -rv.getInt32(off + 16, true);
            if (err === 0) return out; // an ACK
            throw new OsError("netlink", err, `kernel answered errno ${err}`);
          }
          out.push({ type: mtype, body: buf.slice(off + 16, off + mlen) });
        }
        off += align4(mlen);
      }
      if (!dump && out.length > 0) return out;
    }
  } finally {
    c.close(fd);
  }
}

/** Route attributes (struct rtattr list) from `start` to the end. */
function attrs(body: Uint8Array, start: number): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  const v = new DataView(body.buffer, body.byteOffset, body.length);
  let off = start;
  while (off + 4 <= body.length) {
    const len = v.getUint16(off, true);
    const type = v.getUint16(off + 2, true) & 0x3fff; // drop NLA_F_* bits
    if (len < 4 || off + len > body.length) break;
    if (!m.has(type)) m.set(type, body.subarray(off + 4, off + len));
    off += align4(len);
  }
  return m;
}

function attr(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + data.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + data.length, true);
  v.setUint16(2, type, true);
  out.set(data, 4);
  return out;
}

function u32le(x: number): Uint8Array {
  return new Uint8Array(new Uint32Array([x]).buffer);
}

/** An address assigned to an interface (RTM_GETADDR). */
export interface NetlinkAddress {
  ifindex: number;
  family: 4 | 6;
  address: string;
  bytes: Uint8Array;
  prefixLength: number;
  /** RT_SCOPE_*: 0 universe, 253 link, 254 host. */
  scope: number;
  /** IFA_LABEL (IPv4 only), e.g. "eth0:1". */
  label?: string;
}

/** Every address of every interface, in the kernel's order. */
export function netlinkAddresses(): NetlinkAddress[] {
  const body = new Uint8Array(8); // struct ifaddrmsg, family AF_UNSPEC
  const res: NetlinkAddress[] = [];
  for (const m of request(RTM_GETADDR, NLM_F_DUMP, body)) {
    if (m.type !== RTM_NEWADDR || m.body.length < 8) continue;
    const fam = m.body[0]!;
    if (fam !== AF_INET && fam !== AF_INET6) continue;
    const a = attrs(m.body, 8);
    // IFA_LOCAL (2) is the local address; IFA_ADDRESS (1) is the peer on
    // point-to-point links and the same as IFA_LOCAL elsewhere.
    const bytes = a.get(2) ?? a.get(1);
    if (!bytes) continue;
    const label = a.get(3);
    res.push({
      ifindex: new DataView(m.body.buffer, m.body.byteOffset).getUint32(4, true),
      family: fam === AF_INET ? 4 : 6,
      address: formatIp(bytes),
      bytes: bytes.slice(),
      prefixLength: m.body[1]!,
      scope: m.body[3]!,
      label: label
        ? new TextDecoder().decode(
          label.subarray(0, label.indexOf(0) >= 0 ? label.indexOf(0) : label.length),
        )
        : undefined,
    });
  }
  return res;
}

/** Neighbour states (NUD_*). */
export const Nud = {
  INCOMPLETE: 0x01,
  REACHABLE: 0x02,
  STALE: 0x04,
  DELAY: 0x08,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
} as const;

/** A neighbour-table entry (RTM_GETNEIGH). */
export interface NetlinkNeighbour {
  ifindex: number;
  family: 4 | 6;
  address: string;
  /** Link-layer address when known. */
  mac?: string;
  state: number;
  /** Is the MAC usable (reachable, stale, delay, probe, permanent, noarp)? */
  valid: boolean;
}

/** The kernel's neighbour table for one family. */
export function netlinkNeighbours(family: 4 | 6): NetlinkNeighbour[] {
  const body = new Uint8Array(12); // struct ndmsg
  body[0] = family === 4 ? AF_INET : AF_INET6;
  const res: NetlinkNeighbour[] = [];
  for (const m of request(RTM_GETNEIGH, NLM_F_DUMP, body)) {
    if (m.type !== RTM_NEWNEIGH || m.body.length < 12) continue;
    const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.length);
    const a = attrs(m.body, 12);
    const dst = a.get(1); // NDA_DST
    if (!dst) continue;
    const ll = a.get(2); // NDA_LLADDR
    const state = v.getUint16(8, true);
    const usable = Nud.REACHABLE | Nud.STALE | Nud.DELAY | Nud.PROBE | Nud.PERMANENT | Nud.NOARP;
    res.push({
      ifindex: v.getInt32(4, true),
      family: m.body[0] === AF_INET ? 4 : 6,
      address: formatIp(dst),
      mac: ll && ll.length === 6 ? formatMac(ll) : undefined,
      state,
      valid: (state & usable) !== 0 && !!ll && ll.length === 6,
    });
  }
  return res;
}

/** The kernel's answer to "how would you send to dst?" (RTM_GETROUTE). */
export interface KernelRoute {
  /** Output interface index. */
  oif: number;
  /** Gateway, when the destination is not on-link. */
  gateway?: string;
  /** Preferred source address. */
  prefsrc?: string;
  /** RTN_* type: 1 unicast, 2 local, 6 blackhole, 7 unreachable, 8 prohibit. */
  type: number;
  table: number;
}

/** Asks the kernel which route it would use for `dst` (raw bytes, 4 or 16),
 * optionally forcing an output interface and a source. Null when the kernel
 * says the destination is unreachable. */
export function netlinkRouteGet(
  dst: Uint8Array,
  opts: { oif?: number; src?: Uint8Array } = {},
): KernelRoute | null {
  const family = dst.length === 4 ? AF_INET : AF_INET6;
  const head = new Uint8Array(12); // struct rtmsg
  head[0] = family;
  head[1] = dst.length * 8;
  const parts = [head, attr(1, dst)]; // RTA_DST
  if (opts.src) {
    head[2] = opts.src.length * 8;
    parts.push(attr(2, opts.src)); // RTA_SRC
  }
  if (opts.oif) parts.push(attr(4, u32le(opts.oif))); // RTA_OIF
  const body = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) body.set(p, o), (o += p.length);
  let msgs: NlMessage[];
  try {
    msgs = request(RTM_GETROUTE, 0, body);
  } catch (e) {
    // ENETUNREACH, EHOSTUNREACH, EACCES (prohibit), EINVAL (bad oif+dst).
    if (e instanceof OsError && [101, 113, 13, 22, 19].includes(e.errno)) return null;
    throw e;
  }
  const m = msgs.find((x) => x.type === RTM_NEWROUTE);
  if (!m || m.body.length < 12) return null;
  const type = m.body[7]!;
  if (type === 6 || type === 7 || type === 8) return null;
  const a = attrs(m.body, 12);
  const oif = a.get(4);
  const gw = a.get(5);
  const src = a.get(7);
  const table = a.get(15);
  return {
    oif: oif ? new DataView(oif.buffer, oif.byteOffset).getUint32(0, true) : 0,
    gateway: gw ? formatIp(gw) : undefined,
    prefsrc: src ? formatIp(src) : undefined,
    type,
    table: table ? new DataView(table.buffer, table.byteOffset).getUint32(0, true) : m.body[4]!,
  };
}
