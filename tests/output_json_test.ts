/**
 * -oJ: every line validates against docs/porthole-output.schema.json (with
 * the small JSON Schema validator below: the subset the schema uses), jq
 * pipelines work on the file, including on a file still being written.
 */

import type { HostResult } from "../cli/model/mod.ts";
import { JsonWriter } from "../cli/output/json.ts";
import { FileSink } from "../cli/output/sink.ts";
import { sampleHost, sampleRun, sampleSummary } from "./testing/output_samples.ts";
import { assert, assertEquals } from "./testing/assert.ts";
import { missingTools } from "./_oracle.ts";
import { parseFingerprint } from "../cli/model/os_fingerprint.ts";
import { labSequence, NMAP_LAB_FINGERPRINT } from "./testing/os_testdata.ts";
import type { OsResult } from "../cli/model/os.ts";

type Schema = Record<string, unknown>;

/** Validates `value` against a JSON Schema (2020-12 subset: $ref to $defs,
 * oneOf, type, const, enum, required, properties, additionalProperties:
 * false, items, minItems, minimum, maximum, pattern). Returns the errors. */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    let node: unknown = root;
    for (const part of ref.replace(/^#\//, "").split("/")) {
      node = (node as Record<string, unknown>)[part];
    }
    if (!node) throw new Error(`unresolved $ref ${ref}`);
    return node as Schema;
  };
  const typeOk = (t: string, v: unknown) =>
    t === "integer"
      ? Number.isInteger(v)
      : t === "array"
      ? Array.isArray(v)
      : t === "object"
      ? typeof v === "object" && v !== null && !Array.isArray(v)
      : t === "number"
      ? typeof v === "number"
      : t === "string"
      ? typeof v === "string"
      : t === "boolean"
      ? typeof v === "boolean"
      : false;
  const check = (s: Schema, v: unknown, at: string, out: string[]): void => {
    if (typeof s.$ref === "string") return check(resolve(s.$ref), v, at, out);
    if (Array.isArray(s.oneOf)) {
      const passing = s.oneOf.filter((sub) => {
        const e: string[] = [];
        check(sub as Schema, v, at, e);
        return e.length === 0;
      }).length;
      if (passing !== 1) out.push(`${at}: matches ${passing} of oneOf`);
    }
    if (typeof s.type === "string" && !typeOk(s.type, v)) {
      out.push(`${at}: not ${s.type}`);
      return;
    }
    if ("const" in s && v !== s.const) out.push(`${at}: not ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.includes(v)) {
      out.push(`${at}: ${JSON.stringify(v)} not in enum`);
    }
    if (typeof v === "number") {
      if (typeof s.minimum === "number" && v < s.minimum) out.push(`${at}: < ${s.minimum}`);
      if (typeof s.maximum === "number" && v > s.maximum) out.push(`${at}: > ${s.maximum}`);
    }
    if (
      typeof v === "string" && typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)
    ) {
      out.push(`${at}: ${JSON.stringify(v)} !~ ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) out.push(`${at}: too short`);
      if (s.items) v.forEach((x, i) => check(s.items as Schema, x, `${at}[${i}]`, out));
    }
    if (typeOk("object", v)) {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) {
        if (!(r in o)) out.push(`${at}: missing ${r}`);
      }
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) check(props[k], x, `${at}.${k}`, out);
        else if (s.additionalProperties === false) out.push(`${at}: unexpected ${k}`);
      }
    }
  };
  check(root, value, "$", errors);
  return errors;
}

const schema = JSON.parse(
  await Deno.readTextFile(new URL("../docs/porthole-output.schema.json", import.meta.url)),
) as Schema;

async function jq(filter: string, file: string): Promise<string> {
  const o = await new Deno.Command("jq", { args: ["-c", filter, file], stdout: "piped" }).output();
  assertEquals(o.code, 0);
  return new TextDecoder().decode(o.stdout);
}

