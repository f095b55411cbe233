/**
 * Probes larger than the interface's MTU (issue 15), on the lab's policies scenario (eth0, MTU
 * 1500): refused before any packet with one message naming the option, the probe size and the
 * MTU, exit 1; the largest payload that fits still scans, and -f/--mtu fragments scan what does
 * not. nmap 7.93 instead tries each probe, prints "sendto … Message too long" for every one and
 * reports the ports open|filtered (UDP) or filtered (SYN) with exit 0. Lab tag: `mtu`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { parseNmapNormal, stateMap } from "./lab/nmap_table.ts";
import { captureIn } from "./lab/tcpdump.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

/** The fatal message: the line before "QUITTING!". */
function fatalLine(stderr: string): string | undefined {
  const lines = stderr.trimEnd().split("\n");
  return lines.at(-1) === "QUITTING!" ? lines.at(-2) : undefined;
}

Deno.test({
  name: "lab: probes beyond the MTU are refused before any packet; -f/--mtu scans them",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "mtu", scenario: "policies" });
    const target = lab.target.v4;
    const fromUs = `ip and src host ${lab.scanner.v4}`;
    const payload = "--data/--data-string/--data-length payload";
    const refusals: { args: string[]; message: string }[] = [
      {
        args: ["-Pn", "-sU", "--data-length", "3000", "-p", "1002,1004"],
        message: `-sU probes with the 3000-byte ${payload} are 3028 bytes, more than eth0's MTU ` +
          "of 1500: use --data-length 1472 or less, or fragment them with -f or --mtu.",
      },
      {
        args: ["-Pn", "-sS", "--data-length", "1457", "-p", "1004,1005"],
        message: `-sS probes with the 1457-byte ${payload} are 1501 bytes, more than eth0's MTU ` +
          "of 1500: use --data-length 1456 or less, or fragment them with -f or --mtu.",
      },
      {
        // nmap's default pings include a SYN to 443 (24 bytes of TCP with its MSS option).
        args: ["-sn", "--data-length", "1472"],
        message: `Host discovery's -PS probes with the 1472-byte ${payload} are 1516 bytes, more ` +
          "than eth0's MTU of 1500: use --data-length 1456 or less, or fragment them with -f or " +
          "--mtu, or skip host discovery with -Pn.",
      },
      {
        args: ["-Pn", "-sU", "--data-length", "3000", "--mtu", "1488", "-p", "1002"],
        message: "-f/--mtu 1488: fragments of 1508 bytes do not fit eth0's MTU of 1500; use " +
          "--mtu 1480 or less.",
      },
    ];
    for (const c of refusals) {
      let p = { code: -1, stdout: "", stderr: "" };
      const seen = await captureIn(lab.target.ns, fromUs, async () => {
        p = await lab.porthole(["-n", ...c.args, target]);
      });
      const what = c.args.join(" ");
      assert.equal(p.code, 1, `${what}: ${p.stderr}`);
      assert.equal(fatalLine(p.stderr), c.message, what);
      assert.doesNotMatch(p.stderr, /Message too long/, what);
      assert.deepEqual(seen, [], `${what}: nothing may leave`);
      assert.doesNotMatch(p.stdout, /scan report/, what);
    }

    // What fits still scans, and fragments carry what does not: nmap's port table each time.
    const scans = [
      ["-sS", "--data-length", "1456", "-p", "1004,1005"], // 20 + 24 + 1456: exactly 1500
      ["-sS", "--data-length", "3000", "-f", "-p", "1004,1005"],
      ["-sU", "--data-length", "3000", "--mtu", "1480", "-p", "1002,1005"],
    ];
    for (const args of scans) {
      const what = args.join(" ");
      const all = ["-n", "-Pn", ...args, target];
      const n = await lab.nmap(all);
      let p = { code: -1, stdout: "", stderr: "" };
      // The target sees these probes: its silence for the refusals above means something.
      const seen = await captureIn(lab.target.ns, fromUs, async () => {
        p = await lab.porthole(all);
      });
      assert(seen.length > 0, `${what}: no probe seen`);
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      assert.doesNotMatch(p.stderr, /Message too long/, what);
      const [nt] = parseNmapNormal(n.stdout);
      const [pt] = parseNmapNormal(p.stdout);
      assert(nt && pt, `${what}: no host table\n${p.stdout}\nnmap:\n${n.stdout}`);
      assert.deepEqual(stateMap(pt), stateMap(nt), `${what}\n${p.stdout}\nnmap:\n${n.stdout}`);
    }
  },
});
