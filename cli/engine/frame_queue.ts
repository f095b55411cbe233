/**
 * Probes built whole, one frame at a time (discovery's pings, -sO's probes of many kinds),
 * queued into one frame batch and sent together: the template-free side of a raw session.
 *
 * The scheduler pairs the probes it emitted with the frames of a send, in order, to read each
 * probe's send time from the kernel's stamps; a send whose frames do not pair one to one with
 * probes (decoy copies, a probe with no frame) reports no stamps.
 *
 * @module
 */

import {
  createFrameBatch,
  type FrameBatch,
  type RawSession,
  type SendSpan,
} from "./raw_session.ts";

/** One send batch of whole frames for `session` (-f: `fragment` bytes of data a fragment). */
export class FrameQueue {
  readonly #session: RawSession<unknown>;
  readonly #fragment: number | undefined;
  readonly #batch: FrameBatch;
  #queued = 0;
  #used = 0;
  #unpaired = false;

  constructor(session: RawSession<unknown>, fragment?: number, frames = 256, bytes = 256 * 256) {
    this.#session = session;
    this.#fragment = fragment;
    this.#batch = createFrameBatch(frames, bytes);
  }

  /**
   * Queues one probe's frames (decoys' copies first, ours last); false when they do not fit
   * (flush, then push again). Several frames for one probe unpair the send's stamps.
   */
  push(frames: readonly Uint8Array[]): boolean {
    const b = this.#batch;
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    if (this.#queued + frames.length > b.capacity || this.#used + bytes > b.data.length) {
      if (this.#queued === 0) {
        throw new RangeError(`a probe of ${bytes} bytes does not fit an empty send batch`);
      }
      return false;
    }
    for (const f of frames) {
      b.data.set(f, this.#used);
      b.index[this.#queued * 4] = this.#used;
      b.index[this.#queued * 4 + 1] = f.length;
      this.#used += f.length;
      this.#queued++;
    }
    if (frames.length !== 1) this.#unpaired = true;
    return true;
  }

  /** A probe emitted without a frame: this send's stamps no longer pair with its probes. */
  unpair(): void {
    this.#unpaired = true;
  }

  /** Sends what is queued; the send's span, stamps withheld when unpaired. */
  flush(): SendSpan | undefined {
    const unpaired = this.#unpaired;
    this.#unpaired = false;
    if (this.#queued === 0) return undefined;
    if (this.#fragment) this.#session.sendFragmented(this.#batch, this.#queued, this.#fragment);
    else this.#session.sendBatch(this.#batch, this.#queued);
    this.#queued = 0;
    this.#used = 0;
    if (unpaired) this.#session.lastSend.stamped = 0;
    return this.#session.lastSend;
  }
}
