/**
 * The per-host progress record Porthole adds to its grepable and JSON files so
 * --resume can continue inside a host: the ports that already have a final
 * state, grouped by protocol, state, reason and reply TTL, each group's ports
 * in nmap's compact form. A 65535-port host with the usual few states stays
 * one short line.
 *
 * Grepable token: `tcp/closed/reset/64:1-21,23-79` (TTL empty when unknown).
 * JSON: `{"protocol":"tcp","state":"closed","reason":"reset","reasonTtl":64,"ports":"1-21,23-79"}`.
 */

import type { PortResult, PortState, Protocol } from "../model.ts";
import { comparePorts } from "./extraports.ts";
import { compactPortList } from "./format.ts";

/** Ports of one protocol/state/reason/TTL. */
export interface ProgressGroup {
  protocol: Protocol;
  state: PortState;
  reason: string;
  reasonTtl?: number;
  /** Compact list, "1-21,23". */
  ports: string;
}

const STATES: readonly string[] = [
  "open",
  "closed",
  "filtered",
  "unfiltered",
  "open|filtered",
  "closed|filtered",
];

/** Groups final ports by protocol, state, reason and TTL (TCP first, ascending). */
export function groupProgress(ports: readonly PortResult[]): ProgressGroup[] {
  const groups = new Map<string, { g: ProgressGroup; list: number[] }>();
  for (const p of [...ports].sort(comparePorts)) {
    const key = `${p.protocol}\0${p.state}\0${p.reason}\0${p.reasonTtl ?? ""}`;
    let e = groups.get(key);
    if (!e) {
      const g: ProgressGroup = {
        protocol: p.protocol,
        state: p.state,
        reason: p.reason,
        ports: "",
      };
      if (p.reasonTtl !== undefined) g.reasonTtl = p.reasonTtl;
      groups.set(key, e = { g, list: [] });
    }
    e.list.push(p.port);
  }
  return [...groups.values()].map(({ g, list }) => ({ ...g, ports: compactPortList(list) }));
}

/** Expands groups back into port results (without service information).
 * Groups come from a file, so anything malformed is skipped. */
export function expandProgress(groups: readonly ProgressGroup[]): PortResult[] {
  const out: PortResult[] = [];
  for (const g of groups) {
    if (typeof g !== "object" || g === null) continue;
    if (g.protocol !== "tcp" && g.protocol !== "udp") continue;
    if (!STATES.includes(g.state) || typeof g.ports !== "string") continue;
    const ttl = typeof g.reasonTtl === "number" ? g.reasonTtl : undefined;
    for (const port of expandPortList(g.ports)) {
      const p: PortResult = {
        protocol: g.protocol,
        port,
        state: g.state,
        reason: String(g.reason),
      };
      if (ttl !== undefined) p.reasonTtl = ttl;
      out.push(p);
    }
  }
  return out;
}

/** "1-3,5" → [1, 2, 3, 5]; anything malformed or out of 0..65535 is skipped. */
export function expandPortList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi > 65535 || lo > hi) continue;
    for (let p = lo; p <= hi; p++) out.push(p);
  }
  return out;
}

/** Grepable tokens, space separated. Reasons are engine words; any '/', ':',
 * space or control character in one is replaced so tokens stay parseable. */
export function formatProgressTokens(groups: readonly ProgressGroup[]): string {
  return groups.map((g) =>
    // deno-lint-ignore no-control-regex
    `${g.protocol}/${g.state}/${g.reason.replace(/[/:\s\x00-\x1f\x7f-\x9f]/g, "_")}/${
      g.reasonTtl ?? ""
    }:${g.ports}`
  ).join(" ");
}

/** Parses {@link formatProgressTokens} output; malformed tokens are skipped. */
export function parseProgressTokens(text: string): ProgressGroup[] {
  const out: ProgressGroup[] = [];
  for (const tok of text.trim().split(/\s+/)) {
    const m = /^(tcp|udp)\/([a-z|]+)\/([^/:]+)\/(\d*):([\d,-]+)$/.exec(tok);
    if (!m || !STATES.includes(m[2]!)) continue;
    const g: ProgressGroup = {
      protocol: m[1] as Protocol,
      state: m[2] as PortState,
      reason: m[3]!,
      ports: m[5]!,
    };
    if (m[4]) g.reasonTtl = Number(m[4]);
    out.push(g);
  }
  return out;
}
