import { assert, assertEquals, assertThrows } from "../tests/testing/assert.ts";
import {
  checkPrivileges,
  expandLogFilename,
  parseOptions,
  parseScanFlags,
  parseTimeMs,
} from "./options/mod.ts";
import { UsageError } from "./errors.ts";
import type { Options } from "./options/types.ts";
import { missingTools } from "../tests/_oracle.ts";

const P = (...a: string[]) => parseOptions(a, { skipFileChecks: true });
const err = (a: string[], includes?: string) =>
  assertThrows(() => parseOptions(a, { skipFileChecks: true }), UsageError, includes);

Deno.test("defaults: nmap's top 1000 TCP ports, -T3 timing, no scan type chosen", () => {
  const o = P("127.0.0.1");
  assertEquals(o.targets, ["127.0.0.1"]);
  assertEquals(o.argv, ["porthole", "127.0.0.1"]);
  assertEquals(o.scans, []);
  assertEquals(o.ports.length, 1000);
  assert(o.ports.every((p) => p.protocol === "tcp"));
  assertEquals(o.portExpression, undefined);
  assertEquals(o.randomizePorts, true);
  assertEquals(o.dnsMode, "default");
  assertEquals(o.timing, {
    template: 3,
    minRttTimeoutMs: 100,
    maxRttTimeoutMs: 10000,
    initialRttTimeoutMs: 1000,
    maxRetries: 10,
    hostTimeoutMs: 0,
    scanDelayMs: 0,
    maxScanDelayMs: 1000,
    maxUdpScanDelayMs: 1000,
    minRate: 0,
    maxRate: 0,
    minParallelism: 0,
    maxParallelism: 0,
    minHostgroup: 0,
    maxHostgroup: 0,
  });
  assertEquals(o.versionIntensity, 7);
  assertEquals(o.show, undefined);
});

Deno.test("timing templates carry nmap's exact values (nmap.cc -T, NmapOps setters)", () => {
  const t = (x: string) => P(x, "h").timing;
  const pick = (o: Options["timing"]) => [
    o.template,
    o.minRttTimeoutMs,
    o.maxRttTimeoutMs,
    o.initialRttTimeoutMs,
    o.maxRetries,
    o.hostTimeoutMs,
    o.scanDelayMs,
    o.maxScanDelayMs,
    o.maxUdpScanDelayMs,
    o.maxParallelism,
  ];
  // template, min, max, initial rtt, retries, host timeout, scan delay, max delay tcp/udp, max parallelism
  assertEquals(pick(t("-T0")), [0, 100, 300000, 300000, 10, 0, 300000, 1000, 1000, 1]);
  assertEquals(pick(t("-T1")), [1, 100, 15000, 15000, 10, 0, 15000, 1000, 1000, 1]);
  assertEquals(pick(t("-T2")), [2, 100, 10000, 1000, 10, 0, 400, 1000, 1000, 1]);
  assertEquals(pick(t("-T3")), [3, 100, 10000, 1000, 10, 0, 0, 1000, 1000, 0]);
  assertEquals(pick(t("-T4")), [4, 100, 1250, 500, 6, 0, 0, 10, 1000, 0]);
  assertEquals(pick(t("-T5")), [5, 50, 300, 250, 2, 900000, 0, 5, 1000, 0]);
  assertEquals(pick(P("-T", "aggressive", "h").timing), pick(t("-T4")));
  assertEquals(pick(P("--timing=Insane", "h").timing), pick(t("-T5")));
  err(["-T6", "h"], 'Unknown timing mode (-T argument).  Use either "Paranoid"');
});

