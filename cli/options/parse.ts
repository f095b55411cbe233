/**
 * Reads the command line: tokens (tokenize.ts) → each option's handler (handlers.ts). Nothing
 * here reads a file or the services table, and no rule between options is applied yet.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { UNSUPPORTED_LONG } from "./getopt_table.ts";
import { OPTION_HANDLERS } from "./handlers.ts";
import { newParseState, type ParseState, unsupported } from "./state.ts";
import { tokenize } from "./tokenize.ts";

/**
 * Runs every option's handler over `argv` (without the program name). -h/--help and
 * -V/--version stop at once (as nmap exits there; nothing after them is looked at) with
 * `o.show` set; `--resume FILE`, which must stand alone, sets `o.output.resume` only.
 */
export function readCommandLine(argv: string[], program: string, now: Date): ParseState {
  // Editors turn "-" into dashes; nmap checks the first character of each argument.
  argv.forEach((a, i) => {
    if (/^[\u2010-\u2015\u2212]/.test(a)) {
      fatal(`Unparseable option (dash, not '-') in argument ${i + 1}`);
    }
  });
  const s = newParseState(program, argv, now);
  if (argv[0] === "--resume") {
    if (argv.length !== 2) {
      fatal("Cannot use --resume with other options. Usage: nmap --resume <filename>");
    }
    s.o.output.resume = argv[1]!;
    return s;
  }
  for (const opt of tokenize(argv, s.operands)) {
    if (!Object.hasOwn(OPTION_HANDLERS, opt.name)) {
      // In nmap's table so that abbreviations resolve as in nmap, but not Porthole's.
      unsupported(UNSUPPORTED_LONG[opt.name] || `--${opt.name}`);
    }
    if (OPTION_HANDLERS[opt.name]!(s, opt.arg ?? "", opt) === "stop") break;
  }
  return s;
}
