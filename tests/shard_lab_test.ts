/**
 * `--shards 3 --shard I --seed S` against the AnyIP /16 (a /24 of it × 4 ports, to stay quick):
 * three shard processes at once, each in a scanner namespace of its own (as pods would be, each
 * with its own link to the target), then `porthole --merge`. The shards' hosts are disjoint and
 * together the single run's; the merged XML is valid against nmap.dtd and ndiff-clean against
 * one machine's scan of the same targets; the merged -oJ holds the single run's hosts. A shard
 * killed (SIGKILL) is refused by the merge, named; run again, it changes nothing. Shards that do
 * not belong together (another seed, another target list, a missing shard) are refused.
 */

import assert from "node:assert/strict";
import { haveTool } from "./_oracle.ts";
import { labTest, withLab } from "./scan_lab.ts";
import { merge, oracleSteps, portholeIn, runArgv } from "./_shard_lab.ts";

function xmlHosts(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of xml.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const addr = /<address addr="([^"]+)" addrtype="ipv4"/.exec(m[0])![1]!;
    assert.ok(!out.has(addr), `${addr} twice`);
    const ports = [
      ...m[0].matchAll(/<port protocol="(\w+)" portid="(\d+)"><state state="([^"]+)"/g),
    ]
      .map((p) => `${p[2]}/${p[1]} ${p[3]}`);
    out.set(addr, ports);
  }
  return out;
}

