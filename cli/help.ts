/**
 * `--help` and `--version` texts, laid out like nmap 7.93's printusage() —
 * same sections, same order, same wording — listing only what Porthole does.
 */

import { SERVICES_SOURCE } from "./data/services_source.ts";
import { ASC_VERSION, CORE_SHA256 } from "../core-wasm/build/core_info.ts";
import { PORTHOLE_HOME, PORTHOLE_NAME, PORTHOLE_VERSION } from "./model/product.ts";

export { PORTHOLE_HOME, PORTHOLE_NAME, PORTHOLE_VERSION } from "./model/product.ts";

/** The usage summary printed by -h/--help (and after "Scantype X not supported"). */
export function helpText(program = "porthole"): string {
  return `${PORTHOLE_NAME} ${PORTHOLE_VERSION} ( ${PORTHOLE_HOME} )
Usage: ${program} [Scan Type(s)] [Options] {target specification}
TARGET SPECIFICATION:
  Can pass hostnames, IP addresses, networks, etc.
  Ex: scanme.nmap.org, microsoft.com/24, 192.168.0.1; 10.0.0-255.1-254
  -iL <inputfilename>: Input from list of hosts/networks ('-' for stdin)
  --exclude <host1[,host2][,host3],...>: Exclude hosts/networks
  --excludefile <exclude_file>: Exclude list from file
  --resolve-all: Scan every address a hostname resolves to, not only the first
  --unique: Never scan the same address twice
  --randomize-hosts: Scan the targets in random order (also -rH)
HOST DISCOVERY:
  -sL: List Scan - simply list targets to scan
  -sn: Ping Scan - disable port scan
  -Pn: Treat all hosts as online -- skip host discovery
  -PS/PA/PU/PY[portlist]: TCP SYN/ACK, UDP or SCTP discovery to given ports
  -PE/PP/PM: ICMP echo, timestamp, and netmask request discovery probes
  -PO[protocol list]: IP Protocol Ping
  -n/-R: Never do DNS resolution/Always resolve [default: sometimes]
  --dns-servers <serv1[,serv2],...>: Specify custom DNS servers
  --system-dns: Use OS's DNS resolver
  --traceroute: Trace hop path to each host
  --disable-arp-ping: No ARP or ND discovery on local networks
SCAN TECHNIQUES:
  -sS/sT/sA/sW/sM: TCP SYN/Connect()/ACK/Window/Maimon scans
  -sU: UDP Scan
  -sN/sF/sX: TCP Null, FIN, and Xmas scans
  --scanflags <flags>: Customize TCP scan flags
  -sI <zombie host[:probeport]>: Idle scan
  -sY/sZ: SCTP INIT/COOKIE-ECHO scans
  -sO: IP protocol scan
  -b <FTP relay host>: FTP bounce scan
PORT SPECIFICATION AND SCAN ORDER:
  -p <port ranges>: Only scan specified ports
    Ex: -p22; -p1-65535; -p U:53,111,137,T:21-25,80,139,8080
  --exclude-ports <port ranges>: Exclude the specified ports from scanning
  -F: Fast mode - Scan fewer ports than the default scan
  -r: Scan ports sequentially - don't randomize
  --top-ports <number>: Scan <number> most common ports
  --port-ratio <ratio>: Scan ports more common than <ratio>
  --servicedb <file>: Read port names and frequencies from <file> (implies -F)
SERVICE/VERSION DETECTION:
  -sV: Probe open ports to determine service/version info
  --version-intensity <level>: Set from 0 (light) to 9 (try all probes)
  --version-light: Limit to most likely probes (intensity 2)
  --version-all: Try every single probe (intensity 9)
  --version-trace: Show detailed version scan activity (for debugging)
  --versiondb <file>: Read service probes from <file>
  --version-parallelism <n>: Probes in flight per port (1: one at a time, as nmap)
SCRIPT SCAN:
  -sC: equivalent to --script=default
  --script=<Lua scripts>: <Lua scripts> is a comma separated list of
           directories, script-files or script-categories
  --script-args=<n1=v1,[n2=v2,...]>: provide arguments to scripts
  --script-args-file=filename: provide NSE script args in a file
  --script-trace: Show all data sent and received
  --script-updatedb: Update the script database.
  --script-help=<Lua scripts>: Show help about scripts.
           <Lua scripts> is a comma-separated list of script-files or
           script-categories.
  --script-timeout <time>: Stop a script that runs longer than <time>
  --script-write-dir <dirname>: Let scripts write files under <dirname> only
OS DETECTION:
  -O: Enable OS detection
  --osscan-limit: Limit OS detection to promising targets
  --osscan-guess: Guess OS more aggressively
  --max-os-tries <tries>: Set the maximum number of OS detection tries
  --osdb <file>: Read OS fingerprints from <file>
TIMING AND PERFORMANCE:
  Options which take <time> are in seconds, or append 'ms' (milliseconds),
  's' (seconds), 'm' (minutes), or 'h' (hours) to the value (e.g. 30m).
  -T<0-5>: Set timing template (higher is faster)
  --min-hostgroup/max-hostgroup <size>: Parallel host scan group sizes
  --min-parallelism/max-parallelism <numprobes>: Probe parallelization
  --min-rtt-timeout/max-rtt-timeout/initial-rtt-timeout <time>: Specifies
      probe round trip time.
  --max-retries <tries>: Caps number of port scan probe retransmissions.
  --host-timeout <time>: Give up on target after this long
  --scan-delay/--max-scan-delay <time>: Adjust delay between probes
  --min-rate <number>: Send packets no slower than <number> per second
  --max-rate <number>: Send packets no faster than <number> per second
  --defeat-icmp-ratelimit: Faster UDP scans; closed and filtered look alike
FIREWALL/IDS EVASION AND SPOOFING:
  -f; --mtu <val>: fragment packets (optionally w/given MTU)
  -D <decoy1,decoy2[,ME],...>: Cloak a scan with decoys
  -S <IP_Address>: Spoof source address
  -e <iface>: Use specified interface
  -g/--source-port <portnum>: Use given port number
  --proxies <url1,[url2],...>: Relay connections through HTTP/SOCKS4 proxies
     (-sT, the default scan with it, -sV and scripts; nmap relays only -sV and scripts)
  --data <hex string>: Append a custom payload to sent packets
  --data-string <string>: Append a custom ASCII string to sent packets
  --data-length <num>: Append random data to sent packets
  --ip-options <options>: Send packets with specified ip options
  --ttl <val>: Set IP time-to-live field
  --spoof-mac <mac address/prefix/vendor name>: Spoof your MAC address
  --badsum: Send packets with a bogus TCP/UDP/SCTP checksum
OUTPUT:
  -oN/-oX/-oS/-oG <file>: Output scan in normal, XML, s|<rIpt kIddi3,
     and Grepable format, respectively, to the given filename.
  -oJ <file>: Output scan results as JSON lines (one object per host)
  -oA <basename>: Output in the three major formats at once
  --store <file|postgres://user@host/db>: Also record the scan in an inventory store;
     porthole inventory import|scans|diff|query|history|watch|report (see its --help)
  -v: Increase verbosity level (use -vv or more for greater effect)
  -d: Increase debugging level (use -dd or more for greater effect)
  --reason: Display the reason a port is in a particular state
  --open: Only show open (or possibly open) ports
  --packet-trace: Show all packets sent and received
  --iflist: Print host interfaces and routes (for debugging)
  --append-output: Append to rather than clobber specified output files
  --resume <filename>: Resume an aborted scan
  --stats-every <time>: Print a progress line at this interval
  --noninteractive: Read no run-time keys from the terminal
  --stylesheet <path/URL>: XSL stylesheet to transform XML output to HTML
  --webxml: Reference stylesheet from Nmap.Org for more portable XML
  --no-stylesheet: Prevent associating of XSL stylesheet w/XML output
MISC:
  -4: Scan IPv4 addresses only (the default)
  -6: Enable IPv6 scanning
  -A: Enable OS detection and version detection
  --datadir <dirname>: Specify custom Porthole/Nmap data file location
  --send-eth/--send-ip: Send using raw ethernet frames or IP packets
  --privileged: Assume that the user is fully privileged
  --unprivileged: Assume the user lacks raw socket privileges
  --libpcap <path>: Load libpcap from <path> instead of the system's
  --shards <n>: Split the scan by host into <n> parts, e.g. one per pod of a Job
  --shard <i>: Scan only part <i>, 0 to <n>-1
  --seed <s>: Deal hosts to parts by number <s>, the same in every part
  --shard-by <host|probe>: Split by host (default), or each host's ports among the parts
  --merge <out>: Merge the shards' -oX or -oJ files, named after <out>, into one
  -V: Print version number
  -h: Print this help summary page.
EXAMPLES:
  ${program} -v -A scanme.nmap.org
  ${program} -v -sn 192.168.0.0/16 10.0.0.0/8
  ${program} -v -Pn -p 80 -iL hosts.txt
SEE THE MAN PAGE (man porthole) AND README.md FOR MORE OPTIONS AND EXAMPLES
`;
}

