import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { changeEvents, ndiffText, ndiffXml } from "./diff.ts";
import { importScan } from "./import.ts";
import { opcodes } from "./sequence.ts";
import { sampleScan } from "../../tests/testing/inventory_samples.ts";

const dir = new URL("../../tests/data/inventory/", import.meta.url);
const FILES = ["nmap-a.xml", "nmap-b.xml", "nmap-c.xml"];
const load = (f: string) => importScan(Deno.readTextFileSync(new URL(f, dir)), f);

function ndiffMissing(): string | null {
  try {
    new Deno.Command("ndiff", { args: ["--help"], stdout: "null", stderr: "null" }).outputSync();
    return null;
  } catch {
    return "ndiff is not installed (tools/setup.sh installs it)";
  }
}
const noNdiff = ndiffMissing();
if (noNdiff) console.warn(`inventory diff oracle test ignored: ${noNdiff}`);

Deno.test({
  name:
    "inventory diff: ndiff's own text and XML, byte for byte, and its exit status (9 pairs, -v or not)",
  ignore: noNdiff !== null,
  fn() {
    const dec = new TextDecoder();
    let compared = 0;
    for (const x of FILES) {
      for (const y of FILES) {
        for (const verbose of [false, true]) {
          for (const fmt of ["text", "xml"] as const) {
            const args = [...(verbose ? ["-v"] : []), `--${fmt}`, x, y];
            const o = new Deno.Command("ndiff", {
              args,
              cwd: dir,
              stdout: "piped",
              stderr: "piped",
            }).outputSync();
            assert(
              o.code === 0 || o.code === 1,
              `ndiff ${args.join(" ")}: ${dec.decode(o.stderr)}`,
            );
            const got = (fmt === "text" ? ndiffText : ndiffXml)(load(x), load(y), verbose);
            assertEquals(got.text, dec.decode(o.stdout), `ndiff ${args.join(" ")}`);
            assertEquals(got.cost === 0 ? 0 : 1, o.code, `exit status of ndiff ${args.join(" ")}`);
            compared++;
          }
        }
      }
    }
    assertEquals(compared, 36);
  },
});

Deno.test("inventory diff: the same scan twice costs 0; a changed one does not", () => {
  const a = load("nmap-a.xml");
  assertEquals(ndiffText(a, a).cost, 0);
  assertEquals(ndiffXml(a, a).cost, 0);
  assert(ndiffText(a, load("nmap-c.xml")).cost > 0);
});

Deno.test("inventory diff: two scripts on one port and a script-only change (where ndiff 7.93 crashes)", () => {
  const a = sampleScan(0, { "10.0.0.1": [443] });
  const b = structuredClone(a);
  b.hosts[0]!.ports[0]!.scripts = [
    { id: "ssl-cert", output: "SHA-1: cc dd" },
    { id: "http-title", output: "Hi" },
  ];
  const t = ndiffText(a, b);
  assertEquals(
    t.text,
    [
      "",
      " h-10.0.0.1 (10.0.0.1, 02:00:00:00:00:01):",
      " PORT    STATE SERVICE VERSION",
      " 443/tcp open  http    nginx",
      "+|_ http-title: Hi",
      "-|_ ssl-cert: SHA-1: aa bb",
      "+|_ ssl-cert: SHA-1: cc dd",
      "",
    ].join("\n"),
  );
  assertEquals(t.cost, 2);
});

Deno.test("inventory diff: NDJSON events — host appeared/gone, port opened/closed/filtered, service, product, version, OS, TLS certificate", () => {
  const events = changeEvents(load("nmap-a.xml"), load("nmap-c.xml"));
  assertEquals(events, [
    {
      event: "version-changed",
      address: "10.215.1.1",
      protocol: "tcp",
      port: 80,
      from: "2.4.7",
      to: "2.4.58",
    },
    {
      event: "port-opened",
      address: "10.215.1.1",
      protocol: "tcp",
      port: 443,
      from: "closed",
      to: "open",
    },
    {
      event: "host-appeared",
      address: "10.215.1.2",
      from: null,
      to: "up",
      open: ["22/tcp"],
    },
  ]);
  const back = changeEvents(load("nmap-c.xml"), load("nmap-a.xml")).map((e) => e.event);
  assertEquals(back, ["host-gone", "version-changed", "port-closed"]);

  const a = sampleScan(0, { "10.0.0.1": [22, 80, 443] });
  const b = structuredClone(a);
  const [ssh, http, https] = b.hosts[0]!.ports;
  ssh!.service = { ...ssh!.service!, name: "ssh-alt", product: "Dropbear", version: "2022.83" };
  http!.state = "filtered";
  https!.scripts = [{ id: "ssl-cert", output: "Subject: x\nSHA-1: 0011 2233" }];
  b.hosts[0]!.os = [{ name: "FreeBSD 14", accuracy: 98 }];
  assertEquals(changeEvents(a, b).map((e) => [e.event, e.port, e.from, e.to]), [
    ["service-changed", 22, "ssh", "ssh-alt"],
    ["product-changed", 22, "OpenSSH", "Dropbear"],
    ["version-changed", 22, "9.2p1", "2022.83"],
    ["port-filtered", 80, "open", "filtered"],
    ["tls-certificate-changed", 443, "aabb", "00112233"],
    ["os-changed", undefined, "Linux 6.1", "FreeBSD 14"],
  ]);
});

