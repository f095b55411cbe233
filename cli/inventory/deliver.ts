/**
 * Where `porthole inventory watch` delivers a report besides stdout: one HTTP POST to a webhook
 * (`--webhook URL`), or a command run through `/bin/sh -c` with the NDJSON on its stdin
 * (`--exec CMD`). This module is the only one of Porthole's that starts a process, and only
 * `/bin/sh`: the entry points do not grant Deno's run permission, so `--exec` needs the user to
 * add `--allow-run=/bin/sh` (README, "Inventory": why the scanner keeps its permissions).
 *
 * @module
 */

import { missingPermissionSentence } from "../errors.ts";

/** The shell `--exec` runs its command with, as cron does. */
export const SHELL = "/bin/sh";

/** POSTs the events as NDJSON; throws an Error with one line when the hook does not take
 * them (no answer, or a status other than 2xx). */
export async function postWebhook(url: string, body: string): Promise<void> {
  let r: Response;
  try {
    r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new Error(`webhook ${url}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
  await r.body?.cancel();
  if (!r.ok) throw new Error(`webhook ${url}: HTTP ${r.status}`);
}

/**
 * Why `--exec` could not run its command, as one sentence; undefined when it can. Asked before
 * the watch scans: without the run permission, or when Deno would refuse the shell anyway (an
 * environment with LD_PRELOAD or LD_LIBRARY_PATH needs the whole --allow-run), the user hears it
 * now rather than the first time there is something to report. The check starts the shell once
 * with `:`, which does nothing.
 */
export async function execProblem(): Promise<string | undefined> {
  if (Deno.permissions.querySync({ name: "run", command: SHELL }).state !== "granted") {
    return missingPermissionSentence("run", `for --exec (it runs ${SHELL})`).replace(
      /--allow-run$/,
      `--allow-run=${SHELL}, or leave --exec out and pipe the watch's output to the command`,
    );
  }
  try {
    const r = await new Deno.Command(SHELL, {
      args: ["-c", ":"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success ? undefined : `--exec cannot run ${SHELL} (exit status ${r.code})`;
  } catch (e) {
    return `--exec cannot start ${SHELL}: ${e instanceof Error ? e.message.split("\n")[0] : e}`;
  }
}

/**
 * Runs `command` through `/bin/sh -c` with `body` on its stdin and waits for it. Its stdout
 * and stderr go to `stderr` (Porthole's stdout carries the events only). Returns undefined
 * when it exited 0, else one line saying how it ended. A command that does not read its stdin
 * is no error.
 */
export async function execCommand(
  command: string,
  body: string,
  stderr: (s: string) => void,
): Promise<string | undefined> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(SHELL, {
      args: ["-c", command],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    return `--exec ${command}: ${e instanceof Error ? e.message.split("\n")[0] : e}`;
  }
  const relay = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) stderr(dec.decode(chunk, { stream: true }));
    const tail = dec.decode();
    if (tail) stderr(tail);
  };
  const feed = async () => {
    const w = child.stdin.getWriter();
    try {
      await w.write(new TextEncoder().encode(body));
      await w.close();
    } catch {
      // The command ended without reading all of it: its exit status says how it went.
    }
  };
  const [status] = await Promise.all([
    child.status,
    feed(),
    relay(child.stdout),
    relay(child.stderr),
  ]);
  if (status.success) return undefined;
  return status.signal
    ? `--exec ${command}: killed by ${status.signal}`
    : `--exec ${command}: exit status ${status.code}`;
}
