/**
 * Generates `cli/data/services.json` — port names and open frequencies — from
 * nmap's `nmap-services` (Debian package nmap-common installs it at
 * /usr/share/nmap/nmap-services).
 *
 *     deno run --allow-read --allow-write --allow-run=dpkg-query tools/gen_services.ts [SRC]
 *
 * TCP, UDP and SCTP rows are kept (other protocols have no ports). Rows keep the
 * file's order, because nmap breaks ratio ties by file order (a stable sort),
 * and that order decides which ports make the top-1000 list.
 *
 * JSON rather than a TypeScript module: Deno loads a 400 KB .ts module in
 * about twice the time of the same JSON (transpile cache, source map), and
 * every scan loads this table before its first probe.
 *
 * Encoding: four columns per protocol, rows in file order, so that a scan
 * decodes only what it needs (startup time matters: the default scan needs
 * just the top-1000 list). Number columns are comma-separated decimals, so
 * that JSON.parse("[" + column + "]") decodes them (far faster than
 * Number() per item in cold code):
 * - Ports: the port minus the previous row's port;
 * - Names: the service names, separated by a space; empty for "unknown";
 * - Ratios: open frequencies in millionths (nmap's file has exactly six
 *   decimals; 0 = none). millionths / 1e6 is the same double as
 *   strtod("0.dddddd");
 * - Top: every port by descending ratio with ties in file order — nmap's
 *   stable sort, the order --top-ports takes from: a top-N list is a slice.
 */

import { fnv1a32 } from "../cli/services_db.ts";

const src = Deno.args[0] ?? "/usr/share/nmap/nmap-services";
const out = new URL("../cli/data/services.json", import.meta.url);
const sourceOut = new URL("../cli/data/services_source.ts", import.meta.url);

const text = await Deno.readTextFile(src);
const bytes = new TextEncoder().encode(text);
const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
  .map((b) => b.toString(16).padStart(2, "0")).join("");
const idLine = text.split("\n").find((l) => l.startsWith("# $Id:"))?.slice(2) ?? "(no $Id line)";

let pkg = "unknown";
try {
  const r = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f=${Package} ${Version}", "nmap-common"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (r.success) pkg = new TextDecoder().decode(r.stdout).trim();
} catch {
  // Not a Debian system: the hash still identifies the source.
}

type Proto = "tcp" | "udp" | "sctp";
const cols = () => ({ ports: [] as string[], names: [] as string[], ratios: [] as string[] });
const rows: Record<Proto, ReturnType<typeof cols>> = { tcp: cols(), udp: cols(), sctp: cols() };
const ranked: Record<Proto, { port: number; micro: number }[]> = { tcp: [], udp: [], sctp: [] };
const last: Record<Proto, number> = { tcp: 0, udp: 0, sctp: 0 };
const seen = new Set<string>();
let lineno = 0;
for (const line of text.split("\n")) {
  lineno++;
  const t = line.trim();
  if (t === "" || t.startsWith("#")) continue;
  const f = t.split(/\s+/);
  const m = /^(\d+)\/([a-z]+)$/.exec(f[1] ?? "");
  if (!m) continue;
  const port = Number(m[1]);
  const proto = m[2];
  if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") continue;
  const key = `${port}/${proto}`;
  if (seen.has(key)) continue; // nmap keeps the first of duplicated rows
  seen.add(key);
  const name = f[0]!;
  if (name.includes(",") || name.includes(" ")) throw new Error(`line ${lineno}: odd name ${name}`);
  let micro = 0;
  const r = f[2];
  if (r !== undefined && r.startsWith("0.")) {
    if (!/^0\.\d{6}$/.test(r)) throw new Error(`line ${lineno}: ratio ${r} is not 0.dddddd`);
    micro = Number(r.slice(2));
  }
  if (port < last[proto]) throw new Error(`line ${lineno}: ports not ascending for ${proto}`);
  const delta = port - last[proto];
  last[proto] = port;
  rows[proto].ports.push(String(delta));
  // "unknown" names a sixth of the rows' bytes: it is left empty.
  rows[proto].names.push(name === "unknown" ? "" : name);
  rows[proto].ratios.push(String(micro));
  ranked[proto].push({ port, micro });
}
// Array.prototype.sort is stable: equal ratios keep file order, as in nmap.
const top = (p: Proto) => ranked[p].sort((a, b) => b.micro - a.micro).map((r) => r.port).join(",");
const columns = (p: Proto) => ({
  [`${p}Ports`]: rows[p].ports.join(","),
  [`${p}Names`]: rows[p].names.join(" "),
  [`${p}Ratios`]: rows[p].ratios.join(","),
  [`${p}Top`]: top(p),
});

const body = JSON.stringify(
  {
    generatedBy: "tools/gen_services.ts (do not edit)",
    source: `${src} (${pkg}), ${idLine}`,
    sha256: digest,
    // What cli/services_db.ts compares a found nmap-services with (no sync SHA-256 there).
    size: bytes.length,
    fnv1a32: fnv1a32(bytes),
    license: "nmap-services is (C) Insecure.Com LLC, distributed under the Nmap Public Source " +
      "License (https://nmap.org/npsl/); this is a derived table of its TCP, UDP and SCTP rows.",
    format: "see tools/gen_services.ts",
    ...columns("tcp"),
    ...columns("udp"),
    ...columns("sctp"),
  },
  null,
  2,
) + "\n";
await Deno.writeTextFile(out, body);
// The source line lives apart so that --version need not load the table.
await Deno.writeTextFile(
  sourceOut,
  `// GENERATED by tools/gen_services.ts — do not edit.
// From nmap's nmap-services: (C) Insecure.Com LLC, Nmap Public Source License
// (https://nmap.org/npsl/); see services.json's "license" and THIRD_PARTY.md.

/** Where the services table came from, for --version and debugging output. */
export const SERVICES_SOURCE =
  ${JSON.stringify(`${src} (${pkg}; ${idLine})`)};
`,
);
console.log(
  `wrote ${out.pathname}: tcp ${rows.tcp.names.length}, udp ${rows.udp.names.length}, sctp ${rows.sctp.names.length} rows`,
);
