/**
 * The lab's scenarios as plain data: which hosts exist, which ports answer how, and the network
 * conditions. Tests assert against the same data the lab was built from ({@link expectedState}).
 *
 * A port's behaviour comes from two independent things, as on a real host:
 * - a `policy` is an nftables rule in the target's input chain; it acts before any socket sees
 *   the packet (drop → "filtered", reject variants → RST or ICMP errors);
 * - a `service` is a listener started by `services.ts` inside the target namespace (→ "open").
 * A port with neither is closed: the kernel answers TCP with RST and UDP with ICMP port-unreachable.
 */

/** nftables verdicts a port can get (see nft.ts for the rules they become). */
export type Policy =
  /** Silently dropped: TCP "filtered", UDP "open|filtered". */
  | "drop"
  /** `reject with tcp reset` (TCP only): looks closed. */
  | "reset"
  /** `reject with icmpx type port-unreachable`: UDP "closed", TCP "filtered" for raw scans. */
  | "port-unreachable"
  /** `reject with icmpx type admin-prohibited`: "filtered". */
  | "admin-prohibited";

/** What a TCP listener does with a connection. */
export type TcpService =
  /** Accept and say nothing; read and discard until the peer closes (or idles out). */
  | { kind: "accept" }
  /**
   * Send a greeting first (`text` as UTF-8, or raw bytes as `hex`), then: "hangup" (default)
   * closes as soon as the client sends anything, as an SSH server does on a bad identification
   * line; "hold" reads and discards; "close" closes right after the greeting; "echo" echoes.
   */
  | {
    kind: "banner";
    text?: string;
    hex?: string;
    after?: "hangup" | "hold" | "close" | "echo";
  }
  /** An HTTP/1.x server: answers each request with this Server header. */
  | { kind: "http"; server: string; body?: string; title?: string }
  /** Accept, then close at once without a byte: what nmap -sV calls "tcpwrapped". */
  | { kind: "close" }
  /** Echo every byte back. */
  | { kind: "echo" }
  /** Greets like `nping --echo-server` (NEP server handshake), then holds. */
  | { kind: "nping-echo" };

/** What a UDP responder answers. */
export type UdpService =
  /** NTP server: a mode-4 reply to each mode-3 request (RFC 5905 §7.3). */
  | { kind: "ntp" }
  /** DNS server: A/TXT(version.bind) answers, NOTIMP for other opcodes (RFC 1035); with
   * `ptrSuffix`, an IPv4 PTR query for a.b.c.d is answered `a-b-c-d.<ptrSuffix>`. */
  | { kind: "dns"; answerA?: string; version?: string; ptrSuffix?: string }
  /** SNMP agent: v1/v2c get/getnext of sysDescr, v3 discovery report (RFC 3416, 3414). */
  | { kind: "snmp"; community?: string; sysDescr?: string }
  /** mDNS / DNS-SD: answers the service enumeration query (RFC 6762 legacy unicast). */
  | { kind: "mdns"; services?: string[] }
  /** Echo each datagram back (RFC 862). */
  | { kind: "echo" }
  /** Always answer with these bytes. */
  | { kind: "fixed"; hex: string }
  /** Bound but mute: looks "open|filtered", like a drop. */
  | { kind: "silent" };

/** One port (or inclusive port range) of a host. */
export type PortRule =
  | {
    proto: "tcp";
    ports: number | [number, number];
    service?: TcpService;
    policy?: Policy;
    note?: string;
  }
  | {
    proto: "udp";
    ports: number | [number, number];
    service?: UdpService;
    policy?: Exclude<Policy, "reset">;
    note?: string;
  }
  | {
    /** A host with any SCTP rule runs the lab's SCTP responder (sctp_responder.ts): INIT ACK on
     * a `listen` port, ABORT on the others; a host without answers "protocol unreachable". */
    proto: "sctp";
    ports: number | [number, number];
    service?: { kind: "listen" };
    policy?: Exclude<Policy, "reset">;
    note?: string;
  };

/** What the target's firewall does with whole IP protocols (-sO's "ports"): dropped, or
 * rejected with an ICMP unreachable of this kind. */
export type ProtocolPolicy = "drop" | "admin-prohibited" | "host-unreachable";

/** An nftables rule on IP protocol numbers (`meta l4proto`), IPv4 and IPv6 alike. */
export interface ProtocolRule {
  protocols: number[];
  policy: ProtocolPolicy;
}

