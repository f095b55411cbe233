/**
 * --traceroute on the multihop lab (scanner → r1 → r2 → r3 → target, r2 silent to
 * TTL-exceeded, r3 answering from its loopback address), nmap's answer as the expected one:
 * the TRACEROUTE section of normal output and the XML <trace> of each host equal nmap's for
 * the same command, RTT values normalised. Two targets behind the same routers show the shared
 * hops ("Hops 1-3 are the same as for …").
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, oracleStep, withLab } from "./scan_lab.ts";
import type { Lab } from "./lab/mod.ts";

/** Each host's TRACEROUTE section, RTTs as "X ms" and runs of spaces as one. */
function traceSections(report: string): string[] {
  const out: string[] = [];
  for (const block of report.split("\n\n")) {
    if (!block.startsWith("TRACEROUTE")) continue;
    out.push(
      block.split("\n").filter((l) => !/^(Nmap|Porthole) done/.test(l)).map((l) =>
        l.replace(/\d+\.\d\d ms/, "X ms").replace(/ +/g, " ")
      ).join("\n").trim(),
    );
  }
  return out;
}

/** Each host's <trace> element, rtt attributes as "X". */
function traceElements(xml: string): string[] {
  return [...xml.matchAll(/<trace[\s\S]*?<\/trace>/g)].map((m) =>
    m[0].replace(/rtt="[\d.]+"/g, 'rtt="X"')
  );
}

