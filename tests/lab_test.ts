/**
 * The network lab: pure parts (addressing, rulesets, responders, expected states, parsers) run
 * everywhere; the namespace tests need root and skip without it. Every nmap run happens inside
 * a scanner namespace this file created; tags here start with "lt".
 */

import assert from "node:assert/strict";
import {
  addressing,
  ADVERSE_PORTS,
  expandPorts,
  expectedState,
  type HostSpec,
  Lab,
  labUnavailable,
  lossFreeTable,
  portRange,
  ratelimitSysctls,
  REPO_ROOT,
  SCANME_HOST,
  type Scenario,
  scenario,
  SCENARIOS,
  servicesConfig,
  STATE_DIR,
  tagIndex,
  validateScenario,
} from "./lab/mod.ts";
import { checkTag, parseNsName } from "./lab/addressing.ts";
import { rulesetFor } from "./lab/nft.ts";
import {
  dnsName,
  fromHex,
  httpResponse,
  mdnsReply,
  npingHandshake,
  ntpReply,
  snmpReply,
  toHex,
  udpReply,
} from "./lab/responders.ts";
import { parseNmapNormal, stateMap } from "./lab/nmap_table.ts";
import { parseCompareArgs, sideBySide, substituteTargets } from "./lab/compare.ts";
import { run } from "./lab/_exec.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;
const ignoreLab = unavailable !== null;
const ignoreNmap = ignoreLab || nmapMissing;

// --- the article's tables --------------------------------------------------------------------

/** `nmap scanme.nmap.org` in the article (default scan as root = SYN). */
const ARTICLE_TCP: [string, string][] = [
  ["22/tcp", "open"],
  ["25/tcp", "filtered"],
  ["80/tcp", "open"],
  ["135/tcp", "filtered"],
  ["139/tcp", "filtered"],
  ["9929/tcp", "open"],
  ["31337/tcp", "open"],
];

/** `nmap -sU scanme.nmap.org` in the article, plus 53 and 161 that it reports closed. */
const ARTICLE_UDP: [string, string][] = [
  ["53/udp", "closed"],
  ["68/udp", "open|filtered"],
  ["123/udp", "open"],
  ["135/udp", "open|filtered"],
  ["136/udp", "open|filtered"],
  ["137/udp", "open|filtered"],
  ["138/udp", "open|filtered"],
  ["139/udp", "open|filtered"],
  ["161/udp", "closed"],
  ["162/udp", "open|filtered"],
  ["445/udp", "open|filtered"],
];

// --- pure: addressing ------------------------------------------------------------------------

Deno.test("addressing: tags pick an index, names and subnets", () => {
  assert.equal(tagIndex("7"), 7);
  assert.equal(tagIndex("49"), 49);
  const h = tagIndex("50");
  assert.ok(h >= 0 && h < 50);
  for (const t of ["a", "lab", "zz9", "abcdefghijklmnop"]) {
    const n = tagIndex(t);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 50, t);
    assert.equal(tagIndex(t), n, "stable");
  }
  const a = addressing("3");
  assert.equal(a.scannerNs, "ph-3-s");
  assert.equal(a.targetNs(2), "ph-3-t2");
  assert.equal(a.hubNs, "ph-3-h");
  assert.equal(a.scannerV4, "10.203.0.1");
  assert.equal(a.gatewayV6, "fd00:203::2");
  assert.equal(a.serviceV4, "10.203.1.1");
  assert.equal(a.serviceV6, "fd00:203:1::1");
  assert.equal(a.hostV4(5), "10.203.0.15");
  assert.equal(a.hostV6(5), "fd00:203::15");
  assert.equal(a.anyipV4, "10.103.0.0/16");
  assert.deepEqual(parseNsName("ph-3-t12"), { tag: "3", role: "t12" });
  assert.deepEqual(parseNsName("ph-lab-s"), { tag: "lab", role: "s" });
  assert.deepEqual(parseNsName("ph-lab-r2"), { tag: "lab", role: "r2" });
  assert.equal(parseNsName("ph-golden-a"), null);
  assert.equal(parseNsName("other-s"), null);
  for (const bad of ["", "A", "a-b", "a b", "x".repeat(17), "../x"]) {
    assert.throws(() => checkTag(bad), /bad lab tag/);
  }
});

// --- pure: scenarios -------------------------------------------------------------------------

