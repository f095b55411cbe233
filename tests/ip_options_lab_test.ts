/**
 * --ip-options against nmap 7.93 in the lab (issue 20): record route, timestamps (T, U), a loose
 * source route and hex bytes, on SYN and UDP scans and on ping probes. Both scanners run the same command
 * with --packet-trace; tcpdump in the target's namespace must see the same options arrive from
 * both (the router on the way records into them as it does into nmap's), the SENT/RCVD lines must
 * agree once what differs by nature is normalised (times, IP IDs, sequence numbers, TTLs, our
 * source port, recorded timestamps), the start-up lines ("Binary/Parsed ip options to be send")
 * must be nmap's, and so must the port tables. Lab tag: `ipo`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { parseNmapNormal, stateMap } from "./lab/nmap_table.ts";
import { captureIn } from "./lab/tcpdump.ts";
import { traceLines as trace } from "./lab/trace_lines.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

/** Recorded timestamps (milliseconds since midnight) differ from run to run. */
const stamps = (s: string) => s.replace(/\b\d{4,}\b/g, "N");

/** The trace lines of `stdout`, normalised (our port and TTL too), each once, sorted. */
function traceLines(stdout: string): string[] {
  return [...new Set(trace(stdout, { port: false, ttl: false }).map(stamps))].sort();
}

/** What nmap prints before "Starting": the option bytes and their reading. */
const startup = (stdout: string) => stdout.slice(0, Math.max(0, stdout.indexOf("Starting ")));

/** The IP options of each probe as the target's tcpdump -v shows them, each once. */
function arrived(lines: string[]): string[] {
  const opts = lines.map((l) => /options \((.*)\)\)$/.exec(l)?.[1]).filter((o) => o !== undefined);
  return [...new Set(opts.map((o) => stamps(o!)))].sort();
}

const PORTS = "1000,1001,1004";

Deno.test({
  name: "lab: --ip-options shape probes as nmap 7.93's, on the wire, in the trace and the table",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "ipo", scenario: "policies" });
    const target = lab.target.v4;
    const cases: { options: string; args: string[]; arrives: boolean; ports?: string }[] = [
      { options: "R", args: ["-sS"], arrives: true },
      { options: "T", args: ["-sS"], arrives: true },
      { options: "U", args: ["-sS"], arrives: true },
      { options: "\\x01*3\\x00", args: ["-sS"], arrives: true },
      // A source route through the target itself: the router forwards or drops it as nmap's.
      { options: `L ${target}`, args: ["-sS"], arrives: false },
      { options: "T", args: ["-sU"], arrives: true, ports: "1000,1002" },
      { options: "R", args: ["-sn", "-PE", "-PS1004"], arrives: true },
    ];
    for (const c of cases) {
      const ping = c.args[0] === "-sn";
      const args = [
        "--packet-trace",
        "-n",
        "--ip-options",
        c.options,
        ...c.args,
        ...(ping ? [] : ["-Pn", "-p", c.ports ?? PORTS]),
        target,
      ];
      const what = `--ip-options ${c.options} ${c.args.join(" ")}`;
      // One after the other, each watched from the target.
      let n = { code: -1, stdout: "", stderr: "" };
      let p = { code: -1, stdout: "", stderr: "" };
      const nSeen = await captureIn(lab.target.ns, "ip", async () => {
        n = await lab.nmap(args);
      }, true);
      const pSeen = await captureIn(lab.target.ns, "ip", async () => {
        p = await lab.porthole(args);
      }, true);
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      assert.equal(n.code, 0, `${what}: ${n.stderr}`);
      const trace = `${what}:\n${p.stdout}\nnmap:\n${n.stdout}`;
      assert.equal(startup(p.stdout), startup(n.stdout), trace);
      assert(startup(n.stdout).includes("Parsed ip options to be send:"), trace);

      const want = arrived(nSeen), got = arrived(pSeen);
      if (c.arrives) assert(want.length > 0, `${what}: nmap's options never arrived`);
      assert.deepEqual(got, want, `${what}: at the target\n${pSeen.join("\n")}`);

      const keep = (l: string) => / (TCP|UDP|ICMP) /.test(l);
      const wantTrace = traceLines(n.stdout).filter(keep);
      const gotTrace = traceLines(p.stdout).filter(keep);
      assert(wantTrace.some((l) => l.startsWith("SENT") && l.includes("ipopts={")), trace);
      if (ping) {
        // The first answer settles the host: nmap stops listening there, Porthole a moment later.
        const sent = (l: string[]) => l.filter((x) => x.startsWith("SENT"));
        assert.deepEqual(sent(gotTrace), sent(wantTrace), trace);
        assert.equal(/Host is up/.test(p.stdout), /Host is up/.test(n.stdout), trace);
        continue;
      }
      assert.deepEqual(gotTrace, wantTrace, trace);
      const [nt] = parseNmapNormal(n.stdout);
      const [pt] = parseNmapNormal(p.stdout);
      assert(nt && pt, `${what}: no host table`);
      assert.deepEqual(stateMap(pt), stateMap(nt), what);
    }
    // IPv6 probes carry no IPv4 options: nmap sends them bare and so does Porthole.
    const v6 = ["--packet-trace", "-n", "-6", "--ip-options", "R", "-sS", "-Pn", "-p", PORTS];
    const [n6, p6] = [
      await lab.nmap([...v6, lab.target.v6]),
      await lab.porthole([...v6, lab.target.v6]),
    ];
    assert.equal(p6.code, 0, p6.stderr);
    assert(!/ipopts/.test(traceLines(p6.stdout).join("\n")), p6.stdout);
    assert.deepEqual(
      stateMap(parseNmapNormal(p6.stdout)[0]!),
      stateMap(parseNmapNormal(n6.stdout)[0]!),
    );
  },
});
