/** XML's <taskbegin>/<taskprogress>/<taskend> and <hosthint>. */

import assert from "node:assert/strict";
import { XmlWriter } from "./xml.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../../tests/testing/output_samples.ts";

const haveXmllint = await (async () => {
  try {
    const o = await new Deno.Command("xmllint", { args: ["--version"], stderr: "null" }).output();
    return o.code === 0 && (await Deno.stat("/usr/share/nmap/nmap.dtd").catch(() => null)) !== null;
  } catch {
    return false;
  }
})();

function render(): string {
  const sink = new MemorySink();
  const w = new XmlWriter(sink, { stylesheet: null, openOnly: false });
  w.begin(sampleRun());
  w.task({ kind: "begin", task: "ARP Ping Scan", time: 1_700_000_000_400 });
  w.hostHint(sampleHost("10.0.0.1", { ports: [], userHostname: "web.lab" }));
  w.task({
    kind: "end",
    task: "ARP Ping Scan",
    time: 1_700_000_001_000,
    extrainfo: "1 total hosts",
  });
  w.task({
    kind: "progress",
    task: "SYN Stealth Scan",
    time: 1_700_000_002_000,
    percent: 45,
    remaining: 4.6,
    etc: 1_700_000_006_600,
  });
  w.host(sampleHost("10.0.0.1"));
  w.end(sampleSummary());
  return sink.text;
}

Deno.test("XML: task records and host hints in nmap's words", () => {
  const xml = render();
  const lines = xml.split("\n");
  assert(lines.includes(`<taskbegin task="ARP Ping Scan" time="1700000000"/>`), xml);
  assert(
    lines.includes(`<taskend task="ARP Ping Scan" time="1700000001" extrainfo="1 total hosts"/>`),
    xml,
  );
  assert(
    lines.includes(
      `<taskprogress task="SYN Stealth Scan" time="1700000002" percent="45.00" remaining="4" etc="1700000006"/>`,
    ),
    xml,
  );
  const hint = /<hosthint>[^]*?<\/hosthint>\n/.exec(xml)?.[0] ?? "";
  assert.equal(
    hint,
    `<hosthint><status state="up" reason="echo-reply" reason_ttl="64"/>\n` +
      `<address addr="10.0.0.1" addrtype="ipv4"/>\n<hostnames>\n` +
      `<hostname name="web.lab" type="user"/>\n</hostnames>\n</hosthint>\n`,
  );
});

Deno.test({
  name: "XML: task records and hints are valid against nmap.dtd",
  ignore: !haveXmllint,
  async fn() {
    const path = await Deno.makeTempFile({ prefix: "ph-xml-", suffix: ".xml" });
    try {
      await Deno.writeTextFile(path, render());
      const o = await new Deno.Command("xmllint", {
        args: ["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd", path],
        stderr: "piped",
      }).output();
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    } finally {
      await Deno.remove(path);
    }
  },
});
