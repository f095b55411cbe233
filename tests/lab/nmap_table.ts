/**
 * Reads the port tables out of nmap's normal output (and so out of Porthole's, which prints the
 * same screen): per host its address, the "Not shown" line and each port row.
 */

/** One row of a port table. */
export interface PortRow {
  port: number;
  proto: string;
  state: string;
  service: string;
  /** The VERSION column (-sV), empty when absent. */
  version: string;
}

/** One "Nmap scan report" block. */
export interface HostTable {
  /** The address scanned. */
  address: string;
  /** The name it was given as, if any. */
  hostname?: string;
  up: boolean;
  /** The "Not shown: ..." text after the colon, or the "All N scanned ports ..." sentence. */
  notShown?: string;
  ports: PortRow[];
}

/** Parses every host block of normal output `text`; rows outside a host block are ignored. */
export function parseNmapNormal(text: string): HostTable[] {
  const hosts: HostTable[] = [];
  let cur: HostTable | null = null;
  let versionCol = -1;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const report = /^(?:Nmap|Porthole) scan report for (?:(\S+) \(([^)]+)\)|(\S+))/.exec(line);
    if (report) {
      cur = report[3]
        ? { address: report[3], up: true, ports: [] }
        : { address: report[2]!, hostname: report[1], up: true, ports: [] };
      hosts.push(cur);
      versionCol = -1;
      continue;
    }
    if (!cur) continue;
    if (/^Host seems down/.test(line)) cur.up = false;
    const ns = /^Not shown: (.*)$/.exec(line);
    if (ns) cur.notShown = ns[1];
    const all = /^All \d+ scanned ports on .* are in ignored states\.$/.exec(line);
    if (all) cur.notShown = line;
    if (/^PORT\s+STATE\s+SERVICE/.test(line)) {
      versionCol = line.indexOf("VERSION");
      continue;
    }
    const row = /^(\d+)\/(tcp|udp|sctp)\s+(\S+)\s+(\S+)?\s*(.*)$/.exec(line);
    if (row) {
      cur.ports.push({
        port: Number(row[1]),
        proto: row[2]!,
        state: row[3]!,
        service: row[4] ?? "",
        version: versionCol >= 0 ? line.slice(versionCol).trim() : (row[5] ?? "").trim(),
      });
    }
  }
  return hosts;
}

/** `port/proto → state` for one host, handy for assertions. */
export function stateMap(host: HostTable): Map<string, string> {
  return new Map(host.ports.map((p) => [`${p.port}/${p.proto}`, p.state]));
}
