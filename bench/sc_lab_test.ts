import assert from "node:assert/strict";
import { parity, parityLine } from "./sc_lab.ts";

const report = (lines: string[]) =>
  ["PORT     STATE SERVICE", ...lines, "", "Nmap done: 1 IP address"].join("\n");

Deno.test("sc-lab parity: identical, by nature, differing, missing and extra pairs", () => {
  const nmap = report([
    "21/tcp   open  ftp",
    "|_ftp-anon: Anonymous FTP login allowed (FTP code 230)",
    "443/tcp  open  https",
    "|_ssl-date: 2026-12-07T13:02:28+00:00; 0s from scanner time.",
    "|_http-title: lab",
    "161/udp  open  snmp",
    "| snmp-sysdescr: Linux vm",
    "|_  System uptime: 15.77s (1577 timeticks)",
    "| snmp-netstat: ",
    "|   TCP  0.0.0.0:22           0.0.0.0:0",
    "|_  TCP  10.0.0.2:22          10.0.0.1:34872",
  ]);
  const porthole = report([
    "21/tcp   open  ftp",
    "|_ftp-anon: Anonymous FTP login allowed (FTP code 230)",
    "443/tcp  open  https",
    "|_ssl-date: 2026-12-07T13:11:40+00:00; +1s from scanner time.",
    "|_http-server-header: nginx",
    "161/udp  open  snmp",
    "| snmp-sysdescr: Linux vm",
    "|_  System uptime: 9m09s (54900 timeticks)",
    "| snmp-netstat: ",
    "|_  TCP  0.0.0.0:23           0.0.0.0:0",
  ]);
  const p = parity(nmap, porthole);
  const by = Object.fromEntries(p.pairs.map((x) => [x.key, x.verdict]));
  assert.deepEqual(by, {
    "21/tcp ftp-anon": "identical",
    "443/tcp ssl-date": "by-nature",
    "443/tcp http-title": "missing",
    "443/tcp http-server-header": "extra",
    "161/udp snmp-sysdescr": "by-nature",
    // A listener that differs is a real difference; a connection that came and went is not.
    "161/udp snmp-netstat": "differing",
  });
  assert.equal(
    parityLine(p),
    "3/5 same (60.0%): 1 identical, 2 by nature, 1 differing, 1 missing; 1 extra " +
      "(differing: 161/udp snmp-netstat, extra: 443/tcp http-server-header, " +
      "missing: 443/tcp http-title)",
  );
});