async function both(
  lab: Lab,
  args: string[],
): Promise<{ n: string; p: string; nx: string; px: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ph-trace-" });
  try {
    const n = ok(await lab.nmap([...args, "-oX", `${dir}/n.xml`], { timeoutMs: 120_000 }), "nmap");
    const p = ok(
      await lab.porthole([...args, "-oX", `${dir}/p.xml`], { timeoutMs: 120_000 }),
      "porthole",
    );
    return {
      n,
      p,
      nx: await Deno.readTextFile(`${dir}/n.xml`),
      px: await Deno.readTextFile(`${dir}/p.xml`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * -sS -p80,81 --traceroute of the multihop lab's two targets `a` and `b` (`family`: [] or
 * ["-6"]): TRACEROUTE and <trace> equal nmap's; `a`'s path is r1 (answering from `r1`), the
 * silent r2, r3 (from its other address `r3`), `a`; `b` shares hops 1-3.
 */
async function twoTargetsEqualNmap(
  lab: Lab,
  family: string[],
  a: string,
  b: string,
  r1: string,
  r3: string,
): Promise<void> {
  // 81 is closed: its reset beats 80's SYN-ACK in nmap's probe choice.
  const r = await both(lab, [...family, "-n", "-Pn", "-sS", "-p80,81", "--traceroute", a, b]);
  const ps = traceSections(r.p);
  assertEquals(ps, traceSections(r.n));
  assertEquals(
    ps[0],
    [
      "TRACEROUTE (using port 81/tcp)",
      "HOP RTT ADDRESS",
      `1 X ms ${r1}`,
      "2 ...",
      `3 X ms ${r3}`,
      `4 X ms ${a}`,
    ].join("\n"),
  );
  assert(ps[1]!.includes(`- Hops 1-3 are the same as for ${a}`), ps[1]);
  assertEquals(traceElements(r.px), traceElements(r.nx));
  assertEquals(traceElements(r.px).length, 2);
}

/**
 * -v -sS -p81 --traceroute of `targets` (`family`: [] or ["-6"]): the "Initiating/Completed"
 * lines (one Traceroute pair for the group) and the XML <taskbegin>/<taskend>s equal nmap's.
 */
async function verboseTasksEqualNmap(lab: Lab, family: string[], targets: string[]) {
  const r = await both(lab, [
    ...family,
    "-v",
    "-n",
    "-Pn",
    "-sS",
    "-p81",
    "--traceroute",
    ...targets,
  ]);
  const lines = (out: string) =>
    out.split("\n").filter((l) => /^(Initiating|Completed) /.test(l)).map((l) =>
      l.replace(/\d\d:\d\d/, "HH:MM").replace(/[\d.]+s elapsed/, "Xs elapsed")
    );
  const tasks = (xml: string) =>
    [...xml.matchAll(/<task(begin|end) task="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
  assert(lines(r.p).includes("Completed Traceroute at HH:MM, Xs elapsed"), r.p);
  assertEquals(lines(r.p), lines(r.n));
  assertEquals(tasks(r.px), tasks(r.nx));
  assertEquals(traceSections(r.p), traceSections(r.n));
}

/**
 * The --packet-trace lines of a report about the trace's probes and their answers, sorted, the
 * values that are random by nature (ports, ids, sequence numbers, windows, flow labels) as X:
 * probes with a TTL (hop limit) below 31 and the ICMP errors and target answers they draw.
 * Neighbour discovery's own packets come and go with the kernel's timers: left out.
 */
function tracePackets(report: string): string[] {
  return report.split("\n").filter((l) => /^(SENT|RCVD) /.test(l) && !/type=13[56]\//.test(l))
    .map((l) =>
      l.replace(/ \([\d.]+s\)/, "").replace(/:\d+ > /, ":X > ")
        .replace(/> ([\da-f.:]+):\d+ /, "> $1:X ")
        .replace(/\b(id|seq|win|ack|flow)=[\da-f]+/g, "$1=X")
    )
    .filter((l) => l.startsWith("RCVD") || /\b(ttl|hopl)=([1-9]|[12]\d|30) /.test(l))
    .sort();
}

/**
 * -v --packet-trace of a traced scan (`args`): the trace's probes and answers are shown as
 * nmap's are, and counted in "Raw packets sent: N (…B) | Rcvd: M (…B)" as nmap counts them
 * (IPv4: the line itself equal nmap's; IPv6 a neighbour solicitation may or may not arrive).
 */
async function packetTraceEqualNmap(lab: Lab, args: string[]) {
  const r = await both(lab, ["-v", "--packet-trace", "-n", "-Pn", "--traceroute", ...args]);
  const probes = tracePackets(r.p);
  assert(probes.filter((l) => l.startsWith("SENT")).length >= 4, r.p);
  assertEquals(probes, tracePackets(r.n));
  if (!args.includes("-6")) {
    const raw = (out: string) => out.match(/Raw packets sent: .*/)?.[0];
    assertEquals(raw(r.p), raw(r.n));
  }
}

Deno.test(
  labTest(
    "traceroute: hops, silent and other-address routers, shared hops equal nmap's",
    async (t) => {
      await withLab({ tag: "trace1", scenario: "multihop" }, async (lab) => {
        const a = lab.target.v4;
        const b = a.replace(/\.1$/, ".2");
        const net = a.split(".").slice(0, 2).join(".");

        await oracleStep(t, "nmap", async () => {
          await twoTargetsEqualNmap(lab, [], a, b, `${net}.0.2`, `${net}.30.3`);
        }, "two targets, -sS -p80,81: TRACEROUTE and <trace> equal nmap's");

        await oracleStep(t, "nmap", async () => {
          // One host per group: the hop cache outlives a group, as nmap's does.
          const r = await both(lab, [
            "-n",
            "-Pn",
            "-sS",
            "-p81",
            "--max-hostgroup",
            "1",
            "--traceroute",
            a,
            b,
          ]);
          const ps = traceSections(r.p);
          assertEquals(ps, traceSections(r.n));
          assert(ps[1]!.includes(`- Hops 1-3 are the same as for ${a}`), ps[1]);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "--max-hostgroup 1: hops shared across groups, equal nmap's");

        await oracleStep(
          t,
          "nmap",
          () => verboseTasksEqualNmap(lab, [], [a, b]),
          "-v: Initiating/Completed Traceroute and <taskbegin>/<taskend> equal nmap's",
        );

        await oracleStep(
          t,
          "nmap",
          async () => {
            await packetTraceEqualNmap(lab, ["-sS", "-p81", a]);
            await packetTraceEqualNmap(lab, ["-sn", "-PE", a]);
          },
          "-v --packet-trace: the trace's SENT/RCVD lines and the Raw packets line equal nmap's",
        );

        await oracleStep(t, "nmap", async () => {
          // A closed UDP port answers with port-unreachable: a UDP trace.
          const r = await both(lab, ["-n", "-Pn", "-sU", "-p53", "--traceroute", a]);
          assertEquals(traceSections(r.p), traceSections(r.n));
          assert(r.p.includes("TRACEROUTE (using port 53/udp)"), r.p);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "-sU -p53 (closed): a UDP trace equal nmap's");

        await oracleStep(t, "nmap", async () => {
          // No scan type: the default SYN scan's open port is the probe, as nmap's.
          const r = await both(lab, ["-n", "-Pn", "-p80", "--traceroute", a]);
          assertEquals(traceSections(r.p), traceSections(r.n));
          assert(r.p.includes("TRACEROUTE (using port 80/tcp)"), r.p);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "-p80 (an open port, default scan type): equal nmap's");

        await oracleStep(t, "nmap", async () => {
          // No -n: the hops' names come from the scanner's hosts file (r1.lab, r3.lab).
          const r = await both(lab, ["-sS", "-p80", "--traceroute", a]);
          const ps = traceSections(r.p);
          assertEquals(ps, traceSections(r.n));
          assert(ps[0]!.includes(`1 X ms r1.lab (${net}.0.2)`), ps[0]);
          assert(ps[0]!.includes(`3 X ms r3.lab (${net}.30.3)`), ps[0]);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "reverse DNS of the hops (no -n): equal nmap's");

        await oracleStep(t, "nmap", async () => {
          const r = await both(lab, ["-n", "-sn", "-PE", "--traceroute", a]);
          assertEquals(traceSections(r.p), traceSections(r.n));
          assert(r.p.includes("TRACEROUTE (using proto 1/icmp)"), r.p);
          // Written as nmap writes a traced host of a ping scan: the section, then a blank line.
          assert(/4 +[\d.]+ ms [\d.]+\n\n(Nmap|Porthole) done/.test(r.p), r.p);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "-sn -PE (ICMP echo): equal nmap's");
      });
    },
  ),
);

Deno.test(
  labTest(
    "traceroute over IPv6 (-6): hop limits, silent and other-address routers equal nmap's",
    async (t) => {
      await withLab({ tag: "trace3", scenario: "multihop" }, async (lab) => {
        const a = lab.target.v6;
        const b = a.replace(/::1$/, "::2");
        const net = a.split(":").slice(0, 2).join(":");

        await oracleStep(t, "nmap", async () => {
          await twoTargetsEqualNmap(lab, ["-6"], a, b, `${net}::2`, `${net}:30::3`);
        }, "-6, two targets, -sS -p80,81: TRACEROUTE and <trace> equal nmap's");

        await oracleStep(t, "nmap", async () => {
          // ICMPv6 port unreachable from the target ends a UDP trace.
          const r = await both(lab, ["-6", "-n", "-Pn", "-sU", "-p53", "--traceroute", a]);
          assertEquals(traceSections(r.p), traceSections(r.n));
          assert(r.p.includes("TRACEROUTE (using port 53/udp)"), r.p);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "-6 -sU -p53 (closed): a UDP trace equal nmap's");

        await oracleStep(
          t,
          "nmap",
          () => packetTraceEqualNmap(lab, ["-6", "-sS", "-p81", a]),
          "-6 -v --packet-trace: the trace's SENT/RCVD lines equal nmap's",
        );

        await oracleStep(
          t,
          "nmap",
          () => verboseTasksEqualNmap(lab, ["-6"], [a, b]),
          "-6 -v: Initiating/Completed Traceroute and <taskbegin>/<taskend> equal nmap's",
        );

        await oracleStep(t, "nmap", async () => {
          const r = await both(lab, ["-6", "-sn", "-PE", "--traceroute", a]);
          const ps = traceSections(r.p);
          assertEquals(ps, traceSections(r.n));
          assert(r.p.includes("TRACEROUTE (using proto 58/ipv6-icmp)"), r.p);
          // nmap's <trace> of an ICMPv6 trace names no protocol.
          assert(r.px.includes("<trace>\n"), r.px);
          // No -n: the hops' names come from the scanner's hosts file, as for IPv4.
          assert(ps[0]!.includes(`1 X ms r1.lab (${net}::2)`), ps[0]);
          assertEquals(traceElements(r.px), traceElements(r.nx));
        }, "-6 -sn -PE (ICMPv6 echo), hop names: equal nmap's");
      });
    },
  ),
);

Deno.test(
  labTest("traceroute: directly connected hosts (one hop, no probe) equal nmap's", async (t) => {
    await withLab({ tag: "trace2", scenario: "many-hosts" }, async (lab) => {
      const [a, b] = [lab.targets[0]!.v4, lab.targets[1]!.v4];
      await oracleStep(t, "nmap", async () => {
        const r = await both(lab, ["-n", "-sS", "-p80", "--traceroute", a, b]);
        const ps = traceSections(r.p);
        assertEquals(ps, traceSections(r.n));
        assertEquals(ps, [
          `TRACEROUTE\nHOP RTT ADDRESS\n1 X ms ${a}`,
          `TRACEROUTE\nHOP RTT ADDRESS\n1 X ms ${b}`,
        ]);
        assertEquals(traceElements(r.px), traceElements(r.nx));
      }, "bridge lab, -sS -p80 --traceroute: TRACEROUTE and <trace> equal nmap's");
    });
  }),
);
