import type { HostResult, OutputWriter } from "../model.ts";
import { UsageError } from "../errors.ts";
import { GrepableWriter } from "./grepable.ts";
import { JsonWriter } from "./json.ts";
import { XmlWriter } from "./xml.ts";
import { readResumeState } from "./resume.ts";
import { splitQuoted } from "./_util.ts";
import { joinQuoted } from "./format.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "./_test_util.ts";

const ARGS = [
  "porthole",
  "-sS",
  "--reason",
  "-p",
  "1-100",
  "--exclude",
  "a b",
  'q"x',
  "10.0.0.0/29",
];

/** An interrupted run: A and B (down) done, C part-way (twice recorded), D done. */
function interruptedRun(w: OutputWriter): void {
  const run = sampleRun({ args: ARGS, verbose: 1 });
  w.begin(run);
  w.host(sampleHost("10.0.0.1"));
  const down: HostResult = {
    ...sampleHost("10.0.0.2"),
    status: "down",
    statusReason: "no-response",
    ports: [],
  };
  w.host(down);
  const c = sampleHost("10.0.0.3").ports;
  w.progress?.({ address: "10.0.0.3", time: run.startTime + 1000, ports: c.slice(0, 30) });
  w.progress?.({ address: "10.0.0.4", time: run.startTime + 1500, ports: c.slice(0, 10) });
  w.progress?.({ address: "10.0.0.3", time: run.startTime + 2000, ports: c.slice(0, 50) });
  w.host(sampleHost("10.0.0.4"));
  w.end(sampleSummary({ exit: "error", interrupted: true }));
}

async function stateOf(text: string) {
  const path = await Deno.makeTempFile({ prefix: "ph-resume-" });
  try {
    await Deno.writeTextFile(path, text);
    return readResumeState(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("splitQuoted inverts nmap's join_quoted", () => {
  assertEquals(splitQuoted(joinQuoted(ARGS)), ARGS);
  assertEquals(splitQuoted(`a 'b c'  "d\\"e"`), ["a", "b c", 'd"e']);
});

for (
  const [format, make] of [
    [
      "grepable",
      (s: MemorySink) => new GrepableWriter(s, { openOnly: false, versionDetection: false }),
    ],
    ["json", (s: MemorySink) => new JsonWriter(s, { openOnly: false })],
  ] as const
) {
  Deno.test(`resume from ${format}: args, finished hosts and the partial host's ports`, async () => {
    const sink = new MemorySink();
    interruptedRun(make(sink));
    const st = await stateOf(sink.text);
    assertEquals(st.format, format);
    assertEquals(st.argv, ARGS.slice(1));
    assertEquals([...st.doneHosts], ["10.0.0.1", "10.0.0.2", "10.0.0.4"]);
    assertEquals(st.lastHost, "10.0.0.4");
    assertEquals(st.partialHosts.length, 1); // 10.0.0.4 finished after its progress line
    const p = st.partialHost!;
    assertEquals(p.address, "10.0.0.3");
    assertEquals(p.scannedPorts.length, 50); // the later record wins
    assertEquals(p.ports.find((x) => x.port === 22), {
      protocol: "tcp",
      port: 22,
      state: "open",
      reason: "syn-ack",
      reasonTtl: 64,
    });
    assertEquals(p.ports.filter((x) => x.state === "closed").length, 49);
  });

  Deno.test(`resume from ${format}: a host reported part-way (Ctrl-C) stays unfinished`, async () => {
    // The engine writes a host cut short by Ctrl-C, then its progress record.
    const sink = new MemorySink();
    const w = make(sink);
    const run = sampleRun({ args: ARGS });
    w.begin(run);
    w.host(sampleHost("10.0.0.1"));
    const part = sampleHost("10.0.0.2").ports.slice(0, 40);
    w.host(sampleHost("10.0.0.2", { ports: part }));
    w.progress?.({ address: "10.0.0.2", time: run.startTime + 1000, ports: part });
    w.end(sampleSummary({ exit: "success", interrupted: true }));
    const st = await stateOf(sink.text);
    assertEquals([...st.doneHosts], ["10.0.0.1"]);
    assertEquals(st.lastHost, "10.0.0.1");
    assertEquals(st.partialHosts.map((h) => h.address), ["10.0.0.2"]);
    const ports = (l: { port: number }[]) => l.map((x) => x.port).sort((a, b) => a - b);
    assertEquals(ports(st.partialHost!.scannedPorts), ports(part));
  });
}

Deno.test("resume from XML: arguments unescaped, hosts from complete <host> blocks", async () => {
  const sink = new MemorySink();
  interruptedRun(new XmlWriter(sink, { stylesheet: null, openOnly: false }));
  const st = await stateOf(
    sink.text +
      '<host starttime="1"><status state="up"/>\n<address addr="10.0.0.5" addrtype="ipv4"/>',
  );
  assertEquals(st.format, "xml");
  assertEquals(st.argv, ARGS.slice(1));
  assertEquals([...st.doneHosts], ["10.0.0.1", "10.0.0.2", "10.0.0.4"]);
  assertEquals(st.partialHosts, []);
});

Deno.test("resume from normal output: every 'Nmap scan report for' line", async () => {
  const st = await stateOf(
    [
      `# Nmap 7.93 scan initiated Wed Nov 25 15:31:45 2026 as: ${joinQuoted(ARGS)}`,
      "Nmap scan report for a.example (10.0.0.1)",
      "Host is up (0.00042s latency).",
      "Nmap scan report for 10.0.0.2 [host down, received no-response]",
      "Nmap scan report for b.example (fd00::1)",
      "Nmap scan report for 10.0.0.4",
      "Porthole scan report for c.example (10.0.0.5)",
      "",
    ].join("\n"),
  );
  assertEquals(st.format, "normal");
  assertEquals(st.argv, ARGS.slice(1));
  assertEquals([...st.doneHosts], ["10.0.0.1", "10.0.0.2", "fd00::1", "10.0.0.4", "10.0.0.5"]);
  assertEquals(st.lastHost, "10.0.0.5");
});

Deno.test("resume: unreadable, short or foreign files fail with nmap's messages", async () => {
  const expectUsage = async (text: string | undefined, re: RegExp) => {
    try {
      if (text === undefined) readResumeState("/nonexistent/ph-resume");
      else await stateOf(text);
    } catch (e) {
      assert(e instanceof UsageError, String(e));
      assertMatch(e.message, re);
      return;
    }
    throw new Error("no error");
  };
  await expectUsage(undefined, /^Could not open resume file \/nonexistent\/ph-resume/);
  await expectUsage("# Nmap", /is too short -- no use resuming/);
  await expectUsage(
    "hello world, this is not a scan\n",
    /Are you sure this is an Nmap output file\?/,
  );
});
