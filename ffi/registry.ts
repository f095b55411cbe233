/**
 * Every open OS handle (pcap handle, packet socket, mapped ring) registers
 * here, so that it is closed however the program ends: normal exit (the
 * `unload` event, also fired by Deno.exit), Ctrl-C, or a handle that was
 * dropped without close (a FinalizationRegistry as the last resort). A pcap
 * handle left open in promiscuous mode would otherwise leave the interface
 * in that mode until the process dies.
 *
 * @module
 */

/** Anything with an idempotent close. */
export interface Closable {
  close(): void;
}

const open = new Set<Closable>();
let hooked = false;
let sigintHooked = false;

/** What to do after closing handles on Ctrl-C; the CLI may replace this
 * (e.g. to print partial results first). Default: exit with status 130. */
export let onInterrupt: () => void = () => Deno.exit(130);

/** Replaces the post-Ctrl-C action (called after every handle is closed). */
export function setOnInterrupt(fn: () => void): void {
  onInterrupt = fn;
}

function sigint(): void {
  closeAll();
  onInterrupt();
}

function hook(): void {
  if (!hooked) {
    hooked = true;
    globalThis.addEventListener("unload", closeAll);
  }
  if (!sigintHooked && Deno.build.os !== "windows") {
    try {
      Deno.addSignalListener("SIGINT", sigint);
      sigintHooked = true;
    } catch {
      // Signals unavailable (e.g. inside some workers): unload still covers exit.
    }
  }
}

function unhookSigint(): void {
  if (sigintHooked) {
    sigintHooked = false;
    try {
      Deno.removeSignalListener("SIGINT", sigint);
    } catch {
      // already gone
    }
  }
}

/** Starts tracking a handle. */
export function track(h: Closable): void {
  open.add(h);
  hook();
}

/** Stops tracking a handle (call from its close). While no handle is open,
 * Ctrl-C keeps Deno's default behaviour. */
export function untrack(h: Closable): void {
  open.delete(h);
  if (open.size === 0) unhookSigint();
}

/** Closes every tracked handle; errors from one close never stop the rest. */
export function closeAll(): void {
  for (const h of [...open]) {
    try {
      h.close();
    } catch {
      // best effort: we are shutting down
    }
    open.delete(h);
  }
  unhookSigint();
}

/** How many handles are open (for tests). */
export function openHandleCount(): number {
  return open.size;
}