Deno.test("explicit timing options win over -T whatever the order (nmap's delayed options)", () => {
  assertEquals(P("--max-retries", "2", "-T4", "h").timing.maxRetries, 2);
  assertEquals(P("-T4", "--max-retries=2", "h").timing.maxRetries, 2);
  const o = P("-T4", "--initial-rtt-timeout", "2s", "h").timing;
  assertEquals([o.initialRttTimeoutMs, o.maxRttTimeoutMs], [2000, 2000]); // raises max
  const d = P("-T4", "--scan-delay", "1500ms", "h").timing;
  assertEquals([d.scanDelayMs, d.maxScanDelayMs, d.maxUdpScanDelayMs], [1500, 1500, 1500]);
  const m = P("--max-scan-delay", "20ms", "h").timing;
  assertEquals([m.maxScanDelayMs, m.maxUdpScanDelayMs], [20, 20]);
  assertEquals(P("--host-timeout", "1m", "h").timing.hostTimeoutMs, 60000);
  assertEquals(P("--host-timeout", "0", "-T5", "h").timing.hostTimeoutMs, 0);
  assertEquals(P("--min-rate=1000", "--max-rate", "2e3", "h").timing.minRate, 1000);
  assertEquals(P("--max-rate", "2e3", "h").timing.maxRate, 2000);
  assertEquals(
    P("--min-rtt-timeout", "20ms", "--max-rtt-timeout", "0.5", "h").timing.maxRttTimeoutMs,
    500,
  );
  assertEquals(
    P("--max-parallelism", "50", "--min-parallelism", "5", "h").timing.maxParallelism,
    50,
  );
  assertEquals(P("--min-hostgroup", "8", "--max-hostgroup", "64", "h").timing.minHostgroup, 8);
});

Deno.test("time values: ms, s, m, h and bare seconds", () => {
  assertEquals(parseTimeMs("500ms"), 500);
  assertEquals(parseTimeMs("2s"), 2000);
  assertEquals(parseTimeMs("2"), 2000);
  assertEquals(parseTimeMs("1m"), 60000);
  assertEquals(parseTimeMs("1h"), 3600000);
  assertEquals(parseTimeMs("1.5S"), 1500);
  assertEquals(parseTimeMs("5x"), -1);
  assertEquals(parseTimeMs(""), -1);
});

Deno.test("time values beyond the timer range are clamped to 2^31-1 ms (setTimeout's maximum)", () => {
  const max = 2 ** 31 - 1;
  assertEquals(P("--stats-every", "1000h", "h").output.statsEveryMs, max);
  assertEquals(P("--stats-every", "1e400", "h").output.statsEveryMs, max);
  assertEquals(P("--host-timeout", "1000h", "h").timing.hostTimeoutMs, max);
  assertEquals(P("--scan-delay", "1000h", "h").timing.scanDelayMs, max);
  assertEquals(P("--max-scan-delay", "1000h", "h").timing.maxScanDelayMs, max);
  assertEquals(P("--max-rtt-timeout", "1000h", "h").timing.maxRttTimeoutMs, max);
  // Below the limit nothing changes.
  assertEquals(P("--stats-every", "596h", "h").output.statsEveryMs, 596 * 3600 * 1000);
  assertEquals(P("--host-timeout", "24h", "h").timing.hostTimeoutMs, 24 * 3600 * 1000);
});

Deno.test("short options: clusters, attached and separate arguments, verbosity forms", () => {
  const o = P("-sSV", "-p22", "-Pn", "-n", "-vv", "-r", "h");
  assertEquals(o.scans, ["syn"]);
  assert(o.versionDetection);
  assertEquals(o.portExpression, "22");
  assertEquals(o.ports, [{ protocol: "tcp", port: 22 }]);
  assert(o.discovery.skip);
  assertEquals(o.dnsMode, "never");
  assertEquals(o.verbose, 2);
  assert(o.reason, "-vv turns on --reason, as in nmap");
  assertEquals(o.randomizePorts, false);
  assertEquals(P("-p", "22", "h").portExpression, "22");
  assertEquals(P("-sS", "-sU", "-p", "U:53,T:22", "h").ports, [
    { protocol: "tcp", port: 22 },
    { protocol: "udp", port: 53 },
  ]);
  assertEquals(P("-v3", "h").verbose, 3);
  assertEquals(P("-vvv", "h").verbose, 3);
  assertEquals(P("-v", "-v", "h").verbose, 2);
  assertEquals(P("-nv", "h").verbose, 1);
  const d = P("-dd", "h");
  assertEquals([d.debug, d.verbose, d.reason], [2, 2, true]);
  assertEquals(P("-d3", "h").debug, 3);
  err(["-vx"], 'Invalid argument to -v: "x".');
  assertEquals(P("-R", "h").dnsMode, "always");
});

