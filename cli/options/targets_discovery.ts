/**
 * --help's TARGET SPECIFICATION and HOST DISCOVERY: -iL, --exclude…, -sL, -sn, -P*, -n/-R,
 * --dns-servers, --traceroute.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { deprecated, type OptionFamily, type OptionTable, type ParseState } from "./state.ts";
import type { Opt } from "./tokenize.ts";
import { isIpLiteral } from "./values.ts";

function inputList(s: ParseState, file: string): void {
  if (s.o.inputList !== undefined) fatal("Only one input filename allowed");
  s.o.inputList = file;
}

/**
 * --dns-servers: a comma-separated list of IP addresses (nmap's own DNS client takes nothing
 * else). Empty items are skipped; a name or a malformed address ends the run.
 */
export function parseDnsServers(arg: string): string[] {
  const out: string[] = [];
  for (const item of arg.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    if (!isIpLiteral(item, 4) && !isIpLiteral(item, 6)) {
      fatal(`Invalid DNS server "${item}" in --dns-servers: give IP addresses.`);
    }
    out.push(item);
  }
  if (out.length === 0) fatal("--dns-servers needs at least one IP address.");
  return out;
}

/** -PS/-PA/-PU/-PY: one of each, its ports as given (nmap's default when none). */
/** nmap's defaults: DEFAULT_UDP_PROBE_PORT, DEFAULT_PROTO_PROBE_PORT_SPEC, else port 80. */
const PING_DEFAULTS: Record<string, string> = { U: "40125", O: "1,2,4" };

function pingPorts(letter: "S" | "A" | "U" | "Y" | "O", refusal: string) {
  return (s: ParseState, ports: string) => {
    if (s.pingPorts[letter] !== undefined) fatal(refusal);
    s.pingPorts[letter] = ports !== "" ? ports : PING_DEFAULTS[letter] ?? "80";
    s.o.discovery.explicit = true;
  };
}

const ONE_PS = "Only one -PS option is allowed. Combine port ranges with commas.";
const ONE_PA = "Only one -PB, -PA, or -PT option is allowed. Combine port ranges with commas.";
const ONE_PU = "Only one -PU option is allowed. Combine port ranges with commas.";
const ONE_PY = "Only one -PY option is allowed. Combine port ranges with commas.";
const ONE_PO = "Only one -PO option is allowed. Combine protocol ranges with commas.";

/** ICMP echo: -PE, and nmap's old spellings -P and -PI. */
function echoPing(s: ParseState, _ports: string, letter: string): void {
  if (letter !== "E") deprecated(s, `P${letter}`, "PE");
  s.o.discovery.echo = true;
  s.o.discovery.explicit = true;
}

/** -Pn, and nmap's old spellings -P0, -PN, -PD. */
function noPing(s: ParseState, _ports: string, letter: string): void {
  if (letter !== "n") deprecated(s, `P${letter}`, "Pn");
  s.pingNone = true;
}

/** The -P letters: the first letter of -P's argument, then its ports ("-PS22,80"). */
const PING_TYPES: Readonly<
  Record<string, (s: ParseState, ports: string, letter: string) => void>
> = {
  "": echoPing,
  E: echoPing,
  I: echoPing,
  M: (s) => {
    s.o.discovery.mask = true;
    s.o.discovery.explicit = true;
  },
  P: (s) => {
    s.o.discovery.timestamp = true;
    s.o.discovery.explicit = true;
  },
  n: noPing,
  "0": noPing,
  N: noPing,
  D: noPing,
  R: (s) => {
    s.o.discovery.arp = true; // nmap: ARP is always used when possible; -PR changes nothing else
    s.verboseNotes.push("The -PR option is deprecated. ARP scan is always done when possible.");
  },
  S: pingPorts("S", ONE_PS),
  A: pingPorts("A", ONE_PA),
  T: pingPorts("A", ONE_PA),
  U: pingPorts("U", ONE_PU),
  B: (s, ports) => {
    // nmap: the default IPv4 probes (echo + SYN 443 + ACK 80 + timestamp) with the given ACK ports.
    pingPorts("A", ONE_PA)(s, ports);
    s.o.discovery.echo = true;
    s.o.discovery.timestamp = true;
    s.pingPorts.S ??= "443";
  },
  Y: pingPorts("Y", ONE_PY),
  O: pingPorts("O", ONE_PO),
};

/** -P: its argument is optional, so `opt.arg` tells -P alone from -P<letter>. */
function ping(s: ParseState, _arg: string, { arg }: Opt): void {
  const letter = arg?.[0] ?? "";
  if (!Object.hasOwn(PING_TYPES, letter)) {
    fatal("Illegal Argument to -P, use -Pn, -PE, -PS, -PA, -PP, -PM, -PU, -PY, or -PO");
  }
  PING_TYPES[letter]!(s, arg?.slice(1) ?? "", letter);
}

const options: OptionTable = {
  // TARGET SPECIFICATION
  iL: (s, file) => inputList(s, file),
  i: (s, file) => {
    deprecated(s, "i", "iL");
    inputList(s, file);
  },
  iR: () =>
    fatal(
      "Porthole does not scan random Internet addresses (-iR), on purpose: give the targets you are allowed to scan.",
    ),
  exclude: (s, spec) => {
    s.excludeSpec = spec;
  },
  excludefile: (s, file) => {
    s.o.excludeFile = file;
  },
  "resolve-all": (s) => {
    s.o.resolveAll = true;
  },
  unique: (s) => {
    s.o.unique = true;
  },
  "randomize-hosts": (s) => {
    s.o.randomizeHosts = true;
  },
  rH: (s) => {
    s.o.randomizeHosts = true;
  },
  // HOST DISCOVERY (-sL, -sn: below)
  P: ping,
  n: (s) => {
    s.o.dnsMode = "never";
  },
  R: (s) => {
    if (s.o.dnsMode !== "never") s.o.dnsMode = "always";
  },
  "dns-servers": (s, list) => {
    s.o.dnsServers = parseDnsServers(list);
  },
  "system-dns": (s) => {
    s.o.systemDns = true;
  },
  traceroute: (s) => {
    s.o.traceroute = true;
  },
  "discovery-ignore-rst": (s) => {
    s.o.discoveryIgnoreRst = true;
  },
  "disable-arp-ping": (s) => {
    s.o.discovery.disableArp = true;
  },
};

const scanTypes: OptionTable = {
  L: (s) => {
    s.o.listScan = true;
    s.o.discovery.pingOnly = true;
  },
  n: (s) => {
    s.o.discovery.pingOnly = true;
  },
  P: (s) => {
    deprecated(s, "sP", "sn");
    s.o.discovery.pingOnly = true;
  },
};

/** Targets and host discovery. */
export const targetsAndDiscovery: OptionFamily = { options, scanTypes };
