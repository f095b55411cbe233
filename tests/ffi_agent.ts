/**
 * The scanner-side half of the OS-edge lab tests. The test process (in the
 * root namespace) starts this inside the scanner namespace with
 * `ip netns exec ... deno run --allow-ffi tests/ffi_agent.ts <command> <json>`
 * and reads one JSON answer from stdout.
 *
 * Commands:
 * - `probe`: open a capture, send the given frames, collect replies.
 * - `net`: routes, neighbours, interfaces and --iflist as seen here.
 * - `access`: rawAccess(), and what opening a capture says.
 * - `hold`: open a promiscuous capture, print "ready", wait (Ctrl-C test).
 * - `tun`: a raw-IP link (tun held by the agent): send and capture on it.
 * - `nexthop`: cli/engine/next_hop.ts resolveNextHop (ARP/NDP on the wire).
 *
 * @module
 */

import {
  createFrameBatch,
  describeError,
  frameAt,
  type FrameBatch,
  interfaceAccess,
  interfaces,
  neighbourMac,
  openHandleCount,
  PacketSocketSender,
  Pcap,
  PcapError,
  rawAccess,
  RawIpSender,
  routeTo,
  useLibpcap,
} from "../ffi/mod.ts";
import { formatIfList } from "../ffi/iflist.ts";
import { TunDevice } from "../ffi/tun.ts";
import {
  type NextHopOptions,
  type NextHopRequest,
  resolveNextHop,
} from "../cli/engine/next_hop.ts";
import { fromHex, toHex } from "./ffi_frames.ts";

/** A `probe` request. */
export interface ProbeRequest {
  iface: string;
  filter?: string;
  frames: string[];
  /** sendmmsg on a packet socket, pcap_sendpacket, or raw IP sockets. */
  via: "mmsg" | "pcap" | "rawip";
  waitMs: number;
  /** Stop waiting once this many replies arrived. */
  maxReplies?: number;
  /** Put both batches in WebAssembly.Memory views, as the core does. */
  wasm?: boolean;
  promisc?: boolean;
  /** Send out of this interface instead of `iface` (e.g. capture on "any"). */
  sendIface?: string;
  /** Ask the capture for this DLT (e.g. 276, LINUX_SLL2 on "any"). */
  datalink?: number;
}

/** A `probe` answer. */
export interface ProbeAnswer {
  sent: number;
  datalink: number;
  datalinks: number[];
  replies: string[];
  stats: { received: number; dropped: number; interfaceDropped: number };
}

function wasmBatch(
  memory: WebAssembly.Memory,
  at: number,
  capacity: number,
  bytes: number,
): FrameBatch {
  return {
    index: new Uint32Array(memory.buffer, at, capacity * 4),
    data: new Uint8Array(memory.buffer, at + capacity * 16, bytes),
    capacity,
  };
}

async function probe(req: ProbeRequest): Promise<ProbeAnswer> {
  const memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB
  const tx = req.wasm
    ? wasmBatch(memory, 1024, 256, 256 * 2048)
    : createFrameBatch(256, 256 * 2048);
  const rx = req.wasm ? wasmBatch(memory, 1 << 20, 512, 2 << 20) : createFrameBatch(512, 2 << 20);
  const frames = req.frames.map(fromHex);
  let off = 0;
  frames.forEach((f, i) => {
    tx.data.set(f, off);
    tx.index[i * 4] = off;
    tx.index[i * 4 + 1] = f.length;
    off += f.length;
  });
  using cap = Pcap.open(req.iface, {
    filter: req.filter,
    promisc: req.promisc ?? false,
    snaplen: 2048,
    datalink: req.datalink,
  });
  let sent: number;
  if (req.via === "mmsg") {
    using s = PacketSocketSender.open(req.sendIface ?? req.iface);
    sent = s.sendBatch(tx, frames.length);
  } else if (req.via === "rawip") {
    using s = RawIpSender.open();
    sent = s.sendBatch(tx, frames.length);
  } else {
    sent = cap.sendBatch(tx, frames.length);
  }
  const replies: string[] = [];
  const end = performance.now() + req.waitMs;
  while (performance.now() < end && replies.length < (req.maxReplies ?? Infinity)) {
    const n = cap.receiveBatch(rx);
    for (let i = 0; i < n; i++) replies.push(toHex(frameAt(rx, i)));
    if (n === 0) {
      await cap.waitReadable(Math.max(1, Math.min(50, Math.ceil(end - performance.now()))));
    }
  }
  return {
    sent,
    datalink: cap.datalink(),
    datalinks: cap.datalinks(),
    replies,
    stats: cap.stats(),
  };
}

