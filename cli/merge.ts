/**
 * `porthole --merge OUT SHARD...`: the outputs of a sharded scan (`--shards N
 * --shard I --seed S`, cli/engine/shard.ts), XML (-oX) or NDJSON (-oJ), made
 * into the one file a single machine would have written: every host of every
 * shard (in address order), the earliest start, the latest end, the host
 * counts summed. ndiff finds it identical to a single-machine scan. Shards
 * split `--shard-by probe` all report every host: each host's reports are
 * joined into one (cli/merge_ports.ts) and counted once.
 *
 * Each shard's command line is in its file (XML's args, -oJ's run line), so
 * the merge checks that the shards belong together before it writes anything:
 * one shard count, one seed, one target list, one scan; every shard from 0 to
 * N-1 exactly once (a missing one is named); every shard finished (an
 * interrupted or failed one is named, to be run again).
 *
 * @module
 */

import { fatal } from "./errors.ts";
import { scanOf, targetsOf, withoutShardIndex } from "./options/shard_scan.ts";
import { type HostPart, joinJsonHost, joinXmlHost } from "./merge_ports.ts";
import { parseOptions } from "./options/mod.ts";
import type { Options } from "./options/types.ts";
import type { RunSummary } from "./model/mod.ts";
import { escapeXml, XmlWriter } from "./output/xml.ts";
import { jsonLine } from "./output/json.ts";
import { formatCtime, joinQuoted } from "./output/format.ts";
import { epochSeconds, splitQuoted } from "./output/_util.ts";
import { xmlUnescape } from "./output/resume.ts";
import { parseIpv4, parseIpv6Value } from "./targets.ts";

/** One shard's file, read and checked. */
interface ShardFile {
  path: string;
  format: "xml" | "json";
  /** The program name the shard ran as (argv[0]). */
  program: string;
  argv: string[];
  opts: Options;
  startMs: number;
  /** Everything before the first host (XML: prolog and <nmaprun> with scaninfo; JSON: the run line). */
  head: string;
  /** Each host's text, with its address (and, once joined, whether it is up). */
  hosts: { address: string; text: string; up?: boolean }[];
  summary: Pick<RunSummary, "endTime" | "hostsUp" | "hostsDown" | "hostsTotal">;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? xmlUnescape(m[1]!) : undefined;
}

function unfinished(path: string, why: string): never {
  fatal(`${path}: this shard did not finish (${why}); run it again before merging.`);
}

function readXml(path: string, text: string): Omit<ShardFile, "opts"> {
  const run = /<nmaprun\s[^>]*>/.exec(text);
  if (!run) fatal(`${path}: not an XML scan output (no <nmaprun>).`);
  const all = splitQuoted(attr(run[0], "args") ?? "");
  const startMs = Number(attr(run[0], "start") ?? "0") * 1000;
  const first = text.search(/<host[\s>]/);
  const stats = text.indexOf("<runstats>");
  if (stats < 0) unfinished(path, "no <runstats>: cut short");
  if (text.includes("<!-- Porthole progress for ")) unfinished(path, "interrupted");
  // The prolog up to <debugging/>: the shard's task and hint elements (-v) tell its own
  // timeline, not the merged scan's, so only hosts are taken from the body.
  const debugging = /<debugging [^>]*>\n?/.exec(text);
  const headEnd = debugging ? debugging.index + debugging[0].length : first >= 0 ? first : stats;
  const head = text.slice(0, Math.min(headEnd, stats));
  const body = text.slice(head.length, stats);
  const hosts: ShardFile["hosts"] = [];
  for (const m of body.matchAll(/<host[\s>][\s\S]*?<\/host>\n?/g)) {
    const addr = /<address addr="([^"]*)" addrtype="ipv[46]"/.exec(m[0]);
    if (!addr) fatal(`${path}: a <host> without an IP address.`);
    hosts.push({ address: xmlUnescape(addr[1]!), text: m[0] });
  }
  const finished = /<finished\s[^>]*>/.exec(text.slice(stats))?.[0] ?? "";
  const counts = /<hosts\s[^>]*>/.exec(text.slice(stats))?.[0] ?? "";
  if (attr(finished, "exit") !== "success") {
    unfinished(path, attr(finished, "errormsg") ?? "its exit was not success");
  }
  return {
    path,
    format: "xml",
    program: all[0] ?? "porthole",
    argv: all.slice(1),
    startMs,
    head,
    hosts,
    summary: {
      endTime: Number(attr(finished, "time") ?? "0") * 1000,
      hostsUp: Number(attr(counts, "up") ?? "0"),
      hostsDown: Number(attr(counts, "down") ?? "0"),
      hostsTotal: Number(attr(counts, "total") ?? "0"),
    },
  };
}

