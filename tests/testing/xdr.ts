/**
 * XDR words for tests of RPC messages (RFC 4506: big-endian 32-bit units).
 *
 * @module
 */

/** Big-endian 32-bit words. */
export function words(...w: number[]): Uint8Array {
  const out = new Uint8Array(w.length * 4);
  w.forEach((x, i) => new DataView(out.buffer).setUint32(i * 4, x >>> 0));
  return out;
}