Deno.test("the validator rejects what the schema forbids", () => {
  const good = {
    type: "summary",
    endTime: 1,
    elapsedSeconds: 0.5,
    hostsUp: 1,
    hostsDown: 0,
    hostsTotal: 1,
    exit: "success",
  };
  assertEquals(validate(schema, good), []);
  assert(validate(schema, { ...good, exit: "maybe" }).length > 0);
  assert(validate(schema, { ...good, extra: 1 }).length > 0);
  assert(validate(schema, { type: "host", address: "x" }).length > 0);
  assert(validate(schema, { type: "nope" }).length > 0);
});

Deno.test({
  name: "-oJ lines validate against the schema and jq reads them, mid-scan and after",
  ignore: missingTools("jq").length > 0,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-json-" });
  const path = `${dir}/scan.json`;
  const sink = FileSink.open(path, false);
  try {
    const w = new JsonWriter(sink, { openOnly: false });
    const run = sampleRun({ verbose: 1 });
    w.begin(run);
    w.scripts("pre", [{ id: "pp-test", output: "before the scan" }]);
    const a = sampleHost("10.0.0.1", {
      ptrHostname: "a.example",
      mac: { addr: "02:00:00:00:00:01", addrtype: "mac", vendor: "Private" },
    });
    a.ports.find((p) => p.port === 22)!.service = {
      name: "ssh",
      method: "probed",
      confidence: 10,
      product: "OpenSSH",
      version: "9.2p1",
      cpe: ["cpe:/a:openbsd:openssh:9.2p1"],
    };
    w.host(a);
    const down: HostResult = {
      ...sampleHost("10.0.0.2"),
      status: "down",
      statusReason: "no-response",
      ports: [],
      times: undefined,
    };
    w.host(down);
    w.progress({
      address: "10.0.0.3",
      time: run.startTime + 2000,
      ports: sampleHost("10.0.0.3").ports.slice(0, 50),
    });

    // The scan is still "running": no summary yet, jq already answers.
    assertEquals(
      await jq('select(.type=="host") | .ports[] | select(.state=="open") | .port', path),
      "22\n80\n",
    );

    w.scripts("post", [{
      id: "pp-test",
      output: "\n  phase: postrule",
      elems: [{ key: "phase", value: "postrule" }],
    }]);
    w.end(sampleSummary({ hostsUp: 1, hostsDown: 1, hostsTotal: 3 }));
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assertEquals(lines.map((l) => JSON.parse(l).type), [
      "run",
      "scripts",
      "host",
      "host",
      "progress",
      "scripts",
      "summary",
    ]);
    for (const line of lines) assertEquals(validate(schema, JSON.parse(line)), [], line);

    assertEquals(
      await jq('select(.type=="host" and .status=="up") | .address', path),
      '"10.0.0.1"\n',
    );
    assertEquals(
      await jq('select(.type=="host") | .extraPorts[] | [.state, .count, .reasons[0].ports]', path),
      '["closed",98,"1-21,23-79,81-100"]\n',
    );
    assertEquals(await jq('select(.type=="progress") | .done[0].ports', path), '"1-21,23-50"\n');
    assertEquals(
      await jq(
        'select(.type=="host") | .ports[] | select(.service.product) | .service.cpe[0]',
        path,
      ),
      '"cpe:/a:openbsd:openssh:9.2p1"\n',
    );
  } finally {
    sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-oJ carries -O's result, and the schema describes it", async () => {
  const os: OsResult = {
    portsUsed: { openTcp: 22, closedTcp: 1, closedUdp: 41230 },
    unreliable: false,
    outcome: "success",
    matches: [{
      name: "Linux 5.3 - 5.4",
      accuracy: 0.96,
      line: 68140,
      classes: [{
        vendor: "Linux",
        family: "Linux",
        generation: "5.X",
        deviceType: "general purpose",
        cpe: ["cpe:/o:linux:linux_kernel:5"],
      }],
    }],
    perfect: 0,
    rounds: [parseFingerprint(NMAP_LAB_FINGERPRINT)],
    db: "/usr/share/nmap/nmap-os-db",
    distance: 1,
    distanceMethod: "icmp",
    scan: { version: "7.93", platform: "x86_64-pc-linux-gnu", time: 1_700_000_000_000 },
    sequence: labSequence(1_699_999_000),
    tries: 5,
  };
  const dir = await Deno.makeTempDir({ prefix: "ph-json-os-" });
  const path = `${dir}/scan.json`;
  const sink = FileSink.open(path, false);
  try {
    const w = new JsonWriter(sink, { openOnly: false });
    w.begin(sampleRun());
    w.host({ ...sampleHost("10.0.0.1"), os });
    w.end(sampleSummary());
    sink.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    for (const line of lines) assertEquals(validate(schema, JSON.parse(line)), [], line);
    const host = JSON.parse(lines[1]!);
    assertEquals(host.os.matches[0].name, "Linux 5.3 - 5.4");
    assertEquals(host.os.matches[0].accuracy, 96);
    assertEquals(host.os.distance, 1);
    assertEquals(host.os.sequence.difficulty, "Good luck!");
    assert(/^OS:SCAN\(V=7\.93/.test(host.os.fingerprint), host.os.fingerprint);
    // The schema refuses what the writer does not write.
    assert(validate(schema, { ...host, os: { ...host.os, guess: 1 } }).length > 0);
  } finally {
    sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-oJ: NSE script output (port scripts, host scripts, nested elements) validates", () => {
  const sink = {
    text: "",
    write(s: string) {
      this.text += s;
    },
  };
  const w = new JsonWriter(sink as never, { openOnly: false });
  w.begin(sampleRun());
  const h = sampleHost("10.0.0.1", {
    hostScripts: [{
      id: "hs",
      output: "\n  list: \n    x",
      elems: [{ key: "list", table: [{ value: "x" }] }, { key: "k", value: "v" }],
    }],
  });
  h.ports.find((p) => p.port === 80)!.scripts = [{
    id: "http-title",
    output: "Go ahead and ScanMe!",
    elems: [{ key: "title", value: "Go ahead and ScanMe!" }],
  }];
  w.host(h);
  const line = JSON.parse(sink.text.trim().split("\n").at(-1)!);
  assertEquals(validate(schema, line), []);
  assertEquals(line.hostScripts[0].elems[0].table[0].value, "x");
  assertEquals(
    line.ports.find((p: { port: number }) => p.port === 80).scripts[0].output,
    "Go ahead and ScanMe!",
  );
  assert(
    validate(schema, { ...line, hostScripts: [{ id: "x", output: "y", elems: [{}] }] }).length > 0,
  );
});

Deno.test("-oJ carries --traceroute's hops, and the schema describes them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-json-trace-" });
  const path = `${dir}/scan.json`;
  const sink = FileSink.open(path, false);
  try {
    const w = new JsonWriter(sink, { openOnly: false });
    w.begin(sampleRun());
    w.host({
      ...sampleHost("10.0.0.2"),
      trace: {
        proto: "tcp",
        port: 81,
        hops: [
          { ttl: 1, ipaddr: "10.9.0.2", rttMs: 0.0123, host: "r1.lab", tag: "10.0.0.1" },
          { ttl: 2, tag: "10.0.0.1" },
          { ttl: 3, ipaddr: "10.0.0.2", rttMs: 0.25, tag: "10.0.0.2" },
        ],
      },
    });
    w.end(sampleSummary());
    sink.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    for (const line of lines) assertEquals(validate(schema, JSON.parse(line)), [], line);
    const host = JSON.parse(lines[1]!);
    assertEquals(host.trace, {
      proto: "tcp",
      protoNumber: 6,
      port: 81,
      hops: [
        { ttl: 1, ipaddr: "10.9.0.2", rtt: 0.01, host: "r1.lab", sameAs: "10.0.0.1" },
        { ttl: 2, sameAs: "10.0.0.1" },
        { ttl: 3, ipaddr: "10.0.0.2", rtt: 0.25 },
      ],
    });
    assert(validate(schema, { ...host, trace: { ...host.trace, via: 1 } }).length > 0);
  } finally {
    sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});