Deno.test("scenarios: all valid; bad ones rejected with a reason", () => {
  for (const s of Object.values(SCENARIOS)) validateScenario(s);
  assert.deepEqual(Object.keys(SCENARIOS).sort(), [
    "anyip16",
    "asymmetric",
    "bursty",
    "busy",
    "far",
    "hostile",
    "idle",
    "ipproto",
    "jitter",
    "lossy",
    "many-hosts",
    "multihop",
    "policies",
    "ratelimited-udp",
    "relays",
    "rst-limit",
    "scanme",
    "sctp",
    "syn-limit",
  ]);
  assert.equal(scenario("lossy").lossPercent, 20);
  assert.equal(scenario("many-hosts").hosts.length, 8);
  assert.throws(() => scenario("nope"), /unknown scenario "nope": scanme/);
  const base: Scenario = { ...scenario("scanme") };
  assert.throws(() => validateScenario({ ...base, hosts: [] }), /no hosts/);
  assert.throws(
    () => validateScenario({ ...base, hosts: [SCANME_HOST, SCANME_HOST] }),
    /exactly one host/,
  );
  assert.throws(() => validateScenario({ ...base, lossPercent: 101 }), /loss/);
  const dup = {
    name: "x",
    rules: [...SCANME_HOST.rules, { proto: "tcp" as const, ports: 25, policy: "reset" as const }],
  };
  assert.throws(() => validateScenario({ ...base, hosts: [dup] }), /two policy rules for tcp\/25/);
  const badPort = {
    name: "x",
    rules: [{ proto: "tcp" as const, ports: [10, 5] as [number, number], policy: "drop" as const }],
  };
  assert.throws(() => validateScenario({ ...base, hosts: [badPort] }), /bad tcp port range/);
  assert.throws(
    () => validateScenario({ ...scenario("many-hosts"), anyip16: true }),
    /anyip16 needs the routed topology/,
  );
  const busy = scenario("busy");
  const [quiet, neighbour] = busy.hosts as [HostSpec, HostSpec];
  assert.throws(
    () =>
      validateScenario({
        ...busy,
        hosts: [quiet, { ...neighbour, flood: { ...neighbour.flood!, to: "nobody" } }],
      }),
    /flood to unknown host nobody/,
  );
  assert.throws(
    () =>
      validateScenario({
        ...busy,
        hosts: [quiet, { ...neighbour, flood: { ...neighbour.flood!, maxMs: 0 } }],
      }),
    /at most an hour/,
  );
  assert.throws(
    () =>
      validateScenario({ ...busy, hosts: [{ ...quiet, inputBudget: { perSecond: 0, burst: 1 } }] }),
    /input budget/,
  );
  // The neighbour's services process sends the flood, from its address to the quiet host's.
  const targets = busy.hosts.map((spec, i) => ({
    name: spec.name,
    ns: `ns${i}`,
    v4: `10.0.0.${10 + i}`,
    v6: `fd00::${10 + i}`,
    spec,
  }));
  const cfg = servicesConfig(targets[1]!, busy, targets);
  assert.equal(cfg?.flood?.from, "10.0.0.11");
  assert.equal(cfg?.flood?.to, "10.0.0.10");
  assert.equal(cfg?.flood?.port, 9);
  assert.equal(servicesConfig(targets[0]!, busy, targets)?.flood, undefined);
  assert.throws(
    () => validateScenario({ ...scenario("multihop"), chain: { routers: 0 } }),
    /1-9 routers in a chain/,
  );
  assert.throws(
    () => validateScenario({ ...scenario("multihop"), chain: undefined }),
    /a chain scenario has exactly one host and its routers/,
  );
});

Deno.test("scenarios: expectedState reproduces the article's tables for scanme", () => {
  for (const [key, state] of ARTICLE_TCP) {
    assert.equal(expectedState(SCANME_HOST, "tcp", Number(key.split("/")[0]), "syn"), state, key);
  }
  assert.equal(expectedState(SCANME_HOST, "tcp", 443, "syn"), "closed");
  for (const [key, state] of ARTICLE_UDP) {
    assert.equal(expectedState(SCANME_HOST, "udp", Number(key.split("/")[0]), "udp"), state, key);
  }
  for (const scan of ["fin", "null", "xmas"] as const) {
    for (const p of [25, 135, 139]) {
      assert.equal(expectedState(SCANME_HOST, "tcp", p, scan), "open|filtered");
    }
    assert.equal(expectedState(SCANME_HOST, "tcp", 443, scan), "closed");
  }
  assert.equal(expectedState(SCANME_HOST, "tcp", 22, "ack"), "unfiltered");
  assert.throws(() => expectedState(SCANME_HOST, "udp", 53, "syn"), /does not probe udp/);
  // scanme's open/filtered TCP ports are all in nmap's top 1000, so a default scan shows them.
  const services = nmapTopTcp();
  for (const [key] of ARTICLE_TCP) assert.ok(services.has(key), `${key} in nmap's top 1000`);
});

/** nmap's top 1000 TCP ports by frequency, from /usr/share/nmap/nmap-services (if installed). */
function nmapTopTcp(): Set<string> {
  let text: string;
  try {
    text = Deno.readTextFileSync("/usr/share/nmap/nmap-services");
  } catch {
    return new Set(ARTICLE_TCP.map(([k]) => k)); // no nmap here: nothing to check against
  }
  const rows = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"))
    .filter((f) => f[1]?.endsWith("/tcp")).map((f) => [f[1]!, Number(f[2])] as const);
  rows.sort((a, b) => b[1] - a[1]);
  return new Set(rows.slice(0, 1000).map(([k]) => k));
}

// --- pure: nftables --------------------------------------------------------------------------

