import type { HostResult, OutputWriter } from "../model/mod.ts";
import { UsageError } from "../errors.ts";
import { GrepableWriter } from "./grepable.ts";
import { JsonWriter } from "./json.ts";
import { XmlWriter } from "./xml.ts";
import { NormalWriter } from "./normal.ts";
import { parseOptions } from "../options.ts";
import { type PartialHost, readResumeState, recordedPorts } from "./resume.ts";
import { expandProgress } from "./progress_record.ts";
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
} from "../../tests/testing/output_samples.ts";

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
    assertEquals(st.partialHost!.address, "10.0.0.3");
    const p = { ports: expandProgress(st.partialHost!.groups) };
    assertEquals(p.ports.length, 50); // the later record wins
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
    // Earlier versions wrote a host cut short by Ctrl-C, then its progress record.
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
    assertEquals(ports(expandProgress(st.partialHost!.groups)), ports(part));
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
  // The host cut short is a progress comment, never a <host>: it stays unfinished.
  assertEquals(st.partialHosts.map((h) => h.address), ["10.0.0.3"]);
  assertEquals(expandProgress(st.partialHost!.groups).length, 50);
  assert(!/<address addr="10\.0\.0\.3"/.test(sink.text), sink.text);
});

Deno.test("resume from normal output: progress lines leave a host unfinished", async () => {
  const sink = new MemorySink();
  interruptedRun(new NormalWriter(sink, parseOptions(["-v", "10.0.0.1"]), "file"));
  assert(!/scan report for 10\.0\.0\.3/.test(sink.text), sink.text);
  assertMatch(sink.text, /^Scan of 10\.0\.0\.3 interrupted: 50 ports scanned/m);
  const st = await stateOf(sink.text);
  assertEquals(st.format, "normal");
  assertEquals([...st.doneHosts], ["10.0.0.1", "10.0.0.2", "10.0.0.4"]);
  assertEquals(st.partialHosts.map((h) => h.address), ["10.0.0.3"]);
  assertEquals(expandProgress(st.partialHost!.groups).length, 50);
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

// ---------------------------------------------------------- untrusted files

const HEADER = `# Nmap 7.93 scan initiated Wed Nov 25 15:31:45 2026 as: ${joinQuoted(ARGS)}\n`;

/** Heap in use after a collection, bytes (Deno: --v8-flags=--expose-gc not needed for a bound). */
const heap = () => Deno.memoryUsage().heapUsed;

Deno.test("resume: a crafted grepable file stays within one scan's ports (repeats dropped)", async () => {
  // 44 KB of progress lines naming every port over and over (today: 4.3 GB and V8 aborts).
  const token = "tcp/closed/reset/64:0-65535";
  const line = `# Progress for 10.0.0.9 at 1: ${Array(1500).fill(token).join(" ")}\n`;
  const text = HEADER + "Host: 10.0.0.1 ()\tStatus: Up\n" + line;
  assert(text.length > 40_000, String(text.length));
  const before = heap();
  const st = await stateOf(text);
  const p: PartialHost = st.partialHost!;
  const all = expandProgress(p.groups);
  assertEquals(all.length, 65536); // every port once
  // The resumed scan asks for 1-100: only those are expanded.
  assertEquals(recordedPorts(p, { tcp: range(1, 100), udp: [] }).length, 100);
  assert(heap() - before < 200 * 1024 * 1024, `heap grew by ${heap() - before}`);
});

Deno.test("resume: a crafted JSON progress record stays within one scan's ports", async () => {
  // 2.6 KB JSON record (today: 4.8 GB).
  const done = Array(40).fill({
    protocol: "udp",
    state: "open|filtered",
    reason: "no-response",
    ports: "0-65535",
  });
  const text = [
    JSON.stringify({ type: "run", args: ARGS }),
    JSON.stringify({ type: "progress", address: "10.0.0.3", time: 1, done }),
    "",
  ].join("\n");
  const before = heap();
  const st = await stateOf(text);
  const ports = expandProgress(st.partialHost!.groups);
  assertEquals(ports.length, 65536);
  assertEquals(ports.every((p) => p.protocol === "udp"), true);
  assert(heap() - before < 200 * 1024 * 1024, `heap grew by ${heap() - before}`);
});

Deno.test("resume: malformed progress records fail with one message naming the line", async () => {
  const expectUsage = async (text: string, re: RegExp) => {
    try {
      await stateOf(text);
    } catch (e) {
      assert(e instanceof UsageError, String(e));
      assertMatch(e.message, re);
      return;
    }
    throw new Error(`no error for ${text}`);
  };
  const grep = (tokens: string) => HEADER + `# Progress for 10.0.0.9 at 1: ${tokens}\n`;
  await expectUsage(grep("tcp/closed/reset/64:1-70000"), /line 2: bad port list "1-70000"/);
  await expectUsage(grep("tcp/closed/reset/64:9-3"), /line 2: bad port list/);
  await expectUsage(grep("tcp/shut/reset/64:1"), /line 2: malformed token|unknown port state/);
  await expectUsage(grep("tcp/closed/reset/999:1"), /line 2: bad reply TTL/);
  await expectUsage(grep("icmp/closed/reset/:1"), /line 2: malformed token/);
  await expectUsage(grep("garbage"), /Malformed progress record for 10\.0\.0\.9 in .* line 2/);
  const json = (rec: unknown) =>
    JSON.stringify({ type: "run", args: ARGS }) + "\n" + JSON.stringify(rec) + "\n";
  await expectUsage(
    json({ type: "progress", address: "a", done: "x" }),
    /line 2: "done" is not a list/,
  );
  await expectUsage(
    json({
      type: "progress",
      address: "a",
      done: [{ protocol: "tcp", state: "open", reason: "x<y", ports: "1" }],
    }),
    /line 2: bad reason/,
  );
  await expectUsage(
    JSON.stringify({ type: "run", args: ARGS }) + "\n{not json\n",
    /line 2: not a JSON object/,
  );
  // A last line cut short (kill -9 mid-write) is not an error: it is ignored.
  const st = await stateOf(
    grep("tcp/closed/reset/64:1-10") + "# Progress for 10.0.0.8 at 1: tcp/clo",
  );
  assertEquals(st.partialHosts.map((h) => h.address), ["10.0.0.9"]);
});

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
