// Network-order loads and stores, and the fixed memory map.
//
// Memory never grows (build.ts sets --initialMemory = --maximumMemory): regions are handed out
// once by a bump allocator, so JavaScript views into linear memory never detach.

@inline export function ld8(p: usize): u32 {
  return <u32>load<u8>(p);
}
@inline export function ld16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}
@inline export function ld32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}
@inline export function st8(p: usize, v: u32): void {
  store<u8>(p, <u8>v);
}
@inline export function st16(p: usize, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}
@inline export function st32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

// Record field helpers (host order).
@inline export function rset8(rec: usize, off: u32, v: u32): void {
  store<u8>(rec + off, <u8>v);
}
@inline export function rset16(rec: usize, off: u32, v: u32): void {
  store<u16>(rec + off, <u16>v);
}
@inline export function rset32(rec: usize, off: u32, v: u32): void {
  store<u32>(rec + off, v);
}
@inline export function rget8(rec: usize, off: u32): u32 {
  return <u32>load<u8>(rec + off);
}
@inline export function rget16(rec: usize, off: u32): u32 {
  return <u32>load<u16>(rec + off);
}
@inline export function rget32(rec: usize, off: u32): u32 {
  return load<u32>(rec + off);
}

let bump: usize = 0;

/**
 * Hands out `size` bytes aligned to 16; 0 when the fixed memory is exhausted. Regions are
 * never reused and linear memory starts zeroed, so they are zero without touching the pages
 * (which the OS then commits only when used).
 */
export function allocRegion(size: u32): usize {
  if (bump == 0) bump = (__heap_base + 15) & ~15;
  const start = bump;
  const end = <u64>start + ((<u64>size + 15) & ~<u64>15);
  const limit = <u64>memory.size() << 16;
  if (end > limit) return 0;
  bump = <usize>end;
  return start;
}

/** Bytes still free in the fixed memory map. */
export function freeBytes(): u32 {
  if (bump == 0) bump = (__heap_base + 15) & ~15;
  return <u32>((<u64>memory.size() << 16) - <u64>bump);
}