/** A target host: one network namespace. */
export interface HostSpec {
  /** Short name, e.g. "scanme". */
  name: string;
  /** Firewall rules on whole IP protocols, before the port policies. */
  protocolRules?: ProtocolRule[];
  /** A name the scanner namespace resolves through its own /etc/hosts (e.g. "scanme.lab"). */
  hostname?: string;
  rules: PortRule[];
  /** Drop every inbound packet, ARP included: the host looks down. */
  dark?: boolean;
  /** A vendor's OUI ("3c:d9:2b") for the host's MAC in place of the lab's locally administered
   * 02:70:68 (bridged scenarios), so vendor lookups have something to name. */
  oui?: string;
  /**
   * The host's capacity: packets per second its input takes from the link, shared by every
   * sender (one nftables `limit rate over` rule); beyond it, packets are dropped, as an
   * overloaded host drops them. A neighbour's {@link Flood} eats into the same budget.
   */
  inputBudget?: Budget;
  /**
   * A firewall in front of the host that takes at most this many new TCP connections (SYNs
   * without ACK) a second and drops the excess (nftables `limit rate over`).
   */
  synBudget?: Budget;
  /** A host that sends at most this many TCP resets a second (closed ports, `reset` policies)
   * and drops the rest, as BSD-style RST rate limits do. */
  rstBudget?: Budget;
  /** Traffic this host sends to a neighbour by itself, from its services process. */
  flood?: Flood;
  /**
   * An idle-scan zombie (nmap -sI): a userspace responder (idle_zombie.ts) answers every TCP
   * segment with a reset, its IP IDs from one global counter ("incremental", what idle scans
   * need) or random ("random", a zombie nmap refuses); the kernel's own resets are dropped.
   */
  zombie?: "incremental" | "random";
}

/** A token bucket: a rate and how many packets may come at once. */
export interface Budget {
  perSecond: number;
  burst: number;
}

/**
 * What one direction of the path between the scanner and a target does to each packet. Random
 * loss is an nftables rule; delay and bursts are the path process's (path.ts, over NFQUEUE).
 */
export interface PathDirection {
  /** Independent random loss, percent. */
  lossPercent?: number;
  /** Each packet waits a uniformly random time in [min, max] ms (reordering them). */
  delayMs?: [number, number];
  /** Bursty loss (Gilbert-Elliott in time): good and bad periods of exponentially distributed
   * length with these means (ms); every packet of a bad period is lost. */
  bursts?: { goodMs: number; badMs: number };
}

/** The path's conditions each way, applied at each target's link. */
export interface PathConditions {
  /** Probes: scanner to target. */
  toTarget?: PathDirection;
  /** Replies: target to scanner. */
  fromTarget?: PathDirection;
}

/**
 * A neighbour's own traffic: UDP datagrams to another host of the scenario, in bursts (`onMs` of
 * `perSecond`, then `offMs` quiet), for at most `maxMs` (the lab's services stop it sooner).
 */
export interface Flood {
  /** The receiving host's name in the scenario. */
  to: string;
  port: number;
  perSecond: number;
  onMs: number;
  offMs: number;
  maxMs: number;
}

/** A whole lab layout plus its network conditions. */
export interface Scenario {
  name: string;
  description: string;
  /**
   * "routed": one target behind the scanner's gateway (the target itself), its service address on
   * its loopback, so scanners see a remote host (no ARP, no MAC line) like scanme.nmap.org.
   * "bridge": every target and the scanner on one Ethernet segment (a bridge in the hub namespace).
   */
  topology: "routed" | "bridge" | "chain";
  hosts: HostSpec[];
  /**
   * "chain" topology (IPv4 and IPv6): routers in a row between the scanner and the one target
   * (scanner → r1 → … → rN → target). `silent` is the router (1-based) whose ICMP and ICMPv6
   * time-exceeded messages are dropped on their way out; `otherSource` the router whose
   * time-exceeded messages leave from another of its addresses (10.B.30.k and fd00:B:30::k on
   * its loopback, the preferred sources of its routes back to the scanner) rather than from the
   * link they go out of. The target owns 10.B.1.1 and 10.B.1.2 (fd00:B:1::1 and fd00:B:1::2),
   * two targets behind the same routers. With `relayOnly` the routers forward nothing: the
   * target is reached only through what runs on them (proxies, an FTP server: relays.ts).
   */
  chain?: { routers: number; silent?: number; otherSource?: number; relayOnly?: boolean };
  /** Make a whole /16 local to the (single, routed) target through AnyIP. */
  anyip16?: boolean;
  /** With anyip16: make only the first 10.A.0.0/N of it local (16–30; default 16). */
  anyipPrefixLength?: number;
  /** Loss, delay and bursts on the path to and from each target (see {@link PathDirection}). */
  path?: PathConditions;
  /** Random loss each way at every target, in percent (nftables numgen). */
  lossPercent?: number;
  /**
   * true: the classic kernel ICMP error rate limit (1000 ms token bucket, burst 6) for v4 and v6;
   * false: off (ratelimit 0, global ICMP budget raised). Set in each target namespace.
   */
  icmpRatelimit: boolean;
  /** Port lists that exercise the scenario quickly (for tests, compare and benchmarks). */
  suggested?: { tcp?: string; udp?: string };
}

