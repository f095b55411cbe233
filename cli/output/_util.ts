/**
 * Small helpers the file writers share beyond cli/output/format.ts: the
 * banner word, epoch seconds, and reading a quoted "as: ..." command line
 * back for --resume.
 */

/** The word nmap's file headers start with ("# Nmap 7.93 scan initiated ...",
 * "# Nmap done at ..."): tools that read nmap's files key on it, so Porthole
 * keeps it; the version and the "as:" command line name the real program. */
export const BANNER_NAME = "Nmap";

/** Whole seconds since the epoch, as nmap's time attributes carry them. */
export function epochSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/** Inverse of format.ts joinQuoted() (also accepts single quotes), for --resume. */
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
