/**
 * A hostile service and a hostile DNS name through every file writer:
 * terminal escape sequences, XML metacharacters, NUL, forged grepable fields
 * and lines, invalid UTF-8 (decoded both ways a banner can be) and a lone
 * surrogate. No control byte may reach the file raw, the XML must stay valid
 * against nmap.dtd, grepable lines must keep their shape, and JSON must carry
 * the exact strings.
 */

import type { HostResult, OutputWriter } from "../cli/model/mod.ts";
import { GrepableWriter } from "../cli/output/grepable.ts";
import { JsonWriter } from "../cli/output/json.ts";
import { XmlWriter } from "../cli/output/xml.ts";
import { NormalWriter } from "../cli/output/normal.ts";
import { parseOptions } from "../cli/options.ts";
import { FileSink } from "../cli/output/sink.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "./testing/output_samples.ts";
import { missingTools } from "./_oracle.ts";

const badBytes = new Uint8Array([0x41, 0xff, 0xfe, 0xc3, 0x28, 0x9b, 0x31, 0x6d]);
const HOSTILE = {
  product: "\x1b[2J\x1b]0;pwned\x07<script>&amp;\"'--></service>\x00\x01",
  version: "1.0\r\nHost: 6.6.6.6 ()\tStatus: Up\n",
  extraInfo: ", 23/open/tcp//telnet///",
  hostname: new TextDecoder().decode(badBytes) + "\ud83d", // U+FFFD replacements, lone surrogate
  osType: new TextDecoder("latin1").decode(badBytes), // bytes as U+0000-00FF, incl. C1 CSI
  fingerprint: 'SF-Port22-TCP:V=7.93%I=7\nSF:r(NULL,5,"\\x1b\\]0;x\\x07")\x1b[0m',
  cpe: ["cpe:/a:<evil>&co:x\x1b"],
  ptr: "evil\x1b[31m.example\nHost: 1.1.1.1 ()\tStatus: Up",
};

function hostileHost(): HostResult {
  const h = sampleHost("10.0.0.1", { ptrHostname: HOSTILE.ptr, userHostname: "ok.example" });
  h.ports.find((p) => p.port === 22)!.service = {
    name: "ssh\x1b[5m/x",
    method: "probed",
    confidence: 10,
    product: HOSTILE.product,
    version: HOSTILE.version,
    extraInfo: HOSTILE.extraInfo,
    hostname: HOSTILE.hostname,
    osType: HOSTILE.osType,
    fingerprint: HOSTILE.fingerprint,
    cpe: HOSTILE.cpe,
  };
  return h;
}

async function writeWith(path: string, make: (s: FileSink) => OutputWriter): Promise<Uint8Array> {
  const sink = FileSink.open(path, false);
  const w = make(sink);
  w.begin(sampleRun({ args: ["porthole", "-sV", "--reason", "10.0.0.1"] }));
  w.host(hostileHost());
  w.end(sampleSummary());
  sink.close();
  return await Deno.readFile(path);
}

/** Bytes a terminal would act on: C0 (but TAB, LF), DEL, and C1 in UTF-8 (C2 80-9F). */
function controlBytes(bytes: Uint8Array): number[] {
  const bad: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f) bad.push(i);
    if (b === 0xc2 && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x9f) bad.push(i);
  }
  return bad;
}

