import type { HostResult, PortResult, RunInfo, RunSummary } from "../model/mod.ts";
import { GrepableWriter } from "./grepable.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../../tests/testing/output_samples.ts";
import { assertEquals, assertMatch, assertNotMatch } from "../../tests/testing/assert.ts";

function render(
  hosts: HostResult[],
  run: RunInfo = sampleRun(),
  summary: RunSummary = sampleSummary(),
  versionDetection = false,
): string[] {
  const sink = new MemorySink();
  const w = new GrepableWriter(sink, { openOnly: false, versionDetection });
  w.begin(run);
  for (const h of hosts) w.host(h);
  w.end(summary);
  return sink.text.split("\n");
}

const down: HostResult = {
  ...sampleHost("10.0.0.9"),
  status: "down",
  statusReason: "no-response",
  ports: [],
};

Deno.test("grepable: header, -v port list, up/down/timeout hosts, done line", () => {
  const lines = render(
    [sampleHost("10.0.0.1", { ptrHostname: "a.example" }), down, {
      ...sampleHost("10.0.0.2"),
      timedOut: true,
    }],
    sampleRun({ verbose: 1 }),
    sampleSummary({ hostsUp: 2, hostsDown: 1, hostsTotal: 3 }),
  );
  assertEquals(lines, [
    "# Nmap 0.1.0 scan initiated " + lines[0]!.slice(28, 52) +
    " as: porthole -sS -p 1-100 10.0.0.1-3",
    "# Ports scanned: TCP(100;1-100) UDP(0;) SCTP(0;) PROTOCOLS(0;)",
    "Host: 10.0.0.1 (a.example)\tStatus: Up",
    "Host: 10.0.0.1 (a.example)\tPorts: 22/open/tcp//ssh///, 80/open/tcp//http///\tIgnored State: closed (98)",
    "Host: 10.0.0.9 ()\tStatus: Down",
    "Host: 10.0.0.2 ()\tStatus: Up",
    "Host: 10.0.0.2 ()\tStatus: Timeout",
    "# Nmap done at " + lines[7]!.slice(15, 39) +
    " -- 3 IP addresses (2 hosts up) scanned in 5.04 seconds",
    "",
  ]);
  assertMatch(
    lines[0]!,
    /^# Nmap 0\.1\.0 scan initiated \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} as: /,
  );
});

Deno.test("grepable: down hosts hidden without -v; -sn hosts get only a Status line", () => {
  const lines = render([down, sampleHost()], sampleRun({ scanInfo: [] }));
  assertEquals(lines.filter((l) => l.startsWith("Host:")), ["Host: 10.0.0.1 ()\tStatus: Up"]);
});

Deno.test("grepable: all ports folded; two folded states (no Ignored State field)", () => {
  const closedOnly = sampleHost();
  closedOnly.ports = closedOnly.ports.filter((p) => p.state === "closed");
  assertEquals(
    render([closedOnly])[2],
    "Host: 10.0.0.1 ()\tPorts: \tIgnored State: closed (98)",
  );
  const two = sampleHost();
  two.ports = two.ports.map((p): PortResult =>
    p.port > 60 && p.state === "closed" ? { ...p, state: "filtered", reason: "no-response" } : p
  );
  assertEquals(
    render([two])[2],
    "Host: 10.0.0.1 ()\tPorts: 22/open/tcp//ssh///, 80/open/tcp//http///",
  );
});

Deno.test("grepable: -sV names, '?' guesses, ssl tunnel, '/' as '|' and version strings", () => {
  const h = sampleHost();
  h.ports.find((p) => p.port === 22)!.service = {
    name: "ssh",
    method: "probed",
    confidence: 10,
    product: "OpenSSH",
    version: "9.2p1",
    extraInfo: "protocol 2.0/x",
  };
  h.ports.find((p) => p.port === 80)!.service = {
    name: "http",
    method: "probed",
    confidence: 10,
    tunnel: "ssl",
  };
  h.ports.push({
    protocol: "tcp",
    port: 8080,
    state: "open",
    reason: "syn-ack",
    service: { name: "http-proxy", method: "table", confidence: 3 },
  });
  assertEquals(
    render([h], sampleRun(), sampleSummary(), true)[2],
    "Host: 10.0.0.1 ()\tPorts: 22/open/tcp//ssh//OpenSSH 9.2p1 (protocol 2.0|x)/, " +
      "80/open/tcp//ssl|http///, 8080/open/tcp//http-proxy?///\tIgnored State: closed (98)",
  );
});

Deno.test("grepable: interrupted runs end without a done line; progress lines are comments", () => {
  const sink = new MemorySink();
  const w = new GrepableWriter(sink, { openOnly: false, versionDetection: false });
  w.begin(sampleRun());
  w.progress({
    address: "10.0.0.1",
    time: Date.UTC(2026, 10, 25, 12, 0, 2),
    ports: sampleHost().ports.slice(0, 30),
  });
  w.end(sampleSummary({ exit: "error", interrupted: true }));
  const lines = sink.text.split("\n");
  assertEquals(
    lines[1],
    "# Progress for 10.0.0.1 at 1795608002: tcp/closed/reset/64:1-21,23-30 tcp/open/syn-ack/64:22",
  );
  assertNotMatch(sink.text, /# Nmap done/);
});

Deno.test("grepable: an IP protocol scan's Protocols: field and PROTOCOLS list, as nmap 7.93's", () => {
  const ports: PortResult[] = [
    { protocol: "ip", port: 1, state: "open", reason: "echo-reply", reasonTtl: 64 },
    { protocol: "ip", port: 2, state: "open|filtered", reason: "no-response" },
    { protocol: "ip", port: 6, state: "open", reason: "proto-response", reasonTtl: 64 },
    { protocol: "ip", port: 200, state: "closed", reason: "proto-unreach", reasonTtl: 64 },
  ];
  const lines = render(
    [{ ...sampleHost("127.0.0.1"), ports }],
    sampleRun({
      verbose: 1,
      scanInfo: [{ type: "ipproto", protocol: "ip", services: "1-2,6,200", numServices: 4 }],
    }),
  );
  assertEquals(lines[1], "# Ports scanned: TCP(0;) UDP(0;) SCTP(0;) PROTOCOLS(4;1-2,6,200)");
  assertEquals(
    lines[3],
    "Host: 127.0.0.1 ()\tProtocols: 1/open/icmp/, 2/open|filtered/igmp/, 6/open/tcp/, 200/closed//",
  );
});

Deno.test("grepable: ports without a found service take the services table's name, '?' under -sV", () => {
  const ports: PortResult[] = [
    { protocol: "tcp", port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
    { protocol: "tcp", port: 80, state: "closed", reason: "reset", reasonTtl: 64 },
    // Not in nmap-services: no name at all; listed without a name: "unknown".
    { protocol: "tcp", port: 49998, state: "open", reason: "syn-ack", reasonTtl: 64 },
    { protocol: "tcp", port: 49999, state: "open", reason: "syn-ack", reasonTtl: 64 },
  ];
  const host = { ...sampleHost("10.0.0.1"), ports };
  const entries = (versionDetection: boolean) =>
    render([host], sampleRun(), sampleSummary(), versionDetection)[2]!.split("\tPorts: ")[1];
  const rest = "49998/open/tcp/////, 49999/open/tcp//unknown///";
  assertEquals(entries(false), `22/open/tcp//ssh///, 80/closed/tcp//http///, ${rest}`);
  assertEquals(entries(true), `22/open/tcp//ssh?///, 80/closed/tcp//http///, ${rest}`);
});
