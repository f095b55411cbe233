// IPv4 options (RFC 791 3.1) as nmap's --ip-options builds them (libnetutil parse_ip_options):
// record route, loose and strict source routes, and the internet timestamp (RFC 791; RFC 781).
//
// nmap's layouts, which the target sees byte for byte:
// - R / L / S: a NOP, then type (7 RR, 131 LSRR, 137 SSRR), length, pointer 4 and the hops.
//   Record route always has room for 9 addresses (length 39; given hops fill the first slots);
//   a source route has its hops plus one empty slot the target's address goes into (length
//   3 + 4 × (hops + 1)).
// - T / U: type 68, length 40 (T: 9 timestamps) or 36 (U: 4 address + timestamp pairs),
//   pointer 5, flags 0 (timestamps only) or 1 (each preceded by the recording address).

export const IPOPT_NOP: u32 = 1;
export const IPOPT_RR: u32 = 7;
export const IPOPT_TS: u32 = 68;
export const IPOPT_LSRR: u32 = 131;
export const IPOPT_SSRR: u32 = 137;

/** The most hops an option built here holds: 9 recorded, or 8 and the target's slot. */
const RR_SLOTS: u32 = 9;

/**
 * Writes the option `type` (IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR or IPOPT_TS; `flag` is the
 * timestamp's flags, 0 or 1) with the `hops` IPv4 addresses at `addrs` (4 network-order bytes
 * each) to `out`, which has room for 40 bytes. Returns the length | first-hop offset << 8 |
 * last-hop offset << 16 (the offsets of a source route's first hop and of the slot for the
 * target; 0 otherwise), or -1 for an unknown type or too many hops.
 */
export function ipOptionsBuild(type: u32, flag: u32, addrs: usize, hops: u32, out: usize): i32 {
  memory.fill(out, 0, 40);
  if (type == IPOPT_TS) {
    if (hops != 0 || flag > 1) return -1;
    const len: u32 = flag == 1 ? 36 : 40;
    store<u8>(out, <u8>IPOPT_TS);
    store<u8>(out + 1, <u8>len);
    store<u8>(out + 2, 5);
    store<u8>(out + 3, <u8>flag);
    return <i32>len;
  }
  const route = type == IPOPT_LSRR || type == IPOPT_SSRR;
  if (!route && type != IPOPT_RR) return -1;
  if (hops > (route ? RR_SLOTS - 1 : RR_SLOTS)) return -1;
  // The NOP aligns the addresses on 4 bytes.
  store<u8>(out, <u8>IPOPT_NOP);
  store<u8>(out + 1, <u8>type);
  const len: u32 = route ? 3 + 4 * (hops + 1) : 3 + 4 * RR_SLOTS;
  store<u8>(out + 2, <u8>len);
  store<u8>(out + 3, 4);
  memory.copy(out + 4, addrs, 4 * hops);
  if (!route || hops == 0) return <i32>(len + 1);
  // nmap's source-route hack (tcpip.cc fill_ip_raw): the datagram goes to the first hop, and
  // the target's address fills the last slot.
  const lastHop = 4 + 4 * hops;
  return <i32>((len + 1) | (4 << 8) | (lastHop << 16));
}