Deno.test("nft: scanme's policies and the loss rule, each way", () => {
  const plain = rulesetFor(SCANME_HOST);
  assert.match(plain, /tcp dport \{ 25, 135, 139 \} drop/);
  assert.match(plain, /udp dport \{ 68, 135-139, 162, 445 \} drop/);
  assert.doesNotMatch(plain, /numgen/);
  const lossy = rulesetFor(SCANME_HOST, { lossPercent: 20 });
  assert.equal(lossy.match(/numgen random mod 100 < 20 drop/g)?.length, 2, "input and output");
  assert.ok(lossy.indexOf("numgen") < lossy.indexOf("dport"), "loss before policies");
  const pol = rulesetFor(scenario("policies").hosts[0]!);
  assert.match(pol, /tcp dport \{ 1001 \} reject with tcp reset/);
  assert.match(pol, /tcp dport \{ 1002 \} reject with icmpx type port-unreachable/);
  assert.match(pol, /udp dport \{ 1003 \} reject with icmpx type admin-prohibited/);
  const dark = rulesetFor({ name: "d", rules: [], dark: true });
  assert.match(dark, /table arp ph_lab/);
  assert.match(dark, /accept\n\s+drop\n/);
  assert.throws(
    () => rulesetFor({ name: "u", rules: [{ proto: "udp", ports: 1, policy: "reset" as never }] }),
    /"reset" is a TCP policy/,
  );
  assert.throws(() => rulesetFor(SCANME_HOST, { lossPercent: 150 }), /0-100/);
  // An input budget is one rule (one token bucket for every sender), after the loss.
  const quiet = rulesetFor(scenario("busy").hosts[0]!, { lossPercent: 5 });
  assert.equal(quiet.match(/limit rate over 300\/second burst 3 packets drop/g)?.length, 1);
  assert.ok(quiet.indexOf("numgen") < quiet.indexOf("limit rate"), "loss before the budget");
  assert.ok(quiet.indexOf("limit rate") < quiet.indexOf("dport"), "budget before policies");
  assert.doesNotMatch(rulesetFor(SCANME_HOST), /limit rate/);
  // A rate-limiting firewall counts connection attempts in; an RST budget, resets out.
  const syn = rulesetFor(scenario("syn-limit").hosts[0]!);
  assert.match(
    syn,
    /input[^}]*tcp flags & \(syn \| ack\) == syn limit rate over 100\/second burst 20 packets drop/,
  );
  const rst = rulesetFor(scenario("rst-limit").hosts[0]!);
  assert.match(rst, /output[^}]*tcp flags & rst == rst limit rate over 100\/second burst 20/);
  // An idle zombie's resets are its responder's only (marked), never the kernel's.
  const zombie = rulesetFor(scenario("idle").hosts[0]!);
  assert.match(zombie, /output[^}]*tcp flags & rst == rst meta mark != 42 drop/);
  assert.doesNotMatch(rulesetFor(scenario("idle").hosts[2]!), /meta mark/);
  // One-way loss: a numgen rule on that side only.
  const asym = rulesetFor(SCANME_HOST, { path: scenario("asymmetric").path });
  assert.equal(asym.match(/numgen random mod 100 < 30 drop/g)?.length, 1);
  assert.ok(asym.indexOf("numgen") > asym.indexOf("chain output"), "on the replies");
});

Deno.test("scenarios: the loss-free table of a port list, from the rules", () => {
  assert.deepEqual(expandPorts("1-3,9929"), [1, 2, 3, 9929]);
  assert.deepEqual(lossFreeTable(SCANME_HOST, ADVERSE_PORTS), {
    rows: [
      "22/tcp open",
      "25/tcp filtered",
      "80/tcp open",
      "135/tcp filtered",
      "139/tcp filtered",
      "9929/tcp open",
      "31337/tcp open",
    ],
    closed: 295,
  });
  assert.throws(
    () => validateScenario({ ...scenario("far"), anyipPrefixLength: 8 }),
    /anyipPrefixLength/,
  );
  assert.throws(
    () => validateScenario({ ...scenario("jitter"), path: { toTarget: { delayMs: [9, 1] } } }),
    /bad path conditions toTarget/,
  );
});

Deno.test("sysctls: the ICMP rate limit on and off", () => {
  assert.ok(ratelimitSysctls(true).includes("net.ipv4.icmp_ratelimit=1000"));
  assert.ok(ratelimitSysctls(true).includes("net.ipv6.icmp.ratelimit=1000"));
  assert.ok(ratelimitSysctls(false).includes("net.ipv4.icmp_ratelimit=0"));
  assert.ok(ratelimitSysctls(false).includes("net.ipv6.icmp.ratelimit=0"));
});

// --- pure: responders ------------------------------------------------------------------------

/** nmap-payloads' NTP probe for udp/123 (a mode-3 client request, version 4). */
const NMAP_NTP = fromHex(
  "e30004fa000100000001000000000000000000000000000000000000000000000000000000000000c54f234b71b152f3",
);

Deno.test("responders: NTP answers a mode-3 request with mode 4 (RFC 5905)", () => {
  const now = new Date(Date.UTC(2024, 3, 1, 12, 0, 0, 500));
  const r = ntpReply(NMAP_NTP, now)!;
  assert.equal(r.length, 48);
  assert.equal(r[0]! & 7, 4, "server mode");
  assert.equal((r[0]! >> 3) & 7, 4, "version echoed");
  assert.equal(r[0]! >> 6, 0, "no leap warning");
  assert.equal(r[1], 2, "stratum 2");
  assert.equal(r[2], NMAP_NTP[2], "poll echoed");
  assert.deepEqual(r.subarray(24, 32), NMAP_NTP.subarray(40, 48), "origin = client transmit");
  const v = new DataView(r.buffer);
  assert.equal(v.getUint32(40), Math.floor(now.getTime() / 1000) + 2208988800, "transmit seconds");
  assert.equal(v.getUint32(44), 2 ** 31, "half a second");
  assert.equal(ntpReply(NMAP_NTP.subarray(0, 47), now), null, "short");
  const mode4 = NMAP_NTP.slice();
  mode4[0] = 0xe4;
  assert.equal(ntpReply(mode4, now), null, "never answers a server reply");
});

