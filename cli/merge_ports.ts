/**
 * One host's reports from the shards of a `--shard-by probe` scan, joined
 * into the one report a single machine would have written. Each shard probed
 * its own part of the host's ports (cli/engine/shard.ts shardPorts), so the
 * host's port table is the union of the shards' tables; which states are
 * folded into <extraports> (and their counts and reasons) is decided again
 * over the union, by the writers' own rule (cli/output/extraports.ts). Every
 * folded port can be recovered: <extrareasons> and `extraPorts` name them.
 * The host's status, addresses and names come from a shard that found it up
 * (every shard runs discovery); its start is the earliest, its end the latest.
 *
 * @module
 */

import { fatal } from "./errors.ts";
import type { PortResult, PortState, Protocol } from "./model/mod.ts";
import { comparePorts, type FoldOptions, foldPorts } from "./output/extraports.ts";
import { expandPortList } from "./output/progress_record.ts";
import { xmlUnescape } from "./output/resume.ts";
import { extraPortsXml } from "./output/xml.ts";
import { extraPortsJson, jsonLine } from "./output/json.ts";

/** One port of a host as a shard reported it: listed (with its text) or folded. */
interface ShardPort {
  protocol: Protocol;
  port: number;
  state: PortState;
  reason: string;
  /** The listed port's own text (XML <port> element, or JSON object); absent when folded. */
  listed?: string | Record<string, unknown>;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? xmlUnescape(m[1]!) : undefined;
}

/** Adds `p` to `byKey`; a port two shards report means the shards overlapped. */
function addPort(byKey: Map<string, ShardPort>, p: ShardPort, address: string, path: string) {
  const key = `${p.protocol}/${p.port}`;
  if (byKey.has(key)) {
    fatal(`${path}: port ${key} of ${address} is in two shards: they did not split the ports.`);
  }
  byKey.set(key, p);
}

/** The union's listed ports and folded states, as the writers fold them. */
function refold(byKey: Map<string, ShardPort>, fold: FoldOptions) {
  const all = [...byKey.values()];
  // foldPorts reads protocol, port, state and reason only.
  const folded = foldPorts(all as unknown as PortResult[], fold);
  const shown = (folded.shown as unknown as ShardPort[]).sort((a, b) =>
    comparePorts(a as unknown as PortResult, b as unknown as PortResult)
  );
  return { shown, ignored: folded.ignored };
}

/** One host's shard reports as they were read: the file and the host's text. */
export interface HostPart {
  path: string;
  text: string;
}

