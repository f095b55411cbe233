/**
 * Small text helpers the file writers share: nmap's ctime() dates, its way of
 * quoting the command line into "as: ..." headers (and reading it back for
 * --resume), and control-character escaping for line-oriented files.
 */

/** The word nmap's file headers start with ("# Nmap 7.93 scan initiated ...",
 * "# Nmap done at ..."): tools that read nmap's files key on it, so Porthole
 * keeps it; the version and the "as:" command line name the real program. */
export const BANNER_NAME = "Nmap";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad2 = (n: number) => String(n).padStart(2, "0");

/** C's ctime() without the newline, local time: "Wed Nov  5 15:31:45 2026". */
export function ctime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
}

/** Whole seconds since the epoch, as nmap's time attributes carry them. */
export function epochSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/** nmap's join_quoted(): arguments joined by spaces; an argument holding
 * whitespace is wrapped in double quotes; `"` and `\` get a backslash. */
export function joinQuoted(args: readonly string[]): string {
  return args.map((a) => {
    const body = a.replace(/["\\]/g, (c) => "\\" + c);
    return /\s/.test(a) ? `"${body}"` : body;
  }).join(" ");
}

/** Inverse of {@link joinQuoted} (also accepts single quotes), for --resume. */
export function splitQuoted(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && i + 1 < line.length && quote === '"') cur += line[++i];
      else if (c === quote) quote = "";
      else cur += c;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      inWord = true;
      if (c === '"' || c === "'") quote = c;
      else if (c === "\\" && i + 1 < line.length) cur += line[++i];
      else cur += c;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * Makes untrusted text safe for a line-oriented file someone may `cat` to a
 * terminal: C0 controls (TAB and newline too, so a field cannot fake a new
 * field or line), DEL and C1 controls become `\xNN` as nmap's
 * escape_for_screen() writes them; lone UTF-16 surrogates become `\uXXXX`.
 */
export function escapeControls(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]|[\ud800-\udfff]/gu, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? "\\x" + code.toString(16).toUpperCase().padStart(2, "0")
      : "\\u" + code.toString(16).toUpperCase().padStart(4, "0");
  });
}