/** A `net` request. */
export interface NetRequest {
  targets: string[];
  neighbours: Array<[string, string]>;
  device?: string;
  source?: string;
}

function net(req: NetRequest) {
  const routes: Record<string, unknown> = {};
  for (const t of req.targets) {
    const pick = (method: "kernel" | "table") => {
      const r = routeTo(t, { method, device: req.device, source: req.source });
      return r &&
        {
          iface: r.iface.name,
          linkKind: r.iface.linkKind,
          source: r.source,
          gateway: r.gateway ?? null,
          nextHop: r.nextHop,
          direct: r.direct,
          local: r.local,
        };
    };
    routes[t] = { kernel: pick("kernel"), table: pick("table") };
  }
  return {
    routes,
    neighbours: req.neighbours.map(([a, i]) => neighbourMac(a, i)),
    interfaces: interfaces().map((i) => ({
      name: i.name,
      kind: i.kind,
      linkKind: i.linkKind,
      up: i.up,
      mac: i.mac ?? null,
      mtu: i.mtu,
      addresses: i.addresses.map((a) => `${a.address}/${a.prefixLength}`),
    })),
    iflist: formatIfList(),
  };
}

function access(req: { iface?: string; libpcap?: string }) {
  if (req.libpcap !== undefined) useLibpcap(req.libpcap);
  const out: Record<string, unknown> = { raw: rawAccess() };
  if (req.iface) {
    out.iface = interfaceAccess(req.iface);
    try {
      Pcap.open(req.iface).close();
      out.open = "ok";
    } catch (e) {
      out.open = describeError(e);
      out.openIsPcapError = e instanceof PcapError;
    }
  }
  return out;
}

/** A `tun` request: a raw-IP link held by the agent. */
export interface TunRequest {
  name: string;
  /** Our address with prefix, e.g. "10.251.2.1/24". */
  address: string;
  /** The far end, whose route must go out of the tun. */
  peer: string;
  /** IP packets to send out with the packet socket (read back from the tun fd). */
  send: string[];
  /** IP packets to inject as received (the kernel answers them). */
  inject: string[];
  waitMs: number;
}

async function tun(req: TunRequest) {
  using dev = TunDevice.open(req.name);
  for (
    const args of [["addr", "add", req.address, "dev", req.name], ["link", "set", req.name, "up"]]
  ) {
    const r = await new Deno.Command("ip", { args }).output();
    if (!r.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  using cap = Pcap.open(req.name, { snaplen: 2048 });
  using tx = PacketSocketSender.open(req.name);
  const fromTun: string[] = [];
  const drain = () => {
    for (let p = dev.read(req.waitMs); p; p = dev.read(50)) {
      // The kernel also sends its own packets (e.g. IPv6 router solicitations).
      if (p[0]! >> 4 === 4) fromTun.push(toHex(p));
    }
  };
  for (const f of req.send) tx.send(fromHex(f));
  drain();
  for (const f of req.inject) dev.write(fromHex(f));
  drain();
  const captured: string[] = [];
  for (let r = cap.next(); r; r = cap.next()) captured.push(toHex(r.data));
  const route = routeTo(req.peer);
  return {
    linkKind: tx.linkKind,
    datalink: cap.datalink(),
    fromTun,
    captured,
    route: route &&
      { iface: route.iface.name, linkKind: route.iface.linkKind, source: route.source },
  };
}

async function hold(req: { iface: string }) {
  Pcap.open(req.iface, { promisc: true });
  console.log(JSON.stringify({ ready: true, open: openHandleCount() }));
  await new Promise(() => {}); // until Ctrl-C
}

if (import.meta.main) {
  const cmd = Deno.args[0];
  const req = JSON.parse(Deno.args[1] ?? "{}");
  let answer: unknown;
  try {
    if (cmd === "probe") answer = await probe(req);
    else if (cmd === "net") answer = net(req);
    else if (cmd === "access") answer = access(req);
    else if (cmd === "hold") answer = await hold(req);
    else if (cmd === "tun") answer = await tun(req);
    else if (cmd === "nexthop") {
      const r = req as { request: NextHopRequest; options?: NextHopOptions };
      answer = { result: await resolveNextHop(r.request, r.options) };
    } else throw new Error(`unknown command ${cmd}`);
  } catch (e) {
    answer = { error: describeError(e), name: e instanceof Error ? e.name : "unknown" };
  }
  console.log(JSON.stringify(answer));
}
