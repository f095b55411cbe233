import { assert, assertEquals } from "../../tests/testing/assert.ts";
import {
  escapeFingerprintBytes,
  escapeForDisplay,
  FingerprintBuilder,
  sanitizeField,
  unwrapFingerprint,
} from "./fingerprint.ts";
import { serviceInfoLine, versionString } from "./info.ts";
import type { HostResult, PortResult, ServiceInfo } from "../model/mod.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("fingerprint: escaping as nmap writes SF lines", () => {
  assertEquals(escapeFingerprintBytes(bytes("ab 1\r\n\t")), "ab\\x201\\r\\n\\t");
  assertEquals(escapeFingerprintBytes(bytes("\0a\x005")), "\\0a\\x005", "NUL before a digit");
  assertEquals(escapeFingerprintBytes(bytes('(x)*"|')), '\\(x\\)\\*\\"\\|');
  assertEquals(escapeFingerprintBytes(bytes("-_:@~\xff")), "-_:@~\\xff");
});

Deno.test("fingerprint: header, %r() records, 74-column wrapping, final ;", () => {
  const fp = new FingerprintBuilder({
    port: 8765,
    protocol: "tcp",
    version: "Porthole",
    intensity: 7,
    platform: "x86_64-unknown-linux-gnu",
    ssl: false,
    debug: false,
    now: new Date(2024, 3, 1, 12, 0, 0),
  });
  assertEquals(fp.result(), undefined);
  fp.addResponse("NULL", bytes("HELLO\r\n"));
  fp.addResponse("GenericLines", bytes("x".repeat(200)));
  fp.addResponse("Empty", new Uint8Array(0));
  const text = fp.result()!;
  const epoch = Math.floor(new Date(2024, 3, 1, 12, 0, 0).getTime() / 1000).toString(16)
    .toUpperCase();
  const flat = unwrapFingerprint(text);
  assertEquals(
    flat,
    `SF-Port8765-TCP:V=Porthole%I=7%D=4/1%Time=${epoch}%P=x86_64-unknown-linux-gnu` +
      `%r(NULL,7,"HELLO\\r\\n")%r(GenericLines,C8,"${"x".repeat(200)}");`,
  );
  const lines = text.split("\n");
  assert(lines.length > 2);
  assertEquals(lines[0]!.length, 74);
  for (const l of lines.slice(1)) assert(l.startsWith("SF:"), l);
  for (const l of lines.slice(1, -1)) assertEquals(l.length, 74);
});

Deno.test("fingerprint: responses are cut at 900 bytes (length still the full one)", () => {
  const fp = new FingerprintBuilder({
    port: 1,
    protocol: "udp",
    version: "V",
    intensity: 7,
    platform: "P",
    ssl: true,
    debug: false,
  });
  fp.addResponse("X", bytes("y".repeat(2000)));
  const flat = unwrapFingerprint(fp.result()!);
  assert(flat.includes("%T=SSL"));
  assert(flat.startsWith("SF-Port1-UDP:"));
  assert(flat.includes(`%r(X,7D0,"${"y".repeat(900)}");`));
});

Deno.test("display escaping and field sanitising", () => {
  assertEquals(escapeForDisplay(bytes('a"\\\x1b\r\n')), 'a\\"\\\\\\x1b\\r\\n');
  assertEquals(escapeForDisplay("abcdef", 3), "abc...(3 more bytes)");
  assertEquals(sanitizeField("ok\x00\x7f\xe9x", 80), "ok...x");
  assertEquals(sanitizeField("y".repeat(90), 80), "y".repeat(80));
});

Deno.test("info: VERSION column as nmap builds it, with ... cuts", () => {
  const s = (x: Partial<ServiceInfo>): ServiceInfo => ({
    name: "x",
    method: "probed",
    confidence: 10,
    ...x,
  });
  assertEquals(
    versionString(s({ product: "Apache httpd", version: "2.4.7", extraInfo: "(Ubuntu)" })),
    "Apache httpd 2.4.7 ((Ubuntu))",
  );
  assertEquals(versionString(s({ product: "OpenSSH" })), "OpenSSH");
  assertEquals(versionString(s({ extraInfo: "x" })), "(x)");
  assertEquals(versionString(undefined), "");
  const v = versionString(
    s({ product: "p".repeat(80), version: "v".repeat(60), extraInfo: "e".repeat(200) }),
  );
  assertEquals(v.length, 159);
  assert(v.endsWith("...)"), v);
});

Deno.test("info: Service Info line (open ports only, no application CPEs, dedup, host name rule)", () => {
  const port = (
    n: number,
    service: Partial<ServiceInfo>,
    state: PortResult["state"] = "open",
  ): PortResult => ({
    protocol: "tcp",
    port: n,
    state,
    reason: "syn-ack",
    service: { name: "x", method: "probed", confidence: 10, ...service },
  });
  const host: HostResult = {
    address: "10.0.0.1",
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "syn-ack",
    ptrHostname: "self.lab",
    startTime: 0,
    endTime: 0,
    ports: [
      port(80, { cpe: ["cpe:/a:apache:http_server:2.4.7"] }),
      port(22, {
        osType: "Linux",
        cpe: ["cpe:/a:openbsd:openssh:6.6.1p1", "cpe:/o:linux:linux_kernel"],
      }),
      port(25, { hostname: "SELF.lab", osType: "Linux" }),
      port(26, { hostname: "mail.lab", deviceType: "router" }),
      port(27, { hostname: "other.lab", osType: "Unix" }),
      port(28, { osType: "Windows" }, "filtered"),
    ],
  };
  assertEquals(
    serviceInfoLine(host),
    "Service Info: Hosts: mail.lab, other.lab; OSs: Linux, Unix; Device: router; CPE: cpe:/o:linux:linux_kernel",
  );
  assertEquals(serviceInfoLine({ ...host, ports: [port(80, { cpe: ["cpe:/a:x"] })] }), undefined);
  assertEquals(
    serviceInfoLine({
      ...host,
      ports: [port(22, { osType: "Linux", cpe: ["cpe:/o:linux:linux_kernel"] })],
    }),
    "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel",
  );
});

Deno.test("http-server-header: portrule and Server header extraction", async () => {
  const { scriptApplies, serverHeader } = await import("./http_server_header.ts");
  const port = (n: number, name?: string): PortResult => ({
    protocol: "tcp",
    port: n,
    state: "open",
    reason: "syn-ack",
    service: name ? { name, method: "table", confidence: 3 } : undefined,
  });
  assert(scriptApplies(port(80), 7));
  assert(!scriptApplies(port(80), 6));
  assert(scriptApplies(port(12345, "http-proxy"), 7));
  assert(!scriptApplies(port(12345, "ssh"), 9));
  assertEquals(serverHeader("HTTP/1.1 200 OK\r\nDate: x\r\nserver:  nginx\r\n\r\n"), "nginx");
  assertEquals(serverHeader("HTTP/1.0 404 x\r\nContent-Length: 0\r\n\r\n"), undefined);
  assertEquals(serverHeader("SSH-2.0-x\r\n"), null);
});
