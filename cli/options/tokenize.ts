/**
 * argv → option occurrences and operands, as glibc's getopt_long_only splits nmap's command
 * line: long options with one or two dashes, unique prefixes, `--opt=value`, clustered short
 * options (`-sSV`, `-p22`, `-T4`, `-vv`, `-v3`), operands anywhere, `--` ends options.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { NMAP_LONG, SHORT } from "./getopt_table.ts";

/** One parsed option occurrence. */
export interface Opt {
  /** Long name, or the short letter. */
  name: string;
  long: boolean;
  arg?: string;
  /** How the user spelled it (for messages). */
  spelled: string;
}

/** getopt's complaint, worded as glibc words it for nmap. */
function getoptError(message: string): never {
  throw new UsageError(message, "getopt");
}

const LONG_NAMES = NMAP_LONG.map(([n]) => n);
const LONG_KIND = new Map(NMAP_LONG);

/** The long option `name` abbreviates (exact, or the one option it is a prefix of). */
function matchLong(name: string, dash: string): string | undefined {
  if (LONG_KIND.has(name)) return name;
  const hits = LONG_NAMES.filter((n) => n.startsWith(name));
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) {
    getoptError(
      `option '${dash}${name}' is ambiguous; possibilities:${
        hits.map((h) => ` '${dash}${h}'`).join("")
      }`,
    );
  }
  return undefined;
}

/**
 * Splits argv into options and operands like glibc's getopt_long_only with
 * argument permutation. Yields options in order (lazily: an error further on
 * is not seen if an earlier -h/-V ends parsing, as in nmap); operands
 * (targets) are appended to `operands`.
 */
export function* tokenize(argv: readonly string[], operands: string[]): Generator<Opt> {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== "-") {
      operands.push(a);
      continue;
    }
    const dd = a.startsWith("--");
    const body = a.slice(dd ? 2 : 1);
    const eq = body.indexOf("=");
    const lname = eq >= 0 ? body.slice(0, eq) : body;
    const dash = dd ? "--" : "-";
    let name: string | undefined;
    if (dd || body.length > 1 || !(body[0]! in SHORT)) {
      name = lname === "" ? undefined : matchLong(lname, dash);
      if (name === undefined && (dd || !(body[0]! in SHORT))) {
        getoptError(`unrecognized option '${dash}${lname}'`);
      }
    }
    if (name !== undefined) {
      const kind = LONG_KIND.get(name)!;
      let arg: string | undefined;
      if (eq >= 0) {
        if (kind === "none") getoptError(`option '${dash}${name}' doesn't allow an argument`);
        arg = body.slice(eq + 1);
      } else if (kind === "required") {
        if (i + 1 >= argv.length) getoptError(`option '${dash}${name}' requires an argument`);
        arg = argv[++i]!;
      }
      yield { name, long: true, arg, spelled: `${dash}${name}` };
      continue;
    }
    // A cluster of short options: -nv, -sSV, -p22, -T4, -vvv.
    for (let j = 0; j < body.length; j++) {
      const c = body[j]!;
      const kind = SHORT[c];
      if (kind === undefined) getoptError(`invalid option -- '${c}'`);
      if (kind === "none") {
        yield { name: c, long: false, spelled: `-${c}` };
        continue;
      }
      const rest = body.slice(j + 1);
      if (rest !== "") {
        yield { name: c, long: false, arg: rest, spelled: `-${c}` };
      } else if (kind === "required") {
        if (i + 1 >= argv.length) getoptError(`option requires an argument -- '${c}'`);
        yield { name: c, long: false, arg: argv[++i]!, spelled: `-${c}` };
      } else {
        yield { name: c, long: false, spelled: `-${c}` };
      }
      break;
    }
  }
}