/** The -V/--version text, shaped like nmap's display_nmap_version(). */
export function versionText(): string {
  const deno = typeof Deno !== "undefined" ? Deno.version : undefined;
  const platform = typeof Deno !== "undefined" ? `${Deno.build.target}` : "unknown";
  const lines = [
    `${PORTHOLE_NAME} version ${PORTHOLE_VERSION} ( ${PORTHOLE_HOME} )`,
    `Platform: ${platform}`,
    `Compiled with: deno-${deno?.deno ?? "?"} v8-${deno?.v8 ?? "?"} typescript-${
      deno?.typescript ?? "?"
    } libpcap (loaded at run time)`,
    `Packet core: core.wasm sha256:${CORE_SHA256.slice(0, 16)} (AssemblyScript ${ASC_VERSION})`,
    `Services table: ${SERVICES_SOURCE}`,
    "License: MIT; built-in data derived from nmap's files is under the NPSL: see THIRD_PARTY.md",
  ];
  return lines.join("\n") + "\n";
}

/** One option of the --help text: the table that the man page and completions are made from. */
export interface HelpOption {
  /** Its --help section, e.g. "SCAN TECHNIQUES". */
  section: string;
  /** Every spelling the line names: "-sS/sT/sA" gives -sS, -sT, -sA. */
  spellings: string[];
  /** The argument as --help writes it ("<file>", "[portlist]", "<0-5>"), if any. */
  arg?: string;
  /** Whether the argument is written attached (-T4, -PS22) rather than as the next word. */
  attached: boolean;
  /** The description, continuation lines joined. */
  description: string;
}

