import { assert, assertEquals, assertText } from "../../tests/testing/assert.ts";
import type {
  HostResult,
  PortResult,
  PortState,
  RunInfo,
  RunSummary,
  ServiceInfo,
} from "../model/mod.ts";
import { layoutTable, type NormalOptions, type NormalTarget, NormalWriter } from "./normal.ts";
import { PORTHOLE_VERSION } from "../help.ts";
import { selectPorts } from "../ports.ts";
import { defaultServicesDb } from "../services_db.ts";
import { formatCtime, formatStartTime } from "./format.ts";
import { parseOptions } from "../options/mod.ts";
import { missingTools } from "../../tests/_oracle.ts";
import { parseFingerprint } from "../model/os_fingerprint.ts";
import { NMAP_LAB_FINGERPRINT } from "../../tests/testing/os_testdata.ts";
import type { OsResult } from "../model/os.ts";

// ------------------------------------------------------------ helpers

const opts = (over: Partial<NormalOptions> = {}): NormalOptions => ({
  reason: false,
  versionDetection: false,
  osDetection: false,
  openOnly: false,
  verbose: 0,
  debug: 0,
  scans: [],
  discovery: {
    skip: false,
    pingOnly: false,
    synPorts: [],
    ackPorts: [],
    udpPorts: [],
    echo: false,
    timestamp: false,
    mask: false,
    arp: false,
    disableArp: false,
    explicit: false,
  },
  defeatIcmpRatelimit: false,
  defeatRstRatelimit: false,
  dnsMode: "default",
  ...over,
});

const T0 = Date.UTC(2024, 3, 1, 9, 50, 0);

function run(args: string[] = ["porthole"], start = T0): RunInfo {
  return {
    args,
    startTime: start,
    version: PORTHOLE_VERSION,
    scanInfo: [],
    verbose: 0,
    debugging: 0,
  };
}

function summary(
  total: number,
  up: number,
  elapsed: number,
  end = T0 + elapsed * 1000,
): RunSummary {
  return {
    endTime: end,
    elapsedSeconds: elapsed,
    hostsUp: up,
    hostsDown: total - up,
    hostsTotal: total,
    exit: "success",
  };
}

function render(
  hosts: HostResult[],
  o: NormalOptions,
  target: NormalTarget = "stdout",
  r = run(),
  s = summary(hosts.length, hosts.filter((h) => h.status === "up").length, 1),
): string {
  let out = "";
  const w = new NormalWriter((t) => (out += t), o, target);
  w.begin(r);
  for (const h of hosts) w.host(h);
  w.end(s);
  return out;
}

/** The body of a report: from the first "… scan report for" line on. */
const body = (s: string) => {
  const i = s.indexOf("Porthole scan report");
  return i < 0 ? "" : s.slice(i);
};

function tcpPorts(
  open: Record<number, Partial<PortResult>>,
  rest: PortState,
  reason: string,
  list?: number[],
) {
  const all = list ?? selectPorts({ fast: false, tcp: true, udp: false }, defaultServicesDb()).tcp;
  return all.map((port): PortResult => ({
    protocol: "tcp",
    port,
    state: rest,
    reason,
    ...(open[port] ?? {}),
  }));
}

const SCANME: Omit<HostResult, "ports"> = {
  address: "45.33.32.156",
  family: 4,
  userHostname: "scanme.nmap.org",
  otherAddresses: ["2600:3c01::f03c:91ff:fe18:bb2f"],
  status: "up",
  statusReason: "syn-ack",
  latencySeconds: 0.26,
  startTime: T0,
  endTime: T0 + 20000,
};

const open = (reason = "syn-ack"): Partial<PortResult> => ({ state: "open", reason });
const filtered: Partial<PortResult> = { state: "filtered", reason: "no-response" };

// ------------------------------------------------------------ goldens from the article

