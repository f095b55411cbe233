/**
 * Scan progress on stderr, worded as nmap words it (output.cc
 * printStatusMessage, timing.cc ScanProgressMeter):
 *
 *     Stats: 0:00:28 elapsed; 0 hosts completed (1 up), 1 undergoing SYN Stealth Scan
 *     SYN Stealth Scan Timing: About 3.61% done; ETC: 19:41 (0:12:54 remaining)
 *
 * printed every --stats-every interval, whenever the user presses a key (stdin
 * read only when it is a terminal, a key at a time), and, with -v, now and then on its own as
 * nmap's meter does (first after 30 s, then at most every 30 s). Some keys do more, as in
 * nmap's nmap_tty.cc: v/V and d/D raise and lower verbosity and debugging, p/P turn packet
 * tracing on and off where there is packet tracing, ? lists them. Lines are
 * plain text — no colour, no cursor movement — so NO_COLOR and redirected
 * stderr need nothing special. Timers and the stdin reader are unref'd: they
 * never keep the process alive.
 */

/** The part of Node's process.stdin used here. Deno's own stdin reader keeps
 * the process alive while a read is pending; Node's stream can be unref'd. */
interface NodeStdin {
  on(event: "data", fn: (chunk: unknown) => void): void;
  off(event: "data", fn: (chunk: unknown) => void): void;
  pause(): void;
  unref?(): void;
}

/** nmap's MAX_ETA_SECONDS: beyond it the estimate reads "Unknown". */
const MAX_ETA_SECONDS = 60 * 60 * 24 * 10;

/** Options for {@link Progress}. */
export interface ProgressOptions {
  /** --stats-every, milliseconds; 0 = off. */
  statsEveryMs: number;
  /** -v level: with 1 or more, long phases report themselves every 30 s. */
  verbose?: number;
  /** -d level: with 1 or more, every changed estimate is printed. */
  debug?: number;
  /** Read run-time keys (any other key prints a status line). Default: stdin is a terminal.
   * Pass false when stdin carries data (-iL -) or with --noninteractive. */
  interactive?: boolean;
  /** What v/V, d/D and p/P change; without it those keys print the status like any other. */
  keys?: RuntimeKeys;
  /** Where lines go. Default: stderr, written synchronously. */
  write?: (text: string) => void;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
  /** When the run started (epoch ms). Default: now. */
  startTime?: number;
  /** Called with every estimate printed (nmap writes it to XML as <taskprogress>). */
  onEstimate?: (e: ProgressEstimate) => void;
}

/** The run's levels that keys change (nmap's o.verbose, o.debugging, o.packetTrace()). */
export interface RuntimeKeys {
  verbose: number;
  debug: number;
  setVerbose(level: number): void;
  setDebug(level: number): void;
  /** Packet tracing's switch; absent where there is none to turn. */
  packetTrace?: (on: boolean) => void;
}

/** What ? prints (nmap's wording; its last line points at Porthole's home). The p/P line only
 * where packet tracing can be turned. */
export function runtimeKeysHelp(packetTrace: boolean): string {
  return "Interactive keyboard commands:\n" +
    "?               Display this information\n" +
    "v/V             Increase/decrease verbosity\n" +
    "d/D             Increase/decrease debugging\n" +
    (packetTrace ? "p/P             Enable/disable packet tracing\n" : "") +
    "anything else   Print status\n" +
    "More help: see README.md\n";
}

/** A printed estimate: the phase, when, how far (percent) and how long to go (seconds). */
export interface ProgressEstimate {
  task: string;
  time: number;
  percent: number;
  remaining: number;
  /** Estimated completion, epoch ms. */
  etc: number;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** "h:mm:ss", hours unpadded, as nmap prints elapsed and remaining times. */
export function clockDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 3600)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

/** The engine's progress feed and the status printer. */
export class Progress {
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #start: number;
  #verbose: number;
  #debug: number;
  readonly #onEstimate?: (e: ProgressEstimate) => void;
  #phase = "";
  #phaseStart = 0;
  #done = 0;
  #total = 0;
  #hostsCompleted = 0;
  #hostsUp = 0;
  #undergoing = 0;
  #undergoingUp = false;
  // ETA smoothing, nmap's estimate_time_left().
  #prevDone = 0;
  #prevTime = 0;
  #prevRate = 0;
  #lastTimeLeft = 0;
  // Automatic (-v) printing, nmap's printStatsIfNecessary().
  #lastPrint = 0;
  #lastPrintTest = 0;
  #lastEst = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #onData: ((chunk: unknown) => void) | undefined;
  #stdin: NodeStdin | undefined;
  readonly #keys?: RuntimeKeys;
  /** Undoes the terminal's key-at-a-time mode. */
  #restoreTerminal: (() => void) | undefined;

