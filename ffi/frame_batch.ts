/**
 * The frame batch layout shared with the packet core: one byte buffer plus an
 * index of 4 u32 per frame, [offset into data, caplen, ts_sec, ts_usec]. The
 * core hands out batches whose arrays are views into WASM memory; the OS edge
 * only depends on this shape, never on the core itself.
 *
 * @module
 */

/** Frames packed into one buffer, described by `index` (4 u32 per frame). */
export interface FrameBatch {
  data: Uint8Array;
  index: Uint32Array;
  /** Maximum frames the index holds. */
  capacity: number;
}

/** u32 slots per frame in `index`. */
export const INDEX_STRIDE = 4;

/** Allocates a standalone batch (for tests, benchmarks, and callers without
 * the core): `capacity` frames, `dataBytes` of packet space. */
export function createFrameBatch(capacity: number, dataBytes: number): FrameBatch {
  return {
    data: new Uint8Array(dataBytes),
    index: new Uint32Array(capacity * INDEX_STRIDE),
    capacity,
  };
}

/** Copies frame `i` out of a batch (allocates; for tests and slow paths). */
export function frameAt(batch: FrameBatch, i: number): Uint8Array {
  const off = batch.index[i * INDEX_STRIDE]!;
  const len = batch.index[i * INDEX_STRIDE + 1]!;
  return batch.data.slice(off, off + len);
}

/** Packs frames one after another into `batch` (offset, length; timestamps
 * zero) and returns how many fit. */
export function packFrames(batch: FrameBatch, frames: readonly Uint8Array[]): number {
  let off = 0, n = 0;
  for (const f of frames) {
    if (n >= batch.capacity || off + f.length > batch.data.length) break;
    batch.data.set(f, off);
    const k = n * INDEX_STRIDE;
    batch.index[k] = off;
    batch.index[k + 1] = f.length;
    batch.index[k + 2] = 0;
    batch.index[k + 3] = 0;
    off += f.length;
    n++;
  }
  return n;
}
