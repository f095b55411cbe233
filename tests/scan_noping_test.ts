/**
 * -Pn without a raw scan sends nothing before the scan: nmap looks up routes and ARPs its targets
 * only when the run sends raw packets (NmapOps::RawScan()), so `-sn -Pn` reports every target up,
 * answering or not, and `-Pn -sT` as root connects without an ARP ping first.
 */

import assert from "node:assert/strict";
import { labTest, normalise, ok, oracleStep, parseNmapNormal, withLab } from "./scan_lab.ts";

Deno.test(
  labTest("scan: -sn -Pn and -Pn -sT take every target as up, as nmap does", async (t) => {
    await withLab({ tag: "snopn", scenario: "many-hosts" }, async (lab) => {
      const dark = lab.targets.find((h) => h.spec.dark)!;
      const lit = lab.targets.find((h) => !h.spec.dark)!;
      // An address of the segment that nothing holds: no ARP answer would ever come.
      const nobody = lab.scanner.v4.replace(/\.\d+$/, ".250");
      const cases = [
        ["-sn", "-Pn", "-n", lit.v4, dark.v4, nobody],
        ["-Pn", "-sT", "-n", "-p", "22,80", lit.v4, dark.v4, nobody],
      ];
      for (const args of cases) {
        await t.step(args.join(" "), async (t) => {
          const out = ok(await lab.porthole(args), "porthole");
          const hosts = parseNmapNormal(out);
          assert.deepEqual(hosts.map((h) => h.address), [lit.v4, dark.v4, nobody], out);
          assert.ok(hosts.every((h) => h.up), out);
          assert.match(out, /\(3 hosts up\)/);
          // -Pn -sT: the answering host's latency is its connects' (nmap's -sT reports one).
          const lat = new RegExp(`for ${lit.v4.replaceAll(".", "\\.")}\nHost is up \\(`);
          assert.equal(lat.test(out), args.includes("-sT"), out);
          await oracleStep(t, "nmap", async () => {
            // Whether a connect to a host that never answers ARP fails (EHOSTUNREACH, which
            // nmap times as a latency) before the scan ends is the kernel's timing, run by run.
            const same = (s: string) =>
              normalise(s).replace(/^Host is up \(Xs latency\)\.$/gm, "Host is up.");
            assert.equal(same(out), same(ok(await lab.nmap(args), "nmap")));
          });
        });
      }
    });
  }),
);
