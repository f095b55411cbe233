/**
 * A typed libpcap handle: create → configure → activate → filter → receive
 * batches / send → stats → close. Every failure is a PcapError carrying
 * libpcap's own text (`pcap_geterr`, `pcap_statustostr`); every handle is
 * registered so it is closed on exit, Ctrl-C, or `using` scope end.
 *
 * Receiving: the handle is non-blocking by default and `receiveBatch` drains
 * what is ready with `pcap_next_ex`, copying each frame into a FrameBatch, so
 * it never blocks the event loop. `waitReadable` parks on the selectable fd
 * with `poll` on Deno's blocking pool when there is nothing to do. The
 * measurements behind this choice are in ffi/RECEIVE.md.
 *
 * @module
 */

import { FD_LIMIT_HINT, PcapError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { type LibPcap, libpcap } from "./_libpcap.ts";
import { cString, libc, POLLIN } from "./_libc.ts";
import { type FrameBatch, INDEX_STRIDE } from "./frame_batch.ts";
import { track, untrack } from "./registry.ts";
import { formatIPv4, formatIPv6, formatMac } from "../core-wasm/ip.ts";

const ERRBUF_SIZE = 256;
const PCAP_NETMASK_UNKNOWN = 0xffffffff;

/** libpcap status codes (pcap/pcap.h). */
export const PcapStatus = {
  WARNING: 1,
  WARNING_PROMISC_NOTSUP: 2,
  WARNING_TSTAMP_TYPE_NOTSUP: 3,
  ERROR: -1,
  BREAK: -2,
  NOT_ACTIVATED: -3,
  ACTIVATED: -4,
  NO_SUCH_DEVICE: -5,
  RFMON_NOTSUP: -6,
  NOT_RFMON: -7,
  PERM_DENIED: -8,
  IFACE_NOT_UP: -9,
  CANTSET_TSTAMP_TYPE: -10,
  PROMISC_PERM_DENIED: -11,
  TSTAMP_PRECISION_NOTSUP: -12,
} as const;

/** Link-layer header types we read and write (DLT_* values, Linux numbering). */
export const Dlt = {
  NULL: 0,
  EN10MB: 1,
  RAW: 12,
  LINKTYPE_RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** How frames on a datalink begin. */
export type LinkKind = "ethernet" | "raw" | "cooked" | "cooked2" | "null" | "loop";

/** Link kind and fixed header length for a DLT; null when unsupported. */
export function linkLayerOf(dlt: number): { kind: LinkKind; headerLength: number } | null {
  switch (dlt) {
    case Dlt.EN10MB:
      return { kind: "ethernet", headerLength: 14 };
    case Dlt.RAW:
    case Dlt.LINKTYPE_RAW:
    case Dlt.IPV4:
    case Dlt.IPV6:
      return { kind: "raw", headerLength: 0 };
    case Dlt.LINUX_SLL:
      return { kind: "cooked", headerLength: 16 };
    case Dlt.LINUX_SLL2:
      return { kind: "cooked2", headerLength: 20 };
    case Dlt.NULL:
      return { kind: "null", headerLength: 4 };
    case Dlt.LOOP:
      return { kind: "loop", headerLength: 4 };
    default:
      return null;
  }
}

/** Options for {@link Pcap.open}. */
export interface PcapOptions {
  /** Bytes kept per frame (default 4096: replies to probes are small). */
  snaplen?: number;
  /** Promiscuous mode (default false: replies are addressed to us). */
  promisc?: boolean;
  /** Deliver each frame at once instead of filling blocks (default true). */
  immediate?: boolean;
  /** Read timeout in ms for block delivery (default 10). */
  timeoutMs?: number;
  /** Kernel ring size in bytes (default 32 MiB, about 0.25 s of 1M small frames/s). */
  bufferSize?: number;
  /** BPF filter expression applied after activation. */
  filter?: string;
  /** Non-blocking reads (default true; the scanner never blocks the loop). */
  nonblocking?: boolean;
  /** Only frames received ("in"), sent ("out") or both (default). */
  direction?: "in" | "out" | "inout";
  /** Ask for this datalink (e.g. Dlt.EN10MB) when the device offers several. */
  datalink?: number;
  /** Reject datalinks Porthole cannot parse (default true). */
  requireSupportedDatalink?: boolean;
}

/** Counters from pcap_stats. */
export interface PcapStats {
  /** Frames that passed the filter and reached the ring. */
  received: number;
  /** Frames dropped because the ring was full. */
  dropped: number;
  /** Frames the interface/driver dropped. */
  interfaceDropped: number;
}

/** An address of a pcap device. */
export interface PcapDeviceAddress {
  family: 4 | 6 | "link";
  address: string;
  netmask?: string;
}

/** A device from pcap_findalldevs. */
export interface PcapDevice {
  name: string;
  description?: string;
  addresses: PcapDeviceAddress[];
  loopback: boolean;
  up: boolean;
  running: boolean;
}

function cstr(p: Deno.PointerValue): string {
  return p ? Deno.UnsafePointerView.getCString(p) : "";
}

function statusText(lib: LibPcap, code: number): string {
  return cstr(lib.pcap_statustostr(code));
}

function errbufText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

function readSockaddr(p: Deno.PointerValue): PcapDeviceAddress | null {
  if (!p) return null;
  const v = new Deno.UnsafePointerView(p);
  const family = v.getUint16(0);
  if (family === 2) {
    const b = new Uint8Array(4);
    v.copyInto(b, 4);
    return { family: 4, address: formatIPv4(b) };
  }
  if (family === 10) {
    const b = new Uint8Array(16);
    v.copyInto(b, 8);
    return { family: 6, address: formatIPv6(b) };
  }
  if (family === 17) {
    const halen = v.getUint8(11);
    if (halen !== 6) return null;
    const b = new Uint8Array(6);
    v.copyInto(b, 12);
    return { family: "link", address: formatMac(b) };
  }
  return null;
}

/** Lists capture devices (pcap_findalldevs). */
export function findAllDevs(): PcapDevice[] {
  const lib = libpcap();
  const out = new BigUint64Array(1);
  const err = new Uint8Array(ERRBUF_SIZE);
  if (lib.pcap_findalldevs(new Uint8Array(out.buffer), err) !== 0) {
    throw new PcapError("pcap_findalldevs", errbufText(err));
  }
  const first = Deno.UnsafePointer.create(out[0]!);
  const devs: PcapDevice[] = [];
  try {
    // struct pcap_if { next; name; description; addresses; u32 flags }
    for (let p = first; p;) {
      const v = new Deno.UnsafePointerView(p);
      const flags = v.getUint32(32);
      const addresses: PcapDeviceAddress[] = [];
      // struct pcap_addr { next; addr; netmask; broadaddr; dstaddr }
      for (let a = v.getPointer(24); a;) {
        const av = new Deno.UnsafePointerView(a);
        const addr = readSockaddr(av.getPointer(8));
        if (addr) {
          const mask = readSockaddr(av.getPointer(16));
          if (mask && mask.family === addr.family) addr.netmask = mask.address;
          addresses.push(addr);
        }
        a = av.getPointer(0);
      }
      const desc = v.getPointer(16);
      devs.push({
        name: cstr(v.getPointer(8)),
        description: desc ? cstr(desc) : undefined,
        addresses,
        loopback: (flags & 1) !== 0,
        up: (flags & 2) !== 0,
        running: (flags & 4) !== 0,
      });
      p = v.getPointer(0);
    }
  } finally {
    if (first) lib.pcap_freealldevs(first);
  }
  return devs;
}

/** A libpcap capture handle. */
export class Pcap {
  readonly device: string;
  #lib: LibPcap;
  #h: Deno.PointerValue;
  #activated = false;
  #snaplen = 262144;
  #warnings: string[] = [];
  // pcap_next_ex out-parameters: two pointer slots in one 16-byte buffer.
  #outs = new BigUint64Array(2);
  #outHdr = new Uint8Array(this.#outs.buffer, 0, 8);
  #outData = new Uint8Array(this.#outs.buffer, 8, 8);
  #outs32 = new Uint32Array(this.#outs.buffer);
  #hdrLo = 0;
  #hdrHi = 0;
  #hdr: Uint32Array = new Uint32Array(6);
  #statsBuf = new Uint32Array(4);
  #pollBuf = new Uint8Array(8);

  private constructor(device: string, lib: LibPcap, h: Deno.PointerObject) {
    this.device = device;
    this.#lib = lib;
    this.#h = h;
    track(this);
  }

  /** pcap_create: a handle to configure before {@link activate}. */
  static create(device: string): Pcap {
    const lib = libpcap();
    const err = new Uint8Array(ERRBUF_SIZE);
    const h = lib.pcap_create(cString(device), err);
    if (!h) throw new PcapError("pcap_create", `${device}: ${errbufText(err)}`);
    return new Pcap(device, lib, h);
  }

  /** Creates, configures, activates and filters in one step; closes the
   * handle again if any step fails. */
  static open(device: string, opts: PcapOptions = {}): Pcap {
    const p = Pcap.create(device);
    try {
      p.setSnaplen(opts.snaplen ?? 4096);
      p.setPromisc(opts.promisc ?? false);
      p.setImmediateMode(opts.immediate ?? true);
      p.setTimeout(opts.timeoutMs ?? 10);
      p.setBufferSize(opts.bufferSize ?? 32 << 20);
      p.activate();
      if (opts.datalink !== undefined && p.datalink() !== opts.datalink) {
        p.setDatalink(opts.datalink);
      }
      if (opts.requireSupportedDatalink ?? true) {
        const dlt = p.datalink();
        if (!linkLayerOf(dlt)) {
          throw new PcapError(
            "pcap_datalink",
            `${device} has link type ${datalinkName(dlt)} (${dlt}), which Porthole cannot read`,
            { hint: "choose an Ethernet, loopback or raw-IP interface with -e" },
          );
        }
      }
      if (opts.direction && opts.direction !== "inout") p.setDirection(opts.direction);
      if (opts.filter !== undefined) p.setFilter(opts.filter);
      p.setNonblock(opts.nonblocking ?? true);
      return p;
    } catch (e) {
      p.close();
      throw e;
    }
  }

  #live(op: string): Deno.PointerObject {
    if (!this.#h) throw new PcapError(op, `${this.device}: handle is closed`);
    return this.#h;
  }

  #error(op: string, rc?: number): PcapError {
    const msg = this.#h ? cstr(this.#lib.pcap_geterr(this.#h)) : "";
    const status = rc !== undefined ? statusText(this.#lib, rc) : "";
    const text = msg && status && !msg.includes(status) && rc !== PcapStatus.ERROR
      ? `${status}: ${msg}`
      : msg || status || "unknown error";
    return new PcapError(op, `${this.device}: ${text}`, { status: rc });
  }

  #setter(op: string, rc: number): void {
    if (rc !== 0) {
      // The setters only fail with PCAP_ERROR_ACTIVATED.
      throw new PcapError(op, `${this.device}: ${statusText(this.#lib, rc)}`, { status: rc });
    }
  }

  /** Bytes captured per frame. */
  setSnaplen(n: number): this {
    this.#setter("pcap_set_snaplen", this.#lib.pcap_set_snaplen(this.#live("pcap_set_snaplen"), n));
    this.#snaplen = n;
    return this;
  }

  /** Promiscuous mode on/off. */
  setPromisc(on: boolean): this {
    this.#setter(
      "pcap_set_promisc",
      this.#lib.pcap_set_promisc(this.#live("pcap_set_promisc"), on ? 1 : 0),
    );
    return this;
  }

  /** Immediate mode (each frame delivered as it arrives). */
  setImmediateMode(on: boolean): this {
    const fn = this.#lib.pcap_set_immediate_mode;
    if (!fn) {
      if (on) this.#warnings.push("this libpcap has no immediate mode; using the read timeout");
      return this;
    }
    this.#setter("pcap_set_immediate_mode", fn(this.#live("pcap_set_immediate_mode"), on ? 1 : 0));
    return this;
  }

  /** Read timeout in milliseconds. */
  setTimeout(ms: number): this {
    this.#setter(
      "pcap_set_timeout",
      this.#lib.pcap_set_timeout(this.#live("pcap_set_timeout"), ms),
    );
    return this;
  }

  /** Kernel buffer (ring) size in bytes. */
  setBufferSize(bytes: number): this {
    this.#setter(
      "pcap_set_buffer_size",
      this.#lib.pcap_set_buffer_size(this.#live("pcap_set_buffer_size"), bytes),
    );
    return this;
  }

  /** pcap_activate. Returns warnings (also kept in {@link warnings}); throws
   * PcapError with libpcap's text and a hint on failure. */
  activate(): string[] {
    const h = this.#live("pcap_activate");
    const rc = this.#lib.pcap_activate(h);
    if (rc < 0) {
      const e = this.#error("pcap_activate", rc);
      let hint: string | undefined;
      if (rc === PcapStatus.PERM_DENIED || rc === PcapStatus.PROMISC_PERM_DENIED) {
        hint = RAW_PRIVILEGE_HINT;
      } else if (rc === PcapStatus.NO_SUCH_DEVICE) {
        hint = "list interfaces with --iflist and choose one with -e";
      } else if (rc === PcapStatus.IFACE_NOT_UP) {
        hint = `bring it up first: ip link set ${this.device} up`;
      } else if (/permitted|permission/i.test(e.message)) {
        hint = RAW_PRIVILEGE_HINT;
      } else if (/too many open files/i.test(e.message)) {
        hint = FD_LIMIT_HINT;
      }
      throw new PcapError("pcap_activate", e.message, { status: rc, hint });
    }
    this.#activated = true;
    if (rc > 0) {
      const msg = cstr(this.#lib.pcap_geterr(h));
      this.#warnings.push(msg || statusText(this.#lib, rc));
    }
    return [...this.#warnings];
  }

  /** Warnings collected while configuring and activating. */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Has activate() succeeded? */
  get activated(): boolean {
    return this.#activated;
  }

  /** Configured snaplen. */
  get snaplen(): number {
    return this.#snaplen;
  }

  /** The handle's current DLT. */
  datalink(): number {
    const rc = this.#lib.pcap_datalink(this.#live("pcap_datalink"));
    if (rc < 0) throw this.#error("pcap_datalink", rc);
    return rc;
  }

  /** Every DLT the device offers. */
  datalinks(): number[] {
    const out = new BigUint64Array(1);
    const n = this.#lib.pcap_list_datalinks(
      this.#live("pcap_list_datalinks"),
      new Uint8Array(out.buffer),
    );
    if (n < 0) throw this.#error("pcap_list_datalinks", n);
    const p = Deno.UnsafePointer.create(out[0]!);
    if (!p) return [];
    const v = new Deno.UnsafePointerView(p);
    const res: number[] = [];
    for (let i = 0; i < n; i++) res.push(v.getInt32(i * 4));
    this.#lib.pcap_free_datalinks(p);
    return res;
  }

  /** Switches to another DLT the device offers. */
  setDatalink(dlt: number): void {
    if (this.#lib.pcap_set_datalink(this.#live("pcap_set_datalink"), dlt) !== 0) {
      throw this.#error("pcap_set_datalink");
    }
  }

  /** Compiles a BPF expression and installs it in the kernel. */
  setFilter(expression: string, opts: { optimize?: boolean; netmask?: number } = {}): void {
    const h = this.#live("pcap_compile");
    const prog = new Uint8Array(16); // struct bpf_program { u_int len; insn* }
    const rc = this.#lib.pcap_compile(
      h,
      prog,
      cString(expression),
      opts.optimize === false ? 0 : 1,
      opts.netmask ?? PCAP_NETMASK_UNKNOWN,
    );
    if (rc !== 0) {
      const e = this.#error("pcap_compile");
      throw new PcapError("pcap_compile", `${e.message} (filter: ${expression})`);
    }
    try {
      if (this.#lib.pcap_setfilter(h, prog) !== 0) throw this.#error("pcap_setfilter");
    } finally {
      this.#lib.pcap_freecode(prog);
    }
  }

  /** Capture only frames in one direction (Linux filters in user space). */
  setDirection(dir: "in" | "out" | "inout"): void {
    const d = dir === "in" ? 1 : dir === "out" ? 2 : 0;
    if (this.#lib.pcap_setdirection(this.#live("pcap_setdirection"), d) !== 0) {
      throw this.#error("pcap_setdirection");
    }
  }

  /** Non-blocking reads on/off. */
  setNonblock(on: boolean): void {
    const err = new Uint8Array(ERRBUF_SIZE);
    if (this.#lib.pcap_setnonblock(this.#live("pcap_setnonblock"), on ? 1 : 0, err) !== 0) {
      throw new PcapError("pcap_setnonblock", `${this.device}: ${errbufText(err)}`);
    }
  }

  /** Is the handle non-blocking? */
  getNonblock(): boolean {
    const err = new Uint8Array(ERRBUF_SIZE);
    const rc = this.#lib.pcap_getnonblock(this.#live("pcap_getnonblock"), err);
    if (rc < 0) throw new PcapError("pcap_getnonblock", `${this.device}: ${errbufText(err)}`);
    return rc === 1;
  }

  /** A file descriptor that poll() reports readable when frames wait. */
  selectableFd(): number {
    return this.#lib.pcap_get_selectable_fd(this.#live("pcap_get_selectable_fd"));
  }

  /** Resolves true when frames are waiting, false after `timeoutMs`; the
   * poll runs on Deno's blocking thread pool, so the event loop keeps going. */
  async waitReadable(timeoutMs: number): Promise<boolean> {
    const fd = this.selectableFd();
    if (fd < 0) {
      await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 1)));
      return true;
    }
    const pfd = this.#pollBuf;
    new DataView(pfd.buffer).setInt32(0, fd, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    const rc = await libc().poll_async(pfd, 1n, timeoutMs);
    return rc > 0;
  }

  /** Blocks the calling thread until frames wait or `timeoutMs` passes
   * (poll on the selectable fd). For capture Workers; on the main thread use
   * {@link waitReadable}. With libpcap ≥ 1.10 on Linux a *blocking* handle
   * never returns on its timeout alone, so Workers use a non-blocking handle
   * plus this. */
  waitReadableSync(timeoutMs: number): boolean {
    const fd = this.selectableFd();
    if (fd < 0) return true;
    const pfd = this.#pollBuf;
    new DataView(pfd.buffer).setInt32(0, fd, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    return libc().poll(pfd, 1n, timeoutMs) > 0;
  }

  /** Reads up to `max` waiting frames into `batch` (copying each from
   * libpcap's ring at the next offset), returns how many. Never blocks in
   * non-blocking mode. Stops early when less than one snaplen of space is
   * left in `batch.data`, so no frame is ever truncated or lost. */
  receiveBatch(batch: FrameBatch, max: number = batch.capacity): number {
    const h = this.#live("pcap_next_ex");
    const lib = this.#lib, memcpy = lib.memcpy;
    const data = batch.data, index = batch.index, outs = this.#outs32;
    const limit = Math.min(max, batch.capacity, Math.floor(index.length / INDEX_STRIDE));
    const room = data.length - Math.min(this.#snaplen, 65536);
    const base = memcpy ? Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(data))) : 0;
    let off = 0, n = 0;
    while (n < limit && off <= room) {
      const rc = lib.pcap_next_ex(h, this.#outHdr, this.#outData);
      if (rc !== 1) {
        if (rc === 0 || rc === PcapStatus.BREAK) break;
        throw this.#error("pcap_next_ex", rc);
      }
      const hdr = this.#header();
      const caplen = hdr[4]!;
      // Pointers read as two u32 halves: no BigInt, no pointer object.
      const src = outs[2]! + outs[3]! * 4294967296;
      // Deno's types say bigint for usize, but numbers pass (and are cheaper).
      if (memcpy) {
        (memcpy as unknown as (d: number, s: number, n: number) => void)(base + off, src, caplen);
      } else {Deno.UnsafePointerView.copyInto(
          Deno.UnsafePointer.create(BigInt(src))!,
          data.subarray(off, off + caplen),
        );}
      const k = n * INDEX_STRIDE;
      index[k] = off;
      index[k + 1] = caplen;
      index[k + 2] = hdr[0]!;
      index[k + 3] = hdr[2]!;
      off += caplen;
      n++;
    }
    return n;
  }

  // libpcap hands back the same header struct every time (p->pcap_header),
  // so one view over it serves every frame; re-made only if it moves.
  #header(): Uint32Array {
    const outs = this.#outs32;
    const lo = outs[0]!, hi = outs[1]!;
    if (lo !== this.#hdrLo || hi !== this.#hdrHi) {
      const addr = BigInt(lo) + (BigInt(hi) << 32n);
      this.#hdr = new Uint32Array(
        Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(addr)!, 24),
      );
      this.#hdrLo = lo;
      this.#hdrHi = hi;
    }
    return this.#hdr;
  }

  /** One frame, or null if none is waiting (allocates; for tests and slow paths). */
  next(): { data: Uint8Array; tsSec: number; tsUsec: number; length: number } | null {
    const h = this.#live("pcap_next_ex");
    const rc = this.#lib.pcap_next_ex(h, this.#outHdr, this.#outData);
    if (rc === 0 || rc === PcapStatus.BREAK) return null;
    if (rc !== 1) throw this.#error("pcap_next_ex", rc);
    const hv = new Deno.UnsafePointerView(Deno.UnsafePointer.create(this.#outs[0]!)!);
    const caplen = hv.getUint32(16);
    const data = new Uint8Array(caplen);
    Deno.UnsafePointerView.copyInto(Deno.UnsafePointer.create(this.#outs[1]!)!, data);
    return {
      data,
      tsSec: Number(hv.getBigInt64(0)),
      tsUsec: Number(hv.getBigInt64(8)),
      length: hv.getUint32(20),
    };
  }

  /** pcap_dispatch with a JS callback per frame (kept for measurement: see
   * ffi/RECEIVE.md; about as fast as receiveBatch, but the frame is only
   * valid during the callback). Returns frames processed. */
  dispatch(max: number, onFrame: (data: Uint8Array, caplen: number) => void): number {
    const h = this.#live("pcap_dispatch");
    const scratch = new Uint8Array(Math.min(this.#snaplen, 65536));
    const cb = new Deno.UnsafeCallback(
      { parameters: ["pointer", "pointer", "pointer"], result: "void" } as const,
      (_user, hdr, bytes) => {
        const caplen = new Deno.UnsafePointerView(hdr!).getUint32(16);
        Deno.UnsafePointerView.copyInto(bytes!, scratch.subarray(0, caplen));
        onFrame(scratch, caplen);
      },
    );
    try {
      const rc = this.#lib.pcap_dispatch(h, max, cb.pointer, null);
      if (rc < 0 && rc !== PcapStatus.BREAK) throw this.#error("pcap_dispatch", rc);
      return Math.max(rc, 0);
    } finally {
      cb.close();
    }
  }

  /** pcap_sendpacket: sends one whole frame (link header included). */
  sendPacket(frame: Uint8Array): void {
    if (
      this.#lib.pcap_sendpacket(
        this.#live("pcap_sendpacket"),
        frame as Uint8Array<ArrayBuffer>,
        frame.length,
      ) !== 0
    ) {
      throw this.#error("pcap_sendpacket");
    }
  }

  /** pcap_inject: sends one frame, returns bytes written. */
  inject(frame: Uint8Array): number {
    const rc = this.#lib.pcap_inject(
      this.#live("pcap_inject"),
      frame as Uint8Array<ArrayBuffer>,
      BigInt(frame.length),
    );
    if (rc < 0) throw this.#error("pcap_inject");
    return rc;
  }

  /** Sends frames `[0, count)` of a batch one pcap_sendpacket each; returns
   * how many were sent (stops at the first failure, which is thrown if none
   * went out). The slow path; see PacketSocketSender for the batched one. */
  sendBatch(batch: FrameBatch, count: number): number {
    const h = this.#live("pcap_sendpacket");
    const lib = this.#lib, data = batch.data, index = batch.index;
    for (let i = 0; i < count; i++) {
      const off = index[i * INDEX_STRIDE]!, len = index[i * INDEX_STRIDE + 1]!;
      if (
        lib.pcap_sendpacket(h, data.subarray(off, off + len) as Uint8Array<ArrayBuffer>, len) !== 0
      ) {
        if (i === 0) throw this.#error("pcap_sendpacket");
        return i;
      }
    }
    return count;
  }

  /** Kernel counters (pcap_stats). */
  stats(): PcapStats {
    const s = this.#statsBuf;
    if (this.#lib.pcap_stats(this.#live("pcap_stats"), new Uint8Array(s.buffer)) !== 0) {
      throw this.#error("pcap_stats");
    }
    return { received: s[0]!, dropped: s[1]!, interfaceDropped: s[2]! };
  }

  /** Is the handle still open? */
  get closed(): boolean {
    return !this.#h;
  }

  /** Closes the handle (idempotent). */
  close(): void {
    const h = this.#h;
    if (!h) return;
    this.#h = null;
    this.#hdrLo = this.#hdrHi = 0;
    this.#hdr = new Uint32Array(6);
    untrack(this);
    this.#lib.pcap_close(h);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** libpcap's name for a DLT value ("EN10MB"), or "DLT_<n>". */
export function datalinkName(dlt: number): string {
  const p = libpcap().pcap_datalink_val_to_name(dlt);
  return p ? Deno.UnsafePointerView.getCString(p) : `DLT_${dlt}`;
}
