import { equal, match, throws } from "node:assert/strict";
import { mergeShards } from "./merge.ts";
import type { HostResult, PortResult } from "./model/mod.ts";
import { joinJsonHost, joinXmlHost } from "./merge_ports.ts";
import { shardPorts } from "./engine/shard.ts";
import { XmlWriter } from "./output/xml.ts";
import { JsonWriter } from "./output/json.ts";
import {
  MemorySink,
  sampleHost,
  sampleRun,
  sampleSummary,
} from "../tests/testing/output_samples.ts";

/** The host's report alone, as -oX or -oJ writes it. */
function report(format: "xml" | "json", h: HostResult, verbose: number, openOnly: boolean) {
  const sink = new MemorySink();
  const w = format === "xml"
    ? new XmlWriter(sink, { stylesheet: null, openOnly })
    : new JsonWriter(sink, { openOnly });
  w.begin(sampleRun({ verbose }));
  w.host(h);
  w.end(sampleSummary());
  if (format === "json") {
    return sink.text.split("\n").find((l) => l.includes('"type":"host"'))! + "\n";
  }
  return /<host[\s>][\s\S]*?<\/host>\n/.exec(sink.text)![0];
}

const port = (n: number, state: PortResult["state"], reason: string): PortResult => ({
  protocol: "tcp",
  port: n,
  state,
  reason,
  reasonTtl: state === "filtered" ? 0 : 64,
});

/** Hosts whose folding differs between a shard's part and the whole. */
const hosts: [string, HostResult][] = [
  ["98 closed, 2 open (folded in every shard)", sampleHost()],
  [
    "30 closed, 10 filtered, 2 open (closed listed in each shard, folded when joined)",
    sampleHost("10.0.0.2", {
      ports: [
        ...Array.from({ length: 30 }, (_, i) => port(100 + i, "closed", "reset")),
        ...Array.from({ length: 10 }, (_, i) => port(200 + i, "filtered", "no-response")),
        port(443, "open", "syn-ack"),
        port(8080, "open", "syn-ack"),
      ],
    }),
  ],
  [
    "40 filtered by two reasons, 40 closed, one open UDP",
    sampleHost("10.0.0.3", {
      ports: [
        ...Array.from({ length: 40 }, (_, i) => port(1 + i, "closed", "reset")),
        ...Array.from(
          { length: 40 },
          (_, i) => port(100 + i, "filtered", i % 3 ? "no-response" : "admin-prohibited"),
        ),
        { protocol: "udp", port: 53, state: "open", reason: "udp-response", reasonTtl: 64 },
      ],
    }),
  ],
];

for (const format of ["xml", "json"] as const) {
  for (const [name, whole] of hosts) {
    Deno.test(`probe shards joined (${format}): ${name} — equals the single report`, () => {
      const lists = {
        tcp: whole.ports.filter((p) => p.protocol === "tcp").map((p) => p.port),
        udp: whole.ports.filter((p) => p.protocol === "udp").map((p) => p.port),
        sctp: [],
      };
      for (const [verbose, openOnly] of [[0, false], [1, false], [3, false]] as const) {
        for (const count of [2, 3, 4]) {
          const parts = Array.from({ length: count }, (_, i) => {
            const mine = shardPorts(lists, count, i, 77);
            const part: HostResult = {
              ...whole,
              ports: whole.ports.filter((p) =>
                p.protocol !== "ip" && mine[p.protocol].includes(p.port)
              ),
              // Shards start and end at their own times; the join spans them all.
              startTime: whole.startTime! + 1000 * i,
              endTime: whole.endTime! - 1000 * (count - 1 - i),
            };
            return { path: `shard-${i}`, text: report(format, part, verbose, openOnly) };
          });
          const join = format === "xml" ? joinXmlHost : joinJsonHost;
          const fold = { verbose, debug: 0, openOnly };
          equal(
            join(whole.address, parts, fold),
            report(format, whole, verbose, openOnly),
            `${count} shards, -v ${verbose}, --open ${openOnly}`,
          );
        }
      }
    });
  }
}

Deno.test("--merge of probe shards: the host joined; a shard that missed an up host is named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = sampleHost();
    const lists = { tcp: whole.ports.map((p) => p.port), udp: [], sctp: [] };
    const args = (i: number) => [
      "porthole",
      ..."-sS -p 1-100 --shards 2 --shard".split(" "),
      String(i),
      ..."--seed 1 --shard-by probe 10.0.0.1".split(" "),
    ];
    const write = (i: number, hosts: HostResult[]) => {
      const sink = new MemorySink();
      const w = new XmlWriter(sink, { stylesheet: null, openOnly: false });
      w.begin(sampleRun({ args: args(i) }));
      for (const h of hosts) w.host(h);
      w.end(sampleSummary());
      Deno.writeTextFileSync(`${dir}/s${i}.xml`, sink.text);
    };
    const part = (i: number) => {
      const mine = shardPorts(lists, 2, i, 1).tcp;
      return { ...whole, ports: whole.ports.filter((p) => mine.includes(p.port)) };
    };
    write(0, [part(0)]);
    write(1, [part(1)]);
    mergeShards(`${dir}/m.xml`, [`${dir}/s1.xml`, `${dir}/s0.xml`]);
    const merged = Deno.readTextFileSync(`${dir}/m.xml`);
    equal(merged.match(/<host /g)?.length, 1);
    equal(/<host[\s>][\s\S]*?<\/host>\n/.exec(merged)![0], report("xml", whole, 0, false));
    match(merged, /<hosts up="1" down="0" total="1"\/>/);
    // Shard 1's discovery missed the host: its ports are not in any file.
    write(1, []);
    throws(
      () => mergeShards(`${dir}/m.xml`, [`${dir}/s0.xml`, `${dir}/s1.xml`]),
      /Host 10\.0\.0\.1 is up in .*s0\.xml but not in .*s1\.xml: those shards did not probe its ports; run them again\./,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
