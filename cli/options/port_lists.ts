/**
 * The step after reading the options that needs the services table: the ping probes' port lists
 * (-PS/-PA/-PU/-PY), --exclude-ports, and the scan's ports (-p, -F, --top-ports, --port-ratio).
 * The table is read only when a port list needs it: -sn alone reads none, as in nmap.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { parsePortExpression, parseSimplePortList, selectPorts, toPortSpecs } from "../ports.ts";
import { type ServicesDb, servicesDbFor } from "../services_db.ts";
import type { ParseState } from "./state.ts";
import type { Options, PortSpec } from "./types.ts";

/**
 * The services table the run uses, read on first call: --servicedb's file, else `given` (a
 * caller's table), else the data directories' or the built-in one.
 */
export function servicesDbLoader(
  servicedb: string | undefined,
  datadir: string | undefined,
  given?: ServicesDb,
): () => ServicesDb {
  let table: ServicesDb | undefined;
  return () =>
    table ??= servicedb === undefined && given ? given : servicesDbFor(servicedb, datadir);
}

/** Resolves the ping and scan port lists of `s.o` against the services table. */
export function resolvePortLists(s: ParseState, db: () => ServicesDb): void {
  const { o, warnings } = s;
  const pingKinds = [
    ["S", "tcp"],
    ["A", "tcp"],
    ["U", "udp"],
    ["Y", "sctp"],
    ["O", "ip"],
  ] as const;
  for (const [letter, proto] of pingKinds) {
    const spec = s.pingPorts[letter];
    if (spec === undefined) continue;
    const list = parseSimplePortList(spec, proto, db());
    if (list.length === 0) fatal(`Bogus argument to -P${letter}: ${spec}`);
    if (letter === "S") o.discovery.synPorts = list;
    else if (letter === "A") o.discovery.ackPorts = list;
    else if (letter === "U") o.discovery.udpPorts = list;
    else if (letter === "Y") o.discovery.sctpPorts = list;
    else o.discovery.protocols = list;
  }
  if (s.excludePorts !== undefined) {
    // nmap's removepts() also takes excluded ports out of the ping probes' lists.
    const ex = parsePortExpression(s.excludePorts, { tcp: true, udp: true }, db());
    const t = new Set(ex.tcp), u = new Set(ex.udp);
    const d = o.discovery;
    const hadTcp = d.synPorts.length + d.ackPorts.length > 0, hadUdp = d.udpPorts.length > 0;
    d.synPorts = d.synPorts.filter((p) => !t.has(p));
    d.ackPorts = d.ackPorts.filter((p) => !t.has(p));
    d.udpPorts = d.udpPorts.filter((p) => !u.has(p));
    if (hadTcp && d.synPorts.length + d.ackPorts.length === 0) {
      warnings.push(
        "WARNING: a TCP ping scan was requested, but after excluding requested TCP ports, none remain. Skipping this scan type.",
      );
    }
    if (hadUdp && d.udpPorts.length === 0) {
      warnings.push(
        "WARNING: a UDP ping scan was requested, but after excluding requested UDP ports, none remain. Skipping this scan type.",
      );
    }
  }
  if (!o.discovery.pingOnly) {
    const isSctp = (k: string) => k === "sctpinit" || k === "sctpcookieecho";
    const tcp = o.scans.length === 0 ||
      o.scans.some((k) => k !== "udp" && !isSctp(k) && k !== "ipproto");
    const udp = s.scanKinds.has("udp");
    const sctp = [...s.scanKinds].some(isSctp);
    const ip = s.scanKinds.has("ipproto");
    const sel = selectPorts(
      {
        expression: o.portExpression,
        topPorts: s.topPorts,
        portRatio: s.portRatio,
        fast: s.fast,
        exclude: s.excludePorts,
        tcp,
        udp,
        sctp,
        ip,
      },
      db(),
    );
    warnings.push(...sel.warnings);
    // nmap 7.93's -6 -sO probes IPv6 extension header values too (later nmaps leave them out).
    setPortLists(o, { tcp: sel.tcp, udp: sel.udp, sctp: sel.sctp, ip: sel.ip });
  }
}

/**
 * Sets `o.portLists`, and makes `o.ports` a view built on first read (then kept). Assigning
 * `o.ports` replaces the view and drops `portLists`, so the two never disagree.
 */
function setPortLists(
  o: Options,
  lists: { tcp: number[]; udp: number[]; sctp?: number[]; ip?: number[] },
): void {
  let specs: PortSpec[] | undefined;
  o.portLists = lists;
  Object.defineProperty(o, "ports", {
    get: () => specs ??= toPortSpecs(lists),
    set: (v: PortSpec[]) => {
      specs = v;
      delete o.portLists;
    },
    enumerable: true,
    configurable: true,
  });
}
