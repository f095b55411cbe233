/**
 * -sV on real daemons (tests/lab/real_daemons.ts): the RPC ports as nmap 7.93 names them after
 * its rpcinfo and rpc-grind ("rpcbind 2-4 (RPC #100000)", "status 1 (RPC #100024)"), TCP and
 * UDP, and the "Service Info:" line gathered from every port's match (Exim's host name, the
 * Kerberos realm, ngIRCd's server name, nmbd's NetBIOS name, the OS types), by Porthole with
 * nmap's data and with its own alone (nmap's data directories hidden), and by nmap.
 *
 * kadmind (749/tcp) is an RPC server whose program (2112) nmap-rpc lacks: nmap leaves it
 * "rpcbind"; Porthole's built-in programs, merged after nmap's, name it.
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { parseNmapNormal } from "./lab/nmap_table.ts";
import { missingTools, oracleStep } from "./_oracle.ts";
import { portholeWithoutNmap } from "./testing/nmap_hidden.ts";
import { xmlServices } from "./testing/xml_services.ts";

/** The daemons whose ports speak RPC or name a host, an OS or a device in a match. */
const NAMES = [
  "openssh",
  "exim",
  "dovecot",
  "bind",
  "samba",
  "nmbd",
  "krb5kdc",
  "kadmind",
  "vsftpd",
  "ngircd",
  "rpcbind",
  "rpc.statd",
];
const RPC_PORTS = ["111/tcp", "111/udp", "32765/tcp", "32765/udp"];
/** nmap 7.93's rows for them (its rpcinfo and rpc-grind on rpcbind 1.2.6 and nfs-common's statd). */
const NMAP_RPC_ROWS = [
  "111/tcp open rpcbind 2-4 (RPC #100000)",
  "111/udp open rpcbind 2-4 (RPC #100000)",
  "32765/tcp open status 1 (RPC #100024)",
  "32765/udp open status 1 (RPC #100024)",
];

/** The rows of `ports` ("port/proto state service version") and the Service Info line. */
function report(text: string, addr: string, ports: string[]) {
  const h = parseNmapNormal(text).find((x) => x.address === addr);
  if (!h) throw new Error(`no report for ${addr}:\n${text}`);
  const rows = new Map(
    h.ports.map((p) => [
      `${p.port}/${p.proto}`,
      `${p.port}/${p.proto} ${p.state} ${p.service} ${p.version}`.trimEnd(),
    ]),
  );
  return {
    rows: ports.map((k) => rows.get(k) ?? `${k} missing`),
    serviceInfo: text.split("\n").find((l) => l.startsWith("Service Info:")),
  };
}

Deno.test({
  name: "service rpc lab: RPC ports and the Service Info line as nmap's, with and without its data",
  ignore: missingTools("unshare", "mount").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using rl = await RealDaemonsLab.up({
      tag: "svrpc",
      daemons: DAEMONS.filter((d) => NAMES.includes(d.name)),
      timeoutMs: 300_000,
    });
    const up = (name: string) => rl.started.some((s) => s.daemon.name === name);
    assert.ok(up("rpcbind") && up("rpc.statd"), `RPC daemons down: ${JSON.stringify(rl.failed)}`);
    const ports = (proto: "tcp" | "udp") =>
      rl.started.flatMap((s) => s.daemon.ports.filter((p) => p.proto === proto)).map((p) => p.port);
    const args = [
      "-Pn",
      "-sSU",
      "-sV",
      "-T4",
      "-p",
      `T:${ports("tcp").join(",")},U:${ports("udp").join(",")}`,
      rl.v4,
    ];
    const kadmind = up("kadmind") ? ["749/tcp"] : [];
    const watched = [...RPC_PORTS, ...kadmind];
    const dir = await Deno.makeTempDir({ prefix: "ph-svrpc-" });
    await Deno.chmod(dir, 0o777);
    const timed = async (
      what: string,
      fn: (xmlArgs: string[]) => Promise<{ code: number; stdout: string }>,
    ) => {
      const xmlFile = `${dir}/${what.replace(/\W+/g, "_")}.xml`;
      const t0 = performance.now();
      const r = await fn([...args.slice(0, -1), "-oX", xmlFile, rl.v4]);
      assert.equal(r.code, 0, `${what}: ${r.stdout}`);
      console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const services = xmlServices(await Deno.readTextFile(xmlFile));
      const xml = RPC_PORTS.map((k) => `${k} ${services.get(k) ?? "missing"}`);
      return { ...report(r.stdout, rl.v4, watched), xml };
    };

    const withData = await timed("porthole -sV (nmap's data)", (a) => rl.lab.porthole(a));
    const own = await timed("porthole -sV (own data)", (a) => portholeWithoutNmap(rl.lab, a));
    const KADMIND_ROW = /^749\/tcp open kerberos-adm \d+(?:-\d+)? \(RPC #2112\)$/;
    for (const r of [withData, own]) {
      assert.deepEqual(r.rows.slice(0, RPC_PORTS.length), NMAP_RPC_ROWS);
      // kadmind named from the built-in programs (its versions are its own to say), in the
      // first run: one connection at a time and a listen queue of 2 no longer lose its answer.
      for (const row of r.rows.slice(RPC_PORTS.length)) assert.match(row, KADMIND_ROW);
    }

    await oracleStep(t, "nmap", async () => {
      const theirs = await timed("nmap -sV", (a) => rl.lab.nmap(a, { timeoutMs: 900_000 }));
      assert.deepEqual(theirs.rows.slice(0, RPC_PORTS.length), NMAP_RPC_ROWS);
      for (const row of theirs.rows.slice(RPC_PORTS.length)) {
        assert.equal(row, "749/tcp open rpcbind");
      }
      assert.ok(theirs.serviceInfo, "nmap printed no Service Info line");
      assert.equal(withData.serviceInfo, theirs.serviceInfo);
      assert.equal(own.serviceInfo, theirs.serviceInfo);
      // The XML's <service> of the RPC ports too (nmap 7.93 has no rpcnum/lowver attributes: its
      // RPC names come from scripts, as version, extrainfo and a probed method).
      assert.deepEqual(withData.xml, theirs.xml);
      assert.deepEqual(own.xml, theirs.xml);
    }, "nmap 7.93 gives the same RPC rows and Service Info line");
    await Deno.remove(dir, { recursive: true });
  },
});