function readJson(path: string, text: string): Omit<ShardFile, "opts"> {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  let runLine: Record<string, unknown> | undefined;
  let summary: Record<string, unknown> | undefined;
  const hosts: ShardFile["hosts"] = [];
  for (const [i, line] of lines.entries()) {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch {
      fatal(`${path}: line ${i + 1} is not JSON.`);
    }
    if (v.type === "run") runLine = v;
    else if (v.type === "host") hosts.push({ address: String(v.address), text: line + "\n" });
    else if (v.type === "progress") unfinished(path, "interrupted");
    else if (v.type === "summary") summary = v;
  }
  if (!runLine || !Array.isArray(runLine.args)) fatal(`${path}: no run line (is it -oJ output?).`);
  if (!summary) unfinished(path, "no summary line: cut short");
  if (summary.exit !== "success" || summary.interrupted) {
    unfinished(path, String(summary.errorMessage ?? summary.signal ?? "its exit was not success"));
  }
  return {
    path,
    format: "json",
    program: String(runLine.args[0] ?? "porthole"),
    argv: (runLine.args as unknown[]).map(String).slice(1),
    startMs: Number(runLine.startTime),
    head: JSON.stringify(runLine),
    hosts,
    summary: {
      endTime: Number(summary.endTime),
      hostsUp: Number(summary.hostsUp),
      hostsDown: Number(summary.hostsDown),
      hostsTotal: Number(summary.hostsTotal),
    },
  };
}

function readShard(path: string): ShardFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    fatal(`Cannot read ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const start = text.trimStart();
  if (start.startsWith("#")) {
    fatal(`${path} is normal or grepable output: merge the shards' -oX or -oJ files.`);
  }
  const f = start.startsWith("<") ? readXml(path, text) : readJson(path, text);
  let opts: Options;
  try {
    opts = parseOptions(f.argv, { skipFileChecks: true });
  } catch {
    fatal(`${path}: its command line does not parse: ${joinQuoted(f.argv)}`);
  }
  if (!opts.shard) {
    fatal(`${path} is not a shard's output: its command line has no --shards/--shard/--seed.`);
  }
  return { ...f, opts };
}

/** Sort key of an address: IPv4 before IPv6, each numerically. */
function addressKey(a: string): bigint {
  const v4 = parseIpv4(a);
  if (v4 !== undefined) return BigInt(v4);
  return (1n << 128n) + (parseIpv6Value(a)?.value ?? 0n);
}

/** Checks that `files` are the shards of one scan, all of them once. */
function checkShards(shards: ShardFile[]): void {
  const [a, ...rest] = shards as [ShardFile, ...ShardFile[]];
  const sa = a.opts.shard!;
  for (const b of rest) {
    const sb = b.opts.shard!;
    if (b.format !== a.format) {
      fatal(
        `${a.path} is ${a.format.toUpperCase()}, ${b.path} is ${b.format.toUpperCase()}: merge one format at a time.`,
      );
    }
    if (sb.count !== sa.count) {
      fatal(
        `Shard counts differ: ${a.path} has --shards ${sa.count}, ${b.path} has --shards ${sb.count}.`,
      );
    }
    if (sb.seed !== sa.seed) {
      fatal(
        `Seeds differ: ${a.path} has --seed ${sa.seed}, ${b.path} has --seed ${sb.seed}; they split the targets differently.`,
      );
    }
    if (targetsOf(b.opts) !== targetsOf(a.opts)) {
      const t = (o: Options) =>
        o.inputList !== undefined ? `-iL ${o.inputList}` : o.targets.join(" ");
      fatal(`Target lists differ: ${a.path} scans ${t(a.opts)}, ${b.path} scans ${t(b.opts)}.`);
    }
    if (scanOf(b.opts) !== scanOf(a.opts)) {
      fatal(
        `The shards ran different scans: ${a.path}: ${
          joinQuoted(withoutShardIndex(a.argv))
        }; ${b.path}: ${joinQuoted(withoutShardIndex(b.argv))}`,
      );
    }
  }
  const byIndex = new Map<number, ShardFile>();
  for (const s of shards) {
    const i = s.opts.shard!.index;
    const other = byIndex.get(i);
    if (other) fatal(`${other.path} and ${s.path} are both shard ${i} of ${sa.count}.`);
    byIndex.set(i, s);
  }
  const missing = [];
  for (let i = 0; i < sa.count; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length) {
    fatal(
      `${missing.length === 1 ? "Shard" : "Shards"} ${missing.join(", ")} of ${sa.count} ${
        missing.length === 1 ? "is" : "are"
      } missing (given: ${[...byIndex.keys()].sort((x, y) => x - y).join(", ")}).`,
    );
  }
}

