/**
 * Porthole's command line: nmap's flags, nmap's answers.
 *
 *     deno task porthole -sS -p 22,80 127.0.0.1
 *
 * Parses the options (bad input: nmap's message on stderr and its exit
 * status, never a stack trace), answers --help / --version / --iflist, and
 * hands everything else to the application (cli/app/run.ts). Heavy modules
 * (packet core, FFI, service detection) load lazily so --help and --version
 * start fast.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { firstMissing, IFLIST_NEEDS, permissionMessage } from "./app/permissions.ts";
import * as app from "./app/commands.ts";
import type { PartialHost } from "./app/commands.ts";

const encoder = new TextEncoder();

/** Exit status after stdout was closed under us (`| head`): the shell's for a SIGPIPE death,
 * as nmap's. */
export const BROKEN_PIPE_EXIT = 141;

/** What to do once stdout is a broken pipe; set by main() for the run it starts. */
let onStdoutClosed = () => {};
let stdoutClosed = false;

function writeAll(fd: { writeSync(p: Uint8Array): number }, s: string): void {
  let bytes = encoder.encode(s);
  while (bytes.length > 0) {
    const n = fd.writeSync(bytes);
    bytes = bytes.subarray(n);
  }
}

/** Standard output; once the reader is gone (EPIPE), further text is dropped quietly. */
const stdout = (s: string) => {
  if (stdoutClosed) return;
  try {
    writeAll(Deno.stdout, s);
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    stdoutClosed = true;
    onStdoutClosed();
  }
};

/** Standard error: every message may quote user input or a banner, so control bytes are
 * escaped (nmap's \xHH) here, once for all of them. */
