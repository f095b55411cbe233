// Internet checksum (RFC 1071) and incremental update (RFC 1624).
//
// Sums are accumulated over little-endian loads: the one's complement sum is byte-order
// independent, so folding and a single byte swap at the end give the network-order value.

import { ld16 } from "./mem";

/** Adds `len` bytes at `p` to a little-endian accumulator. */
export function sumBytes(p: usize, len: u32, acc: u64): u64 {
  while (len >= 8) {
    const v = load<u64>(p);
    acc += (v & 0xffffffff) + (v >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    acc += <u64>load<u32>(p);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    acc += <u64>load<u16>(p);
    p += 2;
    len -= 2;
  }
  if (len != 0) acc += <u64>load<u8>(p);
  return acc;
}

/** Folds a little-endian accumulator to the 16-bit network-order one's complement sum. */
export function fold(acc: u64): u32 {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  let s = <u32>acc;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u32>bswap<u16>(<u16>s);
}

/** A network-order 16-bit value as a little-endian accumulator term. */
@inline export function term16(v: u32): u64 {
  return <u64>bswap<u16>(<u16>v);
}

/** Pseudo-header sum (RFC 793 / RFC 8200 8.1) for addresses at `src`/`dst` of `alen` bytes. */
export function pseudoSum(src: usize, dst: usize, alen: u32, proto: u32, len: u32): u64 {
  let acc = sumBytes(src, alen, 0);
  acc = sumBytes(dst, alen, acc);
  acc += term16(proto);
  acc += term16(len & 0xffff) + term16(len >>> 16);
  return acc;
}

/** Checksum of a region: the complement of its sum. */
@inline export function checksumOf(acc: u64): u32 {
  return ~fold(acc) & 0xffff;
}

/** True when a region including its checksum field sums to all ones. */
@inline export function sumIsValid(acc: u64): bool {
  return fold(acc) == 0xffff;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from m to m'.
 * Never yields 0x0000 from a non-zero sum, as eqn. 3 (unlike eqn. 2) avoids -0.
 */
export function checksumAdjust(hc: u32, oldWord: u32, newWord: u32): u32 {
  let s: u32 = (~hc & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

/** RFC 1624 for a 32-bit field (two words). */
export function checksumAdjust32(hc: u32, oldValue: u32, newValue: u32): u32 {
  return checksumAdjust(checksumAdjust(hc, oldValue >>> 16, newValue >>> 16), oldValue & 0xffff,
    newValue & 0xffff);
}

/** Reads the 16-bit checksum field at `p`. */
@inline export function fieldAt(p: usize): u32 {
  return ld16(p);
}
