/**
 * The lab's path impairments that nftables alone cannot make: delay with jitter and bursty loss.
 * This kernel has no `tc netem`, so the target's nftables rules hand packets to this process
 * through NFQUEUE (`queue num 0` on the way in, `queue num 1` on the way out; see nft.ts), and it
 * gives each one its verdict later: accept after the packet's delay, or drop.
 *
 *     ip netns exec NS deno run --allow-ffi tests/lab/path.ts [--detach] CONFIG
 *
 * CONFIG is a {@link PathConfig} as JSON. Prints `ready queues=N` once bound (or one error line
 * and exit 1). Ends as the services do (see _helper.ts). A queued packet nobody listens for is dropped (no `bypass`), so the path fails
 * closed: a dead delayer is a dead link, never an unimpaired one.
 *
 * Why NFQUEUE spoken over raw netlink in Deno rather than libnetfilter_queue, a TUN pair or a C
 * program: the library is not installed, NFQUEUE needs no change to the lab's topology (the rules
 * sit in the target that already exists, for routed, bridged and AnyIP scenarios alike), and the
 * protocol is four small messages (bind, parameters, packet header, verdict) over the libc
 * bindings Porthole already has — one toolchain, nothing to compile.
 *
 * @module
 */

import { AF_NETLINK, libc, MSG_DONTWAIT, POLLIN, SOCK_RAW } from "../../ffi/_libc.ts";
import type { PathConditions, PathDirection } from "./scenarios.ts";
import { helperArgs } from "./_helper.ts";

/** What one direction of the path does to each packet (one NFQUEUE queue). */
export interface QueueConfig extends Pick<PathDirection, "delayMs" | "bursts"> {
  /** The NFQUEUE number the firewall rule sends this direction to. */
  queue: number;
}

/** One path process: its queues. */
export interface PathConfig {
  queues: QueueConfig[];
}

/** The queue of packets to the target, and of packets from it. */
const TO_TARGET = 0;
const FROM_TARGET = 1;

/** The path process a target needs for `path`, or null when nftables does it all (no delay, no
 * bursts). */
export function pathConfig(path: PathConditions | undefined): PathConfig | null {
  const queues: QueueConfig[] = [];
  for (
    const [queue, d] of [[TO_TARGET, path?.toTarget], [FROM_TARGET, path?.fromTarget]] as const
  ) {
    if (d?.delayMs || d?.bursts) queues.push({ queue, delayMs: d.delayMs, bursts: d.bursts });
  }
  return queues.length ? { queues } : null;
}

/**
 * The `iptables-restore` (v6: `ip6tables-restore`) input that queues the link's traffic to the
 * path process. nftables here has no `queue` statement (no CONFIG_NFT_QUEUE), but the
 * x_tables NFQUEUE target is built in. The mangle table's PREROUTING hook runs before the
 * target's own filter (nft.ts) sees a packet, and POSTROUTING after it let one out: the delay
 * is on the wire. Neighbour discovery is left alone, as ARP is.
 */
export function queueRules(cfg: PathConfig, iface: string, v6: boolean): string {
  const lines = ["*mangle"];
  for (const q of cfg.queues) {
    const [chain, dir] = q.queue === TO_TARGET ? ["PREROUTING", "-i"] : ["POSTROUTING", "-o"];
    if (v6) {
      for (const type of [133, 134, 135, 136, 137]) {
        lines.push(`-A ${chain} ${dir} ${iface} -p ipv6-icmp --icmpv6-type ${type} -j RETURN`);
      }
    }
    lines.push(`-A ${chain} ${dir} ${iface} -j NFQUEUE --queue-num ${q.queue}`);
  }
  return [...lines, "COMMIT", ""].join("\n");
}

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_QUEUE = 3;
const NFQNL_MSG_PACKET = 0;
const NFQNL_MSG_VERDICT = 1;
const NFQNL_MSG_CONFIG = 2;
const NFQA_PACKET_HDR = 1;
const NFQA_VERDICT_HDR = 2;
const NFQA_CFG_CMD = 1;
const NFQA_CFG_PARAMS = 2;
const NFQA_CFG_QUEUE_MAXLEN = 3;
const NFQNL_CFG_CMD_BIND = 1;
const NFQNL_COPY_META = 1;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NF_DROP = 0;
const NF_ACCEPT = 1;
const SOL_SOCKET = 1;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_NO_ENOBUFS = 5;
/** Packets a queue holds at once: a 300 ms path at 50 000 packets/s, with room. */
const QUEUE_MAXLEN = 65_536;
const VERDICT_LEN = 32; // nlmsghdr 16 + nfgenmsg 4 + attribute 4 + verdict header 8

