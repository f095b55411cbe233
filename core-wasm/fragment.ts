// IPv4 fragmentation of a built frame (nmap's -f, -ff and --mtu): RFC 791 §3.2, the IP header
// copied into each fragment (--ip-options too, as nmap's send_frag_ip_packet), MF and offsets
// set, the header
// checksum recomputed.

/**
 * Splits the IPv4 packet that starts `linkHeader` bytes into `frame` into fragments carrying
 * `dataPerFragment` bytes of its payload each (a positive multiple of 8; the last takes the
 * rest). Returns `[frame]` itself when it fits in one fragment or is not IPv4.
 */
export function fragmentIpv4(
  frame: Uint8Array,
  linkHeader: number,
  dataPerFragment: number,
): Uint8Array[] {
  if (!(dataPerFragment > 0 && dataPerFragment % 8 === 0)) {
    throw new RangeError("fragmentIpv4: data per fragment must be a positive multiple of 8");
  }
  const ip = linkHeader;
  if (frame.length < ip + 20 || frame[ip]! >> 4 !== 4) return [frame];
  const hl = (frame[ip]! & 15) * 4;
  const total = (frame[ip + 2]! << 8) | frame[ip + 3]!;
  const dataLen = Math.min(total, frame.length - ip) - hl;
  if (dataLen <= dataPerFragment) return [frame];
  const out: Uint8Array[] = [];
  for (let off = 0; off < dataLen; off += dataPerFragment) {
    const n = Math.min(dataPerFragment, dataLen - off);
    const f = new Uint8Array(ip + hl + n);
    f.set(frame.subarray(0, ip + hl));
    f.set(frame.subarray(ip + hl + off, ip + hl + off + n), ip + hl);
    const len = hl + n;
    f[ip + 2] = len >> 8;
    f[ip + 3] = len & 255;
    const more = off + n < dataLen ? 0x2000 : 0;
    const fo = (((frame[ip + 6]! << 8) | frame[ip + 7]!) & 0x4000) | more | (off >> 3);
    f[ip + 6] = fo >> 8;
    f[ip + 7] = fo & 255;
    f[ip + 10] = 0;
    f[ip + 11] = 0;
    let sum = 0;
    for (let k = 0; k < hl; k += 2) sum += (f[ip + k]! << 8) | f[ip + k + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    f[ip + 10] = c >> 8;
    f[ip + 11] = c & 255;
    out.push(f);
  }
  return out;
}
