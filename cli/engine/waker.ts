/**
 * A sleep that an event can cut short: the connect-based scanners wait for either their next
 * timeout or the first finished connection, whichever comes first.
 */
export class Waker {
  #wake: (() => void) | undefined;

  /** Resolves after `ms` (at least 1 ms), or as soon as {@link wake} is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(ms)))); // longer overflows to 1 ms
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.#wake?.();
  }
}