Deno.test("responders: DNS status request gets NOTIMP, version.bind and A answers", () => {
  // nmap-payloads udp/53: id 0, opcode 2 (server status).
  const status = fromHex("000010000000000000000000");
  const r = udpReply({ kind: "dns" }, status)!;
  assert.equal(toHex(r.subarray(0, 4)), "0000" + (0x8000 | (2 << 11) | 0x0400 | 4).toString(16));
  const q = (name: string, type: number, cls: number) => {
    const head = fromHex("abcd01000001000000000000");
    const tail = new Uint8Array([type >> 8, type & 255, cls >> 8, cls & 255]);
    return new Uint8Array([...head, ...dnsName(name), ...tail]);
  };
  const vb = udpReply({ kind: "dns", version: "9.9.5-lab" }, q("version.bind", 16, 3))!;
  assert.equal(toHex(vb.subarray(0, 2)), "abcd");
  assert.equal(new DataView(vb.buffer).getUint16(6), 1, "one answer");
  assert.ok(new TextDecoder().decode(vb).endsWith("9.9.5-lab"));
  const a = udpReply({ kind: "dns", answerA: "10.1.2.3" }, q("scanme.lab", 1, 1))!;
  assert.deepEqual([...a.subarray(a.length - 4)], [10, 1, 2, 3]);
  const nx = udpReply({ kind: "dns" }, q("scanme.lab", 1, 1))!;
  assert.equal(nx[3]! & 0xf, 3, "NXDOMAIN");
  assert.equal(udpReply({ kind: "dns" }, fromHex("0000")), null, "too short");
  assert.equal(udpReply({ kind: "dns" }, r), null, "never answers a response");
});

Deno.test("responders: mDNS service enumeration (nmap's udp/5353 payload)", () => {
  const req = fromHex(
    "000000000001000000000000095f7365727669636573075f646e732d7364045f756470056c6f63616c00000c8001",
  );
  const r = mdnsReply(req, ["_http._tcp.local"])!;
  assert.equal(new DataView(r.buffer).getUint16(2), 0x8400);
  assert.equal(new DataView(r.buffer).getUint16(6), 1);
  assert.ok(toHex(r).endsWith(toHex(dnsName("_http._tcp.local"))));
  assert.equal(mdnsReply(fromHex("0000000000010000000000000161000001" + "0001"), ["x"]), null);
});

Deno.test("responders: SNMP v3 discovery report and v1 sysDescr (nmap's udp/161 payloads)", () => {
  const v3 = fromHex(
    "303a020103300f02024a69020300ffe3040104020103041030" +
      "0e0400020100020100040004000400301204000400a00c020237f00201000201003000",
  );
  const r3 = snmpReply(v3, "public", "x", new Date())!;
  assert.equal(r3[0], 0x30);
  const hex3 = toHex(r3);
  assert.ok(hex3.startsWith("30"), hex3);
  assert.ok(hex3.includes("02024a69"), "msgID echoed");
  assert.ok(hex3.includes("a8"), "a Report PDU");
  assert.ok(hex3.includes("020237f0"), "request-id echoed");
  assert.ok(hex3.includes("2b060106030f0101040"), "usmStatsUnknownEngineIDs");
  const v1 = new Uint8Array([
    ...fromHex("301f0201000406"),
    ...new TextEncoder().encode("public"),
    ...fromHex("a112020100020100020100300730050601000500"),
  ]);
  const r2 = snmpReply(v1, "public", "Linux lab", new Date())!;
  assert.ok(toHex(r2).includes("a2"), "GetResponse");
  assert.ok(new TextDecoder().decode(r2).includes("Linux lab"));
  assert.equal(snmpReply(v1, "private", "x", new Date()), null, "wrong community: silence");
  assert.equal(snmpReply(fromHex("0401"), "public", "x", new Date()), null);
});

Deno.test("responders: HTTP like Apache, 400 for junk, HEAD without body", () => {
  const svc = { kind: "http" as const, server: "Apache/2.4.7 (Ubuntu)", title: "T" };
  const now = new Date(Date.UTC(2024, 3, 1));
  const dec = new TextDecoder();
  const get = httpResponse(svc, "GET / HTTP/1.0\r\n", now);
  const text = dec.decode(get.bytes);
  assert.match(
    text,
    /^HTTP\/1\.1 200 OK\r\nDate: Mon, 01 Apr 2024 00:00:00 GMT\r\nServer: Apache\/2\.4\.7 \(Ubuntu\)\r\n/,
  );
  assert.equal(get.keepAlive, false, "HTTP/1.0 closes");
  const len = Number(/Content-Length: (\d+)/.exec(text)![1]);
  assert.equal(text.split("\r\n\r\n")[1]!.length, len);
  assert.equal(httpResponse(svc, "GET / HTTP/1.1\r\nHost: x", now).keepAlive, true);
  assert.equal(httpResponse(svc, "GET / HTTP/1.1\r\nConnection: close", now).keepAlive, false);
  const head = dec.decode(httpResponse(svc, "HEAD / HTTP/1.1", now).bytes);
  assert.ok(head.endsWith("\r\n\r\n"), "no body");
  assert.match(
    dec.decode(httpResponse(svc, "\x80\x00junk", now).bytes),
    /^HTTP\/1\.1 400 Bad Request/,
  );
  assert.match(dec.decode(httpResponse(svc, "GET /nope HTTP/1.0", now).bytes), /^HTTP\/1\.1 404/);
  assert.match(
    dec.decode(httpResponse(svc, "OPTIONS / HTTP/1.0", now).bytes),
    /Allow: GET,HEAD,POST,OPTIONS/,
  );
});

