import type { HostResult, RunInfo, RunSummary } from "../model/mod.ts";
import { escapeXml, truncateXmlForResume, XmlWriter } from "./xml.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../../tests/testing/output_samples.ts";
import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/testing/assert.ts";

function render(
  hosts: HostResult[],
  run: RunInfo = sampleRun(),
  summary: RunSummary = sampleSummary(),
  openOnly = false,
): string {
  const sink = new MemorySink();
  const w = new XmlWriter(sink, { stylesheet: null, openOnly });
  w.begin(run);
  for (const h of hosts) w.host(h);
  w.end(summary);
  return sink.text;
}

async function xmllint(xml: string): Promise<{ code: number; err: string }> {
  const path = await Deno.makeTempFile({ prefix: "ph-xml-", suffix: ".xml" });
  try {
    await Deno.writeTextFile(path, xml);
    const o = await new Deno.Command("xmllint", {
      args: ["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", path],
      stderr: "piped",
    }).output();
    return { code: o.code, err: new TextDecoder().decode(o.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("escapeXml: metacharacters, '--', forbidden controls, non-ASCII", () => {
  assertEquals(escapeXml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  assertEquals(escapeXml("--reason ---"), "-&#45;reason -&#45;&#45;");
  assertEquals(escapeXml("a\tb\nc\rd"), "a&#x9;b&#xa;c&#xd;d");
  assertEquals(escapeXml("\x00\x08\x1b[31m\x7f\x9b"), "\\x00\\x08\\x1B[31m\\x7F\\x9B");
  assertEquals(escapeXml("caf\u00e9 \u{1f600}"), "caf&#xe9; &#x1f600;");
  assertEquals(escapeXml("\ud800x\uffff"), "\\uD800x\\uFFFF");
});

Deno.test("XML: down hosts only with -v, without times; -sn hosts without ports", async () => {
  const down: HostResult = {
    ...sampleHost("10.0.0.2"),
    status: "down",
    statusReason: "no-response",
    statusReasonTtl: undefined,
    ports: [],
    times: undefined,
  };
  assertNotMatch(render([down]), /10\.0\.0\.2/);
  const v = render([down], sampleRun({ verbose: 1 }));
  assertMatch(
    v,
    /<host><status state="down" reason="no-response" reason_ttl="0"\/>\n<address addr="10\.0\.0\.2" addrtype="ipv4"\/>\n<\/host>\n/,
  );
  assertEquals((await xmllint(v)).code, 0);

  const ping = render(
    [sampleHost("10.0.0.1", { ptrHostname: "a.example" })],
    sampleRun({ scanInfo: [] }),
  );
  assertMatch(
    ping,
    /<host><status state="up" reason="echo-reply" reason_ttl="64"\/>\n<address addr="10\.0\.0\.1" addrtype="ipv4"\/>\n<hostnames>\n<hostname name="a\.example" type="PTR"\/>\n<\/hostnames>\n<times srtt="420" rttvar="5000" to="100000"\/>\n<\/host>\n/,
  );
  assertNotMatch(ping, /<ports>|<scaninfo/);
  assertEquals((await xmllint(ping)).code, 0);
});

Deno.test("XML: host element, MAC, user name, folded ports, services and CPEs", async () => {
  const h = sampleHost("10.0.0.1", {
    userHostname: "target.example",
    mac: { addr: "02:42:ac:11:00:02", addrtype: "mac", vendor: "Private" },
  });
  h.ports.find((p) => p.port === 22)!.service = {
    name: "ssh",
    method: "probed",
    confidence: 10,
    product: "OpenSSH",
    version: "9.2p1 Debian 2",
    extraInfo: "protocol 2.0",
    osType: "Linux",
    cpe: ["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"],
  };
  const x = render([h]);
  assertMatch(x, /<host starttime="\d+" endtime="\d+"><status state="up"/);
  assertMatch(x, /<address addr="02:42:AC:11:00:02" addrtype="mac" vendor="Private"\/>/);
  assertMatch(x, /<hostname name="target\.example" type="user"\/>/);
  assertMatch(
    x,
    /<ports><extraports state="closed" count="98">\n<extrareasons reason="reset" count="98" proto="tcp" ports="1-21,23-79,81-100"\/>\n<\/extraports>\n/,
  );
  assertMatch(
    x,
    /<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"\/><service name="ssh" product="OpenSSH" version="9\.2p1 Debian 2" extrainfo="protocol 2\.0" ostype="Linux" method="probed" conf="10"><cpe>cpe:\/a:openbsd:openssh:9\.2p1<\/cpe><cpe>cpe:\/o:linux:linux_kernel<\/cpe><\/service><\/port>\n/,
  );
  const lint = await xmllint(x);
  assertEquals(lint.code, 0, lint.err);
});

Deno.test("XML: timed-out host; --open drops hosts without open ports", () => {
  const t = render([sampleHost("10.0.0.1", { timedOut: true })]);
  assertMatch(t, /<host starttime="\d+" endtime="\d+" timedout="true"><status/);
  assertNotMatch(t, /<ports>/);
  const closedOnly = sampleHost("10.0.0.3");
  closedOnly.ports = closedOnly.ports.filter((p) => p.state === "closed");
  const o = render([closedOnly, sampleHost("10.0.0.4")], sampleRun(), sampleSummary(), true);
  assertNotMatch(o, /10\.0\.0\.3/);
  // --open folds the closed ports however few they are.
  assertMatch(o, /10\.0\.0\.4[\s\S]*<extraports state="closed" count="98">/);
});

Deno.test("XML: an interrupted or failed run still closes the document", async () => {
  const x = render(
    [sampleHost()],
    sampleRun(),
    sampleSummary({ exit: "error", interrupted: true }),
  );
  assertMatch(
    x,
    /exit="error" errormsg="Interrupted by user"\/><hosts up="1" down="0" total="1"\/>/,
  );
  assertEquals((await xmllint(x)).code, 0);
  const e = render([], sampleRun(), sampleSummary({ exit: "error", errorMessage: "pcap <gone>" }));
  assertMatch(e, /errormsg="pcap &lt;gone&gt;"/);
});

Deno.test("XML resume: the file is cut after the last host and continued as one document", async () => {
  const path = await Deno.makeTempFile({ prefix: "ph-xml-", suffix: ".xml" });
  try {
    // First run: two hosts, then the process dies (no end()).
    const first = new MemorySink();
    const w1 = new XmlWriter(first, { stylesheet: null, openOnly: false });
    w1.begin(sampleRun());
    w1.host(sampleHost("10.0.0.1"));
    w1.host(sampleHost("10.0.0.2"));
    await Deno.writeTextFile(path, first.text + '<host starttime="1"><status st'); // torn write
    assert(truncateXmlForResume(path));
    const second = new MemorySink();
    const w2 = new XmlWriter(second, { stylesheet: null, openOnly: false, continueDocument: true });
    w2.begin(sampleRun());
    w2.host(sampleHost("10.0.0.3"));
    w2.end(sampleSummary({ hostsUp: 3, hostsTotal: 3 }));
    const all = (await Deno.readTextFile(path)) + second.text;
    assertEquals(all.match(/<nmaprun /g)?.length, 1);
    assertEquals(all.match(/<host /g)?.length, 3);
    const lint = await xmllint(all);
    assertEquals(lint.code, 0, lint.err);
    assert(!truncateXmlForResume(`${path}.missing`));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("XML resume: the part-way blocks of hosts cut short are dropped", async () => {
  const path = await Deno.makeTempFile({ prefix: "ph-xml-", suffix: ".xml" });
  try {
    const first = new MemorySink();
    const w1 = new XmlWriter(first, { stylesheet: null, openOnly: false });
    w1.begin(sampleRun());
    w1.host(sampleHost("10.0.0.1"));
    w1.host(sampleHost("10.0.0.2", { ports: sampleHost().ports.slice(0, 5) })); // cut short
    w1.host(sampleHost("10.0.0.3"));
    w1.end(sampleSummary({ exit: "error", interrupted: true }));
    await Deno.writeTextFile(path, first.text);
    assert(truncateXmlForResume(path, new Set(["10.0.0.2"])));
    const second = new MemorySink();
    const w2 = new XmlWriter(second, { stylesheet: null, openOnly: false, continueDocument: true });
    w2.begin(sampleRun());
    w2.host(sampleHost("10.0.0.2"));
    w2.end(sampleSummary({ hostsUp: 3, hostsTotal: 3 }));
    const all = (await Deno.readTextFile(path)) + second.text;
    const hosts = [...all.matchAll(/<address addr="([^"]*)" addrtype="ipv4"/g)].map((m) => m[1]);
    assertEquals(hosts, ["10.0.0.1", "10.0.0.3", "10.0.0.2"]);
    assertEquals(all.match(/<runstats>/g)?.length, 1);
    const lint = await xmllint(all);
    assertEquals(lint.code, 0, lint.err);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("XML: ports without service info take the services table's name, as nmap's do", () => {
  const h = sampleHost();
  h.ports = [
    { protocol: "tcp", port: 8080, state: "open", reason: "syn-ack" }, // http-proxy
    { protocol: "tcp", port: 4, state: "open", reason: "syn-ack" }, // "unknown" in the table
    { protocol: "tcp", port: 47002, state: "open", reason: "syn-ack" }, // not in the table
  ];
  const x = render([h]);
  assertMatch(
    x,
    /portid="8080"><state [^>]*\/><service name="http-proxy" method="table" conf="3"\/>/,
  );
  assertMatch(x, /portid="4"><state [^>]*\/><service name="unknown" method="table" conf="3"\/>/);
  assertMatch(x, /portid="47002"><state [^>]*\/><\/port>/);
});

Deno.test('xml: an IP protocol scan\'s <port protocol="ip"> and <extrareasons proto="n/a">, as nmap 7.93\'s', () => {
  const closed = [0, 3, 4, 5].map((port) => ({
    protocol: "ip" as const,
    port,
    state: "closed" as const,
    reason: "proto-unreach",
    reasonTtl: 64,
  }));
  const host: HostResult = {
    ...sampleHost("127.0.0.1"),
    ports: [
      ...closed,
      { protocol: "ip", port: 1, state: "open", reason: "proto-unreach", reasonTtl: 64 },
      { protocol: "ip", port: 2, state: "open|filtered", reason: "no-response" },
      { protocol: "ip", port: 6, state: "open", reason: "proto-response", reasonTtl: 64 },
    ],
  };
  const run = sampleRun({
    scanInfo: [{ type: "ipproto", protocol: "ip", services: "0-6", numServices: 7 }],
  });
  const x = render([host], run);
  assertMatch(x, /<scaninfo type="ipproto" protocol="ip" numservices="7" services="0-6"\/>/);
  // nmap folds only groups over 25 (here none); its <port> has the <service> on a line of its own.
  assertMatch(
    x,
    /<port protocol="ip" portid="2"><state state="open\|filtered" reason="no-response" reason_ttl="0"\/>\n<service name="igmp" conf="8" method="table"\/><\/port>\n/,
  );
  assertMatch(
    x,
    /<port protocol="ip" portid="6"><state state="open" reason="proto-response" reason_ttl="64"\/>\n<service name="tcp" conf="8" method="table"\/><\/port>\n/,
  );
  const many = Array.from({ length: 30 }, (_, i) => ({
    protocol: "ip" as const,
    port: 100 + i,
    state: "closed" as const,
    reason: "proto-unreach",
    reasonTtl: 64,
  }));
  assertMatch(
    render([{ ...host, ports: many }], run),
    /<extraports state="closed" count="30">\n<extrareasons reason="proto-unreach" count="30" proto="n\/a" ports="100-129"\/>/,
  );
});
