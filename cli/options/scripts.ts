/**
 * --help's SCRIPT SCAN: -sC and the --script options (NSE, cli/scripts/).
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { type OptionFamily, type OptionTable, scriptOptions } from "./state.ts";
import { timeArgMs } from "./values.ts";

const options: OptionTable = {
  script: (s, rules) => {
    scriptOptions(s).rules.push(...rules.split(","));
  },
  "script-args": (s, args) => {
    scriptOptions(s).args = args;
  },
  "script-args-file": (s, file) => {
    scriptOptions(s).argsFile = file;
  },
  "script-write-dir": (s, dir) => {
    scriptOptions(s).writeDir = dir;
  },
  "script-trace": (s) => {
    s.scriptTrace = true; // applied with the scripts chosen (delayed.ts)
  },
  "script-help": (s, rules) => {
    scriptOptions(s).help = rules;
  },
  "script-updatedb": (s) => {
    s.o.scriptUpdateDb = true; // nmap: the database is rebuilt before any scan (run.ts)
  },
  "script-timeout": (s, arg) => {
    const ms = timeArgMs(arg);
    if (ms <= 0) fatal("Bogus --script-timeout argument specified");
    scriptOptions(s).timeoutMs = ms;
  },
};

const scanTypes: OptionTable = {
  C: (s) => {
    scriptOptions(s).rules.push("default");
  },
};

/** NSE scripts. */
export const scripts: OptionFamily = { options, scanTypes };
