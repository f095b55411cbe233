/**
 * PORTHOLE_DEBUG_TIMING=1: marks of the run's phases on stderr, in ms since the process started.
 *
 * @module
 */

/** PORTHOLE_DEBUG_TIMING=1: phase times on stderr (ms since the process started). */
const TRACE = (() => {
  try {
    return Deno.env.get("PORTHOLE_DEBUG_TIMING") === "1";
  } catch {
    return false;
  }
})();

/** Print a phase mark when PORTHOLE_DEBUG_TIMING=1. */
export function trace(label: string): void {
  if (TRACE) console.error(`timing: ${performance.now().toFixed(1)} ms ${label}`);
}
