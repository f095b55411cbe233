/**
 * What one run shares beyond the engine's context: the whole parsed command line, the scripts
 * loaded for it and traceroute's hop cache; and the engine's narrow configuration, built from
 * the command line.
 *
 * @module
 */

import type { EngineConfig } from "../engine/config.ts";
import type { EngineContext } from "../engine/context.ts";
import type { Options } from "../options/types.ts";
import type { ScriptRunner } from "../scripts/mod.ts";
import type { HopCache } from "../trace/trace.ts";

/** The engine's context plus what only the application reads. */
export interface RunContext extends EngineContext {
  /** The parsed command line (the engine sees `opts`, its EngineConfig, only). */
  options: Options;
  /** --traceroute: the hops every trace of the run met so far (nmap's global hop cache). */
  hops?: HopCache;
  /** -sC/--script: the scripts, loaded once for the run (cli/scripts/mod.ts). */
  scripts?: ScriptRunner;
}

/**
 * The engine's view of `opts`. Verbosity and debugging are read through, because the run-time
 * keys (v/V, d/D) change them while the scan runs.
 */
export function engineConfig(opts: Options): EngineConfig {
  return {
    discovery: opts.discovery,
    timing: opts.timing,
    shaping: opts.shaping,
    sendMode: opts.sendMode,
    randomizePorts: opts.randomizePorts,
    proxies: opts.proxies,
    defeatIcmpRatelimit: opts.defeatIcmpRatelimit,
    adler32: opts.adler32,
    defeatRstRatelimit: opts.defeatRstRatelimit,
    discoveryIgnoreRst: opts.discoveryIgnoreRst,
    get verbose() {
      return opts.verbose;
    },
    get debug() {
      return opts.debug;
    },
  };
}