// --- scanme ----------------------------------------------------------------------------------

/** The SSH greeting of scanme.nmap.org in the article (nmap: OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13). */
export const SCANME_SSH_BANNER = "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n";
/** The Server header of scanme.nmap.org in the article (nmap: Apache httpd 2.4.7 ((Ubuntu))). */
export const SCANME_HTTP_SERVER = "Apache/2.4.7 (Ubuntu)";

/** scanme.nmap.org as /work/shared/reference/nmap-scans-article.txt shows it. */
export const SCANME_HOST: HostSpec = {
  name: "scanme",
  hostname: "scanme.lab",
  rules: [
    { proto: "tcp", ports: 22, service: { kind: "banner", text: SCANME_SSH_BANNER } },
    { proto: "tcp", ports: 25, policy: "drop" },
    {
      proto: "tcp",
      ports: 80,
      service: {
        kind: "http",
        server: SCANME_HTTP_SERVER,
        title: "Go ahead and ScanMe!",
        body: "Hello, and welcome to Scanme.Nmap.Org, a service provided by the Nmap Security " +
          "Scanner Project. (A lab replica.)",
      },
    },
    { proto: "tcp", ports: 135, policy: "drop" },
    { proto: "tcp", ports: 139, policy: "drop" },
    { proto: "tcp", ports: 9929, service: { kind: "nping-echo" } },
    { proto: "tcp", ports: 31337, service: { kind: "close" }, note: "tcpwrapped" },
    { proto: "udp", ports: 68, policy: "drop" },
    { proto: "udp", ports: 123, service: { kind: "ntp" } },
    { proto: "udp", ports: [135, 139], policy: "drop" },
    { proto: "udp", ports: 162, policy: "drop" },
    { proto: "udp", ports: 445, policy: "drop" },
  ],
};

const scanme: Scenario = {
  name: "scanme",
  description: "a replica of scanme.nmap.org (the article's TCP and UDP tables, plus a v6 address)",
  topology: "routed",
  hosts: [SCANME_HOST],
  icmpRatelimit: true,
  suggested: { tcp: "22,25,80,135,139,9929,31337", udp: "53,68,123,135-139,161,162,445" },
};

const lossy: Scenario = {
  ...scanme,
  name: "lossy",
  description: "scanme with 20% random loss each way (override with --loss)",
  lossPercent: 20,
};

// --- policies --------------------------------------------------------------------------------

const policies: Scenario = {
  name: "policies",
  description: "one port per nftables policy, TCP and UDP, ICMP rate limit off",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "policies",
    hostname: "policies.lab",
    rules: [
      { proto: "tcp", ports: 1000, policy: "drop" },
      { proto: "tcp", ports: 1001, policy: "reset" },
      { proto: "tcp", ports: 1002, policy: "port-unreachable" },
      { proto: "tcp", ports: 1003, policy: "admin-prohibited" },
      { proto: "tcp", ports: 1004, service: { kind: "accept" } },
      { proto: "udp", ports: 1000, policy: "drop" },
      { proto: "udp", ports: 1002, policy: "port-unreachable" },
      { proto: "udp", ports: 1003, policy: "admin-prohibited" },
      { proto: "udp", ports: 1004, service: { kind: "echo" } },
      { proto: "udp", ports: 1006, service: { kind: "silent" } },
    ],
  }],
  suggested: { tcp: "1000-1006", udp: "1000-1006" },
};

// --- sctp ------------------------------------------------------------------------------------

const sctp: Scenario = {
  name: "sctp",
  description: "SCTP listeners (a userspace responder: the lab kernel has no SCTP) and policies",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "sctp",
    hostname: "sctp.lab",
    rules: [
      { proto: "sctp", ports: 80, service: { kind: "listen" } },
      { proto: "sctp", ports: 2905, service: { kind: "listen" } },
      { proto: "sctp", ports: 1000, policy: "drop" },
      { proto: "sctp", ports: 1002, policy: "port-unreachable" },
      { proto: "sctp", ports: 1003, policy: "admin-prohibited" },
      { proto: "tcp", ports: 22, service: { kind: "accept" } },
    ],
  }],
  suggested: { tcp: "22" },
};

// --- ipproto ---------------------------------------------------------------------------------