/** One --help section: its prose lines and its options. */
export interface HelpSection {
  title: string;
  notes: string[];
  options: HelpOption[];
}

/**
 * --help's sections parsed back into a table (up to EXAMPLES). --help is the one hand-written
 * list of what Porthole offers, laid out as nmap's; the man page and the shell completions
 * (tools/docs.ts) are generated from this, so none of them can list what another lacks.
 */
export function helpSections(): HelpSection[] {
  const sections: HelpSection[] = [];
  // "--script=<Lua scripts>": the name stops at "=", which belongs to the argument.
  // "-f; --mtu <val>": two spellings, as nmap writes that line.
  const OPTION =
    /^ {2}(-[^\s:<[=;]+(?:; -[^\s:<[=]+)?)(\[[^\]]*\]|=?<[^>]*>|=[^\s:]+)?(?: (<[^>]*>))?: (.*)$/;
  for (const line of helpText().split("\n").slice(2)) {
    const head = /^([A-Z][A-Z /]+):$/.exec(line);
    if (head) {
      if (head[1] === "EXAMPLES") break;
      sections.push({ title: head[1]!, notes: [], options: [] });
      continue;
    }
    const section = sections.at(-1);
    if (!section || line.trim() === "") continue;
    const m = OPTION.exec(line);
    if (m) {
      const [first, ...rest] = m[1]!.split(/\/|; /);
      const dashes = /^-+/.exec(first!)![0];
      section.options.push({
        section: section.title,
        spellings: [first!, ...rest.map((s) => s.startsWith("-") ? s : dashes + s)],
        arg: m[2] ?? m[3],
        attached: m[2] !== undefined,
        description: m[4]!.trim(),
      });
    } else if (/^ {4}/.test(line) && section.options.length > 0) {
      const last = section.options.at(-1)!;
      last.description += ` ${line.trim()}`;
    } else section.notes.push(line.trim());
  }
  return sections;
}
