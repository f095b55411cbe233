/**
 * nmap's packet-shaping options against nmap 7.93 in the lab (issue 20): -g/--source-port, --ttl,
 * --data, --data-string, --data-length, --badsum, -D decoys (ME, RND:n) and -f/--mtu, on SYN, ACK
 * and UDP scans and on host discovery pings. Both scanners run the same command with
 * --packet-trace; the SENT/RCVD lines must agree on what the options shape (source addresses and
 * ports, TTL, IP length) once what differs by nature (times, IP IDs, sequence numbers, and our
 * source port when -g is not given) is normalised, fragments must reach the target (tcpdump in its
 * namespace), and the port tables must be nmap's. A connect scan gives nmap's warning. Lab tag:
 * `evsh`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { parseNmapNormal, stateMap } from "./lab/nmap_table.ts";
import { captureIn } from "./lab/tcpdump.ts";
import { type Keep, traceLines } from "./lab/trace_lines.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

const PORTS = "1000,1001,1004,1005";

Deno.test({
  name: "lab: -g, --ttl, --data*, --badsum, -D and -f shape probes as nmap 7.93's, with its table",
  ignore: unavailable !== null || nmapMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "evsh", scenario: "policies" });
    const target = lab.target.v4;
    const decoy = (n: number) => lab.scanner.v4.replace(/\.\d+$/, `.${n}`);
    const cases: {
      args: string[];
      keep: Keep;
      ports?: string;
      ping?: boolean;
      /** -f/--mtu: a fragment the target must see (tcpdump -v in its namespace). */
      fragments?: RegExp;
      check: (sent: string[]) => void;
    }[] = [
      {
        args: ["-sS", "-g", "5353", "--ttl", "33"],
        keep: { port: true, ttl: true },
        check: (sent) => {
          for (const l of sent) {
            assert.match(l, new RegExp(`${lab.scanner.v4.replaceAll(".", "\\.")}:5353 > `), l);
            assert.match(l, / ttl=33 .*iplen=44 /, l); // 20 IP + 24 TCP (MSS)
          }
        },
      },
      {
        // Not with -g: nmap 7.93 then fails to match the RSTs of closed ports (they acknowledge
        // the payload too) and calls those ports filtered; Porthole reports them closed.
        args: ["-sS", "--data-string", "porthole"],
        keep: { port: false, ttl: false },
        check: (sent) => sent.forEach((l) => assert.match(l, / iplen=52 /, l)), // + 8
      },
      {
        args: ["-sA", "-g", "53", "--data", "0xdeadbeef"],
        keep: { port: true, ttl: false },
        check: (sent) => sent.forEach((l) => assert.match(l, /:53 > .* iplen=44 /, l)),
      },
      {
        args: ["-sS", "--data-length", "20"],
        keep: { port: false, ttl: false },
        check: (sent) => sent.forEach((l) => assert.match(l, / iplen=64 /, l)),
      },
      {
        args: ["-sS", "--badsum"],
        keep: { port: false, ttl: false },
        check: (sent) => assert(sent.length >= 4),
      },
      {
        args: ["-sU", "-g", "5353", "--ttl", "33", "--data-string", "porthole"],
        keep: { port: true, ttl: true },
        ports: "1000,1002,1004,1005",
        check: (sent) => {
          for (const l of sent) assert.match(l, /:5353 > .* ttl=33 .*iplen=36/, l); // 20 + 8 + 8
        },
      },
      {
        args: ["-sS", "-D", `${decoy(77)},ME,${decoy(78)}`],
        keep: { port: false, ttl: false },
        check: (sent) => {
          for (const a of [decoy(77), decoy(78), lab.scanner.v4]) {
            for (const port of PORTS.split(",")) {
              assert(
                sent.some((l) => l.includes(` ${a}:P > ${target}:${port} S `)),
                `${a} ${port}`,
              );
            }
          }
        },
      },
      {
        args: ["-sU", "-D", `ME,${decoy(79)}`],
        keep: { port: false, ttl: false },
        ports: "1002,1004",
        check: (sent) => {
          for (const a of [decoy(79), lab.scanner.v4]) {
            assert(sent.some((l) => l.includes(` ${a}:P > ${target}:1002 `)), a);
          }
        },
      },
      {
        // Host discovery's TCP and UDP pings are shaped too.
        args: ["-sn", "-PS1004", "-PA1001", "-PU1002", "-g", "5353", "--ttl", "33"].concat(
          ["--data-string", "abc", "-D", `${decoy(80)},ME`],
        ),
        keep: { port: true, ttl: true },
        ping: true,
        check: (sent) => {
          assert(sent.length >= 6, sent.join("\n"));
          for (const l of sent) assert.match(l, /:5353 > .* ttl=33 /, l);
          assert(sent.some((l) => l.includes(` ${decoy(80)}:5353 > ${target}:1004 S `)));
        },
      },
      {
        args: ["-sS", "-f"],
        keep: { port: false, ttl: false },
        // nmap's trace shows each probe whole; the target sees its fragments (below).
        fragments: /, offset 8, flags \[\+\], proto TCP/,
        check: (sent) => assert(sent.length >= 4),
      },
      {
        args: ["-sU", "--mtu", "16", "--data-length", "20"],
        keep: { port: false, ttl: false },
        ports: "1002,1004",
        fragments: /, offset 16, flags \[none\], proto UDP/, // 8 + 20 bytes: 16, then 12
        check: (sent) => assert(sent.length >= 2),
      },
      {
        args: ["-sU", "--badsum"],
        keep: { port: false, ttl: false },
        ports: "1002,1004",
        check: (sent) => assert(sent.length >= 2),
      },
    ];
    for (const c of cases) {
      const args = c.ping
        ? ["--packet-trace", "-n", ...c.args, target]
        : ["--packet-trace", "-n", "-Pn", ...c.args, "-p", c.ports ?? PORTS, target];
      const what = c.args.join(" ");
      // One after the other: two scanners on one link would see each other's replies.
      const n = await lab.nmap(args);
      let p = { code: -1, stdout: "", stderr: "" };
      const seen = await captureIn(lab.target.ns, "ip", async () => {
        p = await lab.porthole(args);
      }, true);
      if (c.fragments) {
        assert(seen.some((l) => c.fragments!.test(l)), `${what}:\n${seen.join("\n")}`);
      }
      assert.equal(p.code, 0, `${what}: ${p.stderr}`);
      const want = traceLines(n.stdout, c.keep).filter((l) => / (TCP|UDP) /.test(l));
      const got = traceLines(p.stdout, c.keep).filter((l) => / (TCP|UDP) /.test(l));
      c.check(got.filter((l) => l.startsWith("SENT")));
      const trace = `${what}:\n${p.stdout}\nnmap:\n${n.stdout}`;
      if (c.ping) {
        // The first answer settles the host: nmap stops listening there, Porthole a moment later.
        const sent = (l: string[]) => l.filter((x) => x.startsWith("SENT"));
        assert.deepEqual(sent(got), sent(want), trace);
        for (const l of want) assert(got.includes(l), `${l}\n${trace}`);
      } else assert.deepEqual(got, want, trace);
      const [nt] = parseNmapNormal(n.stdout);
      const [pt] = parseNmapNormal(p.stdout);
      assert(nt && pt, `${what}: no host table`);
      assert.equal(pt.up, nt.up, what);
      assert.deepEqual(stateMap(pt), stateMap(nt), what);
      assert.equal(pt.notShown, nt.notShown, what);
    }
    // -D RND:2: every probe leaves from us and from two random addresses, the same two for every
    // port, none in a range nmap's ip_is_reserved() keeps decoys out of. Random on both sides:
    // compared by shape, and the tables equal.
    const rnd = ["--packet-trace", "-n", "-Pn", "-sS", "-D", "RND:2", "-p", PORTS, target];
    const [nr, pr] = [await lab.nmap(rnd), await lab.porthole(rnd)];
    assert.equal(pr.code, 0, pr.stderr);
    for (const [tool, out] of [["nmap", nr.stdout], ["porthole", pr.stdout]]) {
      const senders = new Map<string, Set<string>>();
      for (const m of out!.matchAll(/^SENT \(\S+\) TCP ([\d.]+):\d+ > [\d.]+:(\d+) S /gm)) {
        senders.set(m[2]!, (senders.get(m[2]!) ?? new Set()).add(m[1]!));
      }
      assert.deepEqual([...senders.keys()].sort(), PORTS.split(",").sort(), `${tool}:\n${out}`);
      const decoys = [...senders.get("1000")!].filter((a) => a !== lab.scanner.v4);
      assert.equal(decoys.length, 2, `${tool}: ${decoys}`);
      for (const from of senders.values()) {
        assert.deepEqual([...from].sort(), [...decoys, lab.scanner.v4].sort(), tool);
      }
      for (const a of decoys) {
        const [x, y] = a.split(".").map(Number) as [number, number];
        const reserved = x === 0 || x === 10 || x === 127 || x >= 224 ||
          x === 100 && y >= 64 && y < 128 || x === 169 && y === 254 ||
          x === 172 && y >= 16 && y < 32 || x === 192 && y === 168 ||
          x === 198 && y >= 18 && y < 20;
        assert.ok(!reserved, `${tool}: decoy ${a} is reserved`);
      }
    }
    assert.deepEqual(
      stateMap(parseNmapNormal(pr.stdout)[0]!),
      stateMap(parseNmapNormal(nr.stdout)[0]!),
    );
    // A connect scan cannot shape its packets: nmap's warning, on stderr.
    const connect = ["-n", "-Pn", "-sT", "--ttl", "5", "-p", "1004", target];
    const [nc, pc] = [await lab.nmap(connect), await lab.porthole(connect)];
    const warning = "You have specified some options that require raw socket access.\n" +
      "These options will not be honored for TCP Connect scan.";
    assert(nc.stderr.includes(warning), nc.stderr);
    assert(pc.stderr.includes(warning), pc.stderr);
    assert.deepEqual(
      stateMap(parseNmapNormal(pc.stdout)[0]!),
      stateMap(parseNmapNormal(nc.stdout)[0]!),
    );
  },
});