const ipproto: Scenario = {
  name: "ipproto",
  description: "IP protocols dropped and rejected by the target's firewall (-sO, -PO)",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "proto",
    hostname: "proto.lab",
    protocolRules: [
      { protocols: [47, 94], policy: "drop" },
      { protocols: [103], policy: "admin-prohibited" },
      { protocols: [112], policy: "host-unreachable" },
    ],
    rules: [{ proto: "tcp", ports: 22, service: { kind: "accept" } }],
  }],
  suggested: { tcp: "22" },
};

// --- ratelimited-udp -------------------------------------------------------------------------

const ratelimitedUdp: Scenario = {
  name: "ratelimited-udp",
  description: "kernel ICMP rate limit on (1000 ms); 4 UDP responders; probe 30 closed ports too",
  topology: "routed",
  icmpRatelimit: true,
  hosts: [{
    name: "udp",
    hostname: "udp.lab",
    rules: [
      { proto: "udp", ports: 53, service: { kind: "dns", version: "9.9.5-lab" } },
      { proto: "udp", ports: 123, service: { kind: "ntp" } },
      { proto: "udp", ports: 161, service: { kind: "snmp", sysDescr: "Linux lab 4.4.0 x86_64" } },
      { proto: "udp", ports: 5353, service: { kind: "mdns" } },
      { proto: "tcp", ports: 22, service: { kind: "banner", text: "SSH-2.0-OpenSSH_7.4\r\n" } },
    ],
  }],
  suggested: { udp: "53,123,161,5353,1000-1029" },
};

// --- many-hosts ------------------------------------------------------------------------------

/** The 8 hosts of many-hosts: varied services; the last one is dark (drops everything). */
function manyHosts(): HostSpec[] {
  const ssh = (v: string): PortRule => ({
    proto: "tcp",
    ports: 22,
    service: { kind: "banner", text: `SSH-2.0-${v}\r\n` },
  });
  const http = (port: number, server: string): PortRule => ({
    proto: "tcp",
    ports: port,
    service: { kind: "http", server },
  });
  const greet = (port: number, text: string): PortRule => ({
    proto: "tcp",
    ports: port,
    service: { kind: "banner", text },
  });
  const hosts: HostSpec[] = [
    { name: "web", rules: [ssh("OpenSSH_8.4p1 Debian-5+deb11u1"), http(80, "nginx/1.18.0")] },
    {
      name: "ftp",
      rules: [greet(21, "220 (vsFTPd 3.0.3)\r\n"), ssh("OpenSSH_7.9p1 Debian-10+deb10u2")],
    },
    {
      name: "app",
      rules: [
        http(80, "Apache/2.4.57 (Debian)"),
        http(8080, "Jetty(9.4.z-SNAPSHOT)"),
        { proto: "tcp", ports: 443, service: { kind: "accept" } },
      ],
    },
    {
      name: "mail",
      rules: [
        greet(25, "220 mail.lab ESMTP Postfix (Debian/GNU)\r\n"),
        greet(110, "+OK Dovecot (Debian) ready.\r\n"),
        // Reverse DNS for --dns-servers: PTR answers for every IPv4 address.
        { proto: "udp", ports: 53, service: { kind: "dns", ptrSuffix: "rdns.lab" } },
      ],
    },
    {
      name: "gw",
      rules: [
        ssh("dropbear_2020.81"),
        { proto: "tcp", ports: 23, policy: "drop" },
        { proto: "udp", ports: 161, service: { kind: "snmp" } },
        { proto: "udp", ports: 123, service: { kind: "ntp" } },
      ],
    },
    {
      name: "db",
      rules: [
        { proto: "tcp", ports: 3306, service: { kind: "accept" } },
        { proto: "tcp", ports: 5432, policy: "reset" },
        { proto: "tcp", ports: [6000, 6009], policy: "admin-prohibited" },
      ],
    },
    {
      name: "printer",
      oui: "3c:d9:2b", // Hewlett Packard's, in nmap-mac-prefixes and the IEEE registry alike
      rules: [
        http(80, "HP HTTP Server; HP LaserJet lab"),
        { proto: "tcp", ports: 9100, service: { kind: "accept" } },
        { proto: "udp", ports: 5353, service: { kind: "mdns", services: ["_ipp._tcp.local"] } },
      ],
    },
    { name: "dark", rules: [], dark: true },
  ];
  return hosts.map((h) => ({ ...h, hostname: `${h.name}.lab` }));
}

const manyHostsScenario: Scenario = {
  name: "many-hosts",
  description: "8 targets on one bridge (one of them dark), varied services",
  topology: "bridge",
  icmpRatelimit: false,
  hosts: manyHosts(),
  suggested: { tcp: "21,22,23,25,80,110,443,3306,5432,6000,8080,9100", udp: "53,123,161,5353" },
};

// --- anyip16 ---------------------------------------------------------------------------------

