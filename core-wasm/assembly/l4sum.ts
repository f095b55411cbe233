// Transport checksum verification shared by TCP, UDP and ICMPv6.

import { fold, sumBytes, term16 } from "./checksum";
import { addrSum, canVerifyL4 } from "./context";
import { ld16 } from "./mem";
import { FLAG_CSUM_PARTIAL, FLAG_CSUM_VERIFIED, REC_FLAGS } from "./layout";

@inline function addFlags(rec: usize, f: u32): void {
  store<u16>(rec + REC_FLAGS, load<u16>(rec + REC_FLAGS) | <u16>f);
}

/**
 * Checks the transport checksum over `len` bytes at `p` with the current pseudo-header.
 * Returns false only when verification is on, possible, and the sum is wrong. A field that
 * holds just the folded pseudo-header sum is a Linux CHECKSUM_PARTIAL frame (checksum offload,
 * e.g. on veth or lo before the device fills it in): accepted and flagged FLAG_CSUM_PARTIAL.
 */
export function verifyTransport(p: usize, len: u32, csumOff: u32, proto: u32, rec: usize,
  allowPartial: bool): bool {
  if (!canVerifyL4) return true;
  const pseudo = addrSum + term16(proto) + term16(len & 0xffff) + term16(len >>> 16);
  if (fold(sumBytes(p, len, pseudo)) == 0xffff) {
    addFlags(rec, FLAG_CSUM_VERIFIED);
    return true;
  }
  if (allowPartial && ld16(p + csumOff) == fold(pseudo)) {
    addFlags(rec, FLAG_CSUM_PARTIAL);
    return true;
  }
  return false;
}
