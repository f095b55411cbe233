import { assert, assertEquals, assertSameData } from "../../tests/testing/assert.ts";
import { JsonWriter } from "../output/json.ts";
import { XmlWriter } from "../output/xml.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../../tests/testing/output_samples.ts";
import { detectFormat, ImportError, importScan, inventoryJson } from "./import.ts";
import { sampleScan } from "../../tests/testing/inventory_samples.ts";

const data = (name: string) =>
  Deno.readTextFileSync(new URL(`../../tests/data/inventory/${name}`, import.meta.url));

Deno.test("inventory import: nmap's XML (-sV -O --reason) — addresses, states, reasons, versions, CPEs, OS", () => {
  const s = importScan(data("nmap-a.xml"));
  assertEquals(s.scanner, "nmap");
  assertEquals(s.version, "7.93");
  assertEquals(s.startTime, 1796598590_000);
  assert(s.args.includes("--reason"), s.args);
  assertEquals(s.hosts.length, 1);
  const h = s.hosts[0]!;
  assertEquals([h.address, h.status, h.reason, h.reasonTtl], [
    "10.215.1.1",
    "up",
    "echo-reply",
    64,
  ]);
  assertEquals(h.hostnames, [{ name: "scanme.lab", type: "user" }, {
    name: "scanme.lab",
    type: "PTR",
  }]);
  assertEquals(h.ports.map((p) => `${p.port}/${p.protocol} ${p.state} ${p.reason}`), [
    "21/tcp closed reset",
    "22/tcp open syn-ack",
    "25/tcp filtered no-response",
    "80/tcp open syn-ack",
    "443/tcp closed reset",
    "9929/tcp open syn-ack",
    "31337/tcp open syn-ack",
  ]);
  const ssh = h.ports[1]!.service!;
  assertEquals([ssh.name, ssh.product, ssh.version, ssh.extraInfo, ssh.method, ssh.conf], [
    "ssh",
    "OpenSSH",
    "6.6.1p1 Ubuntu 2ubuntu2.13",
    "Ubuntu Linux; protocol 2.0",
    "probed",
    10,
  ]);
  assertEquals(ssh.cpe, ["cpe:/a:openbsd:openssh:6.6.1p1", "cpe:/o:linux:linux_kernel"]);
  assertEquals(h.os?.[0], { name: "Linux 5.3 - 5.4", accuracy: 96 });
});

Deno.test("inventory import: Porthole's own -oX and -oJ give the same scan", () => {
  const run = sampleRun();
  const host = sampleHost("10.0.0.7", {
    mac: { addr: "02:00:00:00:00:07", addrtype: "mac", vendor: "Acme" },
    ptrHostname: "seven.lab",
  });
  const xml = new MemorySink();
  const xw = new XmlWriter(xml, { stylesheet: null, openOnly: false });
  const js = new MemorySink();
  const jw = new JsonWriter(js, { openOnly: false });
  for (const w of [xw, jw]) {
    w.begin(run);
    w.host(host);
    w.end(sampleSummary());
  }
  assertEquals(detectFormat(xml.text), "nmap-xml");
  assertEquals(detectFormat(js.text), "porthole-json");
  const a = importScan(xml.text);
  const b = importScan(js.text);
  assertEquals(a.scanner, "nmap"); // nmap.dtd's one value, as Porthole's -oX writes it
  assertEquals(b.scanner, "porthole");
  for (const s of [a, b]) {
    const h = s.hosts[0]!;
    assertEquals([h.address, h.mac, h.vendor], ["10.0.0.7", "02:00:00:00:00:07", "Acme"]);
    assertEquals(h.hostnames.map((x) => x.name), ["seven.lab"]);
    // 98 closed ports fold into extraports; the open ones are listed with reasons.
    assertEquals(h.ports.map((p) => [p.port, p.state, p.reason, p.service?.name]), [
      [22, "open", "syn-ack", "ssh"],
      [80, "open", "syn-ack", "http"],
    ]);
    assertEquals(h.extraPorts?.map((e) => [e.state, e.count]), [["closed", 98]]);
  }
  assertEquals(a.args, b.args);
  assertEquals(a.startTime, b.startTime);
});

Deno.test("inventory import: a hand-written Porthole -oJ file", () => {
  const s = importScan(data("porthole.ndjson"));
  const h = s.hosts[0]!;
  assertEquals(h.hostnames, [{ name: "web.lab", type: "user" }]);
  assertEquals(h.ports[0]!.service?.cpe, ["cpe:/a:openbsd:openssh:9.2p1"]);
  assertEquals(s.endTime, 1700000001200);
});

Deno.test("inventory import: masscan -oJ (new and old layouts) and -oL give the same hosts", () => {
  const json = importScan(data("masscan.json"));
  const list = importScan(data("masscan.list"));
  for (const s of [json, list]) {
    assertEquals(s.scanner, "masscan");
    assertEquals(s.startTime, 1700000000_000);
    assertEquals(s.hosts.map((h) => [h.address, h.ports.map((p) => p.port)]), [
      ["10.0.0.1", [80, 443]],
      ["10.0.0.2", [22]],
    ]);
    const ssh = s.hosts[1]!.ports[0]!;
    assertEquals(ssh.state, "open");
    assertEquals(ssh.service?.name, "ssh");
    assertEquals(ssh.scripts, [{ id: "banner-ssh", output: "SSH-2.0-OpenSSH_9.2p1 Debian-2" }]);
  }
  assertEquals(json.hosts[1]!.ports[0]!.reasonTtl, 63);
  const old = importScan(data("masscan-old.json"));
  assertEquals(old.hosts.map((h) => h.ports.map((p) => `${p.port}/${p.protocol}`)), [["80/tcp"], [
    "53/udp",
  ]]);
});

Deno.test("inventory import: the inventory's own JSON round-trips", () => {
  const s = sampleScan(1_700_000_000_000, { "10.0.0.1": [22, 443] });
  assertSameData(importScan(inventoryJson(s)), s);
});

Deno.test("inventory import: bad input is one ImportError naming the file", () => {
  for (
    const [text, re] of [
      ["hello", /x\.txt: not a scan file/],
      ["<nmaprun><host></nmaprun>", /x\.txt: unexpected <\/nmaprun>/],
      ["<html></html>", /x\.txt: root element is <html>/],
      ['{"type":"run","args":[]}\n{oops', /x\.txt: line 2: /],
      ["open tcp x 10.0.0.1 1\n", /x\.txt: line 1: not a masscan -oL record/],
    ] as const
  ) {
    let err: unknown;
    try {
      importScan(text, "x.txt");
    } catch (e) {
      err = e;
    }
    assert(err instanceof ImportError, `${text}: ${err}`);
    assert(re.test(err.message), err.message);
  }
});
