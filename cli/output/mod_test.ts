import { parseOptions } from "../options/mod.ts";
import { UsageError } from "../errors.ts";
import type { Options } from "../options/types.ts";
import { openWriters, preflightOutputFiles, readResumeState, stylesheetHref } from "./mod.ts";
import { sampleHost, sampleRun, sampleSummary } from "../../tests/testing/output_samples.ts";
import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/testing/assert.ts";

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert(e instanceof UsageError, String(e));
    return e.message;
  }
  throw new Error("no UsageError");
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ph-mod-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function runAll(opts: Options, stdout: string[], hosts = [sampleHost()]) {
  return openWriters(opts, (s) => stdout.push(s), { stderr: () => {} }).then(async (out) => {
    const run = sampleRun({ args: opts.argv });
    for (const w of out.writers) await w.begin(run);
    for (const h of hosts) for (const w of out.writers) await w.host(h);
    return out;
  });
}

Deno.test("openWriters: the terminal report alone by default", async () => {
  const stdout: string[] = [];
  const out = await runAll(parseOptions(["-p", "1-100", "10.0.0.1"]), stdout);
  assertEquals(out.writers.length, 1);
  for (const w of out.writers) await w.end(sampleSummary());
  await out.close();
  assertMatch(stdout.join(""), /^Starting Porthole [\s\S]*Porthole scan report for 10\.0\.0\.1\n/);
});

Deno.test("openWriters: -oA and -oJ files, each host on disk as soon as it is written", async () => {
  await withDir(async (dir) => {
    const stdout: string[] = [];
    const opts = parseOptions([
      "-p",
      "1-100",
      "-oA",
      `${dir}/scan`,
      "-oJ",
      `${dir}/scan.json`,
      "10.0.0.1",
    ]);
    const out = await runAll(opts, stdout);
    assertEquals(out.writers.length, 5);
    // Before end(): the host is already in every file.
    assertMatch(await Deno.readTextFile(`${dir}/scan.xml`), /<address addr="10\.0\.0\.1"/);
    assertMatch(await Deno.readTextFile(`${dir}/scan.gnmap`), /^Host: 10\.0\.0\.1 \(\)\tPorts: /m);
    assertMatch(
      await Deno.readTextFile(`${dir}/scan.nmap`),
      /^# Porthole .* as: porthole -p 1-100 -oA /,
    );
    assertMatch(
      await Deno.readTextFile(`${dir}/scan.json`),
      /"type":"host","address":"10\.0\.0\.1"/,
    );
    for (const w of out.writers) await w.end(sampleSummary());
    await out.close();
    await out.close(); // idempotent
    assertMatch(await Deno.readTextFile(`${dir}/scan.xml`), /<\/nmaprun>\n$/);
    assertMatch(stdout.join(""), /^Starting Porthole/);
  });
});

