/**
 * -sV against a host that refuses connections beyond a few at once (nftables
 * `ct count over 2 reject with tcp reset` in the target: a daemon with a tiny
 * backlog, or SYN-cookie-like behaviour): the per-host connection limit backs
 * off and refused probes are sent again, so the answer is the one nmap gets
 * with one probe at a time, never an incomplete probe's table guess.
 */

import { assertEquals } from "./testing/assert.ts";
import type { Scenario } from "./lab/mod.ts";
import { labTest, ok, oracleStep, parseNmapNormal, withLab } from "./scan_lab.ts";

const NMAP_DB = "/usr/share/nmap/nmap-service-probes";

const PORT = 8000;

const tinyBacklog: Scenario = {
  name: "tiny-backlog",
  description: "an HTTP server that refuses more than 2 connections at once",
  topology: "routed",
  icmpRatelimit: false,
  hosts: [{
    name: "web",
    hostname: "web.lab",
    rules: [{
      proto: "tcp",
      ports: PORT,
      service: { kind: "http", server: "Apache/2.4.7 (Ubuntu)", title: "hi", body: "hello" },
    }],
  }],
};

function rows(text: string, addr: string): string[] {
  const h = parseNmapNormal(text).find((x) => x.address === addr);
  if (!h) throw new Error(`no report for ${addr}:\n${text}`);
  return h.ports.map((p) => `${p.port}/${p.proto} ${p.state} ${p.service} ${p.version}`.trimEnd());
}

Deno.test(
  labTest(
    "service: a host refusing connections beyond 2 at once still gets nmap's answer",
    async (t) => {
      await withLab({ tag: "hlim", scenario: tinyBacklog }, async (lab) => {
        const nft = await lab.runInTarget(0, [
          "nft",
          "insert rule inet ph_lab input tcp dport " + PORT +
          " ct state new ct count over 2 reject with tcp reset",
        ]);
        assertEquals(nft.code, 0, nft.stderr);
        const v4 = lab.target.v4;
        const args = ["-sV", "-T4", "-n", "-p", String(PORT), v4];
        const expected = [`${PORT}/tcp open http Apache httpd 2.4.7 ((Ubuntu))`];
        await t.step("Porthole's database", async () => {
          assertEquals(rows(ok(await lab.porthole(args), "porthole"), v4), expected);
        });
        await t.step("nmap's database through --versiondb", async () => {
          const out = ok(await lab.porthole(["--versiondb", NMAP_DB, ...args]), "porthole");
          assertEquals(rows(out, v4), expected);
        });
        await oracleStep(t, "nmap", async () => {
          assertEquals(rows(ok(await lab.nmap(args), "nmap"), v4), expected);
        }, "nmap -sV");
      });
    },
  ),
);
