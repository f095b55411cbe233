/**
 * A two-namespace lab for the OS-edge tests and benchmark: `ph-ffi-<tag>-s`
 * (the scanner side) and `ph-ffi-<tag>-l` (the lab host), joined by one veth
 * pair, with 10.251.0.0/24 and fd00:251::/64 on it. Packets are only ever
 * sent inside these namespaces. `close()` removes both namespaces (which
 * also removes the veth pair and kills nothing else); call it in `finally`.
 *
 * @module
 */

/** Is this process root (needed for namespaces and raw sockets)? */
export function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** Why lab tests cannot run here, or undefined when they can. */
export function labUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") return "network-namespace lab needs Linux";
  if (!isRoot()) return "network-namespace lab needs root (run the tests as root)";
  return undefined;
}

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`, default 120 s,
 * so a hung child cannot hang the suite). */
export async function run(
  cmd: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const p = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
    stdin: opts.input !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.input !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
  }
  const out = await p.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function must(cmd: string[]): Promise<string> {
  const r = await run(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The Deno binary the tests run with. */
export const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;

/** One side of the lab. */
export interface LabSide {
  ns: string;
  iface: string;
  mac: string;
  v4: string;
  v6: string;
}

/** A running lab. */
export interface FfiLab {
  tag: string;
  /** The scanner side (where our code runs). */
  scanner: LabSide;
  /** The lab host (where the kernel answers). */
  host: LabSide;
  /** Runs a command inside a namespace. */
  exec(
    ns: string,
    cmd: string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<RunResult>;
  /** Starts a long-running command inside a namespace. */
  spawn(ns: string, cmd: string[]): Deno.ChildProcess;
  /** Runs a Deno script inside a namespace with the given permissions. */
  deno(ns: string, script: string, args: string[], perms?: string[]): Promise<RunResult>;
  /** Removes the namespaces (idempotent). */
  close(): Promise<void>;
}

/** Creates the lab. On any failure the half-built lab is removed again. */
export async function createLab(opts: { mtu?: number } = {}): Promise<FfiLab> {
  const tag = crypto.randomUUID().slice(0, 6);
  const nsS = `ph-ffi-${tag}-s`, nsL = `ph-ffi-${tag}-l`;
  const ifS = `phf${tag}s`, ifL = `phf${tag}l`;
  let closed = false;
  const children: Deno.ChildProcess[] = [];
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch {
        // already exited
      }
      await c.status.catch(() => {});
    }
    await run(["ip", "netns", "del", nsS]);
    await run(["ip", "netns", "del", nsL]);
  };
  try {
    await must(["ip", "netns", "add", nsS]);
    await must(["ip", "netns", "add", nsL]);
    await must([
      "ip",
      "link",
      "add",
      ifS,
      "netns",
      nsS,
      "type",
      "veth",
      "peer",
      "name",
      ifL,
      "netns",
      nsL,
    ]);
    const side = async (ns: string, iface: string, n: number): Promise<LabSide> => {
      const v4 = `10.251.0.${n}`, v6 = `fd00:251::${n}`;
      await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
      if (opts.mtu) await must(["ip", "-n", ns, "link", "set", iface, "mtu", String(opts.mtu)]);
      await must(["ip", "-n", ns, "addr", "add", `${v4}/24`, "dev", iface]);
      await must(["ip", "-n", ns, "addr", "add", `${v6}/64`, "dev", iface, "nodad"]);
      await must(["ip", "-n", ns, "link", "set", iface, "up"]);
      const link = JSON.parse(await must(["ip", "-n", ns, "-j", "link", "show", iface]));
      return { ns, iface, mac: link[0].address, v4, v6 };
    };
    const scanner = await side(nsS, ifS, 1);
    const host = await side(nsL, ifL, 2);
    const exec = (ns: string, cmd: string[], o?: { input?: string }) =>
      run(["ip", "netns", "exec", ns, ...cmd], o);
    return {
      tag,
      scanner,
      host,
      exec,
      spawn(ns, cmd) {
        const c = new Deno.Command("ip", {
          args: ["netns", "exec", ns, ...cmd],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        })
          .spawn();
        children.push(c);
        return c;
      },
      deno(ns, script, args, perms = ["--allow-ffi"]) {
        return exec(ns, [DENO, "run", "--quiet", ...perms, script, ...args]);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Reads a child's stdout until a line contains `text` (or the timeout);
 * returns that line. The rest of the output is discarded. */
export async function waitForLine(
  child: Deno.ChildProcess,
  text: string,
  timeoutMs = 10000,
): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let id: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<never>((_, rej) => {
    id = setTimeout(() => rej(new Error(`timed out waiting for "${text}"`)), timeoutMs);
  });
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), timer]);
      if (done) throw new Error(`exited before printing "${text}": ${buf}`);
      buf += value;
      const line = buf.split("\n").find((l) => l.includes(text));
      if (line !== undefined) return line;
    }
  } finally {
    clearTimeout(id);
    reader.releaseLock();
  }
}