/** The 100 TCP ports open on every address of the anyip16 /16: 22, 80, 443 and 8000–8096. */
export const ANYIP_OPEN_TCP: readonly number[] = [
  22,
  80,
  443,
  ...Array.from({ length: 97 }, (_, i) => 8000 + i),
];

const anyip16: Scenario = {
  name: "anyip16",
  description: "a whole /16 answered by one namespace through AnyIP; 100 TCP ports open everywhere",
  topology: "routed",
  anyip16: true,
  icmpRatelimit: false,
  hosts: [{
    name: "anyip",
    rules: [
      { proto: "tcp", ports: 22, service: { kind: "banner", text: "SSH-2.0-OpenSSH_9.2p1\r\n" } },
      { proto: "tcp", ports: 80, service: { kind: "http", server: "lab-anyip/1.0" } },
      { proto: "tcp", ports: 443, service: { kind: "accept" } },
      { proto: "tcp", ports: [8000, 8096], service: { kind: "accept" } },
    ],
  }],
  suggested: { tcp: "22,80,443,8000-8096" },
};

// --- busy ----------------------------------------------------------------------------------

/**
 * An overloaded target: "quiet" takes 300 packets a second from its link (burst 3) and drops the
 * rest; its neighbour "busy" floods it in bursts (4000 datagrams/s for 300 ms, then 300 ms of
 * rest). A scanner sharing the budget loses a large, rate-dependent share of its probes — most of
 * them while the neighbour is busy, few while it rests: it must slow down to get the answers.
 */
const busy: Scenario = {
  name: "busy",
  description: "a quiet host whose input budget (300 pkt/s) a busy neighbour floods in bursts",
  topology: "bridge",
  icmpRatelimit: false,
  hosts: [
    {
      name: "quiet",
      hostname: "quiet.lab",
      inputBudget: { perSecond: 300, burst: 3 },
      rules: [
        { proto: "tcp", ports: 22, service: { kind: "banner", text: "SSH-2.0-OpenSSH_9.2p1\r\n" } },
        { proto: "tcp", ports: 80, service: { kind: "http", server: "lab-quiet/1.0" } },
        { proto: "udp", ports: 9, policy: "drop", note: "the neighbour's traffic ends here" },
      ],
    },
    {
      name: "busy",
      hostname: "busy.lab",
      rules: [],
      flood: { to: "quiet", port: 9, perSecond: 4000, onMs: 300, offMs: 300, maxMs: 15 * 60_000 },
    },
  ],
  suggested: { tcp: "1-1500" },
};

// --- adverse networks -------------------------------------------------------------------------

/**
 * scanme behind adverse networks (issue 24): the same host and the same loss-free table, with
 * one hostile condition each. The tests and the bench scan ADVERSE_PORTS.
 */
function adverse(name: string, description: string, extra: Partial<Scenario>): Scenario {
  return { ...scanme, name, description, icmpRatelimit: false, ...extra };
}

/** The ports the adverse scenarios are scanned on: scanme's seven, 295 closed ones. */
export const ADVERSE_PORTS = "1-300,9929,31337";

const synLimit = adverse(
  "syn-limit",
  "scanme behind a firewall that passes 100 new TCP connections a second (burst 20), drops the rest",
  { hosts: [{ ...SCANME_HOST, synBudget: { perSecond: 100, burst: 20 } }] },
);

const rstLimit = adverse(
  "rst-limit",
  "scanme sending at most 100 TCP resets a second (burst 20); the excess is dropped",
  { hosts: [{ ...SCANME_HOST, rstBudget: { perSecond: 100, burst: 20 } }] },
);

const jitter = adverse(
  "jitter",
  "scanme on a path where every packet, each way, waits 50-250 ms at random (reordered)",
  { path: { toTarget: { delayMs: [50, 250] }, fromTarget: { delayMs: [50, 250] } } },
);

const bursty = adverse(
  "bursty",
  "scanme with bursty loss each way: bursts of 50 ms on average, where everything is lost, every 500 ms on average (9% lost)",
  {
    path: {
      toTarget: { bursts: { goodMs: 500, badMs: 50 } },
      fromTarget: { bursts: { goodMs: 500, badMs: 50 } },
    },
  },
);

const asymmetric = adverse(
  "asymmetric",
  "scanme with loss on one direction only: 30% of the replies lost, no probes",
  { path: { fromTarget: { lossPercent: 30 } } },
);

/** The ports open on every address of the far scenario's range. */
export const FAR_PORTS = "22,80,443,8000-8009";

