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

/** The state a table gives the ports it does not list: its one folded state, if one. */
function foldedState(t: PortTable): string | undefined {
  const states = [...t.folded.matchAll(/(\d+) (\S+) (?:tcp|udp) ports/g)].map((m) => m[2]!);
  if (/^All \d+ scanned ports/.test(t.folded)) {
    return /are in ignored states/.test(t.folded)
      ? /Not shown: \d+ (\S+)/.exec(t.folded)?.[1]
      : undefined;
  }
  return states.length === 1 ? states[0] : undefined;
}

/**
 * Differences between two tables, port by port, as human-readable lines; empty when they give
 * every port the same state. A port one table lists and the other folds away takes the other's
 * folded state, so a table that lists closed ports the reference folded is not "different".
 */
export function tableDiff(expected: PortTable, actual: PortTable): string[] {
  const stateMap = (t: PortTable) => new Map(t.rows.map((r) => r.split(" ") as [string, string]));
  const e = stateMap(expected);
  const a = stateMap(actual);
  const eDefault = foldedState(expected);
  const aDefault = foldedState(actual);
  const diffs: string[] = [];
  for (const port of [...new Set([...e.keys(), ...a.keys()])].sort()) {
    const want = e.get(port) ?? eDefault;
    const got = a.get(port) ?? aDefault;
    if (want !== got) diffs.push(`${port} ${got ?? "?"}, expected ${want ?? "?"}`);
  }
  if (!diffs.length && expected.folded !== actual.folded && eDefault !== aDefault) {
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
