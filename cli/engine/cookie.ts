/**
 * Keyed probe cookies, as masscan and zmap use them: the sequence number and
 * source port of every probe are a keyed hash of the flow, so a reply can be
 * checked against the probe it answers without a per-probe table, and a
 * spoofed or stray reply (which cannot know the per-run key) is dropped.
 *
 * The hash is HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit SipHash
 * variant used by the Linux kernel for the same purpose), computed on whole
 * 32-bit words so it needs no BigInt and no allocation.
 *
 * @module
 */

import { TcpFlag } from "../../core-wasm/mod.ts";

/** Rotate a 32-bit value left. */
function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/**
 * A per-run secret and the keyed hash over it. Create one per scan run; two
 * jars with different keys give unrelated cookies.
 */
export class CookieJar {
  readonly #k0: number;
  readonly #k1: number;

  /** @param key two 32-bit words; random (crypto.getRandomValues) when omitted. */
  constructor(key?: ArrayLike<number>) {
    const k = key ?? crypto.getRandomValues(new Uint32Array(2));
    this.#k0 = (k[0] ?? 0) | 0;
    this.#k1 = (k[1] ?? 0) | 0;
  }

  /**
   * HalfSipHash-2-4 of three 32-bit words (a message of 12 bytes, words
   * little-endian), giving the 32-bit result as a signed int32 (`>>> 0` for
   * the unsigned value).
   */
  hash3(a: number, b: number, c: number): number {
    let v0 = this.#k0;
    let v1 = this.#k1;
    let v2 = 0x6c796765 ^ this.#k0;
    let v3 = 0x74656462 ^ this.#k1;
    // Two SipRounds per message word (c = 2), four at finalisation (d = 4).
    for (let w = 0; w < 4; w++) {
      // The last word carries the message length (12 bytes) in its top byte.
      const m = w === 0 ? a | 0 : w === 1 ? b | 0 : w === 2 ? c | 0 : 12 << 24;
      v3 ^= m;
      for (let r = 0; r < 2; r++) {
        v0 = (v0 + v1) | 0;
        v1 = rotl(v1, 5) ^ v0;
        v0 = rotl(v0, 16);
        v2 = (v2 + v3) | 0;
        v3 = rotl(v3, 8) ^ v2;
        v0 = (v0 + v3) | 0;
        v3 = rotl(v3, 7) ^ v0;
        v2 = (v2 + v1) | 0;
        v1 = rotl(v1, 13) ^ v2;
        v2 = rotl(v2, 16);
      }
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (let r = 0; r < 4; r++) {
      v0 = (v0 + v1) | 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    }
    // Signed: an int32 stays a small integer in V8, an unsigned value above
    // 2^31 would be boxed — millions of times per scan.
    return v1 ^ v3;
  }

  /**
   * A 32-bit keyed digest of an address: the IPv4 address itself as a u32,
   * or the 16 bytes of an IPv6 address folded through the keyed hash. The
   * engine computes it once per host and feeds it to {@link hash3}.
   */
  addressDigest(addr: number | Uint8Array): number {
    if (typeof addr === "number") return addr | 0;
    const dv = new DataView(addr.buffer, addr.byteOffset, addr.byteLength);
    const h1 = this.hash3(dv.getUint32(0), dv.getUint32(4), 0x6a09e667);
    return this.hash3(h1, dv.getUint32(8), dv.getUint32(12));
  }
}

/** Lowest source port the engine uses; below it sit well-known services. */
export const SOURCE_PORT_BASE = 1024;
const SOURCE_PORT_SPAN = 65536 - SOURCE_PORT_BASE;

/**
 * The TCP (and UDP) cookie scheme every raw probe module shares:
 *
 *  - source port = BASE + (H(host, dport, 0) + tryNo) mod SPAN, so each
 *    retransmission leaves from a new port (as nmap's tries do) and the try
 *    number is recovered from the reply's destination port;
 *  - sequence number = H(host, dport | sport << 16, 1), checked against the
 *    reply's acknowledgment (SYN-ACK and RST to a SYN: ack = seq + 1) or,
 *    for probes that carry an ACK, against the RST's seq (RFC 793 p.65:
 *    a RST answering an ACK takes its seq from that ACK).
 */
export class FlowCookies {
  constructor(readonly jar: CookieJar) {}

  /** Source port of try `tryNo` (0-based) of the probe to (host, dport). */
  sourcePort(hostDigest: number, dport: number, tryNo: number): number {
    const h = (this.jar.hash3(hostDigest, dport, 0) >>> 0) % SOURCE_PORT_SPAN;
    return SOURCE_PORT_BASE + (h + tryNo) % SOURCE_PORT_SPAN;
  }

  /**
   * The try number a reply's destination port encodes, or -1 when the port
   * is not one this probe could have used within `maxTries` tries.
   */
  tryNumber(hostDigest: number, dport: number, sport: number, maxTries: number): number {
    if (sport < SOURCE_PORT_BASE) return -1;
    const h = (this.jar.hash3(hostDigest, dport, 0) >>> 0) % SOURCE_PORT_SPAN;
    const t = (sport - SOURCE_PORT_BASE - h + SOURCE_PORT_SPAN) % SOURCE_PORT_SPAN;
    return t < maxTries ? t : -1;
  }

  /** The sequence number (and, for ACK-bearing probes, the ack) to send, as an int32. */
  sequence(hostDigest: number, dport: number, sport: number): number {
    return this.jar.hash3(hostDigest, (dport | (sport << 16)) | 0, 1);
  }

  /**
   * Whether a TCP reply answers the probe with this cookie. RFC 793 (p.36,
   * p.65): a reply with ACK acknowledges exactly the probe's sequence space
   * (`seqSpace`: 1 for SYN, 1 for FIN, 2 for both, 0 otherwise); a RST
   * without ACK answers a probe that carried an ACK, and takes its seq from
   * that ack number (which we set to the cookie).
   */
  static matches(
    cookie: number,
    replyFlags: number,
    replySeq: number,
    replyAck: number,
    seqSpace: number,
  ): boolean {
    if (replyFlags & TcpFlag.ACK) return replyAck >>> 0 === (cookie + seqSpace) >>> 0;
    return replySeq >>> 0 === cookie >>> 0;
  }

  /**
   * With a fixed source port (-g) the port cannot tell tries apart, so try `tryNo` sends
   * `cookie + tryNo * 256` as its seq (nmap puts the try number in the seq likewise).
   */
  static withTry(cookie: number, tryNo: number): number {
    return (cookie + tryNo * 256) | 0;
  }

  /** The try whose seq ({@link withTry}) is `seq` (as acknowledged or quoted), or -1. */
  static tryOf(cookie: number, seq: number, maxTries: number): number {
    const d = (seq - cookie) >>> 0;
    if (d & 0xff) return -1;
    const t = d >>> 8;
    return t < maxTries ? t : -1;
  }

  /** The sequence space a probe with these TCP flags occupies (SYN and FIN count one each). */
  static sequenceSpace(probeFlags: number): number {
    return (probeFlags & TcpFlag.SYN ? 1 : 0) + (probeFlags & TcpFlag.FIN ? 1 : 0);
  }
}