/** A probe-sharded scan's hosts: each host's reports from every shard, joined into one. */
function joinHosts(shards: ShardFile[]): ShardFile["hosts"] {
  const o = shards[0]!.opts;
  const fold = { verbose: o.verbose, debug: o.debug, openOnly: o.openOnly };
  const parts = new Map<string, HostPart[]>();
  for (const s of shards) {
    for (const h of s.hosts) {
      const list = parts.get(h.address) ?? [];
      if (list.some((p) => p.path === s.path)) {
        fatal(`${s.path}: host ${h.address} is in it twice.`);
      }
      list.push({ path: s.path, text: h.text });
      parts.set(h.address, list);
    }
  }
  // A host up in one shard but not reported up by another would lack that shard's ports.
  const isUp = (t: string) => /<status state="up"|"status":"up"/.test(t);
  for (const [address, list] of parts) {
    const up = new Set(list.filter((p) => isUp(p.text)).map((p) => p.path));
    if (up.size === 0 || up.size === shards.length) continue;
    const without = shards.filter((s) => !up.has(s.path)).map((s) => s.path);
    fatal(
      `Host ${address} is up in ${[...up].join(", ")} but not in ${
        without.join(", ")
      }: those shards did not probe its ports; run them again.`,
    );
  }
  const join = shards[0]!.format === "xml" ? joinXmlHost : joinJsonHost;
  return [...parts].map(([address, list]) => {
    const text = join(address, list, fold);
    return { address, text, up: isUp(text) };
  });
}

/** Merges the shard outputs `inputs` into `out`; returns a one-line account. */
export function mergeShards(out: string, inputs: string[]): string {
  if (inputs.length === 0) {
    fatal("Usage: porthole --merge OUT SHARD-FILE... (every shard's -oX or -oJ file)");
  }
  const shards = inputs.map(readShard);
  checkShards(shards);
  shards.sort((x, y) => x.opts.shard!.index - y.opts.shard!.index);
  const first = shards[0]!;
  const byProbe = first.opts.shard!.by === "probe";
  const hosts = byProbe ? joinHosts(shards) : shards.flatMap((s) => s.hosts);
  if (!byProbe) {
    const seen = new Map<string, string>();
    for (const s of shards) {
      for (const h of s.hosts) {
        const other = seen.get(h.address);
        if (other !== undefined) {
          fatal(`Host ${h.address} is in two shards: ${other} and ${s.path}.`);
        }
        seen.set(h.address, s.path);
      }
    }
  }
  hosts.sort((x, y) => {
    const a = addressKey(x.address), b = addressKey(y.address);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const startMs = Math.min(...shards.map((s) => s.startMs));
  const endTime = Math.max(...shards.map((s) => s.summary.endTime));
  const sum = (k: "hostsUp" | "hostsDown" | "hostsTotal") =>
    shards.reduce((n, s) => n + s.summary[k], 0);
  // By probe every shard scanned every host: a host is up when a shard found it up.
  const total = byProbe ? Math.max(...shards.map((s) => s.summary.hostsTotal)) : sum("hostsTotal");
  const up = byProbe ? hosts.filter((h) => h.up).length : sum("hostsUp");
  const summary: RunSummary = {
    endTime,
    elapsedSeconds: Math.max(0, endTime - startMs) / 1000,
    hostsUp: up,
    hostsDown: byProbe ? total - up : sum("hostsDown"),
    hostsTotal: total,
    exit: "success",
  };
  // The merged scan's command line: the shards' without --shard I.
  const argv = [first.program, ...withoutShardIndex(first.argv)];
  let text = "";
  if (first.format === "xml") {
    const args = joinQuoted(argv);
    const startstr = formatCtime(startMs);
    const head = first.head
      .replace(
        / scan initiated [^\n]*? as: [^\n]*? -->/,
        () => ` scan initiated ${startstr} as: ${escapeXml(args)} -->`,
      )
      .replace(/(<nmaprun\s[^>]*?)\sargs="[^"]*"/, (_, t) => `${t} args="${escapeXml(args)}"`)
      .replace(
        /(<nmaprun\s[^>]*?)\sstart="[^"]*"/,
        (_, t) => `${t} start="${epochSeconds(startMs)}"`,
      )
      .replace(
        /(<nmaprun\s[^>]*?)\sstartstr="[^"]*"/,
        (_, t) => `${t} startstr="${escapeXml(startstr)}"`,
      );
    text = head + hosts.map((h) => h.text).join("");
    new XmlWriter({ write: (s) => text += s, close: () => {} }, {
      stylesheet: null,
      openOnly: false,
    })
      .end(summary);
  } else {
    const run = JSON.parse(first.head);
    text = jsonLine({ ...run, args: argv, startTime: startMs }) +
      hosts.map((h) => h.text).join("");
    text += jsonLine({
      type: "summary",
      endTime: summary.endTime,
      elapsedSeconds: summary.elapsedSeconds,
      hostsUp: summary.hostsUp,
      hostsDown: summary.hostsDown,
      hostsTotal: summary.hostsTotal,
      exit: summary.exit,
    });
  }
  // Written whole, then renamed: a reader never sees half a merge.
  const tmp = `${out}.merging-${Deno.pid}`;
  try {
    Deno.writeTextFileSync(tmp, text);
    Deno.renameSync(tmp, out);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never written
    }
    fatal(`Cannot write ${out}: ${e instanceof Error ? e.message : e}`);
  }
  return `Merged ${shards.length} shards of ${
    first.opts.shard!.count
  } (${summary.hostsTotal} hosts, ${summary.hostsUp} up) into ${out}`;
}