// /work/shared/reference/nmap-scans-article.txt: `nmap scanme.nmap.org` and `-sT`.
Deno.test("golden: scanme default scan (article)", () => {
  const h: HostResult = {
    ...SCANME,
    ports: tcpPorts(
      {
        22: open(),
        25: filtered,
        80: open(),
        135: filtered,
        139: filtered,
        9929: open(),
        31337: open(),
      },
      "closed",
      "conn-refused",
    ),
  };
  const out = render([h], opts(), "stdout", run(), summary(1, 1, 20.62));
  assertEquals(
    out.split("\n")[0],
    `Starting Porthole ${PORTHOLE_VERSION} ( see README.md ) at ${formatStartTime(T0)}`,
  );
  assertText(
    body(out),
    `Porthole scan report for scanme.nmap.org (45.33.32.156)
Host is up (0.26s latency).
Other addresses for scanme.nmap.org (not scanned): 2600:3c01::f03c:91ff:fe18:bb2f
Not shown: 993 closed tcp ports (conn-refused)
PORT      STATE    SERVICE
22/tcp    open     ssh
25/tcp    filtered smtp
80/tcp    open     http
135/tcp   filtered msrpc
139/tcp   filtered netbios-ssn
9929/tcp  open     nping-echo
31337/tcp open     Elite

Porthole done: 1 IP address (1 host up) scanned in 20.62 seconds
`,
  );
});

// The article's `nmap scanme.nmap.org -sV`: VERSION column and the Service Info line.
Deno.test("golden: scanme -sV with Service Info (article)", () => {
  const probed = (s: Partial<ServiceInfo> & { name: string }): Partial<PortResult> => ({
    state: "open",
    reason: "syn-ack",
    service: { method: "probed", confidence: 10, ...s },
  });
  const h: HostResult = {
    ...SCANME,
    ports: tcpPorts(
      {
        22: probed({
          name: "ssh",
          product: "OpenSSH",
          version: "6.6.1p1 Ubuntu 2ubuntu2.13",
          extraInfo: "Ubuntu Linux; protocol 2.0",
          osType: "Linux",
          cpe: ["cpe:/a:openbsd:openssh:6.6.1p1", "cpe:/o:linux:linux_kernel"],
        }),
        25: filtered,
        80: probed({
          name: "http",
          product: "Apache httpd",
          version: "2.4.7",
          extraInfo: "(Ubuntu)",
          cpe: ["cpe:/a:apache:http_server:2.4.7"],
        }),
        135: filtered,
        139: filtered,
        9929: probed({ name: "nping-echo", product: "Nping echo" }),
        31337: {
          state: "open",
          reason: "syn-ack",
          service: { name: "tcpwrapped", method: "probed", confidence: 8 },
        },
      },
      "closed",
      "conn-refused",
    ),
  };
  const out = render([h], opts({ versionDetection: true }), "stdout", run(), summary(1, 1, 29.9));
  assertText(
    body(out),
    `Porthole scan report for scanme.nmap.org (45.33.32.156)
Host is up (0.26s latency).
Other addresses for scanme.nmap.org (not scanned): 2600:3c01::f03c:91ff:fe18:bb2f
Not shown: 993 closed tcp ports (conn-refused)
PORT      STATE    SERVICE     VERSION
22/tcp    open     ssh         OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13 (Ubuntu Linux; protocol 2.0)
25/tcp    filtered smtp
80/tcp    open     http        Apache httpd 2.4.7 ((Ubuntu))
135/tcp   filtered msrpc
139/tcp   filtered netbios-ssn
9929/tcp  open     nping-echo  Nping echo
31337/tcp open     tcpwrapped
Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel

Service detection performed. Please report any incorrect results to Porthole's developers (see README.md) .
Porthole done: 1 IP address (1 host up) scanned in 29.90 seconds
`,
  );
});

