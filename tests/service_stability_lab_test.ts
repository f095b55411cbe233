/**
 * Issue 25: `-sV` gives the same answer every run. Over real daemons that punish probes sent side
 * by side — net-snmp's SMUX (199/tcp: serves one connection at a time, blocking on the first),
 * MIT kadmind (749/tcp: a short listen backlog), inetd's echo (7/tcp), iperf3 (5201/tcp: serves
 * one client and closes every other connection with a "busy" byte), tinyproxy (8888/tcp: writes
 * its status line before the headers that name it) — and a few banner and TLS
 * services, five runs of `porthole -sV` name every port as a run with one probe in flight per port
 * does (`--version-parallelism 1`), with Porthole's own probes and with nmap's probe file, and the
 * issue's two cases get nmap's names (and PostgreSQL nmap's softmatched version words, which
 * Porthole's own probe, merged in, must keep). The full lab (every daemon) is
 * `deno task lab:sv-stable`.
 * Needs root and the daemons' packages (`deno task lab:capture` installs them); ignored otherwise.
 * Tags "sva".
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, installedVersion, RealDaemonsLab } from "./lab/real_daemons.ts";
import { answerKey, NMAP_PROBES, portSpec, svStability } from "./lab/sv_stability.ts";
import { haveTool } from "./_oracle.ts";

/** The daemons of the CI subset, and the ports of theirs that are scanned. */
const SUBSET = [
  "openssh",
  "vsftpd",
  "dovecot",
  "krb5kdc",
  "kadmind",
  "snmpd",
  "inetd",
  "postgresql",
  "iperf3",
  "tinyproxy",
];
const PORTS = [22, 21, 143, 993, 749, 199, 161, 7, 13, 5432, 5201, 8888];
const RUNS = 5;

const why = await labUnavailable();
const daemons = DAEMONS.filter((d) => SUBSET.includes(d.name));
const missing = why ? [] : (await Promise.all(
  daemons.map(async (d) => (await installedVersion(d.pkg)) === null ? d.pkg : ""),
)).filter(Boolean);

Deno.test({
  name: "service: -sV over real daemons gives one answer, the one-probe-at-a-time one, every run",
  ignore: why !== null || missing.length > 0,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    await using rl = await RealDaemonsLab.up({ tag: "sva", daemons });
    assertEquals(rl.failed, [], "every daemon of the subset comes up");
    const spec = portSpec(rl, PORTS);
    await t.step("Porthole's own probes", async () => {
      const s = await svStability(rl, spec, "builtin", RUNS);
      assertEquals(s.differences, []);
      assertEquals(answerKey(s.serial.answers.get("tcp/7")), "echo|||");
      assertEquals(answerKey(s.serial.answers.get("tcp/5432")), "postgresql|PostgreSQL DB||");
      assertEquals(s.serial.answers.get("tcp/8888")?.product, "tinyproxy");
    });
    await t.step({
      name: haveTool(NMAP_PROBES) ? "nmap's probe file" : "nmap's probe file (ignored: missing)",
      ignore: !haveTool(NMAP_PROBES),
      fn: async () => {
        const s = await svStability(rl, spec, "nmap", RUNS);
        assertEquals(s.differences, []);
        // The cases, named as nmap names them.
        assertEquals(answerKey(s.serial.answers.get("tcp/199")), "smux|Linux SNMP multiplexer||");
        assert(s.serial.answers.get("tcp/749")?.service, "kadmind is named");
        assertEquals(answerKey(s.serial.answers.get("tcp/7")), "echo|||");
        assertEquals(answerKey(s.serial.answers.get("tcp/5201")), "iperf3|||");
        assertEquals(s.serial.answers.get("tcp/8888")?.product, "tinyproxy");
        // nmap leaves Dovecot's IMAPS unnamed ("imaps?"); Porthole's own TLS 1.2 hello, merged in
        // after nmap's probes, opens the tunnel and the banner inside names it.
        assertEquals(answerKey(s.serial.answers.get("tcp/993")), "imap|Dovecot imapd||ssl");
        // nmap softmatches PostgreSQL as "PostgreSQL DB 9.6.0 or later"; Porthole's own startup
        // probe, sent after nmap's, confirms the service and keeps nmap's words.
        assertEquals(
          answerKey(s.serial.answers.get("tcp/5432")),
          "postgresql|PostgreSQL DB|9.6.0 or later|",
        );
      },
    });
  },
});