const far: Scenario = {
  name: "far",
  description:
    "a long path (150-175 ms each way, RTT >= 300 ms) to 256 hosts (10.A.0.0/24 through AnyIP)",
  topology: "routed",
  anyip16: true,
  anyipPrefixLength: 24,
  icmpRatelimit: false,
  path: { toTarget: { delayMs: [150, 175] }, fromTarget: { delayMs: [150, 175] } },
  hosts: [{
    name: "far",
    rules: [
      { proto: "tcp", ports: 22, service: { kind: "banner", text: "SSH-2.0-OpenSSH_9.2p1\r\n" } },
      { proto: "tcp", ports: 80, service: { kind: "http", server: "lab-far/1.0" } },
      { proto: "tcp", ports: 443, service: { kind: "accept" } },
      { proto: "tcp", ports: [8000, 8009], service: { kind: "accept" } },
    ],
  }],
  suggested: { tcp: FAR_PORTS },
};

// --- hostile ---------------------------------------------------------------------------------

const enc = new TextEncoder();
const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytesHex = (...parts: (string | number[])[]): string =>
  hex(
    new Uint8Array(
      parts.flatMap((p) => typeof p === "string" ? Array.from(enc.encode(p)) : p),
    ),
  );

/** Banners meant to break naive printers and XML writers: ESC sequences, metacharacters, bad UTF-8. */
const hostile: Scenario = {
  name: "hostile",
  description: "TCP services whose banners carry ESC sequences, XML metacharacters, invalid UTF-8",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "hostile",
    hostname: "hostile.lab",
    rules: [
      {
        proto: "tcp",
        ports: 21,
        service: {
          kind: "banner",
          text: "220 \x1b[2J\x1b[H\x1b[31mFTP\x1b[0m <ready> & \"waiting\" 'here' ]]> --> \r\n",
        },
      },
      {
        proto: "tcp",
        ports: 22,
        service: {
          kind: "banner",
          hex: bytesHex(
            "SSH-2.0-Evil",
            [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80],
            "\x1b]0;owned\x07\r\n",
          ),
        },
      },
      {
        proto: "tcp",
        ports: 25,
        service: {
          kind: "banner",
          hex: bytesHex(
            "220 ",
            [0],
            "</port></host><script>alert(1)</script>",
            [0x80, 0xbf],
            "\r\n",
          ),
        },
      },
      {
        proto: "tcp",
        ports: 80,
        service: {
          kind: "http",
          server: "Evil/6.6 \x1b[5m<blink>&amp;</blink>\x1b[0m \"'",
          title: "<![CDATA[ ]]> &lt;",
        },
      },
      {
        proto: "tcp",
        ports: 8080,
        service: { kind: "banner", text: "\x1b[1m" + "A\x1b[D".repeat(4000) + "\x1b[0m\r\n" },
        note: "a 16 KB line of cursor moves",
      },
      {
        proto: "udp",
        ports: 53,
        service: { kind: "fixed", hex: bytesHex([0xff, 0x1b], "<x>&", [0]) },
      },
    ],
  }],
  suggested: { tcp: "21,22,25,80,8080", udp: "53" },
};

// --- idle -------------------------------------------------------------------------------------

/**
 * Idle scan (-sI): a zombie with one global IP ID counter, one with random IP IDs, and a target
 * on the same segment with open, closed and filtered ports. The scanner spoofs the zombie's
 * address toward the target; the target's SYN-ACKs go to the zombie, whose resets count up.
 */
const idle: Scenario = {
  name: "idle",
  description:
    "idle scan: zombie (global incremental IP IDs), rzombie (random IP IDs) and a target on one bridge",
  topology: "bridge",
  icmpRatelimit: false,
  hosts: [
    { name: "zombie", zombie: "incremental", rules: [] },
    { name: "rzombie", zombie: "random", rules: [] },
    {
      name: "target",
      rules: [
        { proto: "tcp", ports: 22, service: { kind: "accept" } },
        { proto: "tcp", ports: 80, service: { kind: "accept" } },
        { proto: "tcp", ports: 443, service: { kind: "accept" } },
        { proto: "tcp", ports: 1000, policy: "drop" },
        { proto: "tcp", ports: 1001, policy: "reset" },
        { proto: "tcp", ports: 3306, service: { kind: "accept" } },
      ],
    },
  ],
  suggested: { tcp: "21-25,80,81,443,1000,1001,3306,8080" },
};

// --- multihop ---------------------------------------------------------------------------------

/** Three routers to the target, the second silent, the third answering from its loopback. */
const multihop: Scenario = {
  name: "multihop",
  description:
    "scanner -> r1 -> r2 -> r3 -> target (10.B.1.1 and 10.B.1.2, fd00:B:1::1 and ::2): r2 sends no time-exceeded, r3 sends them from 10.B.30.3 (fd00:B:30::3); tcp/80 open, tcp/81 closed (traceroute)",
  topology: "chain",
  chain: { routers: 3, silent: 2, otherSource: 3 },
  hosts: [{
    name: "far",
    rules: [{ proto: "tcp", ports: 80, service: { kind: "accept" } }],
  }],
  icmpRatelimit: false,
  suggested: { tcp: "80,81" },
};