// The article's `nmap -sU scanme.nmap.org` (nmap 7.80 there printed "991 closed ports";
// 7.93, whose layout Porthole follows, names the protocol and the reason).
Deno.test("golden: scanme -sU (article, 7.93 wording)", () => {
  const udp = selectPorts({ fast: false, tcp: false, udp: true }, defaultServicesDb()).udp;
  const of: Partial<PortResult> = { state: "open|filtered", reason: "no-response" };
  const special: Record<number, Partial<PortResult>> = {
    68: of,
    123: { state: "open", reason: "udp-response", reasonTtl: 52 },
    135: of,
    136: of,
    137: of,
    138: of,
    139: of,
    162: of,
    445: of,
  };
  const h: HostResult = {
    ...SCANME,
    ports: udp.map((port) => ({
      protocol: "udp",
      port,
      state: "closed",
      reason: "port-unreach",
      ...(special[port] ?? {}),
    })),
  };
  const out = render([h], opts({ scans: ["udp"] }), "stdout", run(), summary(1, 1, 1089.19));
  assertText(
    body(out),
    `Porthole scan report for scanme.nmap.org (45.33.32.156)
Host is up (0.26s latency).
Other addresses for scanme.nmap.org (not scanned): 2600:3c01::f03c:91ff:fe18:bb2f
Not shown: 991 closed udp ports (port-unreach)
PORT    STATE         SERVICE
68/udp  open|filtered dhcpc
123/udp open          ntp
135/udp open|filtered msrpc
136/udp open|filtered profile
137/udp open|filtered netbios-ns
138/udp open|filtered netbios-dgm
139/udp open|filtered netbios-ssn
162/udp open|filtered snmptrap
445/udp open|filtered microsoft-ds

Porthole done: 1 IP address (1 host up) scanned in 1089.19 seconds
`,
  );
});

// The article's `nmap -sF -p 25,135,139 scanme.nmap.org`: nothing folded, so a blank line.
Deno.test("golden: scanme -sF on three ports (article)", () => {
  const h: HostResult = {
    ...SCANME,
    latencySeconds: 0.25,
    ports: [25, 135, 139].map((port) => ({
      protocol: "tcp",
      port,
      state: "open|filtered",
      reason: "no-response",
    })),
  };
  const out = render([h], opts({ scans: ["fin"] }), "stdout", run(), summary(1, 1, 3.91));
  assertText(
    body(out),
    `Porthole scan report for scanme.nmap.org (45.33.32.156)
Host is up (0.25s latency).
Other addresses for scanme.nmap.org (not scanned): 2600:3c01::f03c:91ff:fe18:bb2f

PORT    STATE         SERVICE
25/tcp  open|filtered smtp
135/tcp open|filtered msrpc
139/tcp open|filtered netbios-ssn

Porthole done: 1 IP address (1 host up) scanned in 3.91 seconds
`,
  );
});

// ------------------------------------------------------------ nmap's rules, one by one

Deno.test("Not shown: several states and reasons, nmap's order and plurals", () => {
  const ports: PortResult[] = [];
  for (let p = 1; p <= 40; p++) {
    ports.push({ protocol: "tcp", port: p, state: "closed", reason: "reset" });
  }
  for (let p = 41; p <= 70; p++) {
    ports.push({
      protocol: "tcp",
      port: p,
      state: "filtered",
      reason: p < 45 ? "admin-prohibited" : "no-response",
    });
  }
  for (let p = 1; p <= 30; p++) {
    ports.push({ protocol: "udp", port: p, state: "closed", reason: "port-unreach" });
  }
  ports.push({ protocol: "tcp", port: 80, state: "open", reason: "syn-ack" });
  const h: HostResult = { ...SCANME, otherAddresses: [], userHostname: undefined, ports };
  const lines = render([h], opts({ scans: ["syn", "udp"] })).split("\n");
  // closed: 40 tcp + 30 udp = 70 > filtered 30; reason groups largest first.
  assertEquals(
    lines[3],
    "Not shown: 40 closed tcp ports (reset), 30 closed udp ports (port-unreach), 26 filtered tcp ports (no-response), 4 filtered tcp ports (admin-prohibited)",
  );
  // A single port in a state: "1 closed tcp port".
  const one: HostResult = {
    ...h,
    ports: [
      { protocol: "tcp", port: 1, state: "closed", reason: "reset" },
      { protocol: "tcp", port: 2, state: "open", reason: "syn-ack" },
    ],
  };
  assertEquals(
    render([one], opts({ openOnly: true })).split("\n")[3],
    "Not shown: 1 closed tcp port (reset)",
  );
});