/** Joins one host's XML <host> elements from the shards of a probe-sharded scan. */
export function joinXmlHost(
  address: string,
  parts: readonly HostPart[],
  fold: FoldOptions,
): string {
  const byKey = new Map<string, ShardPort>();
  let start = Infinity, end = -Infinity;
  for (const { path, text } of parts) {
    const hostTag = /<host[\s>][^>]*>/.exec(text)?.[0] ?? "";
    const st = Number(attr(hostTag, "starttime") ?? NaN),
      en = Number(attr(hostTag, "endtime") ?? NaN);
    if (Number.isFinite(st)) start = Math.min(start, st);
    if (Number.isFinite(en)) end = Math.max(end, en);
    for (const ex of text.matchAll(/<extraports\s[^>]*>([\s\S]*?)<\/extraports>/g)) {
      const state = attr(ex[0], "state") as PortState;
      for (const r of ex[1]!.matchAll(/<extrareasons\s[^>]*\/>/g)) {
        const ports = expandPortList(attr(r[0], "ports") ?? "");
        if (!ports) fatal(`${path}: ${address}'s <extrareasons> has no port list to join.`);
        const protocol = attr(r[0], "proto") as Protocol;
        const reason = attr(r[0], "reason") ?? "";
        for (const port of ports) addPort(byKey, { protocol, port, state, reason }, address, path);
      }
    }
    for (const m of text.matchAll(/<port\s[^>]*>[\s\S]*?<\/port>\n?/g)) {
      const stateTag = /<state\s[^>]*>/.exec(m[0])?.[0] ?? "";
      addPort(
        byKey,
        {
          protocol: attr(m[0], "protocol") as Protocol,
          port: Number(attr(m[0], "portid")),
          state: attr(stateTag, "state") as PortState,
          reason: attr(stateTag, "reason") ?? "",
          listed: m[0].endsWith("\n") ? m[0] : m[0] + "\n",
        },
        address,
        path,
      );
    }
  }
  const { shown, ignored } = refold(byKey, fold);
  const portsXml = byKey.size === 0 ? "" : "<ports>" + extraPortsXml(ignored) +
    shown.map((p) =>
      p.listed ??
        `<port protocol="${p.protocol}" portid="${p.port}"><state state="${p.state}" reason="${p.reason}" reason_ttl="0"/></port>\n`
    ).join("") + "</ports>\n";
  // The frame: a shard that found the host up (all do, unless one's discovery missed it).
  const frame = parts.find((p) => /<status state="up"/.test(p.text))?.text ?? parts[0]!.text;
  let out = frame.replace(/<ports>[\s\S]*?<\/ports>\n?/, "");
  const at = out.indexOf("</hostnames>\n");
  const cut = at >= 0 ? at + "</hostnames>\n".length : out.indexOf("</host>");
  out = out.slice(0, cut) + portsXml + out.slice(cut);
  if (Number.isFinite(start)) {
    out = out.replace(/(<host[^>]*?\s)starttime="[^"]*"/, `$1starttime="${start}"`);
  }
  if (Number.isFinite(end)) {
    out = out.replace(/(<host[^>]*?\s)endtime="[^"]*"/, `$1endtime="${end}"`);
  }
  return out;
}

/** Joins one host's -oJ host lines from the shards of a probe-sharded scan. */
export function joinJsonHost(
  address: string,
  parts: readonly HostPart[],
  fold: FoldOptions,
): string {
  const byKey = new Map<string, ShardPort>();
  const lines = parts.map((p) => JSON.parse(p.text) as Record<string, unknown>);
  for (const [i, line] of lines.entries()) {
    const path = parts[i]!.path;
    for (const ex of (line.extraPorts ?? []) as Record<string, unknown>[]) {
      for (const r of (ex.reasons ?? []) as Record<string, unknown>[]) {
        const ports = expandPortList(String(r.ports ?? ""));
        if (!ports) fatal(`${path}: ${address}'s extraPorts has no port list to join.`);
        for (const port of ports) {
          addPort(
            byKey,
            {
              protocol: r.protocol as Protocol,
              port,
              state: ex.state as PortState,
              reason: String(r.reason ?? ""),
            },
            address,
            path,
          );
        }
      }
    }
    for (const p of (line.ports ?? []) as Record<string, unknown>[]) {
      addPort(
        byKey,
        {
          protocol: p.protocol as Protocol,
          port: Number(p.port),
          state: p.state as PortState,
          reason: String(p.reason ?? ""),
          listed: p,
        },
        address,
        path,
      );
    }
  }
  const { shown, ignored } = refold(byKey, fold);
  const frame = lines.find((l) => l.status === "up") ?? lines[0]!;
  const times = (k: "startTime" | "endTime") =>
    lines.map((l) => l[k]).filter((t): t is number => typeof t === "number");
  const starts = times("startTime"), ends = times("endTime");
  return jsonLine({
    ...frame,
    ports: shown.map((p) =>
      p.listed ?? { protocol: p.protocol, port: p.port, state: p.state, reason: p.reason }
    ),
    extraPorts: extraPortsJson(ignored),
    startTime: starts.length ? Math.min(...starts) : frame.startTime,
    endTime: ends.length ? Math.max(...ends) : frame.endTime,
  });
}