// --- relays ----------------------------------------------------------------------------------

/**
 * A target behind a router that forwards nothing: only the relays that run on it reach the
 * target (tests/lab/relays.ts starts tinyproxy, Dante and vsftpd there). scanme's TCP ports.
 */
const relays: Scenario = {
  name: "relays",
  description:
    "scanner -> r1 -> target (10.B.1.1), r1 forwarding nothing: proxies and an FTP server on it relay (relays.ts); scanme's TCP ports, 40000 dropped",
  topology: "chain",
  chain: { routers: 1, relayOnly: true },
  hosts: [{
    name: "hidden",
    hostname: "hidden.lab",
    // vsftpd bounces to unprivileged ports only: 40000 is the filtered one for -b.
    rules: [
      ...SCANME_HOST.rules.filter((r) => r.proto === "tcp"),
      { proto: "tcp", ports: 40000, policy: "drop" },
    ],
  }],
  icmpRatelimit: false,
  suggested: { tcp: "22,25,80,113,135,139,443,9929,31337" },
};

/** Every scenario by name. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  scanme,
  lossy,
  policies,
  sctp,
  ipproto,
  "ratelimited-udp": ratelimitedUdp,
  "many-hosts": manyHostsScenario,
  anyip16,
  busy,
  "syn-limit": synLimit,
  "rst-limit": rstLimit,
  jitter,
  bursty,
  asymmetric,
  far,
  hostile,
  multihop,
  idle,
  relays,
};

/** The scenario called `name`, or an Error naming the ones that exist. */
export function scenario(name: string): Scenario {
  const s = SCENARIOS[name];
  if (!s) {
    throw new Error(
      `unknown scenario ${JSON.stringify(name)}: ${Object.keys(SCENARIOS).join(", ")}`,
    );
  }
  return s;
}

/** Throws on a scenario the lab cannot build (overlapping rules, bad ports, misplaced options). */
export function validateScenario(s: Scenario): void {
  if (s.hosts.length === 0) throw new Error(`scenario ${s.name}: no hosts`);
  if (s.topology === "chain" && (s.hosts.length !== 1 || !s.chain)) {
    throw new Error(`scenario ${s.name}: a chain scenario has exactly one host and its routers`);
  }
  if (
    s.chain && !(Number.isInteger(s.chain.routers) && s.chain.routers >= 1 && s.chain.routers <= 9)
  ) {
    throw new Error(`scenario ${s.name}: 1-9 routers in a chain`);
  }
  if (s.topology === "routed" && s.hosts.length !== 1) {
    throw new Error(`scenario ${s.name}: a routed scenario has exactly one host`);
  }
  if (s.topology === "bridge" && s.hosts.length > 200) {
    throw new Error(`scenario ${s.name}: at most 200 bridged hosts`);
  }
  if (s.anyip16 && s.topology !== "routed") {
    throw new Error(`scenario ${s.name}: anyip16 needs the routed topology`);
  }
  if (s.lossPercent !== undefined && !(s.lossPercent >= 0 && s.lossPercent <= 100)) {
    throw new Error(`scenario ${s.name}: loss must be 0-100 percent`);
  }
  const len = s.anyipPrefixLength;
  if (len !== undefined && !(s.anyip16 && Number.isInteger(len) && len >= 16 && len <= 30)) {
    throw new Error(`scenario ${s.name}: anyipPrefixLength is 16-30, with anyip16`);
  }
  for (const [way, d] of Object.entries(s.path ?? {}) as [string, PathDirection][]) {
    const pct = (n: number | undefined) => n === undefined || (n >= 0 && n <= 100);
    const [lo, hi] = d.delayMs ?? [0, 0];
    if (
      !pct(d.lossPercent) || !(lo >= 0 && hi >= lo && hi <= 10_000) ||
      (d.bursts && !(d.bursts.goodMs > 0 && d.bursts.badMs > 0))
    ) {
      throw new Error(`scenario ${s.name}: bad path conditions ${way}`);
    }
  }
  for (const h of s.hosts) {
    if (!/^[a-z0-9-]{1,20}$/.test(h.name)) throw new Error(`bad host name ${h.name}`);
    const budgets = { input: h.inputBudget, SYN: h.synBudget, RST: h.rstBudget };
    for (const [what, b] of Object.entries(budgets)) {
      if (
        b &&
        !(Number.isInteger(b.perSecond) && b.perSecond > 0 && Number.isInteger(b.burst) &&
          b.burst > 0)
      ) {
        throw new Error(`host ${h.name}: ${what} budget needs positive integers`);
      }
    }
    const f = h.flood;
    if (f) {
      if (f.to === h.name || !s.hosts.some((o) => o.name === f.to)) {
        throw new Error(`host ${h.name}: flood to unknown host ${f.to}`);
      }
      if (!(f.perSecond > 0 && f.perSecond <= 100_000 && f.onMs > 0 && f.offMs >= 0)) {
        throw new Error(`host ${h.name}: flood needs 1-100000 datagrams/s and a positive burst`);
      }
      if (!(f.maxMs > 0 && f.maxMs <= 3_600_000)) {
        throw new Error(`host ${h.name}: a flood lasts at most an hour`);
      }
    }
    const seen = new Map<string, string>();
    for (const r of h.rules) {
      const [lo, hi] = portRange(r.ports);
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 65535 && lo <= hi)) {
        throw new Error(`host ${h.name}: bad ${r.proto} port range ${JSON.stringify(r.ports)}`);
      }
      if (!r.service && !r.policy) {
        throw new Error(`host ${h.name}: ${r.proto}/${lo} has no effect`);
      }
      for (const what of [r.service ? "service" : "", r.policy ? "policy" : ""]) {
        if (!what) continue;
        for (let p = lo; p <= hi; p++) {
          const k = `${r.proto}/${p}/${what}`;
          if (seen.has(k)) throw new Error(`host ${h.name}: two ${what} rules for ${r.proto}/${p}`);
          seen.set(k, what);
        }
      }
    }
  }
}

