/**
 * Which ports a report lists one by one and which it folds into "Not shown:
 * 994 closed tcp ports (reset)" — nmap's ignored states (portlist.cc
 * isIgnoredState/nextIgnoredState, portreasons.cc get_state_reason_summary).
 * The XML (<extraports>), grepable ("Ignored State:") and JSON writers all
 * fold the same way, so their files agree with each other and with nmap's.
 */

import type { PortResult, PortState, Protocol } from "../model/mod.ts";
import { comparePorts } from "../model/port_order.ts";

/** Verbosity knobs that widen what nmap lists. */
export interface FoldOptions {
  verbose: number;
  debug: number;
  /** --open: fold every state that cannot be open. */
  openOnly: boolean;
}

/** Ports of one folded state sharing one reason and protocol (<extrareasons>). */
export interface ReasonGroup {
  reason: string;
  protocol: Protocol;
  count: number;
  /** Ascending port numbers. */
  ports: number[];
}

/** One folded state (<extraports>). */
export interface IgnoredState {
  state: PortState;
  count: number;
  /** Largest group first, in nmap's order. */
  reasons: ReasonGroup[];
}

/** A host's ports split the way nmap prints them. */
export interface FoldedPorts {
  /** Listed ports: TCP before UDP, each ascending. */
  shown: PortResult[];
  /** Folded states, most ports first (ties: nmap's state number order). */
  ignored: IgnoredState[];
}

// nmap's PORT_* numbers (portlist.h): they break ties between states.
const STATE_NUMBER: Record<PortState, number> = {
  closed: 1,
  open: 2,
  filtered: 3,
  unfiltered: 6,
  "open|filtered": 7,
  "closed|filtered": 8,
};

/** A protocol as nmap's IPPROTO2STR names it in "Not shown" and <extrareasons>: IP's "n/a". */
export function protocolLabel(protocol: Protocol): string {
  return protocol === "ip" ? "n/a" : protocol;
}

/** nmap's port iteration order (see cli/model/port_order.ts). */
export { comparePorts };

/** Whether nmap would fold `state` holding `count` ports (isIgnoredState). */
export function isIgnoredState(state: PortState, count: number, opts: FoldOptions): boolean {
  if (opts.debug > 2) return false;
  if (state === "open") return false;
  if (state === "open|filtered" && opts.verbose > 2) return false;
  if (opts.openOnly && state !== "open|filtered" && state !== "unfiltered" && count > 0) {
    return true;
  }
  let maxPerState = 25;
  if (opts.verbose || opts.debug) maxPerState *= (opts.verbose + 1) + 20 * opts.debug;
  return count > maxPerState;
}

/** Splits a host's ports into listed ones and folded states, as nmap does. */
export function foldPorts(ports: readonly PortResult[], opts: FoldOptions): FoldedPorts {
  // A -p- host is 65,535 ports, nearly always in order already, walked by code V8 has not
  // optimised yet: no sort then, and one pass puts each port in its state's list.
  const sorted = inPortOrder(ports) ? ports : [...ports].sort(comparePorts);
  const byState = new Map<PortState, PortResult[]>();
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const list = byState.get(p.state);
    if (list) list.push(p);
    else byState.set(p.state, [p]);
  }
  const ignoredStates = [...byState.entries()]
    .filter(([state, list]) => isIgnoredState(state, list.length, opts))
    .sort(([sa, a], [sb, b]) => b.length - a.length || STATE_NUMBER[sa] - STATE_NUMBER[sb]);
  const ignored = ignoredStates.map(([state, list]): IgnoredState => ({
    state,
    count: list.length,
    reasons: reasonGroups(list),
  }));
  // The listed states' ports, merged back into port order (a stable sort of sorted runs).
  const shown: PortResult[] = [];
  for (const [state, list] of byState) {
    if (!ignoredStates.some(([s]) => s === state)) { for (const p of list) shown.push(p); }
  }
  return { shown: shown.sort(comparePorts), ignored };
}

/** Whether `ports` are in nmap's port order already (comparePorts, inlined). */
function inPortOrder(ports: readonly PortResult[]): boolean {
  for (let i = 1; i < ports.length; i++) {
    const a = ports[i - 1]!, b = ports[i]!;
    if (a.protocol === b.protocol ? a.port > b.port : comparePorts(a, b) > 0) return false;
  }
  return true;
}

/** Groups ports by (reason, protocol) in port order, then sorts them the way
 * nmap's reason_sort (Simon Tatham's list merge sort) does, ties included. */
function reasonGroups(ports: readonly PortResult[]): ReasonGroup[] {
  // nmap's list starts with an empty "unknown-response" head node; it never
  // gets ports here but takes part in the sort, so it is kept for fidelity.
  const head: ReasonGroup = { reason: "", protocol: "tcp", count: 0, ports: [] };
  const groups: ReasonGroup[] = [head];
  let last = head;
  for (const p of ports) {
    // Runs of one reason are the rule (every closed port "reset"): the last group first.
    let g: ReasonGroup | undefined = last !== head && last.reason === p.reason &&
        last.protocol === p.protocol
      ? last
      : groups.find((x) => x !== head && x.reason === p.reason && x.protocol === p.protocol);
    if (!g) {
      g = { reason: p.reason, protocol: p.protocol, count: 0, ports: [] };
      groups.push(g);
    }
    g.ports.push(p.port);
    g.count++;
    last = g;
  }
  return tathamSort(groups).filter((g) => g.count > 0);
}

function tathamSort(list: ReasonGroup[]): ReasonGroup[] {
  let insize = 1;
  for (;;) {
    const out: ReasonGroup[] = [];
    let merges = 0;
    for (let start = 0; start < list.length; start += 2 * insize) {
      merges++;
      let p = start, q = Math.min(start + insize, list.length);
      const pEnd = q, qEnd = Math.min(q + insize, list.length);
      while (p < pEnd || q < qEnd) {
        // The right run wins ties: `else if (q->count < p->count) take p; else take q`.
        if (p === pEnd) out.push(list[q++]!);
        else if (q === qEnd) out.push(list[p++]!);
        else if (list[q]!.count < list[p]!.count) out.push(list[p++]!);
        else out.push(list[q++]!);
      }
    }
    list = out;
    if (merges <= 1) return list;
    insize *= 2;
  }
}

/** True when nmap's --open would keep the host (PortList::hasOpenPorts). */
export function hasOpenPorts(ports: readonly PortResult[]): boolean {
  return ports.some((p) =>
    p.state === "open" || p.state === "open|filtered" || p.state === "unfiltered"
  );
}
