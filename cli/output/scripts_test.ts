import assert from "node:assert/strict";
import type { HostResult, ScriptOutput } from "../model/mod.ts";
import { NormalWriter } from "./normal.ts";
import { XmlWriter } from "./xml.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../../tests/testing/output_samples.ts";
import { parseOptions } from "../options.ts";
import { scriptLines } from "./scripts.ts";

// What nmap 7.93 printed in the lab for a host script returning
// {name = "a<b>&\"c'", list = {"x", "y"}, nested = {k = "v"}} and a port script returning
// "line1\nline2\n" (tests/lab: `nmap --script hs.nse,ps.nse -p 80 scanme.lab`).
const HOST_SCRIPT: ScriptOutput = {
  id: "hs",
  output: "\n  name: a<b>&\"c'\n  list: \n    x\n    y\n  nested: \n    k: v",
  elems: [
    { key: "name", value: "a<b>&\"c'" },
    { key: "list", table: [{ value: "x" }, { value: "y" }] },
    { key: "nested", table: [{ key: "k", value: "v" }] },
  ],
};
const PORT_SCRIPT: ScriptOutput = { id: "ps", output: "line1\nline2\n" };

function host(): HostResult {
  const h = sampleHost("10.0.0.1");
  h.ports = h.ports.filter((p) => p.port === 80);
  h.ports[0]!.scripts = [PORT_SCRIPT];
  h.hostScripts = [HOST_SCRIPT];
  return h;
}

Deno.test("nse output: normal output's script lines and Host script results as nmap's", () => {
  let out = "";
  const o = parseOptions(["-p", "80", "10.0.0.1"]);
  const w = new NormalWriter((t) => (out += t), { ...o, scans: [] } as never, "stdout");
  w.begin(sampleRun());
  w.host(host());
  w.end(sampleSummary());
  assert.ok(
    out.includes(
      "PORT   STATE SERVICE\n80/tcp open  http\n| ps: line1\n|_line2\n\n" +
        "Host script results:\n| hs: \n|   name: a<b>&\"c'\n|   list: \n|     x\n|     y\n" +
        "|   nested: \n|_    k: v\n\n",
    ),
    out,
  );
});

Deno.test("nse output: XML <script> and <hostscript> as nmap's", () => {
  const sink = new MemorySink();
  const w = new XmlWriter(sink, { stylesheet: null, openOnly: false });
  w.begin(sampleRun());
  w.host(host());
  w.end(sampleSummary());
  assert.ok(
    sink.text.includes(
      '<service name="http" method="table" conf="3"/><script id="ps" output="line1&#xa;line2&#xa;"/></port>\n</ports>\n',
    ),
    sink.text,
  );
  assert.ok(
    sink.text.includes(
      `<hostscript><script id="hs" output="&#xa;  name: a&lt;b&gt;&amp;&quot;c&apos;&#xa;  list: &#xa;    x&#xa;    y&#xa;  nested: &#xa;    k: v"><elem key="name">a&lt;b&gt;&amp;&quot;c&apos;</elem>
<table key="list">
<elem>x</elem>
<elem>y</elem>
</table>
<table key="nested">
<elem key="k">v</elem>
</table>
</script></hostscript><times`,
    ),
    sink.text,
  );
});

Deno.test("nse output: one-line output, and control bytes escaped", () => {
  assert.deepEqual(scriptLines({ id: "http-title", output: "Go ahead and ScanMe!" }), [
    "|_http-title: Go ahead and ScanMe!",
  ]);
  assert.deepEqual(scriptLines({ id: "x", output: "a\x1b[2Jb" }), ["|_x: a\\x1B[2Jb"]);
});