/** `ports` as an inclusive [lo, hi]. */
export function portRange(ports: number | [number, number]): [number, number] {
  return typeof ports === "number" ? [ports, ports] : ports;
}

/** The scan kinds whose outcome {@link expectedState} predicts. */
export type ScanKind = "syn" | "connect" | "fin" | "null" | "xmas" | "ack" | "udp";

/** The policy and service a host gives `proto`/`port`. */
export function portBehaviour(
  host: HostSpec,
  proto: "tcp" | "udp" | "sctp",
  port: number,
): { policy?: Policy; service?: TcpService | UdpService | { kind: "listen" } } {
  let policy: Policy | undefined;
  let service: TcpService | UdpService | { kind: "listen" } | undefined;
  for (const r of host.rules) {
    if (r.proto !== proto) continue;
    const [lo, hi] = portRange(r.ports);
    if (port < lo || port > hi) continue;
    policy ??= r.policy;
    service ??= r.service;
  }
  return { policy, service };
}

/**
 * The state nmap reports for `proto`/`port` of `host` under `scan`, assuming no loss and enough
 * retries. Linux semantics: closed TCP ports answer RST, closed UDP ports ICMP port-unreachable;
 * a connect() refused by ICMP port-unreachable fails with ECONNREFUSED (closed).
 */
export function expectedState(
  host: HostSpec,
  proto: "tcp" | "udp",
  port: number,
  scan: ScanKind,
): string {
  if (host.dark) return "filtered";
  if ((proto === "udp") !== (scan === "udp")) {
    throw new Error(`a ${scan} scan does not probe ${proto} ports`);
  }
  const { policy, service } = portBehaviour(host, proto, port);
  const stealth = scan === "fin" || scan === "null" || scan === "xmas";
  if (proto === "udp") {
    if (policy === "drop") return "open|filtered";
    if (policy === "port-unreachable") return "closed";
    if (policy === "admin-prohibited") return "filtered";
    if (!service) return "closed";
    return service.kind === "silent" ? "open|filtered" : "open";
  }
  switch (policy) {
    case "drop":
      return stealth ? "open|filtered" : "filtered";
    case "reset":
      return scan === "ack" ? "unfiltered" : "closed";
    case "port-unreachable":
      return scan === "connect" ? "closed" : "filtered";
    case "admin-prohibited":
      return "filtered";
  }
  if (scan === "ack") return "unfiltered";
  if (!service) return "closed";
  return stealth ? "open|filtered" : "open";
}

/** Every port of a list such as "1-300,9929" (nmap's -p syntax without protocols). */
export function expandPorts(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [lo, hi] = part.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
  });
}

/**
 * The loss-free SYN-scan table of `host` on `ports`: the rows nmap lists (`22/tcp open`), in
 * port order, and how many closed ports it folds into "Not shown".
 */
export function lossFreeTable(host: HostSpec, ports: string): { rows: string[]; closed: number } {
  const rows: string[] = [];
  let closed = 0;
  for (const p of expandPorts(ports)) {
    const state = expectedState(host, "tcp", p, "syn");
    if (state === "closed") closed++;
    else rows.push(`${p}/tcp ${state}`);
  }
  return { rows, closed };
}
