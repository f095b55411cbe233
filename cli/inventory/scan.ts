/**
 * The inventory's record of one scan: what every importer produces, every store keeps and
 * every diff compares. Plain data, independent of where the scan came from (Porthole, nmap
 * XML, masscan), so one scan from any source compares with any other.
 *
 * @module
 */

/** A script's output (nmap's <script id output>), on a port or a host. */
export interface InvScript {
  id: string;
  output: string;
}

/** What runs on a port. */
export interface InvService {
  name: string;
  product?: string;
  version?: string;
  extraInfo?: string;
  tunnel?: string;
  /** "table" or "probed" (nmap's method attribute). */
  method?: string;
  conf?: number;
  cpe?: string[];
}

/** One port of one host. */
export interface InvPort {
  protocol: "tcp" | "udp" | "sctp" | "ip";
  port: number;
  state: string;
  reason?: string;
  reasonTtl?: number;
  service?: InvService;
  scripts?: InvScript[];
}

/** A host name and where it came from ("user" or "PTR"). */
export interface InvHostname {
  name: string;
  type: string;
}

/** One OS match (nmap's <osmatch name accuracy>). */
export interface InvOsMatch {
  name: string;
  accuracy: number;
}

/** Ports not listed, by state (nmap's <extraports state count>). */
export interface InvExtraPorts {
  state: string;
  count: number;
}

/** One host of a scan. */
export interface InvHost {
  address: string;
  family: 4 | 6;
  mac?: string;
  vendor?: string;
  hostnames: InvHostname[];
  /** "unknown": listed, never probed (-sL). */
  status: "up" | "down" | "unknown";
  reason?: string;
  reasonTtl?: number;
  /** Epoch milliseconds, when known. */
  startTime?: number;
  endTime?: number;
  ports: InvPort[];
  extraPorts?: InvExtraPorts[];
  os?: InvOsMatch[];
  scripts?: InvScript[];
}

/** One scan. */
export interface InvScan {
  /** "porthole", "nmap" or "masscan". */
  scanner: string;
  version?: string;
  /** The command line, as one string (nmap's args attribute). */
  args: string;
  /** Epoch milliseconds. */
  startTime: number;
  endTime?: number;
  hosts: InvHost[];
}

/** Sort key for ports: protocol then number, as nmap lists them. */
export function portKey(p: { protocol: string; port: number }): string {
  return `${p.port}/${p.protocol}`;
}

/** The TLS certificate a port's ssl-cert script shows (its SHA-1 line), if any. */
export function certificateOf(p: InvPort): string | undefined {
  const s = p.scripts?.find((x) => x.id === "ssl-cert");
  if (!s) return undefined;
  const m = /SHA-1:\s*([0-9a-f ]+)/i.exec(s.output);
  return m ? m[1]!.replace(/\s+/g, "").toLowerCase() : s.output;
}

/** Text of an address family, from an address. */
export function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}