Deno.test("verbosity widens what is listed (25 per state, ×(v+1), +20×d)", () => {
  const ports = tcpPorts(
    { 80: open() },
    "closed",
    "reset",
    Array.from({ length: 60 }, (_, i) => i + 1).concat(80),
  );
  const h: HostResult = { ...SCANME, otherAddresses: [], userHostname: undefined, ports };
  assert(render([h], opts()).includes("Not shown: 60 closed tcp ports (reset)"));
  const v1 = render([h], opts({ verbose: 1 }));
  assert(v1.includes("Not shown: 60 closed"), "-v: 50 per state, 60 still folded");
  const v2 = render([h], opts({ verbose: 2, reason: true }));
  assert(!v2.includes("Not shown"), "-vv: 75 per state, all listed");
  assert(v2.includes("\nScanned at "), "-vv prints when the host was scanned");
  assert(v2.includes("\n60/tcp closed unknown     reset\n"));
});

Deno.test("REASON column with ttl, and the up line's reason", () => {
  const h: HostResult = {
    address: "10.0.0.5",
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "arp-response",
    latencySeconds: 0.000123,
    mac: { addr: "02:42:ac:11:00:02", addrtype: "mac", vendor: "Unknown" },
    startTime: T0,
    endTime: T0,
    ports: [
      { protocol: "tcp", port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
      { protocol: "tcp", port: 23, state: "closed", reason: "reset", reasonTtl: 64 },
      { protocol: "tcp", port: 8080, state: "filtered", reason: "no-response" },
    ],
  };
  assertText(
    body(render([h], opts({ reason: true }))),
    `Porthole scan report for 10.0.0.5
Host is up, received arp-response (0.00012s latency).

PORT     STATE    SERVICE    REASON
22/tcp   open     ssh        syn-ack ttl 64
23/tcp   closed   telnet     reset ttl 64
8080/tcp filtered http-proxy no-response
MAC Address: 02:42:AC:11:00:02 (Unknown)

Porthole done: 1 IP address (1 host up) scanned in 1.00 seconds
`,
  );
});

Deno.test("all ports ignored, --open, host down, ping scan, timeouts, rDNS", () => {
  const closed = tcpPorts(
    {},
    "closed",
    "conn-refused",
    [1, 2, 3].concat(Array.from({ length: 30 }, (_, i) => 100 + i)),
  );
  const local: HostResult = {
    address: "127.0.0.1",
    family: 4,
    userHostname: "localhost",
    ptrHostname: "localhost.localdomain",
    otherAddresses: [],
    status: "up",
    statusReason: "user-set",
    latencySeconds: 0.000074,
    startTime: T0,
    endTime: T0,
    ports: closed,
  };
  assertText(
    body(render([local], opts())),
    `Porthole scan report for localhost (127.0.0.1)
Host is up (0.000074s latency).
rDNS record for 127.0.0.1: localhost.localdomain
All 33 scanned ports on localhost (127.0.0.1) are in ignored states.
Not shown: 33 closed tcp ports (conn-refused)

Porthole done: 1 IP address (1 host up) scanned in 1.00 seconds
`,
  );
  // --open: a host without open ports is left out entirely.
  assertEquals(body(render([local], opts({ openOnly: true }))), "");
  const down: HostResult = {
    ...local,
    status: "down",
    statusReason: "no-response",
    userHostname: undefined,
    ptrHostname: undefined,
    latencySeconds: undefined,
    ports: [],
  };
  assertText(
    render([down], opts()).split("\n").slice(1).join("\n"),
    "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\nPorthole done: 1 IP address (0 hosts up) scanned in 1.00 seconds\n",
  );
  assertEquals(
    render([down], opts({ verbose: 1, reason: true })).split("\n")[1],
    "Porthole scan report for 127.0.0.1 [host down, received no-response]",
  );
  const ping = opts({ discovery: { ...opts().discovery, pingOnly: true } });
  assertText(
    body(
      render([{ ...local, ptrHostname: undefined, latencySeconds: undefined, ports: [] }, {
        ...local,
        address: "127.0.0.2",
        userHostname: undefined,
        ptrHostname: undefined,
        latencySeconds: 0.0004,
        ports: [],
      }], ping),
    ),
    `Porthole scan report for localhost (127.0.0.1)
Host is up.
Porthole scan report for 127.0.0.2
Host is up (0.00040s latency).
Porthole done: 2 IP addresses (2 hosts up) scanned in 1.00 seconds
`,
  );
  const timedOut = { ...local, ptrHostname: undefined, timedOut: true };
  assert(
    render([timedOut], opts()).includes(
      "\nSkipping host localhost (127.0.0.1) due to host timeout\n",
    ),
  );
});

Deno.test("-oN files: '# … scan initiated … as:' and '# … done at'", () => {
  const h: HostResult = {
    ...SCANME,
    ports: tcpPorts({ 22: open() }, "closed", "reset", [21, 22, 23]),
  };
  const out = render(
    [h],
    opts(),
    "file",
    run(["porthole", "-oN", "my scan.txt", "scanme.nmap.org"]),
    summary(1, 1, 2.5, T0 + 2500),
  );
  const lines = out.split("\n");
  assertEquals(
    lines[0],
    `# Porthole ${PORTHOLE_VERSION} scan initiated ${
      formatCtime(T0)
    } as: porthole -oN "my scan.txt" scanme.nmap.org`,
  );
  assertEquals(
    lines.at(-2),
    `# Porthole done at ${
      formatCtime(T0 + 2500)
    } -- 1 IP address (1 host up) scanned in 2.50 seconds`,
  );
  assert(!out.includes("Starting") && !out.includes("Porthole done:"));
});

Deno.test("untrusted text is escaped before it reaches the terminal", () => {
  const h: HostResult = {
    ...SCANME,
    userHostname: "evil\x1b[2J.example",
    otherAddresses: [],
    ports: [{
      protocol: "tcp",
      port: 22,
      state: "open",
      reason: "syn-ack",
      service: {
        name: "ssh",
        method: "probed",
        confidence: 10,
        product: "Open\x1b]0;pwned\x07SSH",
        version: "1\r\n2",
      },
    }],
  };
  const out = render([h], opts({ versionDetection: true }));
  assert(!out.includes("\x1b") && !out.includes("\x07") && !out.includes("\r"));
  assert(out.includes("evil\\x1B[2J.example"));
  assert(out.includes("Open\\x1B]0;pwned\\x07SSH 1\\x0D\\x0A2"));
});

Deno.test("layoutTable is NmapOutputTable: widest cell + 1 space, no trailing blanks", () => {
  assertEquals(
    layoutTable([["PORT", "STATE", "SERVICE", "VERSION"], ["22/tcp", "open", "ssh", "OpenSSH"], [
      "8080/tcp",
      "closed",
      "http-proxy",
      "",
    ]]),
    "PORT     STATE  SERVICE    VERSION\n22/tcp   open   ssh        OpenSSH\n8080/tcp closed http-proxy\n",
  );
});

Deno.test("NormalWriter accepts Options from parseOptions and writes to a Deno.FsFile", () => {
  const o = parseOptions(["-sV", "--reason", "127.0.0.1"]);
  const path = Deno.makeTempFileSync();
  try {
    const f = Deno.openSync(path, { write: true });
    const w = new NormalWriter(f, o, "file");
    w.begin(run(["porthole", "-sV", "--reason", "127.0.0.1"]));
    w.host({ ...SCANME, ports: [{ protocol: "tcp", port: 22, state: "open", reason: "syn-ack" }] });
    w.end(summary(1, 1, 0.5));
    f.close();
    const text = Deno.readTextFileSync(path);
    assert(text.includes("PORT   STATE SERVICE REASON  VERSION\n22/tcp open  ssh?    syn-ack\n"));
  } finally {
    Deno.removeSync(path);
  }
});

// ------------------------------------------------------------ byte-for-byte against nmap

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
  const un = (s: string) =>
    s.replace(
      /&(#x[0-9a-fA-F]+|#\d+|\w+);/g,
      (m, e: string) =>
        e[0] === "#"
          ? String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
          : named[e] ?? m,
    );
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = un(m[2]!);
  return out;
}

/** Reads nmap's XML into the shared model (what the engine would have produced). */
function fromNmapXml(xml: string): { run: RunInfo; hosts: HostResult[]; summary: RunSummary } {
  const nr = attrs(/<nmaprun [^>]*>/.exec(xml)![0]);
  const hosts: HostResult[] = [];
  for (const hm of xml.matchAll(/<host[ >][\s\S]*?<\/host>/g)) {
    const h = hm[0];
    const ha = attrs(/<host[^>]*>/.exec(h)![0]);
    const st = attrs(/<status [^>]*>/.exec(h)![0]);
    const ad = attrs(/<address [^>]*addrtype="ipv[46]"[^>]*>/.exec(h)![0]);
    const ports: PortResult[] = [];
    for (const pm of h.matchAll(/<port [^>]*>([\s\S]*?)<\/port>/g)) {
      const pa = attrs(/<port [^>]*>/.exec(pm[0])![0]);
      const sa = attrs(/<state [^>]*>/.exec(pm[1]!)![0]);
      const p: PortResult = {
        protocol: pa.protocol as "tcp",
        port: Number(pa.portid),
        state: sa.state as PortState,
        reason: sa.reason!,
        reasonTtl: Number(sa.reason_ttl),
      };
      const sv = /<service [^>]*>([\s\S]*?<\/service>)?/.exec(pm[1]!);
      if (sv) {
        const s = attrs(/<service [^>]*>/.exec(sv[0])![0]);
        const info: ServiceInfo = {
          name: s.name!,
          method: s.method as "table",
          confidence: Number(s.conf),
        };
        if (s.product) info.product = s.product;
        if (s.version) info.version = s.version;
        if (s.extrainfo) info.extraInfo = s.extrainfo;
        if (s.ostype) info.osType = s.ostype;
        if (s.hostname) info.hostname = s.hostname;
        if (s.devicetype) info.deviceType = s.devicetype;
        if (s.tunnel) info.tunnel = "ssl";
        const cpe = [...sv[0].matchAll(/<cpe>([^<]*)<\/cpe>/g)].map((m) => m[1]!);
        if (cpe.length) info.cpe = cpe;
        p.service = info;
      }
      ports.push(p);
    }
    for (const em of h.matchAll(/<extraports ([^>]*)>([\s\S]*?)<\/extraports>/g)) {
      const state = attrs(em[1]!).state as PortState;
      for (const rm of em[2]!.matchAll(/<extrareasons [^>]*>/g)) {
        const r = attrs(rm[0]);
        for (const part of r.ports!.split(",")) {
          const [lo, hi] = part.split("-").map(Number);
          for (let n = lo!; n <= (hi ?? lo!); n++) {
            ports.push({ protocol: r.proto as "tcp", port: n, state, reason: r.reason! });
          }
        }
      }
    }
    const host: HostResult = {
      address: ad.addr!,
      family: ad.addrtype === "ipv6" ? 6 : 4,
      otherAddresses: [],
      status: st.state as "up",
      statusReason: st.reason!,
      statusReasonTtl: Number(st.reason_ttl),
      ports: ports.reverse(),
      startTime: Number(ha.starttime ?? 0) * 1000,
      endTime: Number(ha.endtime ?? 0) * 1000,
    };
    const user = /<hostname name="([^"]*)" type="user"/.exec(h);
    if (user) host.userHostname = user[1];
    const ptr = /<hostname name="([^"]*)" type="PTR"/.exec(h);
    if (ptr) host.ptrHostname = ptr[1];
    const t = /<times [^>]*>/.exec(h);
    if (t) {
      const ta = attrs(t[0]);
      host.times = { srtt: Number(ta.srtt), rttvar: Number(ta.rttvar), timeout: Number(ta.to) };
    }
    hosts.push(host);
  }
  const fin = attrs(/<finished [^>]*>/.exec(xml)![0]);
  const hs = attrs(/<hosts [^>]*>/.exec(xml)![0]);
  return {
    run: {
      args: nr.args!.split(" "),
      startTime: Number(nr.start) * 1000,
      version: PORTHOLE_VERSION,
      scanInfo: [],
      verbose: 0,
      debugging: 0,
    },
    hosts,
    summary: {
      endTime: Number(fin.time) * 1000,
      elapsedSeconds: Number(fin.elapsed),
      hostsUp: Number(hs.up),
      hostsDown: Number(hs.down),
      hostsTotal: Number(hs.total),
      exit: "success",
    },
  };
}

