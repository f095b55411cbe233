/**
 * nmap's -v progress lines on stdout (scan_engine.cc and ScanProgressMeter):
 *
 *     Initiating SYN Stealth Scan at 16:19
 *     Scanning scanme.lab (10.228.1.1) [3 ports]
 *     Discovered open port 80/tcp on 10.228.1.1
 *     Completed SYN Stealth Scan at 16:19, 1.21s elapsed (3 total ports)
 *
 * They go to the terminal only (not to -oN files), and not at all when a
 * machine format owns stdout (-oX - and friends).
 *
 * @module
 */

/** "16:19": nmap's %H:%M in local time. */
export function clock(d = new Date()): string {
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** nmap's NameIP(): "name (addr)" when the host has a name, else the address. */
export function nameIp(address: string, name?: string): string {
  return name ? `${name} (${address})` : address;
}

/** One running task ("Initiating … / Completed …"). */
export interface ChatterTask {
  done(info: string): void;
}

/** Where a task's beginning and end are recorded besides the terminal (XML's <taskbegin>,
 * <taskend>); times are epoch ms. */
export interface TaskRecorder {
  begin(task: string, time: number): void;
  /** `extrainfo` absent: a task with no totals (nmap's Traceroute). */
  end(task: string, time: number, extrainfo?: string): void;
}

export class Chatter {
  /**
   * `enabled`: the lines go to the terminal. `tasks`: beginnings and ends are recorded (nmap
   * writes them to XML with -v even when a machine format owns stdout).
   */
  constructor(
    /** Changes at run time with the v/V keys. */
    public enabled: boolean,
    readonly write: (line: string) => void,
    readonly tasks?: TaskRecorder,
  ) {}

  /**
   * Start a task: `title` like "SYN Stealth Scan", `targets` the hosts'
   * names (one name, or a count), `probes` probes per host.
   */
  start(title: string, targets: string[], probes: number): ChatterTask {
    const tasks = this.tasks;
    tasks?.begin(title, Date.now());
    if (!this.enabled) return { done: (info) => tasks?.end(title, Date.now(), info) };
    const t0 = performance.now();
    const plural = targets.length !== 1;
    this.write(`Initiating ${title} at ${clock()}`);
    const who = plural ? `${targets.length} hosts` : targets[0]!;
    this.write(
      `Scanning ${who} [${probes} port${probes !== 1 ? "s" : ""}${plural ? "/host" : ""}]`,
    );
    return {
      done: (info: string) => {
        const s = ((performance.now() - t0) / 1000).toFixed(2);
        this.write(`Completed ${title} at ${clock()}, ${s}s elapsed (${info})`);
        tasks?.end(title, Date.now(), info);
      },
    };
  }

  /**
   * A task with no "Scanning" line, as nmap's traceroute (one per host group): "Initiating
   * Traceroute at 16:19", then "Completed Traceroute at 16:19, 3.03s elapsed" — and "(info)"
   * after it when `done` is given one, as nmap's idle scan ("(12 ports)").
   */
  startPlain(title: string): { done(info?: string): void } {
    const tasks = this.tasks;
    tasks?.begin(title, Date.now());
    const t0 = performance.now();
    const enabled = this.enabled;
    if (enabled) this.write(`Initiating ${title} at ${clock()}`);
    return {
      done: (info?: string) => {
        const s = ((performance.now() - t0) / 1000).toFixed(2);
        const tail = info === undefined ? "" : ` (${info})`;
        if (enabled) this.write(`Completed ${title} at ${clock()}, ${s}s elapsed${tail}`);
        tasks?.end(title, Date.now(), info);
      },
    };
  }

  /** "Discovered open port 22/tcp on 10.0.0.1". */
  open(port: number, protocol: string, address: string): void {
    if (this.enabled) this.write(`Discovered open port ${port}/${protocol} on ${address}`);
  }
}

/** The "(…)" of a Completed line: totals, or how many hosts timed out. */
export function completedInfo(
  kind: "hosts" | "ports",
  hosts: number,
  probesPerHost: number,
  timedOut: number,
): string {
  if (timedOut > 0) return `${timedOut} ${timedOut === 1 ? "host" : "hosts"} timed out`;
  return kind === "hosts" ? `${hosts} total hosts` : `${hosts * probesPerHost} total ports`;
}
