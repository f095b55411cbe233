import { assertEquals } from "../../tests/testing/assert.ts";
import {
  compactPortList,
  escapeTerminal,
  formatCtime,
  formatElapsed,
  formatLatency,
  fullVersionString,
  hostsSummary,
  joinQuoted,
  nameIp,
  serviceName,
  sigDigits,
} from "./format.ts";

Deno.test("compactPortList: nmap's range list", () => {
  assertEquals(compactPortList([]), "");
  assertEquals(compactPortList([22]), "22");
  assertEquals(compactPortList([1, 3, 4, 5, 9, 10]), "1,3-5,9-10");
  assertEquals(compactPortList([1, 2, 3, 65535]), "1-3,65535");
});

Deno.test("escapeTerminal: printable ASCII passes, every other byte is \\xHH", () => {
  assertEquals(escapeTerminal("SSH-2.0-OpenSSH"), "SSH-2.0-OpenSSH");
  assertEquals(escapeTerminal("\x1b[31mred\x1b[0m"), "\\x1B[31mred\\x1B[0m");
  assertEquals(escapeTerminal("a\tb\nc\rd\x00"), "a\tb\nc\\x0Dd\\x00");
  assertEquals(escapeTerminal("a\tb\nc", true), "a\\x09b\\x0Ac");
  assertEquals(escapeTerminal("\x7f\xff"), "\\x7F\\xFF");
  assertEquals(escapeTerminal("é€"), "\\xE9\\xE2\\x82\\xAC"); // é as Latin-1, € as UTF-8
});

Deno.test("latency: two significant digits, no exponent (num_to_string_sigdigits)", () => {
  assertEquals(formatLatency(0.26), "0.26");
  assertEquals(formatLatency(0.000123), "0.00012");
  assertEquals(formatLatency(0.0000742), "0.000074");
  assertEquals(formatLatency(0.0024), "0.0024");
  assertEquals(formatLatency(1.5), "1.5");
  assertEquals(formatLatency(12.34), "12");
  assertEquals(formatLatency(0.011), "0.011");
  assertEquals(sigDigits(0, 2), "0.00");
  assertEquals(formatElapsed(20.625), "20.62"); // printf rounds the binary value
  assertEquals(formatElapsed(0.5), "0.50");
  assertEquals(formatElapsed(0.125), "0.12");
  assertEquals(formatElapsed(0.375), "0.38");
  assertEquals(formatElapsed(1.005), "1.00"); // 1.005 is really 1.00499999…
  assertEquals(formatElapsed(2.675), "2.67");
  assertEquals(formatElapsed(1089.19), "1089.19");
});

Deno.test("ctime, hosts summary, join_quoted", () => {
  const d = new Date(2026, 10, 5, 9, 3, 7).getTime();
  assertEquals(formatCtime(d), "Thu Nov  5 09:03:07 2026");
  assertEquals(hostsSummary(1, 1), "1 IP address (1 host up)");
  assertEquals(hostsSummary(256, 0), "256 IP addresses (0 hosts up)");
  assertEquals(
    joinQuoted(["porthole", "-p", "22", "my file", 'a"b']),
    'porthole -p 22 "my file" a\\"b',
  );
});

Deno.test("version string and service name as nmap builds them", () => {
  assertEquals(
    fullVersionString({
      name: "ssh",
      method: "probed",
      confidence: 10,
      product: "OpenSSH",
      version: "8.4p1",
      extraInfo: "protocol 2.0",
    }),
    "OpenSSH 8.4p1 (protocol 2.0)",
  );
  assertEquals(
    fullVersionString({ name: "http", method: "probed", confidence: 10, extraInfo: "x" }),
    "(x)",
  );
  assertEquals(fullVersionString(undefined), "");
  const long = fullVersionString({
    name: "x",
    method: "probed",
    confidence: 10,
    product: "p".repeat(200),
  });
  assertEquals([long.length, long.endsWith("...")], [159, true]);
  const p = { protocol: "tcp" as const, port: 22, state: "open" as const, reason: "syn-ack" };
  assertEquals(serviceName(p, false), "ssh");
  assertEquals(serviceName(p, true), "ssh?"); // -sV ran but did not confirm
  assertEquals(
    serviceName({ ...p, service: { name: "ssh", method: "probed", confidence: 10 } }, true),
    "ssh",
  );
  assertEquals(
    serviceName({
      ...p,
      service: { name: "http", method: "probed", confidence: 10, tunnel: "ssl" },
    }, true),
    "ssl/http",
  );
  assertEquals(serviceName({ ...p, port: 61234 }, false), "unknown");
  assertEquals(serviceName({ ...p, state: "closed" }, true), "ssh");
  assertEquals(nameIp({ address: "1.2.3.4" }), "1.2.3.4");
  assertEquals(nameIp({ address: "1.2.3.4", ptrHostname: "h.example" }), "h.example (1.2.3.4)");
  assertEquals(nameIp({ address: "1.2.3.4", userHostname: "u", ptrHostname: "h" }), "u (1.2.3.4)");
});

Deno.test("timeZoneName: the fast path gives Intl's short name in every zone", async () => {
  // TZ is fixed per process, so each zone is checked in a child Deno.
  const script = `
    import { timeZoneName } from ${JSON.stringify(new URL("./format.ts", import.meta.url).href)};
    const intl = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
    const out = [];
    for (const ms of [Date.UTC(2026, 0, 15, 12), Date.UTC(2026, 6, 15, 12)]) {
      const d = new Date(ms);
      const want = intl.formatToParts(d).find((p) => p.type === "timeZoneName")?.value;
      out.push(timeZoneName(d) === want ? "ok" : timeZoneName(d) + "!=" + want);
    }
    console.log(out.join(" "));`;
  // UTC and London's winter take the fast path; the others go through Intl.
  const zones = ["Etc/UTC", "Europe/London", "America/New_York", "Asia/Kolkata"];
  for (const tz of zones) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { TZ: tz },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assertEquals(new TextDecoder().decode(r.stdout).trim(), "ok ok", tz);
  }
  // And the two zones the fast path knows come out as nmap prints them.
  const utc = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `${script.split("const intl")[0]}console.log(timeZoneName(new Date(0)));`],
    env: { TZ: "UTC" },
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(utc.stdout).trim(), "UTC");
});
