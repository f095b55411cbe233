/**
 * Porthole's built-in scripts against real daemons (the real-daemons lab: OpenSSH, Exim, Dovecot,
 * vsftpd, Redis, memcached, nginx, Apache, BIND, chrony, snmpd) with nmap's data directory hidden:
 * each built-in script gives output on every port where nmap's script of the same id does, and
 * the same output, modulo values that change between two runs by nature (clocks, counters, CPU
 * time, hash order). With nmap's data in place, the built-in ntp-info stands in for nmap's, which
 * cannot load in Porthole (it needs nmap's lpeg).
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { NMAP_DATA_DIRS } from "../cli/scripts/mod.ts";
import { BUILTIN_SCRIPTS } from "../cli/scripts/_builtin_scripts.ts";
import { scriptsByPort } from "./testing/script_output.ts";
import { portholeWithoutNmap } from "./testing/nmap_hidden.ts";

const haveScripts = NMAP_DATA_DIRS.some((d) => {
  try {
    return Deno.statSync(`${d}/scripts/script.db`).isFile;
  } catch {
    return false;
  }
});

const TLS_SCRIPTS = ["ssl-cert", "ssl-date", "tls-alpn"];

const NAMES = [
  "openssh",
  "exim",
  "dovecot",
  "vsftpd",
  "redis",
  "memcached",
  "nginx",
  "apache",
  "bind",
  "chrony",
  "snmpd",
];

/** What two runs may differ in by nature, per script id. */
function normalize(id: string, text: string): string {
  const blank = (names: string[]) =>
    text.replace(
      new RegExp(`^(\\s*(?:${names.map((n) => n.replace(/[()]/g, "\\$&")).join("|")}): ).*$`, "gm"),
      "$1*",
    );
  switch (id) {
    case "imap-capabilities":
    case "pop3-capabilities":
      return text.split(" ").sort().join(" "); // nmap's order is a Lua table's hash order
    case "redis-info":
      return blank([
        "Process ID",
        "Used CPU (sys)",
        "Used CPU (user)",
        "Connected clients",
        "Used memory",
      ]);
    case "memcached-info":
      return blank([
        "Uptime",
        "Server time",
        "Used CPU (user)",
        "Used CPU (system)",
        "Current connections",
        "Total connections",
      ]);
    case "snmp-info":
      return blank(["snmpEngineTime"]);
    case "ntp-info":
      return blank(["receive time stamp"]);
    case "ftp-syst":
      return text.replace(/client count was \d+/, "client count was *");
    case "banner":
      return text.replace(/\d\d:\d\d:\d\d/g, "*");
  }
  return text;
}

Deno.test({
  name:
    "nse builtin daemons lab: each built-in script prints what nmap's does; ntp-info stands in for nmap's",
  ignore: !haveScripts || missingTools("nmap", "unshare", "mount").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using rl = await RealDaemonsLab.up({
      tag: "nsbd",
      daemons: DAEMONS.filter((d) => NAMES.includes(d.name)),
    });
    const lab = rl.lab;
    const ports = rl.started.flatMap((s) => s.daemon.ports.filter((p) => p.proto === "tcp"))
      .map((p) => p.port);
    assert.ok(ports.length >= 6, `too few daemons came up: ${JSON.stringify(rl.failed)}`);
    {
      // ssl-cert, ssl-date and tls-alpn have their own test (nse_tls_lab_test.ts), which keeps the
      // connections to Dovecot's TLS ports here fewer. (nmap's own imap-capabilities and
      // pop3-capabilities on 993 and 995 sometimes print nothing, with or without them.)
      const ids = Object.keys(BUILTIN_SCRIPTS).filter((id) => !TLS_SCRIPTS.includes(id));
      const norm = (m: Map<string, string>) =>
        Object.fromEntries(
          [...m].filter(([k]) => ids.includes(k.split(" ")[1]!))
            .map(([k, v]) => [k, normalize(k.split(" ")[1]!, v)])
            .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
        );
      // The TCP ports, then DNS, NTP and SNMP over UDP.
      for (
        const [scan, portList, least] of [["-sS", ports.join(","), 10], [
          "-sU",
          "53,123",
          2,
        ]] as const
      ) {
        const args = ["-Pn", scan, "--script", ids.join(","), "-p", portList, rl.v4];
        const theirs = await lab.nmap(args, { timeoutMs: 300_000 });
        assert.equal(theirs.code, 0, theirs.stderr);
        const ours = await portholeWithoutNmap(lab, args);
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        const expected = norm(scriptsByPort(theirs.stdout));
        assert.ok(Object.keys(expected).length >= least, theirs.stdout);
        assert.deepEqual(norm(scriptsByPort(ours.stdout)), expected, ours.stdout);
      }
      // With nmap's data in place: nmap's ntp-info cannot load in Porthole (it needs lpeg), so the
      // built-in one stands in for it.
      const args = ["-Pn", "-sU", "--script", "ntp-info", "-p", "123", rl.v4];
      const theirs = await lab.nmap(args, { timeoutMs: 300_000 });
      const ours = await lab.porthole(["-v", ...args], { timeoutMs: 300_000 });
      assert.equal(ours.code, 0, ours.stdout + ours.stderr);
      assert.match(ours.stdout + ours.stderr, /nmap's ntp-info\.nse cannot load here/);
      const expected = norm(scriptsByPort(theirs.stdout));
      assert.ok("123/udp ntp-info" in expected, theirs.stdout);
      assert.deepEqual(norm(scriptsByPort(ours.stdout)), expected, ours.stdout);
    }
  },
});
