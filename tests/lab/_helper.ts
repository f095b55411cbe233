/**
 * The command line every helper process of the lab shares (`services.ts`, `path.ts`):
 * `[--detach] CONFIG_JSON`. Such a process exits on SIGTERM, SIGINT and SIGHUP and, unless
 * `--detach`, when its standard input reaches end of file: the lab keeps that pipe open, so the
 * helper dies with the process that started it, however that one dies.
 *
 * @module
 */

/** The helper's configuration text, and a promise that resolves when its starter is gone
 * (never, for a detached helper). Exits with a usage line on a bad command line. */
export function helperArgs(name: string): { config: string; stop: Promise<void> } {
  const args = [...Deno.args];
  const detach = args[0] === "--detach";
  if (detach) args.shift();
  if (args.length !== 1) {
    console.error(`usage: ${name}.ts [--detach] CONFIG_JSON`);
    Deno.exit(2);
  }
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    Deno.addSignalListener(sig, () => Deno.exit(0));
  }
  const stop = detach ? new Promise<void>(() => {}) : (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
    } catch { /* closed */ }
  })();
  return { config: args[0]!, stop };
}
