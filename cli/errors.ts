/**
 * User-facing errors. nmap reports bad input in one of two manners, and
 * Porthole keeps both so scripts that parse nmap's stderr keep working:
 *
 * - fatal(): the message, then "QUITTING!" on its own line, exit status 1;
 * - a bare message with exit status 255 (bad -s letters);
 * - getopt's complaints ("unrecognized option", "requires an argument"),
 *   followed by "See the output of nmap -h for a summary of options.",
 *   exit status 255.
 */

/** How a {@link UsageError} is worded on stderr. */
export type UsageErrorStyle = "fatal" | "getopt" | "plain";

/** Bad command line, port spec, target, file or rate: print and exit, send nothing. */
export class UsageError extends Error {
  /** "fatal" ends with QUITTING! (exit 1); "getopt" points at --help (exit 255);
   * "plain" is the bare message (exit 255), as nmap's "Scantype X not supported". */
  readonly style: UsageErrorStyle;

  constructor(message: string, style: UsageErrorStyle = "fatal") {
    super(message);
    this.name = "UsageError";
    this.style = style;
  }

  /** Process exit status nmap uses for this kind of error. */
  get exitCode(): number {
    return this.style === "fatal" ? 1 : 255;
  }

  /** The exact text for stderr, ending in a newline. */
  render(program = "porthole"): string {
    if (this.style === "plain") return `${this.message}\n`;
    if (this.style === "getopt") {
      return `${program}: ${this.message}\nSee the output of ${program} -h for a summary of options.\n`;
    }
    return `${this.message}\nQUITTING!\n`;
  }
}

/** Throws a fatal {@link UsageError} (nmap's fatal()). */
export function fatal(message: string): never {
  throw new UsageError(message, "fatal");
}

/** The flag that grants a permission: "net" → "--allow-net". */
function flagOf(name: string): string {
  return `--allow-${name}`;
}

/** The sentence for a missing permission: "Porthole needs Deno's net permission for a
 * connect scan (-sT): run Deno with --allow-net". */
export function missingPermissionSentence(name: string, why: string): string {
  return `Porthole needs Deno's ${name} permission${why ? ` ${why}` : ""}: run Deno with ${
    flagOf(name)
  }`;
}