async function run(cmd: string, args: string[]) {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

Deno.test({
  name: "hostile text through every writer",
  ignore: missingTools("xmllint", "ndiff").length > 0,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "ph-hostile-" });
  try {
    await t.step(
      "XML: ASCII only, well-formed, valid against nmap.dtd, ndiff reads it",
      async () => {
        const path = `${dir}/h.xml`;
        const bytes = await writeWith(
          path,
          (s) => new XmlWriter(s, { stylesheet: null, openOnly: false }),
        );
        assertEquals(controlBytes(bytes), []);
        assert(bytes.every((b) => b < 0x80), "non-ASCII byte in XML");
        const lint = await run("xmllint", [
          "--noout",
          "--dtdvalid",
          "/usr/share/nmap/nmap.dtd",
          path,
        ]);
        assertEquals(lint.code, 0, lint.err);
        // The parsed attribute keeps the text visible but inert.
        const product = await run("xmllint", ["--xpath", "string(//service/@product)", path]);
        assertEquals(
          product.out.replace(/\n$/, ""),
          `\\x1B[2J\\x1B]0;pwned\\x07<script>&amp;"'--></service>\\x00\\x01`,
        );
        const version = await run("xmllint", ["--xpath", "string(//service/@version)", path]);
        assertEquals(version.out.replace(/\n$/, ""), HOSTILE.version); // CR/LF/TAB survive as character references
        const nd = await run("ndiff", [path, path]);
        assertEquals(nd.code, 0, nd.err);
      },
    );

    await t.step("grepable: no raw controls, lines and fields keep their shape", async () => {
      const bytes = await writeWith(
        `${dir}/h.gnmap`,
        (s) => new GrepableWriter(s, { openOnly: false, versionDetection: true }),
      );
      assertEquals(controlBytes(bytes), []);
      const lines = new TextDecoder().decode(bytes).trimEnd().split("\n");
      assertEquals(lines.length, 4, lines.join("\n")); // header, Status, Ports, done
      assertMatch(lines[1]!, /^Host: 10\.0\.0\.1 \([^\t]*\)\tStatus: Up$/);
      assertMatch(
        lines[2]!,
        /^Host: 10\.0\.0\.1 \([^\t]*\)\tPorts: [^\t]*\tIgnored State: closed \(98\)$/,
      );
      const entries = lines[2]!.split("\tPorts: ")[1]!.split("\t")[0]!.split(", ");
      assertEquals(entries.length, 2, entries.join(" | "));
      for (const e of entries) assertEquals(e.split("/").length, 8, e); // 7 fields + trailing ""
      assertMatch(entries[0]!, /^22\/open\/tcp\/\/ssh\\x1B\[5m\|x\/\//);
    });

    await t.step("normal (-oN): no raw controls, one line per report line", async () => {
      const opts = parseOptions(["-sV", "--reason", "10.0.0.1"]);
      const bytes = await writeWith(`${dir}/h.nmap`, (s) => new NormalWriter(s, opts, "file"));
      assertEquals(controlBytes(bytes), []);
      const text = new TextDecoder().decode(bytes);
      assertEquals(text.match(/^Porthole scan report for /gm)?.length, 1);
      assertEquals(text.match(/^Host: /gm), null); // the forged line stayed inside its cell
    });

    await t.step("JSON: valid lines, exact strings back, no raw controls", async () => {
      const bytes = await writeWith(`${dir}/h.json`, (s) => new JsonWriter(s, { openOnly: false }));
      assertEquals(controlBytes(bytes), []);
      const lines = new TextDecoder().decode(bytes).trimEnd().split("\n");
      assertEquals(lines.length, 3);
      const host = JSON.parse(lines[1]!);
      assertEquals(host.ptrHostname, HOSTILE.ptr);
      const sv = host.ports.find((p: { port: number }) => p.port === 22).service;
      assertEquals(sv.product, HOSTILE.product);
      assertEquals(sv.version, HOSTILE.version);
      // A lone surrogate is not Unicode: JSON gets U+FFFD (jq rejects "\ud83d").
      assertEquals(sv.hostname, HOSTILE.hostname.slice(0, -1) + "\ufffd");
      assertEquals(sv.osType, HOSTILE.osType);
      assertEquals(sv.cpe, HOSTILE.cpe);
      const jq = await run("jq", ["-r", 'select(.type=="host") | .address', `${dir}/h.json`]);
      assertEquals(jq.code, 0, jq.err);
      assertEquals(jq.out, "10.0.0.1\n");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
