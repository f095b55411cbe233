/**
 * Scripts that change what the report says about ports and hosts, on the real-daemons lab's
 * rpcbind, rpc.statd and Samba nmbd, nmap 7.93 against Porthole with nmap's scripts and with
 * its built-in ones (nmap's data hidden):
 *
 * - rpcinfo names the RPC ports the portmapper maps ("status 1 (RPC #100024)"), under `-sV -sC`
 *   and under `--script rpcinfo` alone (the port table's SERVICE and VERSION columns, the XML's
 *   <service> elements);
 * - nbstat's NetBIOS MAC and its vendor (nmapdb.mac2corp for the built-in one).
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { haveNmapScripts, portholeWithoutNmap } from "./testing/nmap_hidden.ts";
import { nbstatMacFixed, scriptsByPort } from "./testing/script_output.ts";
import { xmlServices } from "./testing/xml_services.ts";

/** The port table's rows ("32765/tcp open status 1 (RPC #100024)"), as printed. */
const portRows = (out: string) => out.split("\n").filter((l) => /^\d+\/(tcp|udp)\s/.test(l));

Deno.test({
  name:
    "nse port services lab: rpcinfo names the RPC ports and nbstat shows the MAC, as nmap's (nmap's scripts and the built-in ones)",
  ignore: !haveNmapScripts || missingTools("nmap", "unshare", "mount").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using rl = await RealDaemonsLab.up({
      tag: "nsps",
      daemons: DAEMONS.filter((d) => ["rpcbind", "rpc.statd", "nmbd"].includes(d.name)),
      timeoutMs: 120_000,
    });
    assert.deepEqual(rl.failed, []);
    const lab = rl.lab;
    // nmbd registers the workgroup's master-browser name (<1d>) once it wins the browser
    // election, some seconds after it starts: until then two runs may list different names.
    for (const end = Date.now() + 90_000; Date.now() < end;) {
      const r = await lab.nmap(["-Pn", "-sU", "-p137", "--script", "nbstat", "-v", rl.v4]);
      if (/<1d>/.test(r.stdout)) break;
      await new Promise((ok) => setTimeout(ok, 3000));
    }
    const dir = await Deno.makeTempDir({ prefix: "ph-nsps-" });
    try {
      const runs = [
        ["-sV", "-sC", "-p", "111,32765,32766"],
        ["-sS", "-sU", "--script", "rpcinfo,nbstat", "-p", "T:111,32765,U:111,137,32765"],
      ];
      for (const run of runs) {
        const args = ["-Pn", ...run, rl.v4];
        const theirs = await lab.nmap([...args, "-oX", `${dir}/n.xml`], { timeoutMs: 300_000 });
        assert.equal(theirs.code, 0, theirs.stderr);
        const ours = await lab.porthole([...args, "-oX", `${dir}/p.xml`], { timeoutMs: 300_000 });
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        const bare = await portholeWithoutNmap(lab, [...args, "-oX", `${dir}/b.xml`]);
        assert.equal(bare.code, 0, bare.stdout + bare.stderr);
        const rows = portRows(theirs.stdout);
        // The RPC ports carry the program's name, version and number.
        assert.ok(rows.some((r) => /^32765\/tcp\s+open\s+status\b/.test(r)), theirs.stdout);
        const services = xmlServices(await Deno.readTextFile(`${dir}/n.xml`));
        assert.match(
          services.get("32765/tcp") ?? "",
          /name="status" version="1" extrainfo="RPC #100024"/,
        );
        for (
          const [who, r, xml] of [["nmap's scripts", ours, "p"], ["built-in", bare, "b"]] as const
        ) {
          const what = `${args.join(" ")}, Porthole with ${who}`;
          assert.deepEqual(portRows(r.stdout), rows, `${what}:\n${r.stdout}`);
          assert.deepEqual(
            xmlServices(await Deno.readTextFile(`${dir}/${xml}.xml`)),
            services,
            what,
          );
        }
        // The scripts' output itself: the same (nbstat: nmap's 7.93 MAC text, fixed).
        const scripts = (out: string) =>
          Object.fromEntries([...scriptsByPort(out)].map(([k, v]) => [k, nbstatMacFixed(v)]));
        const expected = scripts(theirs.stdout);
        if (run.includes("rpcinfo,nbstat")) {
          assert.equal(
            expected["host nbstat"],
            "NetBIOS name: REAL, NetBIOS user: <unknown>, NetBIOS MAC: <unknown> (unknown)",
          );
          // nmap's own nbstat in Porthole prints what nmap prints, 7.93's MAC text included.
          assert.equal(
            scriptsByPort(ours.stdout).get("host nbstat"),
            scriptsByPort(theirs.stdout).get("host nbstat"),
          );
        }
        assert.deepEqual(scripts(ours.stdout), expected, ours.stdout);
        assert.deepEqual(scripts(bare.stdout), expected, bare.stdout);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
