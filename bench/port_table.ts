/**
 * Reads the port table out of nmap's (or Porthole's) normal output, so the bench can say
 * whether a fast answer is also the right one.
 */

/** One host's answer as the normal output states it. */
export interface PortTable {
  /** "22/tcp open" lines, as `port/proto state`, sorted. */
  rows: string[];
  /** The "Not shown: …" / "All N scanned ports … ignored states" summary, tool name removed. */
  folded: string;
}

const ROW = /^(\d+\/(?:tcp|udp))\s+(open\|filtered|closed\|filtered|\S+)/;

/** Extracts the first host's port table from normal output. */
export function portTable(normalOutput: string): PortTable {
  const rows: string[] = [];
  let folded = "";
  for (const line of normalOutput.split("\n")) {
    const m = ROW.exec(line);
    if (m) rows.push(`${m[1]} ${m[2]}`);
    else if (line.startsWith("Not shown:") || /^All \d+ scanned ports/.test(line)) {
      folded = line.replace(/ on \S+( \(\S+\))?/, "").trim();
    }
  }
  rows.sort();
  return { rows, folded };
}

/** Differences between two tables, as human-readable lines; empty when identical. */
export function tableDiff(expected: PortTable, actual: PortTable): string[] {
  const diffs: string[] = [];
  const a = new Set(actual.rows);
  const e = new Set(expected.rows);
  for (const r of expected.rows) if (!a.has(r)) diffs.push(`missing ${r}`);
  for (const r of actual.rows) if (!e.has(r)) diffs.push(`extra ${r}`);
  if (expected.folded !== actual.folded) {
    diffs.push(`summary "${actual.folded}" vs "${expected.folded}"`);
  }
  return diffs;
}

/** masscan's "Discovered open port 22/tcp on 10.0.0.1" lines as a set of open-port rows. */
export function masscanOpenRows(output: string): Map<string, Set<string>> {
  const byHost = new Map<string, Set<string>>();
  for (const m of output.matchAll(/Discovered open port (\d+\/(?:tcp|udp)) on (\S+)/g)) {
    const set = byHost.get(m[2]!) ?? new Set<string>();
    set.add(`${m[1]} open`);
    byHost.set(m[2]!, set);
  }
  return byHost;
}
