/**
 * Bad sharding input from the command line: one clear message, exit 1, no stack trace, and
 * nothing scanned (parsing fails before any packet; the target is never reached).
 */

import { equal, match, ok } from "node:assert/strict";
import { parseOptions } from "./options/mod.ts";

const main = new URL("./main.ts", import.meta.url).pathname;

async function porthole(args: string[]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-env", main, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, err: new TextDecoder().decode(o.stderr) };
}

Deno.test("--shards/--shard/--seed: parsed together", () => {
  const o = parseOptions(["--shards", "4", "--shard=3", "--seed", "12345", "127.0.0.1"]);
  equal(JSON.stringify(o.shard), JSON.stringify({ count: 4, index: 3, seed: 12345, by: "host" }));
  const p = parseOptions([
    "--shards",
    "2",
    "--shard",
    "1",
    "--seed",
    "5",
    "--shard-by",
    "probe",
    "127.0.0.1",
  ]);
  equal(p.shard?.by, "probe");
  equal(parseOptions(["127.0.0.1"]).shard, undefined);
});

Deno.test("--shards/--shard/--seed/--merge: bad input is one clear message and exit 1", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--shards", "3", "--shard", "3", "--seed", "1"],
      /--shard 3 is out of range: with --shards 3 the shards are 0 to 2\./,
    ],
    [["--shards", "3", "--shard", "0"], /--shards needs --seed S/],
    [["--shards", "3", "--seed", "1"], /--shards 3 needs --shard I: which shard \(0 to 2\)/],
    [["--shard", "1", "--seed", "1"], /--shard I needs --shards N/],
    [["--seed", "1"], /--seed is used only to split a scan/],
    [
      ["--shards", "0", "--shard", "0", "--seed", "1"],
      /--shards must be a whole number, 1 or more, not "0"/,
    ],
    [
      ["--shards", "2", "--shard", "-1", "--seed", "1"],
      /--shard must be a whole number from 0 to 1, not "-1"/,
    ],
    [["--shards", "2", "--shard", "1", "--seed", "x"], /--seed must be a whole number/],
    [["-v", "--merge", "out.xml", "a.xml"], /--merge stands alone/],
    [["--shard-by", "probe"], /--shard-by is used only to split a scan/],
    [
      ["--shards", "2", "--shard", "0", "--seed", "1", "--shard-by", "port"],
      /--shard-by must be "host" or "probe", not "port"/,
    ],
    ...([
      [["-O"], /^OS detection \(-O\) needs each host's whole scan/],
      [["-A"], /^-A \(OS detection, scripts and traceroute\) needs/],
      [["-sC"], /^Script scanning \(-sC, --script\) needs/],
      [["--script", "banner"], /^Script scanning/],
      [
        ["--traceroute"],
        /^--traceroute needs each host's whole scan, which --shard-by probe splits among the shards: shard by host \(the default\) instead\./,
      ],
      [["--open"], /^--open needs/],
    ] as [string[], RegExp][]).map(([a, re]): [string[], RegExp] => [
      ["--shards", "2", "--shard", "0", "--seed", "1", "--shard-by", "probe", ...a],
      re,
    ]),
  ];
  for (const [args, want] of cases) {
    const r = await porthole([...args, "127.0.0.1"]);
    equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    match(r.err, want);
    ok(!r.err.includes("    at "), r.err);
  }
  const none = await porthole(["--merge", "out.xml", "/nonexistent/shard-0.xml"]);
  equal(none.code, 1);
  match(none.err, /Cannot read \/nonexistent\/shard-0\.xml/);
  const usage = await porthole(["--merge", "out.xml"]);
  equal(usage.code, 1);
  match(usage.err, /Usage: porthole --merge OUT SHARD-FILE/);
});
