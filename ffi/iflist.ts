/**
 * nmap --iflist: the interface table and the route table, laid out exactly
 * as nmap 7.93 prints them (output.cc print_iflist, NmapOutputTable): one
 * row per address, columns padded to the widest cell plus one space, no
 * trailing spaces, routes matched to interfaces and sorted the libnetutil
 * way (getsysroutes: family, longer prefix, lower metric).
 *
 * @module
 */

import { type Route, routes as systemRoutes, sortRoutes } from "./routes.ts";
import { interfaces as systemInterfaces, type NetInterface } from "./interfaces.ts";
import { bytesEqual, parseIp, prefixMatch } from "../core-wasm/ip.ts";

/** One interface row as nmap builds them (an address, or none). */
interface IfRow {
  iface: NetInterface;
  family: 0 | 4 | 6;
  address: string;
  bytes?: Uint8Array;
  bits: number;
}

/** Lays out rows like NmapOutputTable: each cell padded to its column's
 * width plus one space, except after the row's last non-empty cell. */
export function formatTable(rows: string[][]): string {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const width = Array.from(
    { length: cols },
    (_, c) => Math.max(0, ...rows.map((r) => (r[c] ?? "").length)),
  );
  let out = "";
  for (const r of rows) {
    const filled = r.filter((x) => x.length > 0).length;
    if (filled === 0) continue;
    let seen = 0;
    for (let c = 0; c < cols; c++) {
      const cell = r[c] ?? "";
      out += cell;
      if (cell.length > 0) seen++;
      if (seen < filled) out += " ".repeat(width[c]! - cell.length + 1);
    }
    out += "\n";
  }
  return out;
}

function interfaceRows(ifs: NetInterface[]): IfRow[] {
  const rows: IfRow[] = [];
  for (const iface of ifs) {
    const v4 = iface.addresses.filter((a) => a.family === 4);
    const v6 = iface.addresses.filter((a) => a.family === 6);
    // libdnet: the primary (SIOCGIFADDR) address, "(none)" without one, then
    // the other IPv4 addresses, then IPv6 ones from /proc/net/if_inet6.
    if (v4.length === 0) rows.push({ iface, family: 0, address: "(none)", bits: 0 });
    for (const a of [...v4, ...v6]) {
      rows.push({
        iface,
        family: a.family,
        address: a.address,
        bytes: parseIp(a.address)!.bytes,
        bits: a.prefixLength,
      });
    }
  }
  return rows;
}

/** Matches routes to interface rows as libnetutil does, dropping routes no
 * interface can carry. */
function assignRoutes(table: Route[], rows: IfRow[]): Array<{ route: Route; row: IfRow }> {
  const assigned: Array<{ route: Route; row?: IfRow }> = table.map((route) => ({
    route,
    row: rows.find((r) => r.iface.name === route.iface && r.family === route.family),
  }));
  for (const a of assigned) {
    if (a.row) continue;
    const via = parseIp(a.route.gateway ?? a.route.destination)!.bytes;
    a.row = rows.find((r) =>
      r.bytes && r.bytes.length === via.length && prefixMatch(r.bytes, via, r.bits)
    );
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const a of assigned) {
      if (a.row || !a.route.gateway) continue;
      const gw = parseIp(a.route.gateway)!.bytes;
      const other = assigned.find((b) =>
        b.row && b.route.family === a.route.family &&
        bytesEqual(parseIp(b.route.destination)!.bytes, gw)
      );
      if (other) (a.row = other.row), (changed = true);
    }
  }
  return assigned.filter((a): a is { route: Route; row: IfRow } => a.row !== undefined);
}

/** nmap --iflist's two tables (without the "Starting Nmap" banner). */
export function formatIfList(
  ifs: NetInterface[] = systemInterfaces(),
  table: Route[] = systemRoutes(),
): string {
  let out = "";
  const rows = interfaceRows(ifs);
  if (rows.length === 0) {
    out += "INTERFACES: NONE FOUND(!)\n";
  } else {
    const cells = [["DEV", "(SHORT)", "IP/MASK", "TYPE", "UP", "MTU", "MAC"]];
    for (const r of rows) {
      const i = r.iface;
      cells.push([
        i.name,
        `(${i.name})`,
        `${r.address}/${r.bits}`,
        i.kind,
        i.up ? "up" : "down",
        String(i.mtu),
        i.kind === "ethernet" ? (i.mac ?? "00:00:00:00:00:00").toUpperCase() : "",
      ]);
    }
    out += "************************INTERFACES************************\n";
    out += formatTable(cells) + "\n";
  }
  const assigned = assignRoutes(table, rows);
  const byRoute = new Map(assigned.map((a) => [a.route, a.row]));
  const sorted = sortRoutes(assigned.map((a) => a.route));
  if (sorted.length === 0) {
    out += "ROUTES: NONE FOUND(!)\n";
  } else {
    const cells = [["DST/MASK", "DEV", "METRIC", "GATEWAY"]];
    for (const r of sorted) {
      cells.push([
        `${r.destination}/${r.prefixLength}`,
        byRoute.get(r)!.iface.name,
        String(r.metric),
        r.gateway ?? "",
      ]);
    }
    out += "**************************ROUTES**************************\n";
    out += formatTable(cells) + "\n";
  }
  return out;
}
