/**
 * `porthole inventory report`: one self-contained HTML file — no script, no style sheet or
 * image fetched, readable without JavaScript — with the scans over time as a picture (hosts
 * up and open ports per scan, inline SVG), what changed since a given scan, and the
 * inventory of open ports with first and last seen.
 *
 * @module
 */

import type { ChangeEvent } from "./diff.ts";
import type { ScanRow, ServiceRow } from "./store.ts";

/** One scan's point on the picture. */
export interface TimelinePoint {
  scanId: number;
  time: number;
  hostsUp: number;
  openPorts: number;
}

/** What the report shows. */
export interface ReportData {
  store: string;
  generated: number;
  scans: ScanRow[];
  timeline: TimelinePoint[];
  /** The scans the changes are between, and the changes. */
  since?: { from: ScanRow; to: ScanRow; events: ChangeEvent[] };
  services: ServiceRow[];
  /** Rows left out of the inventory table (it shows at most a limit). */
  servicesLeftOut: number;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z").replace("T", " ");

/** The picture: hosts up and open ports per scan, two lines on one time axis. */
export function timelineSvg(points: TimelinePoint[]): string {
  const w = 720, h = 240, left = 56, right = 16, top = 16, bottom = 40;
  const max = Math.max(1, ...points.map((p) => Math.max(p.hostsUp, p.openPorts)));
  const x = (i: number) =>
    points.length <= 1
      ? left + (w - left - right) / 2
      : left + (i * (w - left - right)) / (points.length - 1);
  const y = (v: number) => top + (h - top - bottom) * (1 - v / max);
  const line = (key: "hostsUp" | "openPorts", colour: string, label: string) => {
    const pts = points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    const dots = points.map((p, i) =>
      `<circle cx="${x(i).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="3" fill="${colour}"><title>${
        esc(`scan ${p.scanId}, ${iso(p.time)}: ${p[key]} ${label}`)
      }</title></circle>`
    ).join("");
    return `<polyline class="${key}" fill="none" stroke="${colour}" stroke-width="2" points="${pts}"/>${dots}`;
  };
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f)).map((v) =>
    `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text><line x1="${left}" x2="${
      w - right
    }" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`
  ).join("");
  const first = points[0], last = points[points.length - 1];
  const axis = first && last
    ? `<text x="${left}" y="${h - 12}">${esc(iso(first.time))}</text><text x="${w - right}" y="${
      h - 12
    }" text-anchor="end">${esc(iso(last.time))}</text>`
    : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" role="img" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<title>Hosts up and open ports per scan</title>${ticks}${
    line("openPorts", "#c0392b", "open ports")
  }${line("hostsUp", "#2471a3", "hosts up")}${axis}
<text x="${left + 8}" y="${top + 12}" fill="#2471a3">hosts up</text><text x="${left + 90}" y="${
    top + 12
  }" fill="#c0392b">open ports</text></svg>`;
}

function eventRow(e: ChangeEvent): string {
  const port = e.port !== undefined ? `${e.port}/${e.protocol}` : "";
  const detail = e.open ? `open: ${e.open.join(", ") || "none"}` : "";
  const cell = (v: string | null | undefined) => `<td>${esc(v ?? "")}</td>`;
  // null: the port was not listed in that scan (or the host not there).
  return `<tr class="${esc(e.event)}">${cell(e.event)}${cell(e.address)}${cell(port)}${
    cell(e.from ?? "–")
  }${cell(e.to ?? "–")}${cell(detail)}</tr>`;
}

/** The whole report. */
export function renderReport(d: ReportData): string {
  const last = d.scans[d.scans.length - 1];
  const since = d.since
    ? `<section id="changes"><h2>Changes from scan ${d.since.from.id} (${
      esc(iso(d.since.from.startTime))
    }) to scan ${d.since.to.id} (${esc(iso(d.since.to.startTime))})</h2>
${
      d.since.events.length === 0
        ? "<p>No change.</p>"
        : `<table><thead><tr><th>change</th><th>host</th><th>port</th><th>from</th><th>to</th><th></th></tr></thead><tbody>
${d.since.events.map(eventRow).join("\n")}
</tbody></table>`
    }</section>`
    : `<section id="changes"><h2>Changes</h2><p>One scan only: nothing to compare.</p></section>`;
  const rows = d.services.map((r) =>
    `<tr><td>${esc(r.address)}</td><td>${r.port}/${esc(r.protocol)}</td><td>${
      esc(r.service ?? "")
    }</td><td>${esc([r.product, r.version].filter((x) => x).join(" "))}</td><td>${
      esc(iso(r.firstSeen))
    }</td><td>${esc(iso(r.lastSeen))}</td></tr>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Porthole inventory</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f2f2f2; }
tr.port-opened td:first-child, tr.host-appeared td:first-child, tr.unauthorized-port td:first-child { color: #c0392b; }
tr.port-closed td:first-child, tr.host-gone td:first-child { color: #7d6608; }
</style>
</head>
<body>
<h1>Porthole inventory</h1>
<p id="summary">${d.scans.length} scans in ${esc(d.store)}${
    last ? `, the last at ${esc(iso(last.startTime))} (${last.hostsUp} hosts up)` : ""
  }; ${d.services.length + d.servicesLeftOut} open ports known. Made ${esc(iso(d.generated))}.</p>
<section id="over-time"><h2>Hosts up and open ports over time</h2>
${timelineSvg(d.timeline)}
</section>
${since}
<section id="inventory"><h2>Open ports</h2>
<table><thead><tr><th>host</th><th>port</th><th>service</th><th>version</th><th>first seen</th><th>last seen</th></tr></thead><tbody>
${rows}
</tbody></table>${
    d.servicesLeftOut > 0
      ? `<p>${d.servicesLeftOut} more rows: <code>porthole inventory query</code> lists them all.</p>`
      : ""
  }
</section>
</body>
</html>
`;
}