/** nmap's text with "Nmap" spelled as Porthole spells it. */
function rebrand(s: string): string {
  return s
    .replace(
      /Starting Nmap 7\.93 \( https:\/\/nmap\.org \)/g,
      `Starting Porthole ${PORTHOLE_VERSION} ( see README.md )`,
    )
    .replace(/# Nmap 7\.93 scan initiated/g, `# Porthole ${PORTHOLE_VERSION} scan initiated`)
    .replace(/ as: (\/usr\/bin\/)?nmap /g, " as: porthole ")
    .replace(/^Nmap scan report/gm, "Porthole scan report")
    .replace(/^Nmap done/gm, "Porthole done")
    .replace(/^# Nmap done/gm, "# Porthole done")
    .replace(/at https:\/\/nmap\.org\/submit\/ \./g, "to Porthole's developers (see README.md) .")
    .replace(/^Read data files from: .*\n/gm, "");
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** Loopback services for nmap to find: an SSH banner and an HTTP server. */
function startServices(): { ports: number[]; stop: () => void } {
  const enc = new TextEncoder();
  const ssh = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const http = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let stopped = false;
  const serve = async (l: Deno.Listener, handle: (c: Deno.Conn) => Promise<void>) => {
    while (!stopped) {
      let c: Deno.Conn;
      try {
        c = await l.accept();
      } catch {
        if (stopped) return;
        continue; // a scanner's half-open connection can make accept fail; keep serving
      }
      conns.add(c);
      handle(c).catch(() => {}).finally(() => {
        conns.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      });
    }
  };
  serve(ssh, async (c) => {
    await c.write(enc.encode("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1\r\n"));
    await c.read(new Uint8Array(1024));
  });
  serve(http, async (c) => {
    const n = await c.read(new Uint8Array(4096));
    if (n) {
      await c.write(enc.encode(
        "HTTP/1.1 200 OK\r\nDate: Mon, 01 Apr 2024 10:00:00 GMT\r\nServer: Apache/2.4.7 (Ubuntu)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      ));
    }
  });
  return {
    ports: [(ssh.addr as Deno.NetAddr).port, (http.addr as Deno.NetAddr).port],
    stop: () => {
      stopped = true;
      ssh.close();
      http.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

async function nmap(
  args: string[],
): Promise<{ stdout: string; xml: string; file: string } | undefined> {
  const dir = Deno.makeTempDirSync({ prefix: "ph-normal-" });
  try {
    const out = await new Deno.Command("nmap", {
      args: [...args, "-oX", `${dir}/x.xml`, "-oN", `${dir}/n.txt`],
      stdout: "piped",
      stderr: "null",
    }).output();
    return {
      stdout: new TextDecoder().decode(out.stdout),
      xml: Deno.readTextFileSync(`${dir}/x.xml`),
      file: Deno.readTextFileSync(`${dir}/n.txt`),
    };
  } catch {
    return undefined; // nmap not installed
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test({
  name: "byte for byte against nmap 7.93 on loopback (stdout and -oN)",
  ignore: missingTools("nmap").length > 0,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const svc = startServices();
    try {
      const [ssh, http] = svc.ports;
      const raw = isRoot();
      const cases: string[][] = [
        ["-sT", "-Pn", "-p", `1-30,${ssh},${http}`, "127.0.0.1"],
        ["-sT", "-Pn", "-p", "1-40", "localhost"],
        ["-sT", "-Pn", "--reason", "-p", `1-5,${ssh}`, "localhost"],
        ["-sT", "-Pn", "--open", "-p", `1-100,${http}`, "127.0.0.1"],
        ["-sT", "-Pn", "-sV", "-p", `${ssh},${http},1-3`, "localhost"],
        ["-sT", "-Pn", "-v", "-p", `1-60,${ssh}`, "127.0.0.1"],
        ["-sn", "-n", "127.0.0.1", "127.0.0.2"],
      ];
      if (raw) {
        cases.push(["-sS", "-Pn", "--reason", "-p", `1-3,${ssh}`, "127.0.0.1"]);
        cases.push(["-sU", "-Pn", "-p", "7-9", "127.0.0.1"]);
      }
      for (const args of cases) {
        const res = await nmap(args);
        if (!res) return;
        // The comparison must cover what the case is for, not an empty report.
        if (args.includes("-sV")) {
          assert(res.stdout.includes("Service Info: OS: Linux"), "ssh detected");
        }
        if (args.includes("--open")) assert(/\/tcp open /.test(res.stdout), "open port listed");
        const facts = fromNmapXml(res.xml);
        const o = parseOptions(args);
        const verbose = o.verbose > 0;
        const mine = (target: NormalTarget, r: RunInfo) => {
          let out = "";
          const w = new NormalWriter((t) => (out += t), o, target);
          w.begin(r);
          for (const h of facts.hosts) w.host(h);
          w.end(facts.summary);
          return out;
        };
        const fileArgs = ["porthole", ...facts.run.args.slice(1)];
        const ours = {
          stdout: mine("stdout", facts.run),
          file: mine("file", { ...facts.run, args: fileArgs }),
        };
        if (verbose) {
          // -v adds the engine's progress lines to nmap's stdout; compare the host report.
          const report = (s: string) =>
            s.slice(s.indexOf("Porthole scan report"), s.indexOf("\n\n") + 2);
          assertText(report(ours.file), report(rebrand(res.file)), args.join(" "));
        } else {
          assertText(ours.stdout, rebrand(res.stdout), args.join(" "));
          assertText(ours.file, rebrand(res.file), `-oN ${args.join(" ")}`);
        }
      }
    } finally {
      svc.stop();
    }
  },
});

// Issue 23: Porthole has no web site or tracker yet, so its reports name only its README, and
// never nmap's submission pages (nmap's databases must not receive Porthole's fingerprints).
Deno.test("-sV and -O reports name no made-up address and never nmap's submission pages", () => {
  const fingerprint =
    'SF-Port2222-TCP:V=0.1.0%I=7%D=4/1%Time=660A8A38%P=x86_64-unknown-linux-gnu%r(NULL,5,"hello");';
  const os: OsResult = {
    portsUsed: { openTcp: 22, closedTcp: 1 },
    unreliable: false,
    outcome: "success",
    matches: [],
    perfect: 0,
    rounds: [parseFingerprint(NMAP_LAB_FINGERPRINT)],
    db: "porthole-os-db",
    scan: { version: PORTHOLE_VERSION, platform: "x86_64-unknown-linux-gnu", time: T0 },
    sequence: {
      responses: 0,
      ipIds: [],
      timestamps: [],
      seqs: [],
      ipIdClass: "zero",
      tsClass: "none",
    },
    tries: 1,
  } as unknown as OsResult;
  const h: HostResult = {
    ...SCANME,
    os,
    ports: tcpPorts(
      {
        2222: {
          state: "open",
          reason: "syn-ack",
          service: { name: "unknown", method: "table", confidence: 3, fingerprint },
        },
        2223: {
          state: "open",
          reason: "syn-ack",
          service: { name: "unknown", method: "table", confidence: 3, fingerprint },
        },
      },
      "closed",
      "reset",
      [2222, 2223, 2224],
    ),
  };
  const out = render([h], opts({ versionDetection: true, osDetection: true }));
  assert(
    out.includes(
      "please submit the following fingerprints to Porthole's developers (see README.md) :",
    ),
    out,
  );
  assert(
    out.includes(
      "No exact OS matches for host (If you know what OS is running on it, see README.md ).",
    ),
    out,
  );
  assert(
    out.includes(
      "OS and Service detection performed. Please report any incorrect results to Porthole's developers (see README.md) .",
    ),
    out,
  );
  assert(out.startsWith(`Starting Porthole ${PORTHOLE_VERSION} ( see README.md ) at `), out);
  assertEquals(out.match(/https?:\/\/\S*|github|submit\.cgi|nmap\.org\/submit/g), null);
});

Deno.test("normal: a plain line (nmap's LOG_PLAIN) on the screen and in -oN, controls escaped", () => {
  for (const target of ["stdout", "file"] as const) {
    let out = "";
    const w = new NormalWriter((t) => (out += t), opts(), target);
    w.begin(run());
    w.plain("Idle scan using zombie z\x1b[2J (10.0.0.5:80); Class: Incremental");
    assert(
      out.endsWith("Idle scan using zombie z\\x1B[2J (10.0.0.5:80); Class: Incremental\n"),
      JSON.stringify(out),
    );
  }
});
