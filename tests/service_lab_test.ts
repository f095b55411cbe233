/**
 * -sV on the lab's scanme replica, Porthole beside nmap 7.93 in the same
 * scanner namespace: the same port table, VERSION column and Service Info
 * line, with Porthole's own database and with nmap's (--versiondb). Wall
 * times are printed (figures, not assertions).
 */

import { assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, parseNmapNormal, withLab } from "./scan_lab.ts";

const PORTS = "22,25,80,135,139,9929,31337";
const NMAP_DB = "/usr/share/nmap/nmap-service-probes";

/** The rows (with VERSION) and the Service Info line of a normal output. */
function report(text: string, addr: string) {
  const h = parseNmapNormal(text).find((x) => x.address === addr);
  if (!h) throw new Error(`no report for ${addr}:\n${text}`);
  return {
    rows: h.ports.map((p) => `${p.port}/${p.proto} ${p.state} ${p.service} ${p.version}`.trimEnd()),
    serviceInfo: text.split("\n").find((l) => l.startsWith("Service Info:")),
  };
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
};

Deno.test(
  labTest("service: scanme -sV equals nmap's, with our database and with nmap's", async (t) => {
    await withLab({ tag: "svc", scenario: "scanme" }, async (lab) => {
      const v4 = lab.target.v4;
      const args = ["-sV", "-T4", "-n", "-p", PORTS, v4];
      const expected = {
        rows: [
          "22/tcp open ssh OpenSSH 6.6.1p1 Ubuntu 2ubuntu2.13 (Ubuntu Linux; protocol 2.0)",
          "25/tcp filtered smtp",
          "80/tcp open http Apache httpd 2.4.7 ((Ubuntu))",
          "135/tcp filtered msrpc",
          "139/tcp filtered netbios-ssn",
          "9929/tcp open nping-echo Nping echo",
          "31337/tcp open tcpwrapped",
        ],
        serviceInfo: "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel",
      };

      await t.step("Porthole's database", async () => {
        const [out, secs] = await timed(async () => ok(await lab.porthole(args), "porthole"));
        assertEquals(report(out, v4), expected);
        console.log(`porthole -sV (own DB): ${secs.toFixed(2)} s wall`);
      });

      await t.step("nmap's database through --versiondb", async () => {
        const [out, secs] = await timed(async () =>
          ok(await lab.porthole(["--versiondb", NMAP_DB, ...args]), "porthole --versiondb")
        );
        assertEquals(report(out, v4), expected);
        console.log(`porthole -sV (nmap's DB): ${secs.toFixed(2)} s wall`);
      });

      await oracleStep(t, "nmap", async () => {
        const [out, secs] = await timed(async () => ok(await lab.nmap(args), "nmap"));
        assertEquals(report(out, v4), expected);
        console.log(`nmap -sV: ${secs.toFixed(2)} s wall`);
      }, "nmap -sV");
    });
  }),
);
