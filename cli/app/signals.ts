/**
 * The signals that stop a run (Ctrl-C's SIGINT, SIGTERM, SIGHUP) and how
 * Porthole ends after one: every file is written and closed first, then the
 * process ends by the same signal (its default action), as a well-behaved
 * Unix program does, so that a calling shell sees "killed by SIGINT" and a
 * `for … do porthole …; done` loop stops on one Ctrl-C.
 *
 * @module
 */

/** Signals that interrupt a scan; the files are flushed before Porthole ends. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** One of {@link STOP_SIGNALS}. */
export type StopSignal = typeof STOP_SIGNALS[number];

const NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The shell's status for a process killed by `sig` (128 + its number: SIGINT → 130). */
export function signalExitCode(sig: StopSignal): number {
  return 128 + NUMBERS[sig];
}

/** The stop signal whose shell status is `code`, if any. */
export function stopSignalOf(code: number): StopSignal | undefined {
  return STOP_SIGNALS.find((s) => signalExitCode(s) === code);
}

/**
 * Ends the process by `sig`. Deno restores a signal's default action once
 * its last listener is removed, so the caller removes its listeners first;
 * should the signal not end the process (a listener left somewhere, or a
 * runtime that forbids it), the shell's status for it is the exit status.
 */
export function dieBySignal(sig: StopSignal): never {
  try {
    Deno.kill(Deno.pid, sig);
    // POSIX delivers a signal a process sends itself before kill() returns;
    // wait a moment in case it goes to another thread.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  } catch {
    // no way to signal ourselves: the status says it all the same
  }
  Deno.exit(signalExitCode(sig));
}
