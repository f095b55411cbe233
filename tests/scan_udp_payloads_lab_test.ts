/**
 * -sU's payloads on real daemons (real_daemons.ts: inetd's echo and daytime, TFTP, Kerberos,
 * chrony, net-snmp, OpenVPN, Murmur, and coturn speaking DTLS on 443 and 5349), beside nmap 7.93:
 *
 * - with nmap's nmap-payloads found, the datagrams Porthole sends, captured in the target, are
 *   nmap's: each port's first try is nmap's datagrams in nmap's order, and no other bytes go to
 *   it; the table (with --reason) is nmap's, and -v names the data files as nmap does;
 * - with nmap's data directories hidden, Porthole's own payloads give the same table (DTLS ports
 *   included: nmap's DTLS ClientHello and Porthole's own both draw a HelloVerifyRequest);
 * - --data-string replaces every port's payload in both scanners;
 * - a broken nmap-payloads in --datadir: one warning, and the run goes on with Porthole's own.
 *
 * Tags "udppay".
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { type Daemon, DAEMONS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { captureIn, readUdpDatagrams } from "./lab/tcpdump.ts";
import { missingTools } from "./_oracle.ts";
import { ok } from "./scan_lab.ts";
import { portholeWithoutNmap } from "./testing/nmap_hidden.ts";
import type { RunResult } from "./lab/_exec.ts";

const NMAP_PAYLOADS = "/usr/share/nmap/nmap-payloads";

/**
 * coturn with DTLS on `dtls` (TURN over DTLS, RFC 7350) and plain STUN on `stun`; its user
 * database in the daemon's directory. Two of them: coturn's alternative port needs two addresses.
 */
const coturnDtls = (dtls: number, stun: number): Daemon => ({
  name: `coturn-dtls-${dtls}`,
  pkg: "coturn",
  ports: [{ proto: "udp", port: dtls, service: "stun", products: ["Coturn"] }],
  argv: (c) => [
    "turnserver",
    "-n",
    "--listening-ip",
    c.v4,
    "--listening-port",
    `${stun}`,
    "--tls-listening-port",
    `${dtls}`,
    "--cert",
    c.cert,
    "--pkey",
    c.key,
    "--db",
    `${c.dir}/turndb-${dtls}`,
    "--no-tcp",
    "--no-tls",
    "--no-cli",
    "--log-file",
    "stdout",
    "--pidfile",
    `${c.dir}/turnserver-${dtls}.pid`,
    "--realm",
    "lab.test",
  ],
});

const NAMES = ["inetd", "tftpd-hpa", "krb5kdc", "chrony", "snmpd", "openvpn", "murmur"];
/** The daemons' UDP ports, DTLS ports with nothing behind them, nmap's RPC range, NetBIOS. */
const PORTS = [7, 13, 69, 88, 123, 137, 161, 443, 853, 1194, 4433, 5349, 40000, 64738];

/** The port rows of a normal output, one space between columns. */
const rows = (out: string) =>
  out.split("\n").filter((l) => /^\d+\/udp\s/.test(l)).map((l) => l.replace(/\s+/g, " ").trim());