Deno.test("long options: one or two dashes, =value, unique prefixes, getopt's errors", () => {
  assertEquals(P("-top-ports", "10", "h").ports.length, 10);
  assertEquals(P("--top-ports=10", "h").ports.length, 10);
  assertEquals(P("--max-ret", "3", "h").timing.maxRetries, 3);
  assertEquals(P("--open", "h").openOnly, true);
  const amb = err(["--max", "1"]);
  assertEquals(
    amb.render(),
    "porthole: option '--max' is ambiguous; possibilities: '--max-os-tries' '--max-parallelism' '--max-rtt-timeout' '--max-hostgroup' '--max-scan-delay' '--max-retries' '--max-rate'\nSee the output of porthole -h for a summary of options.\n",
  );
  assertEquals(amb.exitCode, 255);
  err(["--bogus"], "unrecognized option '--bogus'");
  err(["-xyz"], "unrecognized option '-xyz'");
  err(["--open=1"], "option '--open' doesn't allow an argument");
  err(["--top-ports"], "option '--top-ports' requires an argument");
  err(["-p"], "option requires an argument -- 'p'");
});

Deno.test("operands and options interleave; -- ends options", () => {
  const o = P("10.0.0.1", "-p", "80", "10.0.0.2", "--", "10.0.0.3");
  assertEquals(o.targets, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  assertEquals(o.portExpression, "80");
});

Deno.test("host discovery options", () => {
  const o = P("-PS22,80", "-PA443", "-PU53", "-PE", "-PP", "-PM", "h");
  assertEquals(o.discovery.synPorts, [22, 80]);
  assertEquals(o.discovery.ackPorts, [443]);
  assertEquals(o.discovery.udpPorts, [53]);
  assert(o.discovery.echo && o.discovery.timestamp && o.discovery.mask && o.discovery.explicit);
  assertEquals(P("-PS", "h").discovery.synPorts, [80]);
  assertEquals(P("-PU", "h").discovery.udpPorts, [40125]);
  assert(P("-sn", "h").discovery.pingOnly);
  assertEquals(P("-sn", "h").ports, []);
  assertEquals(P("-h").show, "help");
  assert(P("--disable-arp-ping", "h").discovery.disableArp);
  err(["-PS1", "-PS2"], "Only one -PS option is allowed.");
  const ex = P("-PS22,80", "-PU53", "--exclude-ports", "22,U:53", "h");
  assertEquals([ex.discovery.synPorts, ex.discovery.udpPorts], [[80], []]);
  assert(ex.warnings!.some((w) => w.startsWith("WARNING: a UDP ping scan was requested")));
  err(["-Pz"], "Illegal Argument to -P, use -Pn");
});

Deno.test("outputs: -oN/-oX/-oG/-oJ/-oA, stdout '-', %-escapes, nmap's checks", () => {
  const o = P("-oA", "scan", "-oJ", "s.json", "h");
  assertEquals(o.output.normal, "scan.nmap");
  assertEquals(o.output.grepable, "scan.gnmap");
  assertEquals(o.output.xml, "scan.xml");
  assertEquals(o.output.json, "s.json");
  assertEquals(P("-oX", "-", "h").output.xml, "-");
  err(
    ["-oN", "-x"],
    "Output filename begins with '-'. Try '-oN ./-x' if you really want it to be named as such.",
  );
  err(["-oA", "-"], "Cannot display multiple output types to stdout.");
  const now = new Date(2024, 3, 1, 15, 20, 5);
  assertEquals(
    expandLogFilename("scan-%Y%m%d-%T-%F-%D-%R-%%", now),
    "scan-20240401-152005-2024-04-01-040124-1520-%",
  );
  const s = P("--stylesheet", "x.xsl", "--append-output", "--stats-every", "5s", "h").output;
  assertEquals([s.stylesheet, s.appendOutput, s.statsEveryMs], ["x.xsl", true, 5000]);
  assert(P("--no-stylesheet", "h").output.noStylesheet);
});

Deno.test("help, version and resume stop parsing", () => {
  assertEquals(P("-V", "--bogus").show, "version");
  assertEquals(P("--help").show, "help");
  assertEquals(P("--resume", "x.gnmap").output.resume, "x.gnmap");
  err(["--resume", "x.gnmap", "-v"], "Cannot use --resume with other options.");
  err(["-v", "--resume", "x.gnmap"], "Cannot use --resume with other options.");
});

Deno.test("nmap's combination rules", () => {
  err(["-sT", "-sS"], "You specified more than one type of TCP scan.");
  err(["-sn", "-sS"], "-sL and -sn (skip port scan) are not valid with any other scan types");
  err(
    ["-sn", "-p", "80"],
    "You cannot use -F (fast scan) or -p (explicit port selection) when not doing a port scan",
  );
  err(["-F", "-p", "80"], "You cannot use -F (fast scan) with -p (explicit port selection)");
  err(["-p", "1", "-p", "2"], "Only 1 -p option allowed");
  err(["-4", "-6"], "Cannot use both -4 and -6 in one scan.");
  err(["--defeat-icmp-ratelimit"], "works only with a UDP scan (-sU)");
  err(
    ["--min-rate", "10", "--max-rate", "5"],
    "--min-rate=10 must be less than or equal to --max-rate=5",
  );
  err(
    ["--min-parallelism", "10", "--max-parallelism", "5"],
    "--min-parallelism=10 must be less than or equal to --max-parallelism=5",
  );
  err(["-6", "-PM", "::1"], "ICMP Timestamp and Address Mask pings are only valid for IPv4.");
  err(["-O", "-sn"], "OS Scan is unreliable without a port scan");
  assertEquals(P("-sU", "-F", "h").ports.length, 100);
  assert(P("-sU", "-F", "h").ports.every((p) => p.protocol === "udp"));
  assertEquals(P("-sS", "-sU", "h").ports.length, 2000);
});

Deno.test("bad values give nmap's messages", () => {
  const cases: [string[], string][] = [
    [["--max-retries=-1"], "max-retries must be positive"],
    [["--max-retries", "x"], "must be an integer"],
    [["--min-rate", "abc"], "Argument to --min-rate must be a positive floating-point number"],
    [["--max-rate", "0"], "Argument to --max-rate must be a positive floating-point number"],
    [["--top-ports", "0"], "--top-ports should be an integer 1 or greater"],
    [["--top-ports", "1.5"], "--top-ports should be an integer 1 or greater"],
    [["--port-ratio", "1"], "--port-ratio should be between [0 and 1)"],
    [
      ["--max-rtt-timeout", "60000"],
      'Since April 2010, the default unit for --max-rtt-timeout is seconds, so your time of "60000" is 60000 seconds. Use "60000ms" for 60000 milliseconds.',
    ],
    [
      ["--scan-delay", "100000"],
      'Since April 2010, the default unit for --scan-delay is seconds, so your time of "100000" is 1666.7 minutes. Use "100000ms" for 100000 milliseconds.',
    ],
    [
      ["--max-rtt-timeout", "2ms"],
      "Bogus --max-rtt-timeout argument specified, must be at least 5ms",
    ],
    [["--host-timeout", "-1"], "Bogus --host-timeout argument specified"],
    [["--scan-delay", "1x"], "Bogus --scan-delay argument specified."],
    [["--version-intensity", "10"], "version-intensity must be between 0 and 9"],
    [
      ["--max-os-tries", "0"],
      "Bogus --max-os-tries argument specified, must be between 1 and 50 (inclusive)",
    ],
    [
      ["--min-hostgroup", "5", "--max-hostgroup", "2"],
      "Maximum host group size may not be set to less than the minimum size (currently 5)",
    ],
    [["--min-parallelism", "0"], "Argument to --min-parallelism must be at least 1!"],
    [["--scanflags", "300"], "--scanflags option must be a number between 0 and 255"],
    [["-O1"], "First-generation OS detection (-O1) is no longer supported. Use -O instead."],
    [["-Ox"], "Unknown argument to -O."],
    [["-p", "1-0x"], "Your port range 1-0 is backwards. Did you mean 0-1?"],
    [["-oH", "x"], "HTML output is not directly supported"],
    [["-iL", "a", "-iL", "b"], "Only one input filename allowed"],
    [["--exclude-ports", "1", "--exclude-ports", "2"], "Only 1 --exclude-ports option allowed"],
    [["\u2013p", "80"], "Unparseable option (dash, not '-') in argument 1"],
  ];
  for (const [argv, msg] of cases) err(argv, msg);
  const s = err(["-sQ"], "Scantype Q not supported");
  assertEquals([s.exitCode, s.render()], [255, "Scantype Q not supported\n"]);
});

Deno.test("refused on purpose: -iR random targets, and nmap features Porthole lacks", () => {
  err(["-iR", "5"], "Porthole does not scan random Internet addresses (-iR)");
});

Deno.test("NSE options: -sC, --script (comma-split, repeatable), --script-args, --script-timeout", () => {
  assertEquals(parseOptions(["-sC", "h"]).scripts, { rules: ["default"], timeoutMs: 0 });
  const o = parseOptions([
    "--script",
    "http-*,not intrusive",
    "-sC",
    "--script-args",
    "a=1,b={x,y}",
    "--script-args-file",
    "f.txt",
    "--script-timeout",
    "2m",
    "h",
  ]);
  assertEquals(o.scripts, {
    rules: ["http-*", "not intrusive", "default"],
    args: "a=1,b={x,y}",
    argsFile: "f.txt",
    timeoutMs: 120_000,
  });
  assertEquals(parseOptions(["--script-help", "default"]).scripts?.help, "default");
  assertEquals(parseOptions(["h"]).scripts, undefined);
  assertEquals(parseOptions(["-sC", "--script-trace", "h"]).scripts?.trace, true);
  assertEquals(parseOptions(["--script-trace", "-sC", "h"]).scripts?.trace, true);
  assertEquals(parseOptions(["--script-trace", "h"]).scripts, undefined); // traces, runs nothing
  err(["--script-timeout", "0", "h"], "Bogus --script-timeout argument specified");
});

Deno.test("scan flags, version and OS knobs, -A, interface and source", () => {
  assertEquals(parseScanFlags("URGACKPSHRSTSYNFIN"), 63);
  assertEquals(parseScanFlags("synfin"), 3);
  assertEquals(parseScanFlags("0x12"), 0x12);
  assertEquals(parseScanFlags("ALL"), 255);
  assertEquals(parseScanFlags("12x"), -1);
  assertEquals(P("--scanflags", "SYNACK", "h").scanFlags, 18);
  assertEquals(P("--version-light", "h").versionIntensity, 2);
  assertEquals(P("--version-all", "h").versionIntensity, 9);
  const v = P("--version-trace", "h");
  assertEquals([v.versionTrace, v.debug], [true, 1]);
  const a = P("-A", "h");
  assert(a.aggressive && a.versionDetection && a.osDetection && a.traceroute);
  assertEquals(a.scripts?.rules, ["default"]); // -A is -O -sV -sC --traceroute
  assertEquals(P("-A", "-sC", "h").scripts?.rules, ["default"]);
  const o = P("-O", "--osscan-guess", "--osscan-limit", "--max-os-tries", "3", "h");
  assertEquals([o.osDetection, o.osscanGuess, o.osscanLimit, o.maxOsTries], [true, true, true, 3]);
  const e = P("-e", "eth0", "-S", "10.0.0.5", "--send-ip", "--unprivileged", "h");
  assertEquals([e.iface, e.sourceAddress, e.sendMode, e.privileged], [
    "eth0",
    "10.0.0.5",
    "ip",
    false,
  ]);
  err(["-S", "nope", "h"], 'Failed to resolve/decode supposed IPv4 source address "nope"');
  assert(P("--iflist").ifList);
  assert(P("--open", "h").defeatRstRatelimit);
});

Deno.test("--servicedb reads nmap-services format at run time and implies -F, as nmap", () => {
  const f = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(f, "alpha\t7000/tcp\t0.5\nbeta\t7001/tcp\t0.25\n");
    const o = parseOptions(["--servicedb", f, "h"]);
    assertEquals(o.ports, [{ protocol: "tcp", port: 7000 }, { protocol: "tcp", port: 7001 }]);
    assertEquals(o.serviceDb, f);
    assertThrows(
      () => parseOptions(["--servicedb", f, "-p", "80", "h"]),
      UsageError,
      "You cannot use -F (fast scan) with -p",
    );
  } finally {
    Deno.removeSync(f);
  }
  assertThrows(
    () => parseOptions(["--servicedb", "/nonexistent/x", "h"]),
    UsageError,
    "Unable to open /nonexistent/x for reading service information",
  );
});

