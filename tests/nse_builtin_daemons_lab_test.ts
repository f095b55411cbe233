/**
 * Porthole's built-in scripts against the real-daemons lab (every daemon of real_daemons.ts that
 * comes up: OpenSSH, Exim, Dovecot, vsftpd, Redis, memcached, nginx, Apache, BIND, chrony,
 * snmpd, MariaDB, rpcbind, nmbd…) with nmap's data directory hidden: each built-in script gives
 * output on every daemon port where nmap's script of the same id does, and the same output,
 * modulo values that change between two runs by nature (clocks, counters, CPU time, salts,
 * connection ids, hash order). With nmap's data in place, nmap's ntp-info (on nmap's lpeg,
 * which Porthole has) runs rather than the built-in one, and prints the same.
 */

import assert from "node:assert/strict";
import { labUnavailable } from "./lab/mod.ts";
import { type DaemonContext, DAEMONS, RealDaemonsLab } from "./lab/real_daemons.ts";
import { missingTools } from "./_oracle.ts";
import { haveNmapScripts, portholeWithoutNmap } from "./testing/nmap_hidden.ts";
import { nbstatMacFixed, scriptsByPort } from "./testing/script_output.ts";
import { byNature } from "./testing/by_nature.ts";
import { BUILTIN_SCRIPTS } from "../cli/scripts/_builtin_scripts.ts";

/**
 * The lab's daemons, MariaDB letting every host in: as the lab runs it for the fingerprint corpus
 * it refuses the scanner's host before any handshake, and mysql-info (nmap's and the built-in)
 * shows nothing there below -vv.
 */
const DAEMONS_HERE = DAEMONS.map((d) =>
  d.name === "mariadb"
    ? { ...d, argv: (c: DaemonContext) => [...d.argv(c), "--skip-grant-tables"] }
    : d
);

/**
 * "port/proto id" ("host id") → the shape of the script's structured output in an XML report:
 * the sorted, distinct paths of its keys ("100000/tcp/port"; "#" for an element without a key),
 * without values or order (nmap's tables iterate in hash order).
 */
export function xmlShapes(xml: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let port = "host";
  for (
    const t of xml.matchAll(
      /<port protocol="(\w+)" portid="(\d+)"|<hostscript>|<script id="([^"]+)"[^>]*?(\/>|>([^]*?)<\/script>)/g,
    )
  ) {
    if (t[1]) port = `${t[2]}/${t[1]}`;
    else if (t[0] === "<hostscript>") port = "host";
    else {
      const paths = new Set<string>();
      const stack: string[] = [];
      for (
        const e of (t[5] ?? "").matchAll(
          /<table(?: key="([^"]*)")?>|<\/table>|<elem(?: key="([^"]*)")?>/g,
        )
      ) {
        if (e[0] === "</table>") stack.pop();
        else if (e[0].startsWith("<table")) {
          stack.push(e[1] ?? "#");
          paths.add(stack.join("/"));
        } else paths.add([...stack, e[2] ?? "#"].join("/"));
      }
      m.set(`${port} ${t[3]}`, [...paths].sort());
    }
  }
  return m;
}

/** What two runs may differ in by nature; nbstat as nmap prints it since 7.95 (the built-in's). */
export function normalize(port: string, id: string, text: string): string {
  return id === "nbstat" ? nbstatMacFixed(text) : byNature(port, id, text);
}