/** The data-file lines of a report, nmap's "/usr/bin/../share/nmap" spelled as its real path. */
const dataFileLines = (out: string) =>
  out.split("\n").filter((l) => /^Read (data files from:|from) /.test(l))
    .map((l) => l.replace(/\/[^ :]*\/\.\.\/share\/nmap/g, "/usr/share/nmap"));

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test({
  name: "-sU payloads: nmap's bytes and table with nmap-payloads found, the same table without",
  ignore: missingTools("nmap", "tcpdump", "unshare", "mount", NMAP_PAYLOADS).length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const daemons = [
      ...DAEMONS.filter((d) => NAMES.includes(d.name)),
      coturnDtls(5349, 3478),
      coturnDtls(443, 3479),
    ];
    await using rl = await RealDaemonsLab.up({ tag: "udppay", daemons });
    const up = new Set(rl.ports().filter((p) => p.port.proto === "udp").map((p) => p.port.port));
    assert.ok(up.has(5349) && up.has(443), `DTLS not up: ${JSON.stringify(rl.failed)}`);
    const v4 = rl.v4;
    const ports = PORTS.filter((p) => up.has(p) || ![7, 13, 69, 88, 123, 161, 1194].includes(p));
    const args = ["-sU", "-n", "-Pn", "--reason", "-p", ports.join(",")];
    const filter = `udp and src host ${rl.lab.scanner.v4} and dst host ${v4}`;

    /** Runs `scan`, capturing in the target: its result and each port's datagrams, in order. */
    const captured = async (scan: () => Promise<RunResult>) => {
      const file = `${rl.dir}/cap-${crypto.randomUUID()}.pcap`;
      let r: RunResult | undefined;
      await captureIn(
        rl.lab.target.ns,
        filter,
        async () => {
          r = await scan();
        },
        false,
        true,
        file,
      );
      const sent = new Map<number, string[]>();
      for (const d of readUdpDatagrams(await Deno.readFile(file))) {
        sent.set(d.dport, [...(sent.get(d.dport) ?? []), hex(d.payload)]);
      }
      return { r: r!, sent };
    };

    const nmap = await captured(() => rl.lab.nmap([...args, "-v", v4], { timeoutMs: 600_000 }));
    const nmapOut = ok(nmap.r, "nmap");
    const nmapRows = rows(nmapOut);
    assert.equal(nmapRows.length, ports.length, nmapOut);
    // What the equalities below stand for: the DTLS daemon answers nmap's ClientHello.
    assert.match(nmapOut, /^5349\/udp +open /m);
    assert.match(nmapOut, /^443\/udp +open /m);

    await t.step("nmap's data found: nmap's datagrams, nmap's table, -v's files", async () => {
      const ph = await captured(() => rl.lab.porthole([...args, "-v", v4]));
      const out = ok(ph.r, "porthole");
      assert.deepEqual(rows(out), nmapRows);
      assert.deepEqual(dataFileLines(out), dataFileLines(nmapOut));
      assert.deepEqual(dataFileLines(out), ["Read data files from: /usr/share/nmap"]);
      // Each try carries the port's payloads in the file's order: the first try's datagrams are
      // nmap's, and no other bytes go out later.
      for (const port of ports) {
        const theirs = nmap.sent.get(port) ?? [];
        const ours = ph.sent.get(port) ?? [];
        const n = new Set(theirs).size;
        assert.ok(n > 0 && ours.length >= n, `${port}: ${JSON.stringify([...ph.sent])}`);
        assert.deepEqual(ours.slice(0, n), theirs.slice(0, n), `first try to ${port}`);
        assert.deepEqual(new Set(ours), new Set(theirs), `${port}: the same payloads`);
      }
      assert.equal(new Set(ph.sent.get(137)).size, 3, "three NetBIOS payloads");
    });

    await t.step("nmap's data hidden: Porthole's own payloads give nmap's table", async () => {
      const ph = await captured(() => portholeWithoutNmap(rl.lab, [...args, v4]));
      assert.equal(ph.r.code, 0, ph.r.stdout + ph.r.stderr);
      assert.deepEqual(rows(ph.r.stdout), nmapRows);
      // Porthole's own DTLS ClientHello (a handshake record) on the DTLS ports.
      for (const port of [443, 853, 4433, 5349]) {
        assert.ok(
          ph.sent.get(port)?.[0]?.startsWith("16fe"),
          `${port}: ${JSON.stringify([...ph.sent])}`,
        );
        assert.notEqual(ph.sent.get(port)![0], nmap.sent.get(port)![0], "not nmap's bytes");
      }
    });

    await t.step("--data-string replaces every payload, as in nmap", async () => {
      const extra = ["--data-string", "porthole-probe", "-p", "7,137,5349", v4];
      const a = ["-sU", "-n", "-Pn", "--max-retries", "1", ...extra];
      const ours = await captured(() => rl.lab.porthole(a));
      const theirs = await captured(() => rl.lab.nmap(a));
      ok(ours.r, "porthole");
      ok(theirs.r, "nmap");
      const want = hex(new TextEncoder().encode("porthole-probe"));
      for (const port of [7, 137, 5349]) {
        assert.deepEqual([...new Set(ours.sent.get(port))], [want], `porthole ${port}`);
        assert.deepEqual([...new Set(theirs.sent.get(port))], [want], `nmap ${port}`);
      }
    });

    await t.step("a broken nmap-payloads: one warning, Porthole's own payloads", async () => {
      const dir = `${rl.dir}/baddata`;
      await Deno.mkdir(dir);
      await Deno.writeTextFile(`${dir}/nmap-payloads`, 'udp 7 "\\r\\n"\nudp 99999 "x"\n');
      const r = await rl.lab.porthole([...args, "--datadir", dir, v4]);
      const out = ok(r, "porthole");
      const warnings = r.stderr.split("\n").filter((l) => l.includes("nmap-payloads"));
      assert.deepEqual(warnings, [
        `WARNING: Can't parse port list "99999" at line 2 of ${dir}/nmap-payloads; ` +
        "using Porthole's own UDP payloads.",
      ]);
      assert.deepEqual(rows(out), nmapRows);
    });
  },
});