Deno.test("targets are checked for syntax before anything else runs", () => {
  assertEquals(P("10.0.0-5.1,3", "192.168.*.1", "10.0.0.0/8", "scanme.nmap.org").targets.length, 4);
  assertEquals(P("-6", "fe80::1", "2001:db8::/64", "localhost").targets.length, 3);
  err(["-6", "127.0.0.1"], "looks like an IPv4 target specification");
  err(["::1"], "::1 looks like an IPv6 target specification -- you have to use the -6 option.");
  err(["10.0.0.300"], 'Invalid target specification "10.0.0.300"');
  err(["10.0.0.1/33"], 'Illegal netmask in "10.0.0.1/33"');
  err(["bad name"], "Invalid target specification");
  err(["--exclude", "10.0.0.1-300,1.2.3.4", "h"], "Invalid exclude specification");
  assertEquals(P("--exclude", "10.0.0.1,10.0.1.0/24", "h").exclude, ["10.0.0.1", "10.0.1.0/24"]);
  assertThrows(
    () => parseOptions(["-iL", "/nonexistent/list"]),
    UsageError,
    "Failed to open input file /nonexistent/list",
  );
});

Deno.test("privilege checks use nmap's wording", () => {
  checkPrivileges(P("-sT", "h"), false);
  checkPrivileges(P("-sS", "h"), true);
  checkPrivileges(P("-A", "h"), false); // -A skips OS detection when unprivileged
  assertThrows(
    () => checkPrivileges(P("-sS", "h"), false),
    UsageError,
    "You requested a scan type which requires root privileges.",
  );
  assertThrows(
    () => checkPrivileges(P("-O", "h"), false),
    UsageError,
    "TCP/IP fingerprinting (for OS scan) requires root privileges.",
  );
  checkPrivileges(P("-sS", "--privileged", "h"), false);
});

