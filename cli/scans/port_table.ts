/**
 * Port verdicts of one scan over a group of hosts, in flat arrays: a 16-bit
 * verdict code (state + reason word, interned) and the reply's TTL per
 * (host, port). A /16 × 100 ports costs 3 bytes per probe; a host's
 * PortResult list is built only when the host is reported, then dropped.
 *
 * @module
 */

import type { PortResult, PortState, Protocol } from "../model/mod.ts";
import type { Verdict } from "./tcp_rules.ts";

const codes = new Map<string, number>();
const table: Verdict[] = [{ state: "filtered", reason: "no-response" }];

/** Verdict objects seen before (the rules return shared constants), by identity. */
const byObject = new WeakMap<Verdict, number>();

/** Interned code of a verdict (1-based; 0 means "not decided"). Allocation-free
 * for verdicts seen before, which is every reply after the first few. */
export function verdictCode(v: Verdict): number {
  const known = byObject.get(v);
  if (known !== undefined) return known;
  const key = `${v.state}\0${v.reason}`;
  let c = codes.get(key);
  if (c === undefined) {
    c = table.length;
    table.push({ state: v.state, reason: v.reason });
    codes.set(key, c);
  }
  byObject.set(v, c);
  return c;
}

/** The verdict a code stands for. */
export function verdictOf(code: number): Verdict {
  return table[code]!;
}

export class PortTable {
  readonly #codes: Uint16Array;
  readonly #ascending: boolean;
  readonly #ttl: Uint8Array;
  /** ICMP errors from a router: "reason from ADDR" (rare, so a map). */
  readonly #from = new Map<number, string>();

  constructor(
    readonly hosts: number,
    readonly ports: readonly number[],
    readonly protocol: Protocol,
  ) {
    this.#codes = new Uint16Array(hosts * ports.length);
    this.#ascending = ports.every((p, i) => i === 0 || ports[i - 1]! < p);
    this.#ttl = new Uint8Array(hosts * ports.length);
  }

  #idx(h: number, p: number): number {
    return h * this.ports.length + p;
  }

  /** Record the verdict for port index `p` of host `h` (first one wins unless `force`). */
  set(h: number, p: number, v: Verdict, ttl?: number, from?: string, force = false): boolean {
    const i = this.#idx(h, p);
    if (this.#codes[i] !== 0 && !force) return false;
    this.#codes[i] = verdictCode(v);
    this.#ttl[i] = ttl ?? 0;
    if (from !== undefined) this.#from.set(i, from);
    return true;
  }

  /** Whether port index `p` of host `h` has a verdict. */
  has(h: number, p: number): boolean {
    return this.#codes[this.#idx(h, p)] !== 0;
  }

  /** The state recorded for (h, p), if any. */
  state(h: number, p: number): PortState | undefined {
    const c = this.#codes[this.#idx(h, p)]!;
    return c === 0 ? undefined : table[c]!.state;
  }

  /** Number of decided ports of host `h`. */
  decided(h: number): number {
    let n = 0;
    const base = h * this.ports.length;
    for (let p = 0; p < this.ports.length; p++) if (this.#codes[base + p] !== 0) n++;
    return n;
  }

  /**
   * Host `h`'s decided ports as PortResults, ascending by port number.
   * `fill` gives undecided ports a verdict (e.g. silence at the end).
   */
  results(h: number, fill?: Verdict): PortResult[] {
    const out: PortResult[] = [];
    const base = h * this.ports.length;
    const fillCode = fill ? verdictCode(fill) : 0;
    const codes = this.#codes, ttls = this.#ttl, ports = this.ports, protocol = this.protocol;
    // A -p- host is 65,535 results built once, by code V8 has not optimised yet: no map
    // lookup per port unless some reply came from a router, and one object shape per case.
    const from = this.#from.size ? this.#from : undefined;
    for (let p = 0; p < ports.length; p++) {
      const i = base + p;
      const own = codes[i]!;
      const c = own || fillCode;
      if (c === 0) continue;
      const v = table[c]!;
      const ttl = own !== 0 ? ttls[i]! : 0;
      const r: PortResult = ttl
        ? { protocol, port: ports[p]!, state: v.state, reason: v.reason, reasonTtl: ttl }
        : { protocol, port: ports[p]!, state: v.state, reason: v.reason };
      const addr = from?.get(i);
      if (addr !== undefined) r.reasonAddr = addr;
      out.push(r);
    }
    if (!this.#ascending) out.sort((a, b) => a.port - b.port);
    return out;
  }

  /** Forget host `h`'s verdicts (after it was reported). */
  clearHost(h: number): void {
    const base = h * this.ports.length;
    this.#codes.fill(0, base, base + this.ports.length);
    if (this.#from.size === 0) return;
    for (let p = 0; p < this.ports.length; p++) this.#from.delete(base + p);
  }
}