Deno.test("inventory diff: difflib's opcodes", () => {
  assertEquals(opcodes(["a", "b", "c", "d"], ["a", "x", "c", "d", "e"]), [
    ["equal", 0, 1, 0, 1],
    ["replace", 1, 2, 1, 2],
    ["equal", 2, 4, 2, 4],
    ["insert", 4, 4, 4, 5],
  ]);
  assertEquals(opcodes([], ["x"]), [["insert", 0, 0, 0, 1]]);
  assertEquals(opcodes(["x"], []), [["delete", 0, 1, 0, 0]]);
});

/** An nmap XML file of the given hosts (each: address, host names, port elements). */
function nmapXml(hosts: [string, string[], string][]): string {
  const body = hosts.map(([addr, names, ports]) =>
    `<host><status state="up" reason="syn-ack" reason_ttl="64"/>\n` +
    `<address addr="${addr}" addrtype="${addr.includes(":") ? "ipv6" : "ipv4"}"/>\n` +
    `<hostnames>${names.map((n) => `<hostname name="${n}" type="PTR"/>`).join("")}</hostnames>\n` +
    `<ports><extraports state="closed" count="997"/>\n${ports}</ports>\n</host>\n`
  ).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<nmaprun scanner="nmap" args="nmap -sV x" start="1792022400" version="7.93" xmloutputversion="1.05">\n` +
    `${body}<runstats><finished time="1792022460"/></runstats></nmaprun>\n`;
}

const port = (n: number, version: string, script = "") =>
  `<port protocol="tcp" portid="${n}"><state state="open" reason="syn-ack" reason_ttl="64"/>` +
  `<service name="ssh" product="OpenSSH" version="${version}" method="probed" conf="10"/>${script}</port>\n`;

Deno.test({
  name:
    "inventory diff: ndiff's order of hosts (padded addresses, then names) and ports shared among hosts, byte for byte",
  ignore: noNdiff !== null,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "ph-diff-order-" });
    try {
      const same = port(22, "9.2p1") + port(80, "1.0");
      const scriptOut = `<script id="banner" output="SSH-2.0-x&#xa;second line"/>`;
      // Addresses of unequal lengths (10.0.0.10 sorts before 10.0.0.2 padded, as a string
      // and as ndiff's id), host names, IPv6, ports listed out of order, one port with a script.
      const a: [string, string[], string][] = [
        ["10.0.0.2", [], same],
        ["10.0.0.10", [], same],
        ["10.0.0.1", ["b.example", "a.example"], same],
        ["10.0.0.100", [], port(443, "1") + port(22, "9.2p1")],
        ["::1", [], same],
        ["fe80::1", ["z"], port(22, "9.2p1", scriptOut)],
        ["10.0.1.1", [], same],
      ];
      const b: [string, string[], string][] = [
        ["10.0.0.2", [], port(22, "9.6p1") + port(80, "1.0")],
        ["10.0.0.10", [], same],
        ["10.0.0.1", ["a.example"], same],
        ["10.0.0.100", [], port(22, "9.2p1") + port(443, "2")],
        ["::1", [], same],
        ["fe80::1", ["z"], port(22, "9.6p1", scriptOut.replace("second", "2nd"))],
        ["10.0.2.1", [], same],
      ];
      Deno.writeTextFileSync(`${dir}/a.xml`, nmapXml(a));
      Deno.writeTextFileSync(`${dir}/b.xml`, nmapXml(b));
      const read = (f: string) => importScan(Deno.readTextFileSync(`${dir}/${f}`), f);
      const dec = new TextDecoder();
      for (const verbose of [false, true]) {
        for (const fmt of ["text", "xml"] as const) {
          const args = [...(verbose ? ["-v"] : []), `--${fmt}`, "a.xml", "b.xml"];
          const o = new Deno.Command("ndiff", { args, cwd: dir, stdout: "piped" }).outputSync();
          const got = (fmt === "text" ? ndiffText : ndiffXml)(
            read("a.xml"),
            read("b.xml"),
            verbose,
          );
          assertEquals(got.text, dec.decode(o.stdout), `ndiff ${args.join(" ")}`);
          assertEquals(o.code, 1);
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