Deno.test({
  name:
    "nse builtin daemons lab: each built-in script prints what nmap's does; nmap's ntp-info runs in Porthole as in nmap",
  ignore: !haveNmapScripts || missingTools("nmap", "unshare", "mount").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using rl = await RealDaemonsLab.up({
      tag: "nsbd",
      daemons: DAEMONS_HERE,
      timeoutMs: 300_000,
    });
    const lab = rl.lab;
    const portsOf = (proto: "tcp" | "udp") =>
      rl.started.flatMap((s) => s.daemon.ports.filter((p) => p.proto === proto)).map((p) => p.port);
    const tcp = portsOf("tcp"), udp = portsOf("udp");
    assert.ok(tcp.length >= 20, `too few daemons came up: ${JSON.stringify(rl.failed)}`);
    const up = (name: string) => rl.started.some((s) => s.daemon.name === name);
    {
      const ids = Object.keys(BUILTIN_SCRIPTS).filter((id) => !id.startsWith("ph_"));
      const norm = (m: Map<string, string>) =>
        Object.fromEntries(
          [...m].filter(([k]) => ids.includes(k.split(" ")[1]!))
            .map(([k, v]) => [k, normalize(k.split(" ")[0]!, k.split(" ")[1]!, v)])
            .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
        );
      // Each protocol's ports in one scan, every built-in id chosen by name, nmap's and Porthole's.
      // The keys nmap must have printed for the comparison to cover these scripts at all.
      const passes = [
        ["-sS", tcp, [
          up("mariadb") && "3306/tcp mysql-info",
          up("rpcbind") && "111/tcp rpcinfo",
          up("samba") && "host nbstat",
          up("openssh") && "22/tcp ssh-hostkey",
          up("nginx") && "80/tcp http-title",
        ]],
        ["-sU", udp, [
          up("rpcbind") && "111/udp rpcinfo",
          up("nmbd") && "host nbstat",
          up("bind") && "53/udp dns-nsid",
          up("snmpd") && "161/udp snmp-info",
        ]],
      ] as const;
      const dir = await Deno.makeTempDir({ prefix: "ph-nsbd-" });
      // The ids nmap printed somewhere here: each of them was compared.
      const compared = new Set<string>();
      try {
        for (const [scan, ports, musts] of passes) {
          const args = ["-Pn", scan, "--script", ids.join(","), "-p", ports.join(","), rl.v4];
          const theirs = await lab.nmap([...args, "-oX", `${dir}/n.xml`], { timeoutMs: 600_000 });
          assert.equal(theirs.code, 0, theirs.stderr);
          const ours = await portholeWithoutNmap(lab, [...args, "-oX", `${dir}/p.xml`], {
            timeoutMs: 600_000,
          });
          assert.equal(ours.code, 0, ours.stdout + ours.stderr);
          const expected = norm(scriptsByPort(theirs.stdout));
          const got = norm(scriptsByPort(ours.stdout));
          // Either tool now and then prints nothing for a script when many hit one port at once
          // on a busy machine (nmap on Dovecot's TLS ports, Porthole's banner on Murmur's): the
          // ports where the two differ are asked of both again, alone (up to twice: a loaded
          // machine can starve one alone run too), and those later answers are compared.
          const portOf = (k: string) => k.split(" ")[0]!;
          const differingNow = () => [
            ...new Set(
              [...Object.keys(expected), ...Object.keys(got)]
                .filter((k) => expected[k] !== got[k]).map(portOf).filter((p) => p !== "host"),
            ),
          ];
          const differing: string[] = [];
          for (let round = 0; round < 2; round++) {
            const now = differingNow();
            if (!now.length) break;
            differing.push(...now.filter((p) => !differing.includes(p)));
            const alone = [
              ...args.slice(0, -3),
              "-p",
              now.map((p) => p.split("/")[0]).join(","),
              rl.v4,
            ];
            const again = await lab.nmap(alone, { timeoutMs: 600_000 });
            assert.equal(again.code, 0, again.stderr);
            const oursAgain = await portholeWithoutNmap(lab, alone, { timeoutMs: 600_000 });
            assert.equal(oursAgain.code, 0, oursAgain.stdout + oursAgain.stderr);
            const retake = (into: Record<string, unknown>, stdout: string) => {
              for (const k of Object.keys(into)) if (now.includes(portOf(k))) delete into[k];
              for (const [k, v] of Object.entries(norm(scriptsByPort(stdout)))) {
                if (now.includes(portOf(k))) into[k] = v;
              }
            };
            retake(expected, again.stdout);
            retake(got, oursAgain.stdout);
          }
          for (const k of Object.keys(expected)) compared.add(k.split(" ")[1]!);
          for (const k of musts) {
            if (k) assert.ok(k in expected, `nmap printed no ${k}:\n${theirs.stdout}`);
          }
          assert.deepEqual(got, expected, ours.stdout);
          // The XML's structured output has nmap's shape: the same keys at the same places.
          const shapes = async (file: string) =>
            Object.fromEntries(
              [...xmlShapes(await Deno.readTextFile(file))].filter(([k]) =>
                ids.includes(k.split(" ")[1]!)
              ).sort((x, y) => (x[0] < y[0] ? -1 : 1)),
            );
          // (The ports asked again are compared on the first runs only where both printed.)
          const theirAll = await shapes(`${dir}/n.xml`), ourAll = await shapes(`${dir}/p.xml`);
          const both = (k: string) =>
            !differing.includes(portOf(k)) || (k in theirAll && k in ourAll);
          const theirShapes = Object.fromEntries(Object.entries(theirAll).filter(([k]) => both(k)));
          const ourShapes = Object.fromEntries(Object.entries(ourAll).filter(([k]) => both(k)));
          assert.deepEqual(ourShapes, theirShapes);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      // Every built-in id was compared with nmap's on some port: here, or where no daemon of this
      // lab makes nmap's script print anything, in its own lab test.
      const elsewhere: Record<string, string> = {
        "http-robots.txt": "nse_builtin_lab_test.ts (a web server with a robots.txt)",
        "tls-alpn": "nse_tls_lab_test.ts (nginx with HTTP/2; Dovecot offers no ALPN)",
      };
      assert.deepEqual(
        ids.filter((id) => !compared.has(id) && !(id in elsewhere)),
        [],
        `ids nmap printed here: ${[...compared].sort().join(", ")}`,
      );
      // With nmap's data in place: nmap's ntp-info loads in Porthole (its lpeg is there), so the
      // built-in one does not stand in for it.
      if (up("chrony")) {
        const args = ["-Pn", "-sU", "--script", "ntp-info", "-p", "123", rl.v4];
        const theirs = await lab.nmap(args, { timeoutMs: 300_000 });
        const ours = await lab.porthole(["-v", ...args], { timeoutMs: 300_000 });
        assert.equal(ours.code, 0, ours.stdout + ours.stderr);
        assert.doesNotMatch(ours.stdout + ours.stderr, /nmap's ntp-info\.nse cannot load here/);
        const expected = norm(scriptsByPort(theirs.stdout));
        assert.ok("123/udp ntp-info" in expected, theirs.stdout);
        assert.deepEqual(norm(scriptsByPort(ours.stdout)), expected, ours.stdout);
      }
    }
  },
});
