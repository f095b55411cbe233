/**
 * What `porthole inventory watch` reports: the changes between a scan and the one it is compared
 * with (the previous stored one), and what an authorized baseline does not allow, as NDJSON
 * events. Where they go is ./deliver.ts; the scans a watch runs itself, cli/app/watch_scans.ts.
 *
 * Baseline file, one rule a line (`#` starts a comment):
 *
 *     host 10.0.0.0/24              hosts allowed to be up (an address, an IPv4 prefix, or *)
 *     allow 10.0.0.5 tcp/22 ssh     a port allowed open there (ADDRESS|PREFIX|*), service optional
 *     require 10.0.0.5 tcp/22       up/down monitoring: this must be up and open (and may be)
 *     require 10.0.0.9              this host must be up
 *
 * With a baseline, an up host no `host` rule covers is `unauthorized-host`, an open port no
 * `allow` rule covers (or with another service) is `unauthorized-port`, and a `require`d host
 * or port that is not up/open is `required-down`.
 *
 * @module
 */

import { type ChangeEvent, changeEvents } from "./diff.ts";
import type { InvScan } from "./scan.ts";

/** A baseline that cannot be read; the message names the file and line. */
export class BaselineError extends Error {}

interface Match {
  text: string;
  test(address: string): boolean;
}

interface Baseline {
  hosts: Match[];
  allow: { where: Match; protocol: string; port: number; service?: string }[];
  require: { address: string; protocol?: string; port?: number }[];
}

/** One report line: a change, or a breach of the baseline. */
export type WatchEvent =
  | ChangeEvent
  | {
    event: "unauthorized-host" | "unauthorized-port" | "required-down";
    address: string;
    protocol?: string;
    port?: number;
    service?: string | null;
  };

function v4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

function matcher(text: string): Match | undefined {
  if (text === "*") return { text, test: () => true };
  const slash = text.indexOf("/");
  if (slash < 0) {
    if (v4(text) === undefined && !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
    return { text, test: (a) => a === text };
  }
  const net = v4(text.slice(0, slash));
  const bits = Number(text.slice(slash + 1));
  if (net === undefined || !/^\d+$/.test(text.slice(slash + 1)) || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return {
    text,
    test: (a) => {
      const x = v4(a);
      return x !== undefined && ((x & mask) >>> 0) === ((net & mask) >>> 0);
    },
  };
}

function portSpec(s: string): [string, number] | undefined {
  const m = /^(tcp|udp|sctp)\/(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) return undefined;
  return [m[1]!, Number(m[2])];
}

/** Parses a baseline; `name` words the errors ("base.txt line 3: …"). */
export function parseBaseline(text: string, name: string): Baseline {
  const b: Baseline = { hosts: [], allow: [], require: [] };
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const fail = (why: string): never => {
      throw new BaselineError(`${name} line ${i + 1}: ${why}: ${line}`);
    };
    const [kind, where, port, service, ...extra] = line.split(/\s+/);
    if (extra.length > 0) fail("too many words");
    switch (kind) {
      case "host": {
        if (port !== undefined) fail("host takes one address, prefix or *");
        b.hosts.push(matcher(where ?? "") ?? fail("not an address, IPv4 prefix or *"));
        break;
      }
      case "allow": {
        const m = matcher(where ?? "") ?? fail("not an address, IPv4 prefix or *");
        const p = portSpec(port ?? "") ?? fail("not a port (tcp/22)");
        b.allow.push({ where: m, protocol: p[0], port: p[1], service });
        break;
      }
      case "require": {
        if (where === undefined || v4(where) === undefined && !/^[0-9a-fA-F:]+$/.test(where)) {
          fail("require takes one address");
        }
        if (service !== undefined) fail("require takes an address and at most a port");
        const p = port === undefined ? undefined : portSpec(port) ?? fail("not a port (tcp/22)");
        b.require.push({ address: where!, protocol: p?.[0], port: p?.[1] });
        break;
      }
      default:
        fail(`unknown rule ${kind} (host, allow, require)`);
    }
  });
  return b;
}

/** What the baseline says about a scan. */
export function baselineEvents(scan: InvScan, b: Baseline): WatchEvent[] {
  const out: WatchEvent[] = [];
  const byAddress = new Map(scan.hosts.map((h) => [h.address, h]));
  for (const h of scan.hosts) {
    if (h.status !== "up") continue;
    if (b.hosts.length > 0 && !b.hosts.some((m) => m.test(h.address))) {
      out.push({ event: "unauthorized-host", address: h.address });
    }
    for (const p of h.ports) {
      if (p.state !== "open") continue;
      const ok = b.allow.some((a) =>
        a.port === p.port && a.protocol === p.protocol && a.where.test(h.address) &&
        (a.service === undefined || a.service === p.service?.name)
      ) || b.require.some((r) =>
        r.address === h.address && r.port === p.port && r.protocol === p.protocol
      );
      if (!ok) {
        out.push({
          event: "unauthorized-port",
          address: h.address,
          protocol: p.protocol,
          port: p.port,
          service: p.service?.name ?? null,
        });
      }
    }
  }
  for (const r of b.require) {
    const h = byAddress.get(r.address);
    const up = h?.status === "up";
    const open = r.port === undefined ||
      h?.ports.some((p) => p.port === r.port && p.protocol === r.protocol && p.state === "open");
    if (!up || !open) {
      out.push({ event: "required-down", address: r.address, protocol: r.protocol, port: r.port });
    }
  }
  return out;
}

/** The watch's report: changes since `previous` (when there is one) and the baseline's
 * findings (when there is one). */
export function watchEvents(
  latest: InvScan,
  previous: InvScan | undefined,
  baseline: Baseline | undefined,
): WatchEvent[] {
  return [
    ...(previous ? changeEvents(previous, latest) : []),
    ...(baseline ? baselineEvents(latest, baseline) : []),
  ];
}
