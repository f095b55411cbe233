/** Frames as a lab target sees them: tcpdump in its namespace while a scan runs. */

/**
 * tcpdump's lines for the frames matching `filter` that reach `ns`'s eth0 while `body` runs
 * (with -e, the link-level header, unless `link` is false; with -v when `verbose`: IP fields,
 * the addresses then on a line of their own). Bounded: tcpdump is stopped by its pid when `body`
 * ends.
 */
export async function captureIn(
  ns: string,
  filter: string,
  body: () => Promise<void>,
  verbose = false,
  link = true,
): Promise<string[]> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "tcpdump",
      ...(link ? ["-e"] : []),
      ...(verbose ? ["-v"] : []),
      "-n",
      "-l",
      "-U",
      "-Q",
      "in",
      "-i",
      "eth0",
      filter,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let stderr = "";
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("listening on")) {
      const next = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
      ]);
      if (next === null) throw new Error("tcpdump: no 'listening on' in 20 s");
      if (next.done) throw new Error(`tcpdump did not start: ${stderr.trim()}`);
      stderr += next.value;
    }
    await body();
    await new Promise((r) => setTimeout(r, 300)); // the last frames in flight
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    await child.status;
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })().catch(() => {});
  }
  return (await stdout).split("\n").filter((l) => l.trim() !== "");
}