Deno.test("responders: the Nping echo greeting matches nmap's nping-echo signature", () => {
  const hs = npingHandshake((n) => new Uint8Array(n).fill(0x41));
  assert.equal(hs.length, 96);
  // nmap-service-probes: match nping-echo m|^\x01\x01\0\x18.{8}\0\0\0\0.{32}\0{16}.{32}$|s
  const latin1 = String.fromCharCode(...hs);
  // deno-lint-ignore no-control-regex
  assert.match(latin1, /^\x01\x01\x00\x18[^]{8}\x00{4}[^]{32}\x00{16}[^]{32}$/);
});

// --- pure: parsing and comparing outputs -----------------------------------------------------

const ARTICLE_SV = `Starting Nmap 7.94SVN ( https://nmap.org ) at 2024-04-01 16:13 IST
Nmap scan report for scanme.nmap.org (45.33.32.156)
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
`;

Deno.test("nmap_table: parses the article's -sV table", () => {
  const [h, ...rest] = parseNmapNormal(ARTICLE_SV);
  assert.equal(rest.length, 0);
  assert.equal(h!.address, "45.33.32.156");
  assert.equal(h!.hostname, "scanme.nmap.org");
  assert.equal(h!.notShown, "993 closed tcp ports (conn-refused)");
  assert.equal(h!.ports.length, 7);
  assert.deepEqual(h!.ports[0], {
    port: 22,
    proto: "tcp",
    state: "open",
    service: "ssh",
    version: "OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13 (Ubuntu Linux; protocol 2.0)",
  });
  assert.equal(h!.ports[1]!.version, "");
  assert.equal(h!.ports[6]!.service, "tcpwrapped");
  assert.deepEqual([...stateMap(h!)], ARTICLE_TCP);
});

Deno.test("compare: argument split, target substitution, differences counted", () => {
  const o = parseCompareArgs([
    "--",
    "--scenario",
    "policies",
    "--loss",
    "5",
    "-sS",
    "-p",
    "1-9",
    "TARGET",
  ]);
  assert.equal(o.scenario, "policies");
  assert.equal(o.loss, 5);
  assert.deepEqual(o.args, ["-sS", "-p", "1-9", "TARGET"]);
  assert.throws(() => parseCompareArgs(["--scenario", "nope"]), /unknown scenario/);
  assert.throws(() => parseCompareArgs(["--icmp-ratelimit", "maybe"]), /on or off/);
  const t = { v4: "10.1.1.1", v6: "fd00::1", all: ["10.1.0.10", "10.1.0.11"] };
  assert.deepEqual(substituteTargets(["-sS", "TARGET"], t), ["-sS", "10.1.1.1"]);
  assert.deepEqual(substituteTargets(["-6", "TARGET6"], t), ["-6", "fd00::1"]);
  assert.deepEqual(substituteTargets(["-sn", "TARGETS"], t), ["-sn", "10.1.0.10", "10.1.0.11"]);
  assert.deepEqual(substituteTargets(["-sS"], t), ["-sS", "10.1.1.1"], "appended");
  assert.throws(() => substituteTargets(["ANYIP"], t), /anyip16/);
  const a = parseNmapNormal(ARTICLE_SV);
  const b = parseNmapNormal(ARTICLE_SV.replace("25/tcp    filtered", "25/tcp    closed  "));
  assert.equal(sideBySide(a, a).diffs, 0);
  const d = sideBySide(a, b);
  assert.equal(d.diffs, 1);
  assert.match(d.text, /25\/tcp\s+filtered smtp\s+closed smtp\s+<-- differs/);
  assert.equal(sideBySide(a, null).diffs, 0, "no porthole output: nothing to count");
});

// --- root: the lab itself --------------------------------------------------------------------

async function labNamespaces(tag: string): Promise<string[]> {
  const r = await run(["ip", "netns", "list"]);
  return r.stdout.split("\n").map((l) => l.split(" ")[0]!).filter((n) =>
    n.startsWith(`ph-${tag}-`)
  );
}

async function stateExists(tag: string): Promise<boolean> {
  return await Deno.stat(`${STATE_DIR}/${tag}.json`).then(() => true, () => false);
}

