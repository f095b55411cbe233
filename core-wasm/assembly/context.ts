// Per-frame parse state shared by the protocol parsers (single-threaded, reset per frame).

/** Start of the frame being parsed: record offsets are relative to it. */
export let frameBase: usize = 0;
/** Verify checksums (PARSE_VERIFY_CHECKSUMS). */
export let verify: bool = false;
/** Transport checksum can be checked: verify is on and the datagram is not fragmented. */
export let canVerifyL4: bool = false;
/** The IP datagram is a first fragment (MF set): its transport header is whole, its data cut. */
export let firstFragment: bool = false;
/** Sum of the pseudo-header addresses of the current IP datagram (little-endian accumulator). */
export let addrSum: u64 = 0;

export function setFrame(base: usize, verifyChecksums: bool): void {
  frameBase = base;
  verify = verifyChecksums;
  canVerifyL4 = verifyChecksums;
  firstFragment = false;
  addrSum = 0;
}

export function setL4Context(sum: u64, checkable: bool, moreFragments: bool): void {
  addrSum = sum;
  canVerifyL4 = verify && checkable;
  firstFragment = moreFragments;
}

@inline export function offsetOf(p: usize): u32 {
  return <u32>(p - frameBase);
}
