/**
 * The lab's userspace responders' socket (the SCTP responder, the idle zombie): a raw IPv4 socket
 * for one protocol with IP_HDRINCL, through libc. It hears every datagram of that protocol the
 * namespace receives (after nftables' input hook) and sends whole datagrams back; the kernel
 * fills in their IP checksum, total length, and an IP ID left at zero (raw(7)).
 *
 * @module
 */

/**
 * Answers every datagram of IP protocol `proto` with `answer(ip)` (a whole datagram, or null for
 * none) until the process ends. `name` prefixes errors; `mark` sets SO_MARK on what it sends.
 * Needs --allow-ffi and root.
 */
export function serveRawIpv4(
  name: string,
  proto: number,
  answer: (ip: Uint8Array) => Uint8Array | null,
  mark?: number,
): void {
  const libc = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize", nonblocking: true },
    sendto: {
      parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
      result: "isize",
    },
  });
  const AF_INET = 2, SOCK_RAW = 3, IPPROTO_IP = 0, IP_HDRINCL = 3, SOL_SOCKET = 1, SO_MARK = 36;
  const fd = libc.symbols.socket(AF_INET, SOCK_RAW, proto);
  if (fd < 0) throw new Error(`${name}: socket(AF_INET, SOCK_RAW, ${proto}) failed`);
  if (libc.symbols.setsockopt(fd, IPPROTO_IP, IP_HDRINCL, new Int32Array([1]), 4) !== 0) {
    throw new Error(`${name}: IP_HDRINCL refused`);
  }
  if (
    mark !== undefined &&
    libc.symbols.setsockopt(fd, SOL_SOCKET, SO_MARK, new Int32Array([mark]), 4) !== 0
  ) {
    throw new Error(`${name}: SO_MARK refused`);
  }
  const buf = new Uint8Array(65536);
  const to = new Uint8Array(16);
  to[0] = AF_INET; // sockaddr_in, family in host order (little-endian here)
  (async () => {
    for (;;) {
      const n = Number(await libc.symbols.recv(fd, buf, BigInt(buf.length), 0));
      if (n <= 0) continue;
      const out = answer(buf.subarray(0, n));
      if (!out) continue;
      to.set(out.subarray(16, 20), 4);
      libc.symbols.sendto(fd, out, BigInt(out.length), 0, to, to.length);
    }
  })();
}
