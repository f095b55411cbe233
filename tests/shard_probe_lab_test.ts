/**
 * `--shard-by probe` against one host with many ports (the scanme replica, -sS -sV on 1,502
 * ports): three shards at once, each in a scanner namespace of its own, each probing a third of
 * the host's ports (and -sV on the open ones it found), then `porthole --merge`. Every port is
 * in exactly one shard's table, the shards' parts are within one port of each other, and the
 * merged XML (one host, its port tables joined, the folded states counted again) is valid
 * against nmap.dtd and ndiff-clean against one machine's scan; the merged -oJ holds the single
 * run's host. A shard run again changes nothing. -O with --shard-by probe is refused.
 */

import assert from "node:assert/strict";
import { haveTool } from "./_oracle.ts";
import { labTest, withLab } from "./scan_lab.ts";
import { merge, oracleSteps, portholeIn, runArgv } from "./_shard_lab.ts";
import { expandPortList } from "../cli/output/progress_record.ts";

/** A host's every port in an XML report, listed or folded: "22/tcp" → state. */
function xmlPorts(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (key: string, state: string) => {
    assert.ok(!out.has(key), `${key} twice`);
    out.set(key, state);
  };
  for (const m of xml.matchAll(/<port protocol="(\w+)" portid="(\d+)"><state state="([^"]+)"/g)) {
    add(`${m[2]}/${m[1]}`, m[3]!);
  }
  for (const ex of xml.matchAll(/<extraports state="([^"]+)"[^>]*>([\s\S]*?)<\/extraports>/g)) {
    for (const r of ex[2]!.matchAll(/<extrareasons [^>]*proto="(\w+)" ports="([^"]*)"/g)) {
      for (const p of expandPortList(r[2]!)!) add(`${p}/${r[1]}`, ex[1]!);
    }
  }
  return out;
}

const hostCount = (xml: string) => [...xml.matchAll(/<host[\s>]/g)].length;

Deno.test(
  labTest(
    "shards by probe: 3 shards split one host's ports and merge into the single run's result",
    async (t) => {
      await withLab({ tag: "shardp", scenario: "scanme" }, async (lab) => {
        const dir = await Deno.makeTempDir({ prefix: "ph-shardp-" });
        try {
          const target = lab.target.v4;
          const scan = ["-sS", "-sV", "-n", "-p", "1-1500,9929,31337", target];
          const shardArgs = (i: number) => [
            ...scan,
            "--shards",
            "3",
            "--shard",
            String(i),
            "--seed",
            "11",
            "--shard-by",
            "probe",
            "-oX",
            `${dir}/shard-${i}.xml`,
            "-oJ",
            `${dir}/shard-${i}.json`,
          ];
          const scanners = [
            undefined,
            (await lab.addScanner(1)).exec,
            (await lab.addScanner(2)).exec,
          ];
          const single = await lab.porthole([
            ...scan,
            "-oX",
            `${dir}/single.xml`,
            "-oJ",
            `${dir}/single.json`,
          ]);
          assert.equal(single.code, 0, single.stderr);
          const shards = await Promise.all(
            scanners.map(async (exec, i) => runArgv(await portholeIn(lab, exec, shardArgs(i)))),
          );
          for (const r of shards) assert.equal(r.code, 0, r.err);

          const singleXml = await Deno.readTextFile(`${dir}/single.xml`);
          const want = xmlPorts(singleXml);
          assert.equal(want.size, 1502);
          assert.equal(want.get("22/tcp"), "open");
          const parts = await Promise.all(
            [0, 1, 2].map((i) => Deno.readTextFile(`${dir}/shard-${i}.xml`)),
          );
          await t.step(
            "every port in exactly one shard, parts within one, together the single run",
            () => {
              const seen = new Map<string, string>();
              const sizes = [];
              for (const xml of parts) {
                assert.equal(hostCount(xml), 1, "every shard reports the host");
                const ports = xmlPorts(xml);
                sizes.push(ports.size);
                for (const [k, state] of ports) {
                  assert.ok(!seen.has(k), `${k} in two shards`);
                  seen.set(k, state);
                }
              }
              assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `parts of ${sizes}`);
              assert.deepEqual(new Map([...seen].sort()), new Map([...want].sort()));
            },
          );

          const merged = `${dir}/merged.xml`;
          await t.step(
            "merged XML: valid against nmap.dtd, ndiff-clean against the single run",
            async (t) => {
              const m = await merge(lab, merged, [2, 0, 1].map((i) => `${dir}/shard-${i}.xml`));
              assert.equal(m.code, 0, m.stderr);
              assert.match(m.stdout, /Merged 3 shards of 3 \(1 hosts, 1 up\)/);
              const text = await Deno.readTextFile(merged);
              assert.equal(hostCount(text), 1);
              assert.deepEqual(xmlPorts(text), want);
              // -sV ran in the shard of each open port.
              assert.match(
                text,
                /portid="22"><state state="open"[^>]*\/><service name="ssh" product="OpenSSH"/,
              );
              // The folded states as the single run folds them (the counts recomputed).
              const extra = (x: string) => [...x.matchAll(/<extraports [^>]*>/g)].map((m) => m[0]);
              assert.deepEqual(extra(text), extra(singleXml));
              await oracleSteps(t, `${dir}/single.xml`, merged);
            },
          );

          await t.step("merged -oJ: the single run's host", async () => {
            const out = `${dir}/merged.json`;
            const m = await merge(lab, out, [0, 1, 2].map((i) => `${dir}/shard-${i}.json`));
            assert.equal(m.code, 0, m.stderr);
            const lines = (p: string) =>
              Deno.readTextFileSync(p).trim().split("\n").map((l) => JSON.parse(l));
            const host = (p: string) => {
              const h = lines(p).find((l) => l.type === "host");
              const { startTime: _s, endTime: _e, times: _t, latencySeconds: _l, ...rest } = h;
              return rest;
            };
            assert.deepEqual(host(out), host(`${dir}/single.json`));
            const sum = lines(out).at(-1);
            assert.deepEqual([sum.hostsTotal, sum.hostsUp], [1, 1]);
          });

          await t.step("shard 1 run again changes nothing", async () => {
            const again = await runArgv(await portholeIn(lab, scanners[1], shardArgs(1)));
            assert.equal(again.code, 0, again.err);
            assert.deepEqual(
              xmlPorts(await Deno.readTextFile(`${dir}/shard-1.xml`)),
              xmlPorts(parts[1]!),
            );
            const m = await merge(
              lab,
              `${dir}/merged2.xml`,
              [0, 1, 2].map((i) => `${dir}/shard-${i}.xml`),
            );
            assert.equal(m.code, 0, m.stderr);
            if (haveTool("ndiff")) {
              const r = await runArgv(["ndiff", merged, `${dir}/merged2.xml`]);
              assert.equal(r.code, 0, r.out + r.err);
            }
          });

          await t.step("-O with --shard-by probe is refused before any probe", async () => {
            const r = await lab.porthole(["-O", ...shardArgs(0)]);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /^OS detection \(-O\) needs each host's whole scan/m);
          });
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    },
  ),
);
