/**
 * The scans of `porthole inventory watch --store S [--every DURATION] -- SCAN ARGUMENTS`: the
 * scan runs in this process, as `porthole SCAN ARGUMENTS --store S` would (same entry point,
 * same checks, the store recording it), once or every DURATION, and each stored scan is handed
 * to the inventory's report (cli/inventory/main.ts compares and delivers). Its normal output is
 * dropped: the watch's stdout carries the report's events only (`-oX FILE` and the like are
 * written as usual).
 *
 * Ctrl-C, SIGTERM and SIGHUP end the watch cleanly: during a scan the run stops and writes its
 * files as it always does, but an interrupted (or failed) scan is not stored and not reported;
 * between scans the wait ends at once. Either way the watch then ends by that signal (main.ts).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { WatchScanPlan } from "../inventory/main.ts";
import { parseOptions } from "../options/mod.ts";
import type { Options } from "../options/types.ts";
import { readsStdin } from "../targets.ts";
import {
  dieBySignal,
  signalExitCode,
  STOP_SIGNALS,
  type StopSignal,
  stopSignalOf,
} from "./signals.ts";

/** Where the watch writes. */
export interface WatchIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

/** The scan's options, refused with one sentence when a watch cannot run them. */
function watchedScanOptions(plan: WatchScanPlan): Options {
  if (plan.scanArgs.some((a) => /^--?store(=|$)/.test(a))) {
    throw new UsageError("give --store before --, not among the scan's arguments");
  }
  const opts = parseOptions([...plan.scanArgs, "--store", plan.store]);
  const refuse = (what: string) => {
    throw new UsageError(`the arguments after -- must describe a scan to repeat: ${what}`);
  };
  if (opts.show !== undefined || opts.ifList || opts.scripts?.help !== undefined) {
    refuse("they ask for no scan");
  }
  if (opts.output.resume !== undefined) refuse("--resume continues one scan");
  if (opts.shard && opts.shard.count > 1) refuse("a shard is part of a scan (--shards)");
  if (plan.everyMs !== undefined && (readsStdin(opts.inputList) || readsStdin(opts.excludeFile))) {
    refuse("standard input is read once, and --every reads its lists again each round");
  }
  const o = opts.output;
  if ([o.normal, o.xml, o.grepable, o.json, o.skid].includes("-")) {
    refuse("the watch's stdout carries its events; write the scan's output to a file");
  }
  // A watch reads no keys: it runs from cron or a timer, and Ctrl-C must stay a signal.
  opts.noninteractive = true;
  return opts;
}

/**
 * Runs the plan's scans and reports; returns the exit status: the report's (0 nothing to
 * say, 1 something, 2 an error) when run once, or the shell's status for the stop signal
 * that ended it. Throws {@link UsageError} for arguments a scan cannot start with.
 */
export async function watchScans(plan: WatchScanPlan, io: WatchIo): Promise<number> {
  watchedScanOptions(plan); // every round parses again; bad arguments stop the watch at once
  const { runScan } = await import("./run.ts");
  const stop = new StopListener();
  let next = Date.now();
  let first = true;
  try {
    for (;;) {
      let stored: number | undefined;
      let code: number;
      let failed = false;
      stop.pause(); // the run has its own listeners while it scans
      try {
        code = await runScan(watchedScanOptions(plan), {
          stdout: () => {},
          stderr: io.stderr,
        }, {
          store: { onlyFinished: true, onStored: (id) => stored = id },
        });
      } catch (e) {
        // After the first round the arguments are known good: what fails now (a store out of
        // reach when the round starts) is this round's trouble, and the next one tries again.
        if (!(e instanceof UsageError) || first) throw e;
        io.stderr(`porthole inventory: ${e.message}\n`);
        code = e.exitCode;
        failed = true;
      } finally {
        stop.resume();
      }
      first = false;
      if (stopSignalOf(code)) return code;
      let status: number;
      if (stored === undefined) {
        if (!failed) {
          io.stderr(
            `porthole inventory: the scan ${
              code === 0 ? "was not stored" : `failed (exit status ${code})`
            }: nothing to compare\n`,
          );
        }
        status = 2;
      } else status = await plan.report(stored);
      if (stop.caught) return signalExitCode(stop.caught);
      if (plan.everyMs === undefined) return status;
      // A fixed rate; a round longer than the period starts the next one at once.
      next = Math.max(next + plan.everyMs, Date.now());
      const sig = await stop.sleepUntil(next);
      if (sig) return signalExitCode(sig);
    }
  } finally {
    stop.close();
  }
}

/**
 * The watch's own stop-signal listeners, for the time between scans: the first signal ends a
 * wait at once (or the watch after the report it is delivering), a second one ends the process.
 */
class StopListener {
  caught: StopSignal | undefined;
  #wake: (() => void) | undefined;
  #listeners: [StopSignal, () => void][] = [];

  constructor() {
    this.resume();
  }

  resume(): void {
    if (this.#listeners.length > 0) return;
    this.#listeners = STOP_SIGNALS.map((sig) => {
      const fn = () => {
        if (this.caught) {
          this.close();
          dieBySignal(sig);
        }
        this.caught = sig;
        this.#wake?.();
      };
      Deno.addSignalListener(sig, fn);
      return [sig, fn];
    });
  }

  pause(): void {
    this.close();
  }

  close(): void {
    for (const [sig, fn] of this.#listeners) {
      try {
        Deno.removeSignalListener(sig, fn);
      } catch {
        // already removed
      }
    }
    this.#listeners = [];
  }

  /** Waits until `time` (ms since the epoch); returns the signal that cut it short, if any. */
  async sleepUntil(time: number): Promise<StopSignal | undefined> {
    if (this.caught) return this.caught;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, Math.max(0, time - Date.now()));
    });
    clearTimeout(timer);
    this.#wake = undefined;
    return this.caught;
  }
}
