/**
 * nmap-syntax command line → {@link Options}, behaving like nmap 7.93's parse_options():
 * getopt_long_only (long options with one or two dashes, unique prefixes, `--opt=value`),
 * clustered short options (`-sSV`, `-p22`, `-T4`, `-vv`, `-v3`), options anywhere among the
 * targets, `--` ends options, and nmap's error texts. Timing templates (-T0..-T5) and the
 * explicit timing options interact exactly as nmap's delayed options do.
 *
 * Everything that can be checked without sending a packet is checked, so bad input ends the run
 * with one message before the engine starts. The steps, each in its module:
 *
 * 1. tokenize.ts splits argv (getopt_table.ts: which options exist);
 * 2. parse.ts runs each option's handler (handlers.ts: one table per --help section);
 * 3. delayed.ts and validate.ts apply nmap's rules between options;
 * 4. port_lists.ts reads the port lists against the services table;
 * 5. validate.ts checks the targets' syntax, file_checks.ts the input files, and the sharding.
 *
 * @module
 */

import { checkInputFiles } from "./file_checks.ts";
import { applyDelayedOptions } from "./delayed.ts";
import { readCommandLine } from "./parse.ts";
import { resolvePortLists, servicesDbLoader } from "./port_lists.ts";
import type { ServicesDb } from "../services_db.ts";
import type { Options } from "./types.ts";
import { checkTargets, shardSpec, validateOptions } from "./validate.ts";

export type * from "./types.ts";
export { type ArgKind, NMAP_LONG, SHORT, UNSUPPORTED_LONG } from "./getopt_table.ts";
export { parseDecoys, parseHexString } from "./evasion.ts";
export { expandLogFilename } from "./output.ts";
export { parseScanFlags } from "./scan_techniques.ts";
export { parseDnsServers } from "./targets_discovery.ts";
export { checkPrivileges } from "./validate.ts";
export { fmtG, parseTimeMs, parseTimeSpec, TIMER_MAX_MS } from "./values.ts";

/** Parser knobs for tests and embedding. */
export interface ParseContext {
  /** Program name for Options.argv[0] and messages. Default "porthole". */
  programName?: string;
  /** Clock for %-escapes in output file names. */
  now?: Date;
  /** Services table, when not the built-in one (--servicedb still wins). */
  servicesDb?: ServicesDb;
  /** Skip the existence checks of input files (file_checks.ts: -iL, --excludefile, --versiondb…). */
  skipFileChecks?: boolean;
}

/**
 * Parses nmap-style arguments (without the program name, i.e. Deno.args).
 * Returns the complete Options: ports already resolved against the services
 * table, timing with the -T template and explicit overrides applied. Throws
 * {@link UsageError} with nmap's wording for any bad input; call
 * `err.render()` for stderr and exit with `err.exitCode`.
 *
 * -h/--help and -V/--version stop parsing at once (as nmap exits there) and
 * set `show`; nothing after them is looked at.
 */
export function parseOptions(argv: string[], ctx: ParseContext = {}): Options {
  const s = readCommandLine(argv, ctx.programName ?? "porthole", ctx.now ?? new Date());
  const o = s.o;
  if (o.show !== undefined) return o;
  if (o.output.resume !== undefined) {
    // --resume FILE: the rest of the command line is the file's, read when the run starts.
    if (!ctx.skipFileChecks) checkInputFiles(o);
    return o;
  }
  applyDelayedOptions(s);
  validateOptions(s);
  resolvePortLists(s, servicesDbLoader(s.servicedb, o.datadir, ctx.servicesDb));
  checkTargets(o);
  if (!ctx.skipFileChecks) checkInputFiles(o);
  o.shard = shardSpec(s.shardArgs, o);
  o.warnings = s.warnings;
  return o;
}
