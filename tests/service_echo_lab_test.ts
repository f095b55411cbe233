/**
 * Echo services in the lab, Porthole beside nmap 7.93 in the same scanner
 * namespace: inetd-like echo on 7/tcp and 7/udp (and on 9007/tcp, where no
 * probe lists the port) is "echo" with Porthole's database and with nmap's,
 * as nmap says, never the protocol of the probe that was sent back.
 */

import { assertEquals } from "./testing/assert.ts";
import type { Scenario } from "./lab/mod.ts";
import { labTest, ok, oracleStep, parseNmapNormal, withLab } from "./scan_lab.ts";

const NMAP_DB = "/usr/share/nmap/nmap-service-probes";

const echoLab: Scenario = {
  name: "echo",
  description: "echo services on 7/tcp, 7/udp and 9007/tcp",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "echo",
    hostname: "echo.lab",
    rules: [
      { proto: "tcp", ports: 7, service: { kind: "echo" } },
      { proto: "tcp", ports: 9007, service: { kind: "echo" } },
      { proto: "udp", ports: 7, service: { kind: "echo" } },
    ],
  }],
};

/** port/proto → service name and version, from a normal output. */
function services(text: string, addr: string): string[] {
  const h = parseNmapNormal(text).find((x) => x.address === addr);
  if (!h) throw new Error(`no report for ${addr}:\n${text}`);
  return h.ports.map((p) => `${p.port}/${p.proto} ${p.state} ${p.service} ${p.version}`.trimEnd());
}

Deno.test(
  labTest("service: echo on 7/tcp, 7/udp and 9007/tcp is echo, as nmap -sV says", async (t) => {
    await withLab({ tag: "echo", scenario: echoLab }, async (lab) => {
      const v4 = lab.target.v4;
      const args = ["-sV", "-sS", "-sU", "-T4", "-n", "-p", "T:7,9007,U:7", v4];
      const expected = ["7/tcp open echo", "9007/tcp open echo", "7/udp open echo"];
      await t.step("Porthole's database", async () => {
        assertEquals(services(ok(await lab.porthole(args), "porthole"), v4), expected);
      });
      await t.step("nmap's database through --versiondb", async () => {
        const out = ok(await lab.porthole(["--versiondb", NMAP_DB, ...args]), "porthole");
        assertEquals(services(out, v4), expected);
      });
      await oracleStep(t, "nmap", async () => {
        assertEquals(services(ok(await lab.nmap(args), "nmap"), v4), expected);
      }, "nmap -sV");
    });
  }),
);