  constructor(opts: ProgressOptions) {
    const enc = new TextEncoder();
    this.#write = opts.write ?? ((t) => {
      const b = enc.encode(t);
      for (let off = 0; off < b.length;) off += Deno.stderr.writeSync(b.subarray(off));
    });
    this.#now = opts.now ?? Date.now;
    this.#start = opts.startTime ?? this.#now();
    this.#verbose = opts.verbose ?? 0;
    this.#debug = opts.debug ?? 0;
    this.#onEstimate = opts.onEstimate;
    this.#keys = opts.keys;
    if (opts.statsEveryMs > 0) {
      const timer = setInterval(() => this.printStatus(), opts.statsEveryMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
    if (opts.interactive ?? Deno.stdin.isTerminal()) this.#listenForEnter();
  }

  #listenForEnter(): void {
    const onData = (chunk: unknown) => {
      const text = typeof chunk === "string"
        ? chunk
        : new TextDecoder().decode(chunk as Uint8Array);
      for (const key of text) this.pressed(key);
    };
    this.#onData = onData;
    this.#keyAtATime();
    import("node:process").then((m) => {
      if (this.#onData !== onData) return; // stopped meanwhile
      this.#stdin = m.default.stdin;
      this.#stdin.on("data", onData);
      this.#stdin.unref?.();
    }).catch(() => {/* no interactive status then */});
  }

  /**
   * A new phase ("Ping Scan", "SYN Stealth Scan", "Service scan"...) over
   * `hosts` hosts. Hosts in a phase after discovery are up, and nmap counts
   * them in "(N up)" while they are still being scanned.
   */
  setPhase(name: string, hosts = this.#undergoing, hostsAreUp = name !== "Ping Scan"): void {
    this.#phase = name;
    this.#undergoing = hosts;
    this.#undergoingUp = hostsAreUp;
    this.#phaseStart = this.#now();
    this.#done = this.#total = 0;
    this.#prevDone = this.#prevRate = this.#lastTimeLeft = 0;
    this.#prevTime = this.#phaseStart;
    this.#lastPrint = this.#lastPrintTest = this.#lastEst = 0;
  }

  /** Probes (or ports, or hosts) finished in this phase, of `total`. */
  update(done: number, total: number): void {
    this.#done = done;
    this.#total = total;
    if (this.#verbose > 0) this.#printIfNecessary();
  }

  /** One host finished. */
  hostDone(up: boolean): void {
    this.#hostsCompleted++;
    if (up) this.#hostsUp++;
    if (this.#undergoing > 0) this.#undergoing--;
  }

  /** The status message: the "Stats:" line, plus the timing line in a phase. */
  statusText(): string {
    const now = this.#now();
    let s = `Stats: ${
      clockDuration((now - this.#start) / 1000)
    } elapsed; ${this.#hostsCompleted} hosts completed (${
      this.#hostsUp + (this.#undergoingUp ? this.#undergoing : 0)
    } up), ${this.#undergoing} undergoing ${this.#phase || "Ping Scan"}\n`;
    if (this.#phase && this.#total > 0) s += this.#timingLine(now);
    return s;
  }

  /** nmap's keyWasPressed(): one key's effect. */
  pressed(key: string): void {
    const k = this.#keys;
    const level = (n: number) => Math.max(0, Math.min(10, n));
    if (k && (key === "v" || key === "V")) {
      k.setVerbose(level(k.verbose + (key === "v" ? 1 : -1)));
      this.#verbose = k.verbose;
      this.#write(`Verbosity ${key === "v" ? "Increased" : "Decreased"} to ${k.verbose}.\n`);
    } else if (k && (key === "d" || key === "D")) {
      k.setDebug(level(k.debug + (key === "d" ? 1 : -1)));
      this.#debug = k.debug;
      this.#write(`Debugging ${key === "d" ? "Increased" : "Decreased"} to ${k.debug}.\n`);
    } else if (k?.packetTrace && (key === "p" || key === "P")) {
      k.packetTrace(key === "p");
      this.#write(`Packet Tracing ${key === "p" ? "enabled" : "disabled"}.\n`);
    } else if (key === "?") {
      this.#write(runtimeKeysHelp(k?.packetTrace !== undefined));
    } else {
      this.printStatus();
    }
  }

  /**
   * Keys act as they are pressed, without Enter (nmap's tty_init: no ICANON, no ECHO);
   * cbreak keeps ^C a signal. The terminal's mode comes back on stop() and at exit.
   */
  #keyAtATime(): void {
    try {
      if (!Deno.stdin.isTerminal()) return;
      Deno.stdin.setRaw(true, { cbreak: true });
    } catch {
      return; // no terminal to set: lines then
    }
    const restore = () => {
      globalThis.removeEventListener("unload", restore);
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // the terminal is gone
      }
    };
    globalThis.addEventListener("unload", restore);
    this.#restoreTerminal = restore;
  }

  /** Prints {@link statusText} now (a key, --stats-every). */
  printStatus(): void {
    this.#write(this.statusText());
  }

  /** Stops the timer and the stdin reader. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#onData && this.#stdin) {
      this.#stdin.off("data", this.#onData);
      this.#stdin.pause();
    }
    this.#onData = this.#stdin = undefined;
    this.#restoreTerminal?.();
    this.#restoreTerminal = undefined;
  }

  #timingLine(now: number, left?: number): string {
    let perc = this.#done / this.#total;
    this.#lastPrint = now;
    if (perc < 0.01) return `${this.#phase} Timing: About ${(perc * 100).toFixed(2)}% done\n`;
    left ??= this.#estimateTimeLeft(now);
    if (perc > 0.9999) perc = 0.9999;
    const pct = (perc * 100).toFixed(2);
    if (left >= MAX_ETA_SECONDS) {
      return `${this.#phase} Timing: About ${pct}% done; ETC: Unknown (>10 days remaining)\n`;
    }
    this.#lastEst = now + left * 1000;
    const etc = new Date(this.#lastEst);
    this.#onEstimate?.({
      task: this.#phase,
      time: now,
      percent: Number(pct),
      remaining: left,
      etc: this.#lastEst,
    });
    return `${this.#phase} Timing: About ${pct}% done; ETC: ${pad2(etc.getHours())}:${
      pad2(etc.getMinutes())
    } (${clockDuration(left)} remaining)\n`;
  }

  /** nmap's rate-smoothed estimate (timing.cc estimate_time_left), seconds. */
  #estimateTimeLeft(now: number): number {
    const done = this.#done, total = this.#total;
    if (done >= total) return 0;
    if (done < this.#prevDone) this.#prevDone = done;
    const completed = done - this.#prevDone;
    if (completed === 0 && this.#prevRate === 0) return MAX_ETA_SECONDS;
    const sincePrev = (now - this.#prevTime) / 1000;
    if (sincePrev < 5 && this.#lastTimeLeft > sincePrev) return this.#lastTimeLeft - sincePrev;
    let rate = sincePrev > 0 ? completed / sincePrev : 0;
    if (this.#prevRate === 0) {
      const sinceStart = (now - this.#phaseStart) / 1000;
      this.#prevRate = sinceStart > 0 ? done / sinceStart : 1;
    }
    rate = 0.25 * rate + 0.75 * this.#prevRate;
    let remaining = rate > 0 ? (total - done) / rate : MAX_ETA_SECONDS;
    if (remaining > MAX_ETA_SECONDS) {
      rate = 0;
      remaining = MAX_ETA_SECONDS;
    }
    this.#lastTimeLeft = remaining;
    this.#prevTime = now;
    this.#prevDone = done;
    this.#prevRate = rate;
    return remaining;
  }

  /** -v: print the timing line when nmap's meter would (printStatsIfNecessary). */
  #printIfNecessary(): void {
    const now = this.#now();
    if (this.#lastPrint === 0) {
      if (now - this.#phaseStart <= 30_000) return;
    } else {
      if (now - this.#lastPrintTest < 3_000) return;
      if (now - this.#lastPrint < 30_000) return;
    }
    this.#lastPrintTest = now;
    const perc = this.#done / this.#total;
    if (!(perc > 0.003)) return;
    const left = this.#estimateTimeLeft(now);
    if (left < 30) return;
    let print = this.#lastEst === 0 || now > this.#lastEst;
    if (!print) {
      const prevTotal = (this.#lastEst - this.#phaseStart) / 1000;
      const prevLeft = (this.#lastEst - this.#lastPrint) / 1000;
      const change = Math.abs(prevLeft - left);
      print = this.#debug > 0 || (change > 15 && change > 0.05 * prevTotal);
    }
    if (print) this.#write(this.#timingLine(now, left));
  }
}