// nmap's own words for bad command lines (nothing is sent: these fail while parsing).
Deno.test({
  name: "error texts equal nmap 7.93's",
  ignore: missingTools("nmap").length > 0,
}, async () => {
  const argvs = [
    ["--max", "1"],
    ["--bogus"],
    ["-p"],
    ["--open=1"],
    ["-vx"],
    ["-T9"],
    ["-Pz"],
    ["-O1"],
    ["--top-ports", "0"],
    ["--port-ratio", "1"],
    ["-oN", "-x"],
    ["-oA", "-"],
    ["-sT", "-sS"],
    ["-F", "-p", "80"],
    ["--max-retries=-1"],
    ["--scan-delay", "100000"],
    ["--max-rtt-timeout", "60000"],
    ["--min-hostgroup", "5", "--max-hostgroup", "2"],
    ["-p", "1-0x"],
    ["-p", "X:1"],
    ["-p", "22x"],
    ["-p", "nosuchservice"],
  ];
  for (const argv of argvs) {
    let out;
    try {
      out = await new Deno.Command("nmap", { args: argv, stdout: "null", stderr: "piped" })
        .output();
    } catch {
      return; // nmap not installed
    }
    const theirs = new TextDecoder().decode(out.stderr).replaceAll("/usr/bin/nmap", "porthole")
      .replaceAll("nmap", "porthole").trim();
    let mine = "";
    let code = 0;
    try {
      parseOptions(argv, { skipFileChecks: true });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      mine = e.render().trim();
      code = e.exitCode;
    }
    // nmap adds a stray blank line after some messages ending in \n.
    assertEquals(mine, theirs.replace(/\n\n/g, "\n"), argv.join(" "));
    assertEquals(code, out.code, `exit status for ${argv.join(" ")}`);
  }
});

