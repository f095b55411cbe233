/**
 * --spoof-mac against nmap 7.93 in the lab (issue 20): the "Spoofing MAC address" line, frames
 * that reach the target from the spoofed address only (tcpdump in the target's namespace), and
 * nmap's port table. Lab tag: `evsm`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { parseNmapNormal, stateMap } from "./lab/nmap_table.ts";
import { captureIn } from "./lab/tcpdump.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;
const tcpdumpMissing = (await run(["tcpdump", "--version"])).code !== 0;

const spoofLine = (s: string) => /^Spoofing MAC address .*$/m.exec(s)?.[0];

Deno.test({
  name: "lab: --spoof-mac sends from the given MAC (seen by the target) with nmap's line and table",
  ignore: unavailable !== null || nmapMissing || tcpdumpMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "evsm", scenario: "many-hosts" });
    const web = lab.targets.find((t) => t.name === "web");
    assert(web, "the many-hosts scenario has a web host");
    const mac = "02:70:68:aa:bb:cc";
    const args = ["-n", "-sS", "-p", "22,23,80", "--spoof-mac", mac, web.v4];
    const n = await lab.nmap(args);
    let p = { code: -1, stdout: "", stderr: "" };
    const frames = await captureIn(web.ns, "tcp", async () => {
      p = await lab.porthole(args);
    });
    assert.equal(p.code, 0, p.stderr);
    assert.equal(
      spoofLine(p.stdout),
      "Spoofing MAC address 02:70:68:AA:BB:CC (No registered vendor)",
    );
    assert.equal(spoofLine(p.stdout), spoofLine(n.stdout));
    const [nt] = parseNmapNormal(n.stdout);
    const [pt] = parseNmapNormal(p.stdout);
    assert(nt && pt, `no host table:\n${p.stdout}\n${n.stdout}`);
    assert.deepEqual(stateMap(pt), stateMap(nt));
    // Every probe reached the target from the spoofed address.
    const probes = frames.filter((l) => l.includes(` > ${web.v4}.`));
    assert(probes.length >= 3, `the target saw ${probes.length} probes:\n${frames.join("\n")}`);
    for (const l of probes) assert(l.includes(`${mac} > `), l);

    // A vendor name: a prefix of that vendor's, the rest random, named as nmap names it.
    const v = ["-n", "-sS", "-p", "22", "--spoof-mac", "Apple", web.v4];
    const [nv, pv] = [await lab.nmap(v), await lab.porthole(v)];
    assert.equal(pv.code, 0, pv.stderr);
    const shape = /^Spoofing MAC address (?:[0-9A-F]{2}:){5}[0-9A-F]{2} \(Apple.*\)$/;
    assert.match(spoofLine(nv.stdout) ?? "", shape, nv.stdout);
    assert.match(spoofLine(pv.stdout) ?? "", shape, pv.stdout);
    assert.deepEqual(
      stateMap(parseNmapNormal(pv.stdout)[0]!),
      stateMap(parseNmapNormal(nv.stdout)[0]!),
    );
  },
});
