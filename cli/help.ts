/**
 * `--help` and `--version` texts, laid out like nmap 7.93's printusage() —
 * same sections, same order, same wording — listing only what Porthole does.
 */

import { SERVICES_SOURCE } from "./data/services_source.ts";
import { ASC_VERSION, CORE_SHA256 } from "../core-wasm/build/core_info.ts";

/** Product name, as the reports print it ("Starting Porthole …", "Porthole scan report for …"). */
export const PORTHOLE_NAME = "Porthole";
/** Version for banners, reports and RunInfo.version. */
export const PORTHOLE_VERSION = "0.1.0";
/** Project address, printed where nmap prints https://nmap.org. */
export const PORTHOLE_URL = "https://github.com/porthole";
/** Where reports ask users to send corrections (nmap: https://nmap.org/submit/). */
export const PORTHOLE_SUBMIT_URL = "https://github.com/porthole/issues";

/** The usage summary printed by -h/--help (and after "Scantype X not supported"). */
export function helpText(program = "porthole"): string {
  return `${PORTHOLE_NAME} ${PORTHOLE_VERSION} ( ${PORTHOLE_URL} )
Usage: ${program} [Scan Type(s)] [Options] {target specification}
TARGET SPECIFICATION:
  Can pass hostnames, IP addresses, networks, etc.
  Ex: scanme.nmap.org, microsoft.com/24, 192.168.0.1; 10.0.0-255.1-254
  -iL <inputfilename>: Input from list of hosts/networks ('-' for stdin)
  --exclude <host1[,host2][,host3],...>: Exclude hosts/networks
  --excludefile <exclude_file>: Exclude list from file
HOST DISCOVERY:
  -sn: Ping Scan - disable port scan
  -Pn: Treat all hosts as online -- skip host discovery
  -PS/PA/PU[portlist]: TCP SYN/ACK or UDP discovery to given ports
  -PE/PP/PM: ICMP echo, timestamp, and netmask request discovery probes
  -n/-R: Never do DNS resolution/Always resolve [default: sometimes]
SCAN TECHNIQUES:
  -sS/sT/sA/sW/sM: TCP SYN/Connect()/ACK/Window/Maimon scans
  -sU: UDP Scan
  -sN/sF/sX: TCP Null, FIN, and Xmas scans
  --scanflags <flags>: Customize TCP scan flags
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
  -S <IP_Address>: Spoof source address
  -e <iface>: Use specified interface
OUTPUT:
  -oN/-oX/-oG <file>: Output scan in normal, XML, and Grepable format,
     respectively, to the given filename.
  -oJ <file>: Output scan results as JSON lines (one object per host)
  -oA <basename>: Output in the three major formats at once
  -v: Increase verbosity level (use -vv or more for greater effect)
  -d: Increase debugging level (use -dd or more for greater effect)
  --reason: Display the reason a port is in a particular state
  --open: Only show open (or possibly open) ports
  --iflist: Print host interfaces and routes (for debugging)
  --append-output: Append to rather than clobber specified output files
  --resume <filename>: Resume an aborted scan
  --stats-every <time>: Print a progress line at this interval
  --stylesheet <path/URL>: XSL stylesheet to transform XML output to HTML
  --webxml: Reference stylesheet from Nmap.Org for more portable XML
  --no-stylesheet: Prevent associating of XSL stylesheet w/XML output
MISC:
  -6: Enable IPv6 scanning
  -A: Enable OS detection and version detection
  --send-eth/--send-ip: Send using raw ethernet frames or IP packets
  --privileged: Assume that the user is fully privileged
  --unprivileged: Assume the user lacks raw socket privileges
  --libpcap <path>: Load libpcap from <path> instead of the system's
  -V: Print version number
  -h: Print this help summary page.
EXAMPLES:
  ${program} -v -A scanme.nmap.org
  ${program} -v -sn 192.168.0.0/16 10.0.0.0/8
  ${program} -v -Pn -p 80 -iL hosts.txt
SEE ${PORTHOLE_URL} FOR MORE OPTIONS AND EXAMPLES
`;
}

/** The -V/--version text, shaped like nmap's display_nmap_version(). */
export function versionText(): string {
  const deno = typeof Deno !== "undefined" ? Deno.version : undefined;
  const platform = typeof Deno !== "undefined" ? `${Deno.build.target}` : "unknown";
  const lines = [
    `${PORTHOLE_NAME} version ${PORTHOLE_VERSION} ( ${PORTHOLE_URL} )`,
    `Platform: ${platform}`,
    `Compiled with: deno-${deno?.deno ?? "?"} v8-${deno?.v8 ?? "?"} typescript-${
      deno?.typescript ?? "?"
    } libpcap (loaded at run time)`,
    `Packet core: core.wasm sha256:${CORE_SHA256.slice(0, 16)} (AssemblyScript ${ASC_VERSION})`,
    `Services table: ${SERVICES_SOURCE}`,
  ];
  return lines.join("\n") + "\n";
}