Deno.test("port lists: the engine's number lists and `ports` agree; assigning ports drops them", () => {
  const o = P("-sS", "-sU", "-p", "T:-,U:53,161", "h");
  assertEquals(o.portLists?.tcp.length, 65535);
  assertEquals(o.portLists?.udp, [53, 161]);
  assertEquals(o.ports.length, 65537);
  assertEquals(o.ports[0], { protocol: "tcp", port: 1 });
  assertEquals(o.ports.slice(-2), [{ protocol: "udp", port: 53 }, { protocol: "udp", port: 161 }]);
  o.ports = [{ protocol: "tcp", port: 22 }];
  assertEquals(o.ports, [{ protocol: "tcp", port: 22 }]);
  assertEquals(o.portLists, undefined);
});

Deno.test("-6 with -O: the OS scan is dropped with nmap's kind of warning, never reported as performed", () => {
  for (const flag of ["-O", "-A"]) {
    const o = parseOptions(["-6", flag, "-p", "22", "::1"]);
    assertEquals(o.osDetection, false, flag);
    assertEquals(
      o.warnings?.includes(
        "WARNING: Disabling OS Scan (-O) as Porthole's OS detection does not support IPv6 yet",
      ),
      true,
      flag,
    );
  }
  assertEquals(parseOptions(["-6", "-A", "-p", "22", "::1"]).versionDetection, true);
  assertEquals(parseOptions(["-O", "-p", "22", "127.0.0.1"]).osDetection, true);
});
