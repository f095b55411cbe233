/**
 * SCTP chunks as structured values (RFC 9260 3.2, 3.3.2 INIT, 3.3.3 INIT ACK, 3.3.7 ABORT) and
 * their wire form. The core writes and reads the common header and CRC32c
 * (`assembly/sctp.ts`); the chunks travel as these bytes.
 *
 * @module
 */

/** Chunk type numbers (RFC 9260 3.2). */
export const SctpChunkType = {
  INIT: 1,
  INIT_ACK: 2,
  ABORT: 6,
  COOKIE_ECHO: 10,
} as const;

/** ABORT's T bit: the verification tag is the sender's own, reflected (RFC 9260 3.3.7). */
export const SCTP_ABORT_T_BIT = 0x01;

/** INIT and INIT ACK: the fixed part; `params` are the optional/variable parameters' bytes. */
export interface SctpInit {
  type: "init" | "initAck";
  initiateTag: number;
  /** Advertised receiver window credit. */
  aRwnd: number;
  outboundStreams: number;
  inboundStreams: number;
  initialTsn: number;
  params?: Uint8Array;
}

/** One chunk. `raw` carries any other type verbatim. */
export type SctpChunk =
  | SctpInit
  | { type: "abort"; tBit?: boolean; causes?: Uint8Array }
  | { type: "raw"; chunkType: number; flags: number; value: Uint8Array };

/** nmap's INIT (scan_engine_raw.cc): window 32768, 10 outbound and 2048 inbound streams. */
export function nmapInit(initiateTag: number, initialTsn: number): SctpInit {
  return {
    type: "init",
    initiateTag,
    aRwnd: 32768,
    outboundStreams: 10,
    inboundStreams: 2048,
    initialTsn,
  };
}

/** Encodes chunks in order, each padded with zeros to 4 bytes (RFC 9260 3.2). */
export function encodeSctpChunks(chunks: readonly SctpChunk[]): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >>> 8) & 255, v & 255);
  const u32 = (v: number) => out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const chunk = (type: number, flags: number, body: () => void) => {
    const start = out.length;
    out.push(type, flags, 0, 0);
    body();
    const len = out.length - start;
    out[start + 2] = len >>> 8;
    out[start + 3] = len & 255;
    while (out.length % 4) out.push(0);
  };
  for (const c of chunks) {
    switch (c.type) {
      case "init":
      case "initAck":
        chunk(c.type === "init" ? SctpChunkType.INIT : SctpChunkType.INIT_ACK, 0, () => {
          u32(c.initiateTag);
          u32(c.aRwnd);
          u16(c.outboundStreams);
          u16(c.inboundStreams);
          u32(c.initialTsn);
          out.push(...(c.params ?? []));
        });
        break;
      case "abort":
        chunk(SctpChunkType.ABORT, c.tBit ? SCTP_ABORT_T_BIT : 0, () => {
          out.push(...(c.causes ?? []));
        });
        break;
      case "raw":
        chunk(c.chunkType, c.flags, () => out.push(...c.value));
        break;
    }
  }
  return Uint8Array.from(out);
}

/**
 * Decodes the chunks of an SCTP packet's payload. Stops at the first chunk whose length is
 * below 4 or overruns; INIT / INIT ACK shorter than their fixed 20 bytes come back as `raw`.
 */
export function decodeSctpChunks(bytes: Uint8Array): SctpChunk[] {
  const out: SctpChunk[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  while (i + 4 <= bytes.length) {
    const type = bytes[i]!;
    const flags = bytes[i + 1]!;
    const len = dv.getUint16(i + 2);
    if (len < 4 || i + len > bytes.length) break;
    const value = bytes.slice(i + 4, i + len);
    if ((type === SctpChunkType.INIT || type === SctpChunkType.INIT_ACK) && len >= 20) {
      out.push({
        type: type === SctpChunkType.INIT ? "init" : "initAck",
        initiateTag: dv.getUint32(i + 4),
        aRwnd: dv.getUint32(i + 8),
        outboundStreams: dv.getUint16(i + 12),
        inboundStreams: dv.getUint16(i + 14),
        initialTsn: dv.getUint32(i + 16),
        ...(len > 20 ? { params: bytes.slice(i + 20, i + len) } : {}),
      });
    } else if (type === SctpChunkType.ABORT) {
      out.push({
        type: "abort",
        tBit: (flags & SCTP_ABORT_T_BIT) !== 0,
        ...(len > 4 ? { causes: value } : {}),
      });
    } else {
      out.push({ type: "raw", chunkType: type, flags, value });
    }
    i += (len + 3) & ~3;
  }
  return out;
}
