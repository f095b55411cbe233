/**
 * Where a script scan's time goes. nmap and Porthole both print `NSE: Starting SCRIPT against
 * HOST:PORT.` and `NSE: Finished …` at `-d`; each line stamped with the time it arrived gives
 * every script thread's span, and the threads that end last are the run's critical path
 * (`bench/sc_lab.ts --timeline DIR` runs both tools so).
 *
 * @module
 */

/** One output line and the seconds since the command started when it arrived. */
export interface Stamped {
  t: number;
  line: string;
}

/** One script thread: when its action started and, unless the run ended first, finished. */
export interface ThreadSpan {
  script: string;
  /** "HOST:PORT", or "HOST" for a host script, "" for pre- and post-rule scripts. */
  target: string;
  start: number;
  end?: number;
}

const NSE_LINE = /NSE: (Starting|Finished) (\S+?)(?: against (.+?))?\.\s*$/;

/** The script threads of stamped `-d` output, in the order they started. */
export function threadSpans(lines: readonly Stamped[]): ThreadSpan[] {
  const open = new Map<string, ThreadSpan>();
  const spans: ThreadSpan[] = [];
  for (const { t, line } of lines) {
    const m = NSE_LINE.exec(line);
    if (!m) continue;
    // "name (ip:port)" when the user gave a name: the address is what tells threads apart.
    const target = (m[3] ?? "").replace(/^.* \((.+)\)$/, "$1");
    const key = `${m[2]} ${target}`;
    if (m[1] === "Starting") {
      const s = { script: m[2]!, target, start: t };
      open.set(key, s);
      spans.push(s);
    } else {
      const s = open.get(key);
      if (s) s.end = t;
      open.delete(key);
    }
  }
  return spans;
}

/** The threads that ended last (the unfinished ones first), then the longest, one line each. */
export function timelineSummary(spans: readonly ThreadSpan[], n = 12): string {
  const end = (s: ThreadSpan) => s.end ?? Infinity;
  const line = (s: ThreadSpan) =>
    `${s.start.toFixed(1).padStart(7)} → ${
      s.end === undefined
        ? "    (not finished)"
        : `${s.end.toFixed(1).padStart(7)} (${(s.end - s.start).toFixed(1).padStart(6)} s)`
    }  ${s.script} ${s.target}`;
  const last = [...spans].sort((a, b) => end(b) - end(a)).slice(0, n);
  const longest = [...spans].sort((a, b) => (end(b) - b.start) - (end(a) - a.start)).slice(0, n);
  return [
    "ended last:",
    ...last.map(line),
    "longest:",
    ...longest.map(line),
  ].join("\n");
}

/** Runs `argv`, stamping each line of its standard output as it arrives (stderr is kept whole). */
export async function stampedRun(
  argv: string[],
  opts: { cwd?: string; timeoutMs: number },
): Promise<{ wallS: number; code: number; lines: Stamped[]; stderr: string }> {
  const [cmd, ...args] = argv;
  const t0 = performance.now();
  const child = new Deno.Command(cmd!, {
    args,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs);
  const lines: Stamped[] = [];
  const stderr = new Response(child.stderr).text();
  let rest = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const t = (performance.now() - t0) / 1000;
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const line of parts) lines.push({ t, line });
  }
  if (rest) lines.push({ t: (performance.now() - t0) / 1000, line: rest });
  const { code } = await child.status;
  clearTimeout(timer);
  return { wallS: (performance.now() - t0) / 1000, code, lines, stderr: await stderr };
}