const stderr = (s: string) => {
  try {
    writeAll(Deno.stderr, app.escapeTerminal(s));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
};

/** Runs the CLI with `args` (without the program name); returns the exit status. */
export async function main(args: string[]): Promise<number> {
  // Bare `porthole`: nmap prints its usage and exits with -1 (255).
  if (args.length === 0) {
    const help = await import("./help.ts");
    stdout(help.helpText());
    return 255;
  }
  // `porthole --version` / `--help` alone answer before the option parser (and the 360 KB
  // services table it needs) is even loaded: startup stays under 100 ms.
  if (args.length === 1 && ["-V", "--version", "-h", "--help"].includes(args[0]!)) {
    const help = await import("./help.ts");
    stdout(
      args[0]!.startsWith("-h") || args[0] === "--help" ? help.helpText() : help.versionText(),
    );
    return 0;
  }
  // porthole --merge OUT SHARD...: a sharded scan's outputs made one (./merge.ts).
  if (args[0] === "--merge") {
    try {
      if (args.length < 3) {
        throw new UsageError(
          "Usage: porthole --merge OUT SHARD-FILE... (every shard's -oX or -oJ file)",
        );
      }
      const { mergeShards } = await import("./merge.ts");
      stdout(mergeShards(args[1]!, args.slice(2)) + "\n");
      return 0;
    } catch (e) {
      if (e instanceof UsageError) {
        stderr(e.render());
        return e.exitCode;
      }
      throw e;
    }
  }
  // `porthole inventory …`: the store of scans (cli/inventory/), never nmap's syntax.
  if (args[0] === "inventory") {
    const { inventoryMain } = await import("./inventory/main.ts");
    const io = { stdout, stderr };
    // A watch that scans runs the scanner here (cli/app/watch_scans.ts): the face composes.
    return await inventoryMain(args.slice(1), io, {
      watchScans: async (plan) => (await import("./app/watch_scans.ts")).watchScans(plan, io),
    });
  }
  const { parseOptions } = await import("./options/mod.ts");
  let opts;
  try {
    opts = parseOptions(args);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(e.render());
      return e.exitCode;
    }
    throw e;
  }
  if (opts.show === "thc") {
    stdout("!!Greets to Van Hauser, Plasmoid, Skyper and the rest of THC!!\n"); // as nmap, then exit 0
    return 0;
  }
  if (opts.show === "help" || opts.show === "version") {
    const help = await import("./help.ts");
    stdout(opts.show === "help" ? help.helpText() : help.versionText());
    return 0;
  }
  if (opts.scripts?.help !== undefined) {
    // nmap --script-help: the chosen scripts' descriptions; no target, no packet.
    try {
      stdout(await app.scriptHelp(opts.scripts.help));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      stderr(e.render());
      return e.exitCode;
    }
    return 0;
  }
  if (opts.libpcap !== undefined) {
    // Only from the command line: a resume file is data, and never names code to load.
    await app.useLibpcap(opts.libpcap);
  }
  if (opts.ifList) {
    const missing = firstMissing(IFLIST_NEEDS);
    if (missing) {
      stderr(new UsageError(missing).render());
      return 1;
    }
    stdout(await app.interfaceList());
    return 0;
  }
  const { runScan, trace } = await import("./app/run.ts");
  trace("main: engine loaded");
  try {
    let skipHosts: Set<string> | undefined;
    let partialHosts: PartialHost[] | undefined;
    if (opts.output.resume !== undefined) {
      // nmap --resume FILE: the original command line comes from the file;
      // finished hosts are skipped, writers append (XML continues in place).
      const state = await app.readResumeState(opts.output.resume);
      const resumed = parseOptions(state.argv);
      resumed.output.resume = opts.output.resume;
      if (resumed.libpcap !== undefined) {
        stderr("WARNING: ignoring --libpcap in the resume file; the system's libpcap is used.\n");
      }
      opts = resumed;
      skipHosts = state.doneHosts;
      // Hosts it had started: only their missing ports are scanned.
      partialHosts = state.partialHosts;
    }
    // `| head`: with nothing but stdout to write, stop at once, quietly; files asked
    // with -o* are still written whole and the scan ends as usual.
    const o = opts.output;
    const files = [o.normal, o.xml, o.grepable, o.json, o.skid].some((p) =>
      p !== undefined && p !== "-"
    );
    onStdoutClosed = () => {
      if (!files) Deno.exit(BROKEN_PIPE_EXIT);
    };
    return await runScan(opts, { stdout, stderr }, { skipHosts, partialHosts });
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(e.render());
      return e.exitCode;
    }
    throw e;
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    // Anything unexpected: one line, no stack trace.
    let msg = e instanceof Error ? e.message : String(e);
    const denied = permissionMessage(e);
    if (denied) msg = denied;
    else {
      try {
        msg = await app.describeFailure(e);
      } catch {
        // keep the plain message
      }
    }
    stderr(`porthole: ${msg.split("\n")[0]}\nQUITTING!\n`);
    code = 1;
  }
  // A stop signal (./app/signals.ts) outranks a reader gone meanwhile (SIGHUP's terminal).
  const { stopSignalOf, dieBySignal } = await import("./app/signals.ts");
  if (stdoutClosed && !stopSignalOf(code)) code = BROKEN_PIPE_EXIT;
  try {
    if (Deno.env.get("PORTHOLE_DEBUG_TIMING") === "1") {
      console.error(`timing: ${performance.now().toFixed(1)} ms exit`);
    }
  } catch {
    // no --allow-env: no tracing
  }
  // Interrupted by SIGINT, SIGTERM or SIGHUP, with every file written: end by
  // that signal, so the caller (a shell loop) sees it and stops too.
  const sig = stopSignalOf(code);
  if (sig) dieBySignal(sig);
  // Deno stores its V8 code cache of this module on a turn of its event loop; a run that ends
  // within promise jobs (--version, --help, bad input) would exit first, and every start of the
  // bundle would parse all of it again (three times the work of a --version). An empty dynamic
  // import is a turn that costs nothing (a timer would load Deno's Node timers); not a literal,
  // or deno bundle would inline it.
  const emptyModule = "data:text/javascript,";
  await import(emptyModule).catch(() => {});
  Deno.exit(code);
}