Deno.test("openWriters: a format written to '-' owns stdout; two share it, as in nmap 7.93", async () => {
  const stdout: string[] = [];
  const out = await runAll(parseOptions(["-p", "1-100", "-oX", "-", "10.0.0.1"]), stdout);
  assertEquals(out.writers.length, 1);
  for (const w of out.writers) await w.end(sampleSummary());
  const text = stdout.join("");
  assertMatch(text, /^<\?xml version="1\.0"/);
  assertNotMatch(text, /Starting/);
  const both: string[] = [];
  const two = await runAll(parseOptions(["-p", "1-100", "-oX", "-", "-oG", "-", "10.0.0.1"]), both);
  assertEquals(two.writers.length, 2);
  for (const w of two.writers) await w.end(sampleSummary());
  assertMatch(both.join(""), /^<\?xml version="1\.0"/);
  assertMatch(both.join(""), /^# Nmap done at|^# Porthole done at/m);
  assertNotMatch(both.join(""), /Starting/);
});

Deno.test("preflight: one clear error before scanning when a file cannot be opened", async () => {
  await withDir(async (dir) => {
    const missing = `${dir}/no/such/dir/x.xml`;
    assertEquals(
      usageError(() => preflightOutputFiles(parseOptions(["-oX", missing, "10.0.0.1"]))),
      `Failed to open XML output file ${missing} for writing: No such file or directory`,
    );
    assertMatch(
      usageError(() => preflightOutputFiles(parseOptions(["-oG", dir, "10.0.0.1"]))),
      /^Failed to open machine output file .* for writing: Is a directory$/,
    );
    // openWriters runs the same check, so no writer or file is left behind.
    let threw = false;
    await openWriters(parseOptions(["-oN", `${dir}/ok.nmap`, "-oX", missing, "10.0.0.1"]), () => {})
      .catch((e) => (threw = e instanceof UsageError));
    assert(threw);
    // preflight never truncates an existing file.
    await Deno.writeTextFile(`${dir}/keep.gnmap`, "old\n");
    preflightOutputFiles(parseOptions(["-oG", `${dir}/keep.gnmap`, "10.0.0.1"]));
    assertEquals(await Deno.readTextFile(`${dir}/keep.gnmap`), "old\n");
    // nmap 7.93 lets several formats share stdout: "-" is never opened.
    preflightOutputFiles(parseOptions(["-oX", "-", "-oG", "-", "-oN", "-", "10.0.0.1"]));
  });
});

Deno.test("--append-output keeps earlier runs; --resume continues the XML document", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.gnmap`, "# earlier run\n");
    const a = await runAll(
      parseOptions(["--append-output", "-oG", `${dir}/a.gnmap`, "10.0.0.1"]),
      [],
    );
    await a.close();
    assertMatch(await Deno.readTextFile(`${dir}/a.gnmap`), /^# earlier run\n# Nmap /);

    // An interrupted run: one host in the XML, no runstats.
    const xml = `${dir}/r.xml`;
    const argv = ["-p", "1-100", "-oX", xml, "10.0.0.1-2"];
    const first = await runAll(parseOptions(argv), [], [sampleHost("10.0.0.1")]);
    await first.close();
    const state = readResumeState(xml);
    assertEquals(state.argv, argv);
    assertEquals([...state.doneHosts], ["10.0.0.1"]);
    // The engine re-parses the saved arguments and marks the run as resumed.
    const opts = parseOptions(state.argv);
    opts.output.resume = xml;
    const second = await runAll(opts, [], [sampleHost("10.0.0.2")]);
    for (const w of second.writers) await w.end(sampleSummary({ hostsUp: 2, hostsTotal: 2 }));
    await second.close();
    const text = await Deno.readTextFile(xml);
    assertEquals(text.match(/<nmaprun /g)?.length, 1);
    assertEquals(text.match(/<host /g)?.length, 2);
    const lint = await new Deno.Command("xmllint", {
      args: ["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", xml],
    }).output();
    assertEquals(lint.code, 0);
  });
});

Deno.test("--resume drops a line cut short by kill -9 before appending", async () => {
  await withDir(async (dir) => {
    const g = `${dir}/r.gnmap`, j = `${dir}/r.json`;
    const argv = ["-p", "1-100", "-oG", g, "-oJ", j, "10.0.0.1-2"];
    const first = await runAll(parseOptions(argv), [], [sampleHost("10.0.0.1")]);
    await first.close();
    // The process died in the middle of its next line.
    await Deno.writeTextFile(g, "Host: 10.0.0.2 ()\tSta", { append: true });
    await Deno.writeTextFile(j, '{"type":"host","addr', { append: true });
    const state = readResumeState(j);
    assertEquals([...state.doneHosts], ["10.0.0.1"]);
    const opts = parseOptions(state.argv);
    opts.output.resume = j;
    const second = await runAll(opts, [], [sampleHost("10.0.0.2")]);
    await second.close();
    const gt = await Deno.readTextFile(g);
    assertNotMatch(gt, /\tSta#/);
    assertMatch(gt, /\n# Nmap [^\n]*\nHost: 10\.0\.0\.2 /);
    // Every line of the continued JSON file parses, and --resume reads it.
    const jt = await Deno.readTextFile(j);
    for (const line of jt.trimEnd().split("\n")) JSON.parse(line);
    assertEquals([...readResumeState(j).doneHosts], ["10.0.0.1", "10.0.0.2"]);
  });
});

Deno.test("stylesheet: --stylesheet, --no-stylesheet, --webxml, default", () => {
  assertEquals(stylesheetHref(parseOptions(["--stylesheet", "my.xsl", "x"])), "my.xsl");
  assertEquals(stylesheetHref(parseOptions(["--no-stylesheet", "x"])), null);
  assertEquals(
    stylesheetHref(parseOptions(["--webxml", "x"])),
    "https://svn.nmap.org/nmap/docs/nmap.xsl",
  );
  assertEquals(stylesheetHref(parseOptions(["x"])), "file:///usr/share/nmap/nmap.xsl");
});