/** What a TCP service sends (after we write `send`) until it closes or idles 300 ms. */
async function grab(lab: Lab, host: string, port: number, send = ""): Promise<Uint8Array> {
  const code = `
    const c = await Deno.connect({ hostname: ${JSON.stringify(host)}, port: ${port} });
    const send = ${JSON.stringify(send)};
    if (send) await c.write(new TextEncoder().encode(send));
    let idle;
    const arm = (ms) => { clearTimeout(idle); idle = setTimeout(() => { try { c.close(); } catch {} }, ms); };
    arm(3000);
    const chunks = [];
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        chunks.push(...buf.subarray(0, n));
        arm(300);
      }
    } catch { /* closed by the idle timer */ }
    clearTimeout(idle);
    try { c.close(); } catch {}
    console.log(chunks.map((x) => x.toString(16).padStart(2, "0")).join(""));`;
  const r = await lab.runInScanner([Deno.execPath(), "eval", code], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  return fromHex(r.stdout.trim());
}

Deno.test({
  name: "lab scanme: nmap inside the scanner namespace gives the article's tables",
  ignore: ignoreNmap,
  async fn() {
    await using lab = await Lab.up({ tag: "lt1", scenario: "scanme" });
    const t = lab.target;
    assert.equal(lab.scanner.ns, "ph-lt1-s");
    assert.equal(t.ns, "ph-lt1-t0");
    assert.equal(t.hostname, "scanme.lab");
    assert.deepEqual((await labNamespaces("lt1")).sort(), ["ph-lt1-s", "ph-lt1-t0"]);

    // The scanner's only ways out lead into the lab.
    const routes = (await lab.runInScanner(["ip", "-4", "route"])).stdout;
    assert.doesNotMatch(routes, /default/);
    const links = (await lab.runInScanner(["ip", "-o", "link"])).stdout.trim().split("\n");
    assert.deepEqual(links.map((l) => l.split(":")[1]!.trim().split("@")[0]), ["lo", "eth0"]);

    // The default scan by name, as in the article: same table, same "Not shown", v6 noted.
    const def = await lab.nmap(["-T4", "scanme.lab"]);
    assert.equal(def.code, 0, def.stderr);
    const [h] = parseNmapNormal(def.stdout);
    assert.ok(h, def.stdout);
    assert.equal(h.hostname, "scanme.lab");
    assert.equal(h.address, t.v4);
    assert.equal(h.notShown, "993 closed tcp ports (reset)");
    assert.deepEqual([...stateMap(h)], ARTICLE_TCP);
    assert.deepEqual(h.ports.map((p) => p.service), [
      "ssh",
      "smtp",
      "http",
      "msrpc",
      "netbios-ssn",
      "nping-echo",
      "Elite",
    ]);
    assert.match(
      def.stdout,
      new RegExp(`Other addresses for scanme\\.lab \\(not scanned\\): ${t.v6}`),
    );
    for (const p of h.ports) assert.equal(p.state, expectedState(t.spec, "tcp", p.port, "syn"));

    // -sS -T4 on the address, and FIN on the filtered ports (the article's -sF).
    const syn = await lab.nmap(["-sS", "-T4", "-n", t.v4]);
    assert.deepEqual([...stateMap(parseNmapNormal(syn.stdout)[0]!)], ARTICLE_TCP);
    const fin = await lab.nmap(["-sF", "-n", "-p", "25,135,139", t.v4]);
    assert.deepEqual(
      [...stateMap(parseNmapNormal(fin.stdout)[0]!).values()],
      ["open|filtered", "open|filtered", "open|filtered"],
    );

    // UDP on a subset (the full -sU takes minutes): the article's table.
    const udp = await lab.nmap(["-sU", "-n", "-p", "53,68,123,135-139,161,162,445", t.v4]);
    assert.deepEqual([...stateMap(parseNmapNormal(udp.stdout)[0]!)], ARTICLE_UDP, udp.stdout);

    // The v6 address answers the same way.
    const v6 = await lab.nmap(["-6", "-sS", "-n", "-p", "22,25,80,443", t.v6]);
    assert.deepEqual([...stateMap(parseNmapNormal(v6.stdout)[0]!).values()], [
      "open",
      "filtered",
      "open",
      "closed",
    ]);

    // Versions, as in the article's -sV table.
    const sv = await lab.nmap(["-sV", "-n", "-p", "22,80,9929,31337", t.v4], { timeoutMs: 60_000 });
    const versions = new Map(
      parseNmapNormal(sv.stdout)[0]!.ports.map((p) => [p.port, `${p.service} ${p.version}`.trim()]),
    );
    assert.equal(
      versions.get(22),
      "ssh OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13 (Ubuntu Linux; protocol 2.0)",
    );
    assert.equal(versions.get(80), "http Apache httpd 2.4.7 ((Ubuntu))");
    assert.equal(versions.get(9929), "nping-echo Nping echo");
    assert.equal(versions.get(31337), "tcpwrapped");

    // The raw greeting and the HTTP head.
    assert.equal(
      new TextDecoder().decode(await grab(lab, t.v4, 22)),
      "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n",
    );
    const http = new TextDecoder().decode(await grab(lab, t.v4, 80, "GET / HTTP/1.0\r\n\r\n"));
    assert.match(http, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(http, /\r\nServer: Apache\/2\.4\.7 \(Ubuntu\)\r\n/);

    // ICMP rate limit: scanme keeps the kernel's classic limit, set in the target.
    const rl = await lab.runInTarget(0, [
      "sysctl",
      "-n",
      "net.ipv4.icmp_ratelimit",
      "net.ipv6.icmp.ratelimit",
    ]);
    assert.deepEqual(rl.stdout.trim().split("\n"), ["1000", "1000"]);

    // The Porthole command line: inside the scanner namespace, the porthole task's flags.
    const argv = await lab.portholeArgv(["-sS", t.v4]);
    assert.deepEqual(argv.slice(0, 6), [
      "ip",
      "netns",
      "exec",
      lab.scanner.ns,
      "env",
      "DENO_NO_UPDATE_CHECK=1",
    ]);
    assert.match(argv[6]!, /deno$/);
    assert.equal(argv[7], "run");
    assert.deepEqual(argv.slice(-3), ["cli/main.ts", "-sS", t.v4]);
    assert.ok(argv.includes("--allow-ffi") && argv.includes("--unstable-net"), argv.join(" "));
  },
});

Deno.test({
  name: "lab: down removes everything, twice is fine, and a throw inside the scope cleans up",
  ignore: ignoreLab,
  async fn() {
    const lab = await Lab.up({ tag: "lt2", scenario: "scanme" });
    assert.equal((await labNamespaces("lt2")).length, 2);
    assert.ok(await stateExists("lt2"));
    await lab.down();
    await lab.down();
    await Lab.down("lt2");
    assert.deepEqual(await labNamespaces("lt2"), []);
    assert.equal(await stateExists("lt2"), false);
    await assert.rejects(async () => {
      await using inner = await Lab.up({ tag: "lt2", scenario: "policies" });
      assert.equal((await labNamespaces("lt2")).length, 2);
      assert.ok(inner.target.v4);
      throw new Error("boom inside the lab scope");
    }, /boom inside the lab scope/);
    assert.deepEqual(await labNamespaces("lt2"), [], "no ph-lt2- namespace left");
    assert.equal(await stateExists("lt2"), false);
    assert.deepEqual(await Deno.stat("/etc/netns/ph-lt2-s").then(() => ["left"], () => []), []);
  },
});

Deno.test({
  name: "lab: a failure during up removes what was built",
  ignore: ignoreLab,
  async fn() {
    // Services that cannot come up in 1 ms: up must throw and leave nothing behind.
    await assert.rejects(
      () => Lab.up({ tag: "lt3", scenario: "scanme", servicesTimeoutMs: 1 }),
      /services in ph-lt3-t0 did not start/,
    );
    assert.deepEqual(await labNamespaces("lt3"), []);
    assert.equal(await stateExists("lt3"), false);
    await assert.rejects(() => Lab.up({ tag: "Bad-Tag" }), /bad lab tag/);
  },
});

Deno.test({
  name: "lab sweep: a lab whose owner was killed is stale; its services die; sweep removes it",
  ignore: ignoreLab,
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${REPO_ROOT}/tests/lab/main.ts`,
        "up",
        "scanme",
        "--tag",
        "lt4",
        "--hold",
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    let out = "";
    const dec = new TextDecoder();
    while (!out.includes("holding")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value);
    }
    await reader.cancel();
    assert.match(out, /lab lt4 up: scanme/);
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();

    assert.deepEqual((await labNamespaces("lt4")).sort(), ["ph-lt4-s", "ph-lt4-t0"], "left behind");
    const st = (await Lab.status()).find((s) => s.tag === "lt4");
    assert.equal(st?.health, "stale");
    // Its services saw their starter die (end of stdin) and exited by themselves.
    let pids = st!.pids;
    for (let i = 0; i < 100 && pids.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pids = (await run(["ip", "netns", "pids", "ph-lt4-t0"])).stdout.trim().split(/\s+/).filter(
        Boolean,
      ).map(Number);
    }
    assert.deepEqual(pids, [], "services exited with their parent");

    const removed = await Lab.sweep({ tags: ["lt4"] });
    assert.deepEqual(removed.sort(), ["ph-lt4-s", "ph-lt4-t0"]);
    assert.deepEqual(await labNamespaces("lt4"), []);
    assert.equal(await stateExists("lt4"), false);
    assert.deepEqual(await Lab.sweep({ tags: ["lt4"] }), [], "nothing left the second time");
  },
});

Deno.test({
  name: "lab CLI: up leaves a detached lab, status shows it, down (twice) removes it",
  ignore: ignoreLab,
  async fn() {
    const cli = (...args: string[]) =>
      run([Deno.execPath(), "run", "-A", `${REPO_ROOT}/tests/lab/main.ts`, ...args], {
        timeoutMs: 60_000,
      });
    try {
      const up = await cli(
        "up",
        "lossy",
        "--tag",
        "lt5",
        "--loss",
        "35",
        "--icmp-ratelimit",
        "off",
      );
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /lab lt5 up: lossy/);
      assert.match(up.stdout, /loss 35% each way, ICMP rate limit off/);
      const status = await cli("status");
      assert.match(status.stdout, /lt5: detached lossy, 1 processes/);
      // The loss rule each way and the rate limit off, in the target namespace.
      const nft = await run([
        "ip",
        "netns",
        "exec",
        "ph-lt5-t0",
        "nft",
        "list",
        "table",
        "inet",
        "ph_lab",
      ]);
      assert.equal(nft.stdout.match(/numgen random mod 100 < 35 drop/g)?.length, 2, nft.stdout);
      const rl = await run([
        "ip",
        "netns",
        "exec",
        "ph-lt5-t0",
        "sysctl",
        "-n",
        "net.ipv4.icmp_ratelimit",
        "net.ipv6.icmp.ratelimit",
      ]);
      assert.deepEqual(rl.stdout.trim().split("\n"), ["0", "0"]);
      const again = await cli("up", "scanme", "--tag", "lt5");
      assert.equal(again.code, 1);
      assert.match(again.stderr, /lab lt5 is already up \(detached\)/);
      const bad = await cli("up", "nope");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^lab: unknown scenario "nope"/);
      assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, "no stack trace");
    } finally {
      const d1 = await cli("down", "--tag", "lt5");
      const d2 = await cli("down", "--tag", "lt5");
      assert.equal(d1.code, 0, d1.stderr);
      assert.equal(d2.code, 0, d2.stderr);
    }
    assert.deepEqual(await labNamespaces("lt5"), []);
    assert.equal(await stateExists("lt5"), false);
  },
});

Deno.test({
  name: "lab policies: nmap's states for every nftables policy match expectedState",
  ignore: ignoreNmap,
  async fn() {
    await using lab = await Lab.up({ tag: "lt6", scenario: "policies" });
    const host = lab.target.spec;
    const kinds = {
      "-sS": "syn",
      "-sT": "connect",
      "-sF": "fin",
      "-sA": "ack",
      "-sU": "udp",
    } as const;
    for (const [flag, kind] of Object.entries(kinds)) {
      const r = await lab.nmap([flag, "-n", "-p", "1000-1006", lab.target.v4]);
      const h = parseNmapNormal(r.stdout)[0];
      assert.ok(h, r.stdout + r.stderr);
      const proto = kind === "udp" ? "udp" : "tcp";
      const want = Array.from(
        { length: 7 },
        (_, i) => [`${1000 + i}/${proto}`, expectedState(host, proto, 1000 + i, kind)],
      );
      assert.deepEqual([...stateMap(h)], want, `${flag}\n${r.stdout}`);
    }
  },
});

Deno.test({
  name: "lab many-hosts: 8 targets on a bridge, one dark; services per host",
  ignore: ignoreNmap,
  async fn() {
    await using lab = await Lab.up({ tag: "lt7", scenario: "many-hosts" });
    assert.equal(lab.targets.length, 8);
    assert.equal((await labNamespaces("lt7")).length, 10, "scanner, hub, 8 targets");
    const ping = await lab.nmap(["-sn", "-n", ...lab.targets.map((t) => t.v4)]);
    const up = parseNmapNormal(ping.stdout).map((h) => h.address);
    assert.deepEqual(up, lab.targets.filter((t) => !t.spec.dark).map((t) => t.v4));
    assert.match(ping.stdout, /MAC Address: 02:70:68:[0-9A-F]{2}:00:0A/);
    const ports = scenario("many-hosts").suggested!.tcp!;
    const syn = await lab.nmap(["-sS", "-n", "-T4", "-p", ports, ...lab.targets.map((t) => t.v4)]);
    const hosts = parseNmapNormal(syn.stdout);
    assert.equal(hosts.length, 7, syn.stdout);
    const list = ports.split(",").flatMap((p) => {
      const [lo, hi] = p.includes("-")
        ? p.split("-").map(Number) as [number, number]
        : [Number(p), Number(p)];
      return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    });
    for (const h of hosts) {
      const t = lab.targets.find((x) => x.v4 === h.address)!;
      const got = stateMap(h);
      for (const p of list) {
        const want = expectedState(t.spec, "tcp", p, "syn");
        assert.equal(got.get(`${p}/tcp`) ?? h.notShown?.split(" ")[1], want, `${t.name} ${p}`);
      }
    }
  },
});

Deno.test({
  name: "lab anyip16: every address of the /16 answers; UDP responders answer nmap's payloads",
  ignore: ignoreNmap,
  async fn() {
    {
      await using lab = await Lab.up({ tag: "lt8", scenario: "anyip16" });
      assert.ok(lab.anyip);
      const [o1, o2] = lab.anyip.split(".") as [string, string];
      const net = `${o1}.${o2}.77.0/24`;
      const r = await lab.nmap(["-sS", "-n", "-T5", "-p", "80,8050,9000", net]);
      const hosts = parseNmapNormal(r.stdout);
      assert.equal(hosts.length, 256, r.stdout.slice(-500));
      for (const h of hosts) {
        assert.deepEqual([...stateMap(h).values()], ["open", "open", "closed"], h.address);
      }
      const far = `${o1}.${o2}.255.254`;
      assert.match(
        new TextDecoder().decode(await grab(lab, far, 22)),
        /^SSH-2\.0-OpenSSH_9\.2p1\r\n$/,
      );
    }
    {
      await using lab = await Lab.up({ tag: "lt8", scenario: "ratelimited-udp" });
      const r = await lab.nmap(["-sU", "-n", "-p", "53,123,161,5353", lab.target.v4]);
      assert.deepEqual([...stateMap(parseNmapNormal(r.stdout)[0]!).values()], [
        "open",
        "open",
        "open",
        "open",
      ], r.stdout);
      const rl = await lab.runInTarget(0, ["sysctl", "-n", "net.ipv4.icmp_ratelimit"]);
      assert.equal(rl.stdout.trim(), "1000");
    }
  },
});

Deno.test({
  name: "lab hostile: banners arrive byte for byte (ESC, XML metacharacters, invalid UTF-8)",
  ignore: ignoreLab,
  async fn() {
    await using lab = await Lab.up({ tag: "lt9", scenario: "hostile" });
    const host = lab.target.spec;
    for (const port of [21, 22, 25, 8080]) {
      const rule = host.rules.find((r) => r.proto === "tcp" && portRange(r.ports)[0] === port)!;
      const svc = rule.service as { kind: "banner"; text?: string; hex?: string };
      const want = svc.hex !== undefined ? fromHex(svc.hex) : new TextEncoder().encode(svc.text!);
      assert.equal(toHex(await grab(lab, lab.target.v4, port)), toHex(want), `port ${port}`);
    }
    const http = new TextDecoder().decode(
      await grab(lab, lab.target.v4, 80, "HEAD / HTTP/1.0\r\n\r\n"),
    );
    assert.ok(
      http.includes("\r\nServer: Evil/6.6 \x1b[5m<blink>&amp;</blink>\x1b[0m \"'\r\n"),
      http,
    );
  },
});