Deno.test(
  labTest(
    "shards: 3 shards in 3 scanner namespaces merge into the single run's result",
    async (t) => {
      await withLab({ tag: "shards", scenario: "anyip16" }, async (lab) => {
        const dir = await Deno.makeTempDir({ prefix: "ph-shards-" });
        try {
          const net = lab.anyip!.replace(/\.0\.0\/16$/, ".3.0/24");
          const scan = ["-v", "-sS", "-n", "-p", "22,80,81,8000", "--max-rate", "300", net];
          const shardArgs = (i: number) => [
            ...scan,
            "--shards",
            "3",
            "--shard",
            String(i),
            "--seed",
            "7",
            // Each shard shuffles its own hosts; the partition is dealt before, so it holds.
            "--randomize-hosts",
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

          const want = xmlHosts(await Deno.readTextFile(`${dir}/single.xml`));
          assert.equal(want.size, 256);
          const parts = await Promise.all(
            [0, 1, 2].map(async (i) => xmlHosts(await Deno.readTextFile(`${dir}/shard-${i}.xml`))),
          );
          await t.step("the shards are disjoint, even, and together the single run", () => {
            const seen = new Map<string, string[]>();
            for (const p of parts) {
              assert.ok(p.size >= 85 && p.size <= 86, `a shard of ${p.size} hosts`);
              for (const [a, ports] of p) {
                assert.ok(!seen.has(a), `${a} in two shards`);
                seen.set(a, ports);
              }
            }
            assert.deepEqual(new Map([...seen].sort()), new Map([...want].sort()));
          });

          const merged = `${dir}/merged.xml`;
          await t.step(
            "merged XML: valid against nmap.dtd, ndiff-clean against the single run",
            async (t) => {
              const m = await merge(lab, merged, [0, 2, 1].map((i) => `${dir}/shard-${i}.xml`));
              assert.equal(m.code, 0, m.stderr);
              assert.match(m.stdout, /Merged 3 shards of 3 \(256 hosts, 256 up\)/);
              assert.deepEqual(xmlHosts(await Deno.readTextFile(merged)), want);
              await oracleSteps(t, `${dir}/single.xml`, merged);
            },
          );

          await t.step("merged -oJ: the single run's hosts and counts", async () => {
            const out = `${dir}/merged.json`;
            const m = await merge(lab, out, [0, 1, 2].map((i) => `${dir}/shard-${i}.json`));
            assert.equal(m.code, 0, m.stderr);
            const lines = (p: string) =>
              Deno.readTextFileSync(p).trim().split("\n").map((l) => JSON.parse(l));
            const strip = (h: Record<string, unknown>) => {
              const { startTime: _s, endTime: _e, times: _t, latencySeconds: _l, ...rest } = h;
              return rest;
            };
            const hostsOf = (p: string) =>
              lines(p).filter((l) => l.type === "host").map(strip).sort((a, b) =>
                String(a.address).localeCompare(String(b.address))
              );
            assert.deepEqual(hostsOf(out), hostsOf(`${dir}/single.json`));
            const sum = lines(out).at(-1);
            assert.equal(sum.type, "summary");
            assert.equal(sum.hostsTotal, 256);
            assert.ok(!lines(out)[0].args.includes("--shard"));
          });

          await t.step("shards that do not belong together are refused, named", async () => {
            const f = (i: number) => `${dir}/shard-${i}.xml`;
            const missing = await merge(lab, `${dir}/x.xml`, [f(0), f(2)]);
            assert.equal(missing.code, 1);
            assert.match(missing.stderr, /Shard 1 of 3 is missing \(given: 0, 2\)/);
            const text = await Deno.readTextFile(f(2));
            await Deno.writeTextFile(
              `${dir}/seed.xml`,
              text.replace(/(-&#45;|--)seed 7/g, "$1seed 8"),
            );
            const seed = await merge(lab, `${dir}/x.xml`, [f(0), f(1), `${dir}/seed.xml`]);
            assert.equal(seed.code, 1);
            assert.match(seed.stderr, /Seeds differ: .*--seed 7, .*--seed 8/);
            const other = net.replace(".3.0/24", ".4.0/24");
            await Deno.writeTextFile(`${dir}/targets.xml`, text.replaceAll(net, other));
            const targets = await merge(lab, `${dir}/x.xml`, [f(0), f(1), `${dir}/targets.xml`]);
            assert.equal(targets.code, 1);
            assert.match(
              targets.stderr,
              /Target lists differ: .* scans .*\.3\.0\/24, .* scans .*\.4\.0\/24/,
            );
            const twice = await merge(lab, `${dir}/x.xml`, [f(0), f(1), f(1)]);
            assert.equal(twice.code, 1);
            assert.match(twice.stderr, /are both shard 1 of 3/);
            assert.ok(!twice.stderr.includes("    at "), twice.stderr);
          });

          await t.step("shard 1 killed and run again changes nothing", async () => {
            const argv = await portholeIn(lab, scanners[1], shardArgs(1));
            const child = new Deno.Command(argv[0]!, {
              args: argv.slice(1),
              cwd: new URL("..", import.meta.url).pathname,
              stdout: "null",
              stderr: "null",
            }).spawn();
            // Killed once it has begun its file (the previous run's is truncated then), mid-scan.
            const before = await Deno.readTextFile(`${dir}/shard-1.xml`);
            for (let i = 0; i < 600; i++) {
              const now = await Deno.readTextFile(`${dir}/shard-1.xml`).catch(() => before);
              if (now !== before) break;
              await new Promise((r) => setTimeout(r, 50));
            }
            // ip netns exec runs the scanner as its child: kill the whole process group's leader
            // and the scanner inside (by pid, found under this child).
            const kids = await runArgv(["pgrep", "-P", String(child.pid)]);
            for (const pid of kids.out.split("\n").filter(Boolean)) {
              Deno.kill(Number(pid), "SIGKILL");
            }
            child.kill("SIGKILL");
            const st = await child.status;
            assert.equal(st.signal, "SIGKILL", "the shard finished before it could be killed");
            const cut = await merge(
              lab,
              `${dir}/x.xml`,
              [0, 1, 2].map((i) => `${dir}/shard-${i}.xml`),
            );
            assert.equal(cut.code, 1);
            assert.match(cut.stderr, /shard-1\.xml: this shard did not finish/);

            const again = await runArgv(argv);
            assert.equal(again.code, 0, again.err);
            assert.deepEqual(xmlHosts(await Deno.readTextFile(`${dir}/shard-1.xml`)), parts[1]);
            const m = await merge(
              lab,
              `${dir}/merged2.xml`,
              [0, 1, 2].map((i) => `${dir}/shard-${i}.xml`),
            );
            assert.equal(m.code, 0, m.stderr);
            assert.deepEqual(xmlHosts(await Deno.readTextFile(`${dir}/merged2.xml`)), want);
            if (haveTool("ndiff")) {
              const r = await runArgv(["ndiff", merged, `${dir}/merged2.xml`]);
              assert.equal(r.code, 0, r.out + r.err);
            }
          });
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    },
  ),
);