/** One netlink message to NFQUEUE: header, nfgenmsg (queue number), attributes. */
function message(
  type: number,
  flags: number,
  queue: number,
  attrs: [number, Uint8Array][],
): Uint8Array<ArrayBuffer> {
  const len = 20 + attrs.reduce((n, [, p]) => n + ((4 + p.length + 3) & ~3), 0);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, (NFNL_SUBSYS_QUEUE << 8) | type, true);
  v.setUint16(6, NLM_F_REQUEST | flags, true);
  v.setUint32(8, 0, true);
  v.setUint16(18, queue); // res_id, big-endian
  let off = 20;
  for (const [t, p] of attrs) {
    v.setUint16(off, 4 + p.length, true);
    v.setUint16(off + 2, t, true);
    out.set(p, off + 4);
    off += (4 + p.length + 3) & ~3;
  }
  return out;
}

function be(bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A packet waiting for its verdict. */
interface Held {
  due: number;
  queue: number;
  id: number;
}

/** A binary min-heap of held packets by due time. */
class DueHeap {
  #a: Held[] = [];
  get size(): number {
    return this.#a.length;
  }
  peek(): Held | undefined {
    return this.#a[0];
  }
  push(h: Held): void {
    const a = this.#a;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.due <= h.due) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = h;
  }
  pop(): Held | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r]!.due < a[l]!.due ? r : l;
      if (a[c]!.due >= last.due) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** The per-direction decision: drop now, or hold for how many ms. */
export class Impairment {
  #bad = false;
  #until = 0;
  constructor(
    readonly cfg: QueueConfig,
    readonly random: () => number = Math.random,
  ) {}

  /** null: drop; otherwise the delay in ms, for a packet at `now` (ms). */
  next(now: number): number | null {
    const b = this.cfg.bursts;
    if (b) {
      // Good and bad periods of exponentially distributed length (a two-state Markov chain in
      // time): a burst drops whatever passes while it lasts, however much that is.
      if (this.#until === 0) this.#until = now + this.#length(b.goodMs);
      while (now >= this.#until) {
        this.#bad = !this.#bad;
        this.#until += this.#length(this.#bad ? b.badMs : b.goodMs);
      }
      if (this.#bad) return null;
    }
    const d = this.cfg.delayMs;
    if (!d) return 0;
    return d[0] + this.random() * (d[1] - d[0]);
  }

  #length(mean: number): number {
    return -mean * Math.log(1 - this.random());
  }
}

/** Binds the queues and runs until `stop` resolves. */
export async function runPath(cfg: PathConfig, stop: Promise<void>): Promise<void> {
  const c = libc();
  const fd = c.socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (fd < 0) throw new Error("socket(AF_NETLINK, NETLINK_NETFILTER) failed");
  const int = (n: number) => new Uint8Array(new Int32Array([n]).buffer);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int(32 << 20), 4);
  c.setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, int(1), 4);
  const sa = new Uint8Array(12); // sockaddr_nl: family, pad, pid 0 (the kernel assigns), groups
  new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
  if (c.bind(fd, sa, sa.length) < 0) throw new Error("bind(netlink) failed");
  const buf = new Uint8Array(1 << 20);
  const view = new DataView(buf.buffer);

  /** Sends one configuration message and waits for the kernel's acknowledgement. */
  const configure = (queue: number, attrs: [number, Uint8Array][]) => {
    const m = message(NFQNL_MSG_CONFIG, NLM_F_ACK, queue, attrs);
    if (Number(c.send(fd, m, BigInt(m.length), 0)) < 0) throw new Error("netlink send failed");
    const n = Number(c.recv(fd, buf, BigInt(buf.length), 0));
    if (n < 20 || view.getUint16(4, true) !== NLMSG_ERROR) {
      throw new Error("NFQUEUE: no acknowledgement");
    }
    const err = -view.getInt32(16, true);
    if (err !== 0) throw new Error(`NFQUEUE configuration of queue ${queue}: errno ${err}`);
  };
  const impairments = new Map<number, Impairment>();
  for (const q of cfg.queues) {
    configure(q.queue, [[NFQA_CFG_CMD, be([NFQNL_CFG_CMD_BIND, 0, 0, 0])]]);
    configure(q.queue, [
      [NFQA_CFG_PARAMS, be([0, 0, 0, 0, NFQNL_COPY_META])],
      [NFQA_CFG_QUEUE_MAXLEN, be32(QUEUE_MAXLEN)],
    ]);
    impairments.set(q.queue, new Impairment(q));
  }
  console.log(`ready queues=${cfg.queues.length}`);

  const heap = new DueHeap();
  const out = new Uint8Array(VERDICT_LEN * 2048);
  const outView = new DataView(out.buffer);
  let pending = 0;
  const flush = () => {
    if (pending) c.send(fd, out, BigInt(pending * VERDICT_LEN), 0);
    pending = 0;
  };
  const verdict = (queue: number, id: number, accept: boolean) => {
    const o = pending * VERDICT_LEN;
    outView.setUint32(o, VERDICT_LEN, true);
    outView.setUint16(o + 4, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT, true);
    outView.setUint16(o + 6, NLM_F_REQUEST, true);
    outView.setUint32(o + 8, 0, true);
    outView.setUint32(o + 12, 0, true);
    outView.setUint32(o + 16, 0, true);
    outView.setUint16(o + 18, queue);
    outView.setUint16(o + 20, 12, true);
    outView.setUint16(o + 22, NFQA_VERDICT_HDR, true);
    outView.setUint32(o + 24, accept ? NF_ACCEPT : NF_DROP);
    outView.setUint32(o + 28, id);
    if (++pending === 2048) flush();
  };

  let stopped = false;
  stop.then(() => stopped = true);
  const pfd = new Uint8Array(8);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  new DataView(pfd.buffer).setInt16(4, POLLIN, true);
  while (!stopped) {
    const next = heap.peek();
    const wait = next ? Math.max(0, Math.ceil(next.due - performance.now())) : 100;
    if (wait > 0) await c.poll_async(pfd, 1n, Math.min(wait, 100));
    // Everything queued so far: parse each packet's header, decide, hold or drop.
    for (;;) {
      const n = Number(c.recv(fd, buf, BigInt(buf.length), MSG_DONTWAIT));
      if (n <= 0) break; // EAGAIN (drained), or an error worth nothing but the next poll
      const now = performance.now();
      let off = 0;
      while (off + 20 <= n) {
        const len = view.getUint32(off, true);
        if (len < 20 || off + len > n) break;
        const type = view.getUint16(off + 4, true);
        if (type === ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
          const queue = view.getUint16(off + 18);
          let a = off + 20;
          while (a + 4 <= off + len) {
            const alen = view.getUint16(a, true);
            if (alen < 4) break;
            if ((view.getUint16(a + 2, true) & 0x3fff) === NFQA_PACKET_HDR) {
              const id = view.getUint32(a + 4);
              const impairment = impairments.get(queue);
              const delay = impairment ? impairment.next(now) : 0;
              if (delay === null) verdict(queue, id, false);
              else if (delay === 0) verdict(queue, id, true);
              else heap.push({ due: now + delay, queue, id });
              break;
            }
            a += (alen + 3) & ~3;
          }
        }
        off += (len + 3) & ~3;
      }
      if (n < buf.length / 2) break;
    }
    const now = performance.now();
    while (heap.size && heap.peek()!.due <= now) {
      const h = heap.pop()!;
      verdict(h.queue, h.id, true);
    }
    flush();
  }
  c.close(fd);
}

function parseConfig(text: string): PathConfig {
  const cfg = JSON.parse(text) as PathConfig;
  if (!Array.isArray(cfg.queues) || cfg.queues.length === 0) {
    throw new Error("config needs a non-empty queues array");
  }
  return cfg;
}

if (import.meta.main) {
  const { config, stop } = helperArgs("path");
  try {
    await runPath(parseConfig(config), stop);
  } catch (e) {
    console.error(`path: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  Deno.exit(0);
}
