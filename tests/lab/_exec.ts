/** Running commands for the lab: captured output, a time limit, and one-line errors. */

/** The outcome of a finished (or timed-out) command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** True when the time limit killed it (code is then 124, as with timeout(1)). */
  timedOut: boolean;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Kill the command after this many milliseconds (default 120 000). */
  timeoutMs?: number;
  /** Bytes or text written to its standard input (then closed). */
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `argv` to completion, capturing both outputs. A missing program gives code 127. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("run: empty command");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: opts.stdin !== undefined ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      env: opts.env,
      cwd: opts.cwd,
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return {
        code: 127,
        stdout: "",
        stderr: `${cmd}: command not found`,
        wallMs: performance.now() - t0,
        timedOut: false,
      };
    }
    throw e;
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 120_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    try {
      await w.write(
        typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
      );
    } catch { /* it exited without reading */ }
    try {
      await w.close();
    } catch { /* same */ }
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: timedOut ? 124 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    wallMs: performance.now() - t0,
    timedOut,
  };
}

/** Runs `argv` and throws (with its stderr) unless it exits 0. Returns stdout. */
export async function must(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ");
    throw new Error(
      `${argv.slice(0, 6).join(" ")}${argv.length > 6 ? " …" : ""}: ${why || `exit ${r.code}`}`,
    );
  }
  return r.stdout;
}

/** `s` without ANSI escape sequences (colour codes in deno's error messages). */
export function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}
