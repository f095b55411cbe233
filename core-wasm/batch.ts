/**
 * The frame batch layout shared by capture (ffi/), the parser and the probe emitter.
 *
 * @module
 */

/**
 * Frames packed in `data`, described by `index`: 4 u32 per frame,
 * `[offset into data, caplen, ts_sec, ts_usec]`. Batches from `PacketCore.frameBatch` and
 * template outputs are views into wasm linear memory, so filling them (capture) and parsing or
 * sending them is zero-copy. Linear memory never grows, so these views never detach.
 */
export interface FrameBatch {
  /** Frame bytes. */
  data: Uint8Array;
  /** 4 u32 per frame: offset into `data`, caplen, ts_sec, ts_usec. */
  index: Uint32Array;
  /** Frames the index has room for. */
  capacity: number;
}

/** u32 slots per frame in `FrameBatch.index`. */
export const INDEX_FIELDS = 4;
