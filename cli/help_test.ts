import { assert, assertEquals } from "../tests/testing/assert.ts";
import { helpText, PORTHOLE_VERSION, versionText } from "./help.ts";
import { parseOptions } from "./options/mod.ts";

const SECTIONS = /^([A-Z][A-Z /]+):$/gm;

Deno.test("help: nmap's sections in nmap's order", async () => {
  const ours = [...helpText().matchAll(SECTIONS)].map((m) => m[1]);
  let theirs = [
    "TARGET SPECIFICATION",
    "HOST DISCOVERY",
    "SCAN TECHNIQUES",
    "PORT SPECIFICATION AND SCAN ORDER",
    "SERVICE/VERSION DETECTION",
    "SCRIPT SCAN",
    "OS DETECTION",
    "TIMING AND PERFORMANCE",
    "FIREWALL/IDS EVASION AND SPOOFING",
    "OUTPUT",
    "MISC",
    "EXAMPLES",
  ];
  try {
    const out = await new Deno.Command("nmap", { args: ["-h"], stdout: "piped" }).output();
    theirs = [...new TextDecoder().decode(out.stdout).matchAll(SECTIONS)].map((m) => m[1]!);
  } catch {
    // nmap not installed: the list above is nmap 7.93's
  }
  assertEquals(ours, theirs);
  assert(helpText().startsWith(`Porthole ${PORTHOLE_VERSION} ( see README.md )\n`));
});

Deno.test("help: every option it lists is accepted by the parser", () => {
  const text = helpText();
  const samples: string[][] = [
    ["-iL", "-"],
    ["--exclude", "10.0.0.1"],
    ["-sn"],
    ["-Pn"],
    ["-PS22"],
    ["-PA80"],
    ["-PU53"],
    ["-PY80"],
    ["-PE", "-PP", "-PM"],
    ["-n"],
    ["-R"],
    ["-sS"],
    ["-sT"],
    ["-sA"],
    ["-sW"],
    ["-sM"],
    ["-sU"],
    ["-sN"],
    ["-sF"],
    ["-sX"],
    ["-sY"],
    ["--scanflags", "SYN"],
    ["-p22"],
    ["--exclude-ports", "22"],
    ["-F"],
    ["-r"],
    ["--top-ports", "10"],
    ["--port-ratio", "0.1"],
    ["-sV", "--version-intensity", "5", "--version-light", "--version-all", "--version-trace"],
    ["-O", "--osscan-limit", "--osscan-guess", "--max-os-tries", "2"],
    ["-T4"],
    ["--min-hostgroup", "2", "--max-hostgroup", "4"],
    ["--min-parallelism", "2", "--max-parallelism", "4"],
    ["--min-rtt-timeout", "100ms", "--max-rtt-timeout", "1s", "--initial-rtt-timeout", "500ms"],
    ["--max-retries", "2"],
    ["--host-timeout", "30m"],
    ["--scan-delay", "1s", "--max-scan-delay", "2s"],
    ["--min-rate", "10", "--max-rate", "100"],
    ["-sU", "--defeat-icmp-ratelimit"],
    ["-S", "10.0.0.1", "-e", "eth0"],
    ["-oN", "a", "-oX", "b", "-oG", "c", "-oJ", "d", "-oS", "e"],
    ["-oA", "base"],
    ["--store", "inv.db"],
    ["-v", "-d", "--reason", "--open", "--append-output", "--stats-every", "10s"],
    ["--stylesheet", "x.xsl"],
    ["--webxml"],
    ["--no-stylesheet"],
    ["-A"],
    ["--send-eth"],
    ["--send-ip"],
    ["--privileged"],
    ["--unprivileged"],
    ["-4"],
    ["--disable-arp-ping"],
    ["-sL"],
    ["--dns-servers", "10.0.0.1,::1", "--system-dns"],
    ["--resolve-all", "--unique", "--randomize-hosts"],
    ["--noninteractive"],
    ["--packet-trace"],
    ["--proxies", "http://10.0.0.1:8080,socks4://10.0.0.2"],
    ["-b", "ftp.example"],
  ];
  for (const argv of samples) {
    for (const a of argv) {
      if (!a.startsWith("-") || a === "-") continue;
      const flag = a.replace(/^(-[A-Za-z])[A-Za-z0-9,]*$/, "$1").replace(/^-s([A-Z])$/, "-s$1");
      assert(
        text.includes(flag.startsWith("--") ? flag.slice(2) : flag.slice(0, 2)),
        `help mentions ${flag}`,
      );
    }
    parseOptions([...argv, "h"], { skipFileChecks: true });
  }
  assert(parseOptions(["--iflist"]).ifList);
  assertEquals(parseOptions(["--resume", "x"], { skipFileChecks: true }).output.resume, "x");
  assertEquals(parseOptions(["--store", "x.db", "h"]).output.store, "x.db");
});

Deno.test("version text names the product and the services table's source", () => {
  const v = versionText();
  assert(v.startsWith(`Porthole version ${PORTHOLE_VERSION} ( see README.md )\n`));
  assert(v.includes("nmap-services"));
  assert(v.includes("License: MIT") && v.includes("NPSL") && v.includes("THIRD_PARTY.md"), v);
});

// Issue 23: no address that does not exist; the README is Porthole's home.
Deno.test("help and version name no made-up address", () => {
  for (const text of [helpText(), versionText()]) {
    assertEquals(text.match(/https?:\/\/\S*|github/g), null);
    assert(text.includes("( see README.md )"), text);
  }
});
