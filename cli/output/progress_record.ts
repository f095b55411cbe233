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

import type { PortResult, PortState, Protocol } from "../model/mod.ts";
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

/** The ports one progress record may name: per protocol, at most every port once. */
export const MAX_PORT = 65535;
/** Longest reason word accepted from a file (the engine's are under 24 characters). */
const MAX_REASON = 40;
const REASON = /^[a-z0-9][a-z0-9_.|-]*$/;
const PORT_LIST = /^\d{1,5}(?:-\d{1,5})?(?:,\d{1,5}(?:-\d{1,5})?)*$/;

/** A progress record in a resume file that is not one Porthole writes. */
export class ProgressRecordError extends Error {}

/** Which ports to expand: the resumed scan's own lists (a record cannot add ports). */
export interface PortFilter {
  tcp: readonly number[];
  udp: readonly number[];
  sctp?: readonly number[];
  ip?: readonly number[];
}

/** One byte per port: the ports a scan asked for. */
function portMask(ports: readonly number[]): Uint8Array {
  const m = new Uint8Array(MAX_PORT + 1);
  for (const p of ports) if (p >= 0 && p <= MAX_PORT) m[p] = 1;
  return m;
}

/** The ports of one protocol not yet taken: `next(p)` is the first free port ≥ p
 * (union-find with path halving), so however many groups repeat a range, every
 * port is visited about once. */
class FreePorts {
  readonly #next = Int32Array.from({ length: MAX_PORT + 2 }, (_, i) => i);

  next(p: number): number {
    const n = this.#next;
    while (n[p] !== p) {
      n[p] = n[n[p]!]!;
      p = n[p]!;
    }
    return p;
  }

  take(p: number): void {
    this.#next[p] = p + 1;
  }
}

/**
 * Expands groups back into port results (without service information), each
 * port at most once per protocol (the first group naming it wins) and, with
 * `only`, only the ports of that scan. Work and memory are bounded by 65,536
 * ports per protocol plus the groups' text, whatever the groups repeat.
 * Groups are taken as {@link checkGroup} returns them; a malformed port list
 * is skipped.
 */
export function expandProgress(
  groups: readonly ProgressGroup[],
  only?: PortFilter,
): PortResult[] {
  const wanted = only &&
    {
      tcp: portMask(only.tcp),
      udp: portMask(only.udp),
      sctp: portMask(only.sctp ?? []),
      ip: portMask(only.ip ?? []),
    };
  const free = {
    tcp: new FreePorts(),
    udp: new FreePorts(),
    sctp: new FreePorts(),
    ip: new FreePorts(),
  };
  const out: PortResult[] = [];
  for (const g of groups) {
    const ranges = parseRanges(g.ports);
    if (!ranges) continue;
    const f = free[g.protocol], want = wanted?.[g.protocol];
    for (const [lo, hi] of ranges) {
      for (let port = f.next(lo); port <= hi; port = f.next(port)) {
        f.take(port);
        if (want && !want[port]) continue;
        const p: PortResult = { protocol: g.protocol, port, state: g.state, reason: g.reason };
        if (g.reasonTtl !== undefined) p.reasonTtl = g.reasonTtl;
        out.push(p);
      }
    }
  }
  return out;
}

/** "1-3,5" → [[1, 3], [5, 5]]; undefined when malformed (not ports of 0..65535). */
function parseRanges(list: string): [number, number][] | undefined {
  if (!PORT_LIST.test(list)) return undefined;
  const out: [number, number][] = [];
  for (const part of list.split(",")) {
    const dash = part.indexOf("-");
    const lo = Number(dash < 0 ? part : part.slice(0, dash));
    const hi = dash < 0 ? lo : Number(part.slice(dash + 1));
    if (hi > MAX_PORT || lo > hi) return undefined;
    out.push([lo, hi]);
  }
  return out;
}

/** "1-3,5" → [1, 2, 3, 5], each port once, ascending; undefined when malformed
 * (a part that is not a port or range of 0..65535). */
export function expandPortList(list: string): number[] | undefined {
  const ranges = parseRanges(list);
  if (!ranges) return undefined;
  const mask = new Uint8Array(MAX_PORT + 1);
  for (const [lo, hi] of ranges) mask.fill(1, lo, hi + 1);
  const out: number[] = [];
  for (let p = 0; p <= MAX_PORT; p++) if (mask[p]) out.push(p);
  return out;
}

/**
 * Checks one group read from a file (a JSON object or a parsed token);
 * throws ProgressRecordError saying what is wrong. Returns a fresh group with
 * only the known fields.
 */
export function checkGroup(g: unknown): ProgressGroup {
  if (typeof g !== "object" || g === null || Array.isArray(g)) {
    throw new ProgressRecordError("a port group is not an object");
  }
  const r = g as Record<string, unknown>;
  if (r.protocol !== "tcp" && r.protocol !== "udp" && r.protocol !== "sctp") {
    throw new ProgressRecordError(`unknown protocol ${JSON.stringify(r.protocol)?.slice(0, 20)}`);
  }
  if (typeof r.state !== "string" || !STATES.includes(r.state)) {
    throw new ProgressRecordError(`unknown port state ${JSON.stringify(r.state)?.slice(0, 20)}`);
  }
  if (typeof r.reason !== "string" || r.reason.length > MAX_REASON || !REASON.test(r.reason)) {
    throw new ProgressRecordError(`bad reason ${JSON.stringify(r.reason)?.slice(0, 50)}`);
  }
  const ttl = r.reasonTtl;
  if (
    ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < 0 || (ttl as number) > 255)
  ) {
    throw new ProgressRecordError(`bad reply TTL ${JSON.stringify(ttl)?.slice(0, 20)}`);
  }
  if (typeof r.ports !== "string" || !parseRanges(r.ports)) {
    throw new ProgressRecordError(
      `bad port list ${JSON.stringify(r.ports)?.slice(0, 50)} (ports are 0-65535)`,
    );
  }
  const out: ProgressGroup = {
    protocol: r.protocol,
    state: r.state as PortState,
    reason: r.reason,
    ports: r.ports,
  };
  if (ttl !== undefined) out.reasonTtl = ttl as number;
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

/** Parses {@link formatProgressTokens} output; throws ProgressRecordError on
 * a token that is not one. */
export function parseProgressTokens(text: string): ProgressGroup[] {
  const out: ProgressGroup[] = [];
  const words = text.trim();
  if (words === "") return out;
  for (const tok of words.split(/\s+/)) {
    const m = /^(tcp|udp|sctp)\/([a-z|]+)\/([^/:]*)\/(\d{0,3}):(.*)$/.exec(tok);
    if (!m) throw new ProgressRecordError(`malformed token "${tok.slice(0, 50)}"`);
    out.push(checkGroup({
      protocol: m[1],
      state: m[2],
      reason: m[3],
      reasonTtl: m[4] ? Number(m[4]) : undefined,
      ports: m[5],
    }));
  }
  return out;
}
