/**
 * --packet-trace against nmap 7.93 in the lab (issue 20): the SENT/RCVD lines of ARP, neighbour
 * discovery, SYN and UDP scans and the CONN lines of a connect scan have nmap's shape; what
 * differs by nature (times, our source ports, TTLs, IP IDs, sequence numbers, flow labels) is
 * normalised, and the lines are compared as sets (replies race each other, and a late reply means a retransmission). Lab tag: `optr`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

/** The trace lines of `stdout`, normalised, each once (a retransmission, nmap's second ARP
 * request when the first reply is late, repeats a line), sorted. */
function traceLines(stdout: string, scanner: string[]): string[] {
  return [...new Set(traceLinesAll(stdout, scanner))].sort();
}

function traceLinesAll(stdout: string, scanner: string[]): string[] {
  return stdout.split("\n").filter((l) => /^(SENT|RCVD|CONN) \(/.test(l)).map((l) => {
    let s = l.replace(/^(\w+) \(\d+\.\d{4}s\)/, "$1 (T)")
      .replace(/\b(ttl|hopl|id|seq)=\d+/g, "$1=N")
      .replace(/\bflow=[0-9a-f]+/g, "flow=F");
    for (const a of scanner) {
      s = s.replaceAll(new RegExp(`${a.replaceAll(".", "\\.")}:\\d+`, "g"), `${a}:P`);
    }
    return s;
  });
}

Deno.test({
  name: "lab: --packet-trace lines have nmap 7.93's shape (ARP, ND, SYN, UDP, ICMP, CONN)",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "optr", scenario: "many-hosts" });
    const scanner = [lab.scanner.v4, lab.scanner.v6];
    const cases: string[][] = [
      ["-sS", "-p", "22,23", "web.lab"],
      ["-sT", "-p", "22,23", "web.lab"],
      ["-sU", "-p", "54", "mail.lab"],
      ["-6", "-sS", "-p", "22", "web.lab"],
    ];
    for (const c of cases) {
      const args = ["--packet-trace", "-n", ...c];
      // One after the other: two scanners on one link would see each other's replies.
      const n = await lab.nmap(args);
      const p = await lab.porthole(args);
      const what = args.join(" ");
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      // nmap's port scan opens a second capture that sees the neighbour advertisement its
      // discovery already reported: that repeat (a plain ICMPv6 type 136 line) is not ours.
      const want = traceLines(n.stdout, scanner).filter((l) =>
        !/^RCVD \(T\) ICMPv6 \(58\) .*\(type=136\/code=0\)/.test(l)
      );
      assert(want.length >= 3, `${what}: nmap traced nothing:\n${n.stdout}`);
      assert.deepEqual(traceLines(p.stdout, scanner), want, `${what}:\n${p.stdout}`);
    }
    // Without the option: no trace.
    const quiet = await lab.porthole(["-sS", "-n", "-p", "22", "web.lab"]);
    assert.deepEqual(traceLines(quiet.stdout, scanner), []);
  },
});

Deno.test({
  name: "lab: -d/-dd add nmap's timing report, final times and raw packet count",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "optr", scenario: "many-hosts" });
    const report = (s: string) => /^-+ Timing report -+\n(?: {2}.*\n)+-+$/m.exec(s)?.[0];
    const cases: string[][] = [
      ["-d", "-sS", "-p", "1-2000", "web.lab"],
      ["-dd", "-sS", "-T4", "--max-retries", "3", "--min-rate", "12.5", "-p", "22", "web.lab"],
      ["-d", "--min-hostgroup", "4", "--scan-delay", "20ms", "-sS", "-p", "22", "web.lab"],
    ];
    for (const args of cases) {
      const n = await lab.nmap(args);
      const p = await lab.porthole(args);
      const what = args.join(" ");
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      assert.ok(report(n.stdout), `${what}: nmap printed no timing report`);
      assert.equal(report(p.stdout), report(n.stdout), what);
      for (const out of [n.stdout, p.stdout]) {
        assert.match(out, /^Final times for host: srtt: \d+ rttvar: \d+ {2}to: \d+$/m, what);
        assert.match(out, /^ {11}Raw packets sent: \d+ \(\d+(\.\d{3}K)?B\) \| Rcvd: \d+ \(/m, what);
      }
    }
  },
});
