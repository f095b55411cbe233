/**
 * Socket timeouts that, like nsock's, let I/O win over an expired timer. nsock handles the events
 * epoll reports before the timers that expired meanwhile; a plain setTimeout does not: when Lua
 * keeps the thread busy past a deadline, the timer callback runs before the socket's connect or
 * data callback although the kernel finished the I/O long before, and a live daemon looks dead
 * ("Could not connect: TIMEOUT" for every HTTP script of the daemons lab under load).
 */

/** A timer that ran this much after its due time found the event loop busy. */
const LATE_MS = 5;
/** How long the loop, once free, is left to deliver I/O that completed while it was busy. */
const GRACE_MS = 10;

/**
 * Calls `expire` once `ms` have passed and the event loop has been free for a moment since, so
 * that I/O completed before the deadline is delivered first. Returns the cancel function.
 */
export function ioDeadline(ms: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const arm = (wait: number) => {
    const due = performance.now() + wait;
    timer = setTimeout(() => {
      if (performance.now() - due > LATE_MS) arm(GRACE_MS);
      else expire();
    }, wait);
  };
  arm(ms);
  return () => clearTimeout(timer);
}
