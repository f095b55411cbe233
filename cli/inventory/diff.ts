/**
 * Differences between two scans: as ndiff prints them (its text and XML formats and its
 * cost, whose zero or not is the exit status), and as NDJSON change events for machines.
 *
 * The ndiff side follows nmap 7.93's ndiff.py rule for rule: hosts paired by their id (the
 * first address padded to 40 columns, then the first host name), ports by number and
 * protocol, services compared by name, product, version and extra info, OS matches and
 * script output lines through difflib's opcodes (./sequence.ts), tables laid out as its Table
 * class does. Where ndiff 7.93 crashes (two scripts on one port: it sorts objects Python 3
 * cannot order; a port whose only change is script output: it compares a list with 0), this
 * prints what ndiff meant to.
 *
 * @module
 */

import { opcodes } from "./sequence.ts";
import { certificateOf, type InvHost, type InvPort, type InvScan, type InvScript } from "./scan.ts";

// ---------------------------------------------------------------------------------------
// ndiff's view of a scan

interface NdAddress {
  s: string;
  type: "ipv4" | "ipv6" | "mac";
  key: string;
}

interface NdService {
  name?: string;
  product?: string;
  version?: string;
  extrainfo?: string;
  tunnel?: string;
}

interface NdPort {
  port: number;
  protocol: string;
  state: string | null;
  service: NdService;
  scripts: InvScript[];
}

interface NdHost {
  state: string | null;
  addresses: NdAddress[];
  hostnames: string[];
  /** By number, then protocol; one per port. */
  ports: NdPort[];
  extraports: Map<string, number>;
  os: string[];
  scripts: InvScript[];
}

const TYPE_ORDER = { ipv4: 0, ipv6: 1, mac: 2 } as const;

function address(s: string, type: NdAddress["type"]): NdAddress {
  return { s, type, key: `${TYPE_ORDER[type]}\u0000${s}` };
}

const cmpStr = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;
const NONE: never[] = Object.freeze([]) as never[];
const NO_SERVICE: NdService = Object.freeze({});
const NO_EXTRAPORTS: Map<string, number> = new Map();
const sortScripts = (s: InvScript[] | undefined): InvScript[] =>
  s === undefined || s.length === 0
    ? NONE
    : [...s].sort((x, y) => cmpStr(x.id, y.id) || cmpStr(x.output, y.output));
const specKey = (port: number, protocol: string) => `${port}/${protocol}`;
const cmpPort = (x: NdPort, y: NdPort) => x.port - y.port || cmpStr(x.protocol, y.protocol);

function emptyHost(): NdHost {
  return {
    state: null,
    addresses: NONE,
    hostnames: NONE,
    ports: NONE,
    extraports: NO_EXTRAPORTS,
    os: NONE,
    scripts: NONE,
  };
}

// A port or "not shown" list the importer shared among hosts (frozen) is converted once.
const ndPorts = new WeakMap<InvPort, NdPort>();
const ndExtraports = new WeakMap<object, Map<string, number>>();

function ndPort(p: InvPort): NdPort {
  const had = ndPorts.get(p);
  if (had) return had;
  const sv = p.service;
  const out: NdPort = {
    port: p.port,
    protocol: p.protocol,
    state: p.state,
    service: sv
      ? {
        name: sv.name,
        product: sv.product,
        version: sv.version,
        extrainfo: sv.extraInfo,
        tunnel: sv.tunnel,
      }
      : NO_SERVICE,
    scripts: sortScripts(p.scripts),
  };
  if (Object.isFrozen(p)) ndPorts.set(p, out);
  return out;
}

function extraportsOf(h: InvHost): Map<string, number> {
  const e = h.extraPorts;
  if (e === undefined || e.length === 0) return NO_EXTRAPORTS;
  let m = ndExtraports.get(e);
  if (m) return m;
  m = new Map(e.map((x) => [x.state, x.count]));
  if (Object.isFrozen(e)) ndExtraports.set(e, m);
  return m;
}

function ndHost(h: InvHost): NdHost {
  const addresses = [address(h.address, h.family === 6 ? "ipv6" : "ipv4")];
  if (h.mac) addresses.push(address(h.mac, "mac"));
  const ports = h.ports.map(ndPort);
  let ordered = true;
  for (let i = 1; i < ports.length && ordered; i++) ordered = cmpPort(ports[i - 1]!, ports[i]!) < 0;
  return {
    state: h.status,
    addresses,
    hostnames: h.hostnames.length === 0 ? NONE : [...new Set(h.hostnames.map((x) => x.name))],
    ports: ordered ? ports : uniquePorts(ports),
    extraports: extraportsOf(h),
    os: h.os === undefined || h.os.length === 0 ? NONE : h.os.map((o) => o.name),
    scripts: sortScripts(h.scripts),
  };
}

/** Ports sorted, the last of a repeated one kept (as a Map keyed by port would). */
function uniquePorts(ports: NdPort[]): NdPort[] {
  const m = new Map<string, NdPort>();
  for (const p of ports) m.set(specKey(p.port, p.protocol), p);
  return [...m.values()].sort(cmpPort);
}

const sortedAddresses = (h: NdHost) => [...h.addresses].sort((a, b) => cmpStr(a.key, b.key));

function formatName(h: NdHost): string {
  if (h.addresses.length === 1 && h.hostnames.length === 0) return h.addresses[0]!.s;
  const a = sortedAddresses(h).map((x) => x.s).join(", ");
  const n = [...h.hostnames].sort(cmpStr).join(", ");
  if (n.length > 0) return a.length > 0 ? `${n} (${a})` : n;
  return a.length > 0 ? a : "<no name>";
}

const isExtraports = (h: NdHost, state: string | null) => state === null || h.extraports.has(state);

function extraportsString(h: NdHost): string {
  const l = [...h.extraports].map(([state, count]) => [count, state] as const);
  l.sort((x, y) => y[0] - x[0] || cmpStr(y[1], x[1]));
  return l.map(([count, state]) => `${count} ${state} ports`).join(", ");
}

const serviceEqual = (a: NdService, b: NdService) =>
  a.name === b.name && a.product === b.product && a.version === b.version &&
  a.extrainfo === b.extrainfo;

function nameString(s: NdService): string | null {
  if (s.name === undefined) return s.tunnel ?? null;
  return s.tunnel === undefined ? s.name : `${s.tunnel}/${s.name}`;
}

function versionString(s: NdService): string | null {
  let out: string | null = s.product ?? null;
  if (s.version !== undefined) out = out === null ? s.version : `${out} ${s.version}`;
  if (s.extrainfo !== undefined) {
    out = out === null ? `(${s.extrainfo})` : `${out} (${s.extrainfo})`;
  }
  return out;
}

/** Python's str.splitlines(). */
function splitlines(s: string): string[] {
  // deno-lint-ignore no-control-regex -- Python's line boundaries include these controls
  const l = s.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (l.length > 0 && l[l.length - 1] === "") l.pop();
  return l;
}

function scriptLines(s: InvScript): string[] {
  const lines = splitlines(s.output);
  if (lines.length > 0) lines[0] = `${s.id}: ${lines[0]}`;
  const out = lines.slice(0, -1).map((l) => `|  ${l}`);
  if (lines.length > 0) out.push(`|_ ${lines[lines.length - 1]}`);
  return out;
}

type ScriptDiff = [InvScript | null, InvScript | null];

function diffScripts(a: InvScript[], b: InvScript[], verbose: boolean): ScriptDiff[] {
  const out: ScriptDiff[] = [];
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]!.id < b[j]!.id) out.push([a[i++]!, null]);
    else if (a[i]!.id > b[j]!.id) out.push([null, b[j++]!]);
    else {
      if (a[i]!.output !== b[j]!.output || verbose) out.push([a[i]!, b[j]!]);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push([a[i++]!, null]);
  while (j < b.length) out.push([null, b[j++]!]);
  return out;
}

/** ndiff's Table: "*" fields left-justified, other template characters copied. */
class Table {
  widths: number[] = [];
  rows: (string[] | string)[] = [];
  prefix: string;
  padding: string[] = [];

  constructor(template: string) {
    let j = 0;
    while (j < template.length && template[j] !== "*") j++;
    this.prefix = template.slice(0, j);
    j++;
    let i = j;
    while (j < template.length) {
      while (j < template.length && template[j] !== "*") j++;
      this.padding.push(template.slice(i, j));
      j++;
      i = j;
    }
  }

  append(row: (string | null)[]): void {
    let n = row.length;
    while (n > 0 && row[n - 1] === null) n--;
    const strings: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = row[i] ?? "";
      const len = codePoints(s);
      if (i === this.widths.length) this.widths.push(len);
      else if (len > this.widths[i]!) this.widths[i] = len;
      strings[i] = s;
    }
    this.rows.push(strings);
  }

  appendRaw(s: string): void {
    this.rows.push(s);
  }

  get length(): number {
    return this.rows.length;
  }

  toString(): string {
    let out = "";
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r]!;
      if (r > 0) out += "\n";
      if (typeof row === "string") {
        out += row;
        continue;
      }
      let line = this.prefix;
      for (let i = 0; i < row.length; i++) {
        const cell = row[i]!;
        line += cell + " ".repeat(Math.max(0, this.widths[i]! - codePoints(cell)));
        if (i < this.padding.length) line += this.padding[i];
      }
      out += line.trimEnd();
    }
    return out;
  }
}

/** Python's len() of a string: code points, not UTF-16 units. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function scriptDiffToTable(d: ScriptDiff, table: Table, verbose: boolean): void {
  const a = d[0] ? scriptLines(d[0]) : [];
  const b = d[1] ? scriptLines(d[1]) : [];
  if (a.join("\n") === b.join("\n") && a.length === b.length && !verbose) return;
  for (const [op, i1, i2, j1, j2] of opcodes(a, b)) {
    if (op === "replace" || op === "delete") {
      for (let k = i1; k < i2; k++) table.appendRaw("-" + a[k]);
    }
    if (op === "replace" || op === "insert") {
      for (let k = j1; k < j2; k++) table.appendRaw("+" + b[k]);
    }
    if (op === "equal") { for (let k = i1; k < i2; k++) table.appendRaw(" " + a[k]); }
  }
}

interface PortDiff {
  a: NdPort;
  b: NdPort;
  scripts: ScriptDiff[];
  cost: number;
}

function missingPort(p: NdPort): NdPort {
  return { port: p.port, protocol: p.protocol, state: null, service: NO_SERVICE, scripts: NONE };
}

function diffPort(a: NdPort, b: NdPort, verbose: boolean): PortDiff {
  let cost = 0;
  if (a.state !== b.state) cost++;
  if (!serviceEqual(a.service, b.service)) cost++;
  const scripts = a.scripts.length === 0 && b.scripts.length === 0
    ? NONE
    : diffScripts(a.scripts, b.scripts, verbose);
  return { a, b, scripts, cost: cost + scripts.length };
}

interface HostDiff {
  a: NdHost;
  b: NdHost;
  stateChanged: boolean;
  idChanged: boolean;
  osChanged: boolean;
  extraportsChanged: boolean;
  ports: PortDiff[];
  os: ReturnType<typeof opcodes>;
  scripts: ScriptDiff[];
  cost: number;
}

const setEq = (a: string[], b: string[]) => {
  if (a.length === b.length && a.every((x, i) => x === b[i])) return true;
  const sa = new Set(a), sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

const addressesEq = (a: NdAddress[], b: NdAddress[]) =>
  (a.length === b.length && a.every((x, i) => x.key === b[i]!.key)) ||
  setEq(a.map((x) => x.key), b.map((x) => x.key));

/** Two maps with the same entries in the same order. */
function sameOrderedMap(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  const ib = b.entries();
  for (const [s, c] of a) {
    const [t, d] = ib.next().value!;
    if (s !== t || c !== d) return false;
  }
  return true;
}

function diffHost(a: NdHost, b: NdHost, verbose: boolean): HostDiff {
  let cost = 0;
  const stateChanged = a.state !== b.state;
  if (stateChanged) cost++;
  const idChanged = !addressesEq(a.addresses, b.addresses) || !setEq(a.hostnames, b.hostnames);
  if (idChanged) cost++;
  const ports: PortDiff[] = [];
  // Both lists are sorted by port and protocol: walked side by side.
  let i = 0, j = 0;
  while (i < a.ports.length || j < b.ports.length) {
    const pa = a.ports[i], pb = b.ports[j];
    const order = pa === undefined ? 1 : pb === undefined ? -1 : cmpPort(pa, pb);
    const d = order < 0
      ? diffPort(pa!, missingPort(pa!), verbose)
      : order > 0
      ? diffPort(missingPort(pb!), pb!, verbose)
      : diffPort(pa!, pb!, verbose);
    if (order <= 0) i++;
    if (order >= 0) j++;
    // ndiff's include_diff: ports in "not shown" states on both sides are left out.
    if (isExtraports(a, d.a.state) && isExtraports(b, d.b.state)) continue;
    if (!verbose && d.cost === 0) continue;
    ports.push(d);
    cost += d.cost;
  }
  const os = a.os.length === 0 && b.os.length === 0 ? NONE : opcodes(a.os, b.os);
  let osCost = 0;
  for (const o of os) if (o[0] !== "equal") osCost++;
  cost += osCost;
  // ndiff compares the "not shown" lists as text, in their order.
  const extraportsChanged = !sameOrderedMap(a.extraports, b.extraports);
  if (extraportsChanged) cost++;
  const scripts = a.scripts.length === 0 && b.scripts.length === 0
    ? NONE
    : diffScripts(a.scripts, b.scripts, verbose);
  cost += scripts.length;
  return {
    a,
    b,
    stateChanged,
    idChanged,
    osChanged: osCost > 0,
    extraportsChanged,
    ports,
    os,
    scripts,
    cost,
  };
}

/** The first (least) host name of a host, or "". */
function firstName(h: InvHost): string {
  let first: string | undefined;
  for (const x of h.hostnames) if (first === undefined || x.name < first) first = x.name;
  return first ?? "";
}

/** Orders hosts as ndiff orders their ids (the first address padded to 40 columns, then the
 * first host name), without building the id strings. */
function cmpHostId(x: InvHost, y: InvHost): number {
  // Addresses sort IPv4, IPv6, then MAC: the scanned address always comes first.
  const a = x.address, b = y.address;
  if (a.length > 40 || b.length > 40) {
    return cmpStr(a.padEnd(40) + firstName(x), b.padEnd(40) + firstName(y));
  }
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = i < a.length ? a.charCodeAt(i) : 0x20, cb = i < b.length ? b.charCodeAt(i) : 0x20;
    if (ca !== cb) return ca - cb;
  }
  return x.hostnames.length === 0 && y.hostnames.length === 0
    ? 0
    : cmpStr(firstName(x), firstName(y));
}

/** ndiff's host_pairs over hosts sorted by id; each host is converted to ndiff's view only
 * when its pair is diffed. */
function* hostPairs(sa: InvScan, sb: InvScan): Generator<[NdHost, NdHost]> {
  const a = [...sa.hosts].sort(cmpHostId), b = [...sb.hosts].sort(cmpHostId);
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const order = cmpHostId(a[i]!, b[j]!);
    if (order < 0) yield [ndHost(a[i++]!), emptyHost()];
    else if (order > 0) yield [emptyHost(), ndHost(b[j++]!)];
    else yield [ndHost(a[i++]!), ndHost(b[j++]!)];
  }
  while (i < a.length) yield [ndHost(a[i++]!), emptyHost()];
  while (j < b.length) yield [emptyHost(), ndHost(b[j++]!)];
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** strftime("%a %b %d %H:%M:%S %Y") in local time, as ndiff words a scan's start. */
function startString(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${
    two(d.getMinutes())
  }:${two(d.getSeconds())} ${d.getFullYear()}`;
}

function banner(s: InvScan): string {
  const parts = [s.scanner && s.scanner !== "nmap" ? s.scanner : "Nmap"];
  if (s.version !== undefined) parts.push(s.version);
  parts.push("scan");
  parts.push(`initiated ${startString(s.startTime)}`);
  parts.push(`as: ${s.args}`);
  return parts.join(" ");
}

/** Text being made: kept whole, or handed to `write` a piece at a time so a 65,536-host
 * diff never holds millions of small strings at once. */
class Output {
  #pieces: string[] = [];
  constructor(private readonly write?: (s: string) => void) {}

  push(s: string): void {
    this.#pieces.push(s);
    if (this.write && this.#pieces.length >= 512) this.flush();
  }

  private flush(): void {
    this.write!(this.#pieces.join(""));
    this.#pieces = [];
  }

  /** The whole text (without `write`), or "" after the last piece was written. */
  end(): string {
    if (!this.write) return this.#pieces.join("");
    if (this.#pieces.length > 0) this.flush();
    return "";
  }
}

/** The result of a diff: its text and ndiff's cost (0: the scans are the same). */
export interface DiffOutput {
  text: string;
  cost: number;
}

/** ndiff's text format. */
export function ndiffText(
  sa: InvScan,
  sb: InvScan,
  verbose = false,
  write?: (s: string) => void,
): DiffOutput {
  const out = new Output(write);
  const print = (s = "") => out.push(s + "\n");
  const ba = banner(sa), bb = banner(sb);
  if (ba !== bb) {
    print(`-${ba}`);
    print(`+${bb}`);
  } else if (verbose) print(` ${ba}`);
  let cost = 0;
  for (const [a, b] of hostPairs(sa, sb)) {
    const d = diffHost(a, b, verbose);
    cost += d.cost;
    if (d.cost > 0 || verbose) {
      print();
      printHostText(d, print, verbose);
    }
  }
  return { text: out.end(), cost };
}

/** A port's row of ndiff's table, its first column (the mark) left blank. */
const portColumns = (x: NdPort): (string | null)[] => [
  " ",
  `${x.port}/${x.protocol}`,
  x.state ?? "unknown",
  nameString(x.service),
  versionString(x.service),
];

function printHostText(d: HostDiff, print: (s?: string) => void, verbose: boolean): void {
  const { a, b } = d;
  if (d.idChanged) {
    if (a.state !== null) print(`-${formatName(a)}:`);
    if (b.state !== null) print(`+${formatName(b)}:`);
  } else print(` ${formatName(a)}:`);
  if (d.stateChanged) {
    if (a.state !== null) print(`-Host is ${a.state}.`);
    if (b.state !== null) print(`+Host is ${b.state}.`);
  } else if (verbose) print(` Host is ${b.state}.`);
  if (d.extraportsChanged) {
    if (a.extraports.size > 0) print(`-Not shown: ${extraportsString(a)}`);
    if (b.extraports.size > 0) print(`+Not shown: ${extraportsString(b)}`);
  } else if (verbose && a.extraports.size > 0) print(` Not shown: ${extraportsString(a)}`);
  const table = new Table("** * * *");
  const mark = a.state === null ? "+" : b.state === null ? "-" : " ";
  table.append([mark, "PORT", "STATE", "SERVICE", "VERSION"]);
  for (const p of d.ports) {
    const ca = portColumns(p.a), cb = portColumns(p.b);
    // Compared as ndiff compares the joined columns: a missing one reads as "".
    if (
      ca[1] === cb[1] && ca[2] === cb[2] && (ca[3] ?? "") === (cb[3] ?? "") &&
      (ca[4] ?? "") === (cb[4] ?? "")
    ) {
      if (verbose || p.scripts.length > 0) table.append(ca);
    } else {
      if (!isExtraports(a, p.a.state)) {
        ca[0] = "-";
        table.append(ca);
      }
      if (!isExtraports(b, p.b.state)) {
        cb[0] = "+";
        table.append(cb);
      }
    }
    for (const s of p.scripts) scriptDiffToTable(s, table, verbose);
  }
  if (table.length > 1) print(table.toString());
  if (d.osChanged || verbose) {
    if (a.os.length > 0) print(b.os.length > 0 ? " OS details:" : "-OS details:");
    else if (b.os.length > 0) print("+OS details:");
    for (const [op, i1, i2, j1, j2] of d.os) {
      if (op === "replace" || op === "delete") {
        for (let i = i1; i < i2; i++) print(`-  ${a.os[i]}`);
      }
      if (op === "replace" || op === "insert") {
        for (let i = j1; i < j2; i++) print(`+  ${b.os[i]}`);
      }
      if (op === "equal") { for (let i = i1; i < i2; i++) print(`   ${a.os[i]}`); }
    }
  }
  const st = new Table("*");
  for (const s of d.scripts) scriptDiffToTable(s, st, verbose);
  if (st.length > 0) {
    print();
    const title = "Host script results";
    print(`${b.scripts.length === 0 ? "-" : a.scripts.length === 0 ? "+" : " "}${title}:`);
    print(st.toString());
  }
}

// ---------------------------------------------------------------------------------------
// ndiff's XML format (minidom's writexml with newl="\n")

interface El {
  tag: string;
  attrs: [string, string][];
  children: El[];
}

const el = (tag: string, attrs: [string, string | undefined][] = [], children: El[] = []): El => ({
  tag,
  attrs: attrs.every((x) => x[1] !== undefined)
    ? attrs as [string, string][]
    : attrs.filter((x): x is [string, string] => x[1] !== undefined),
  children,
});

const escAttr = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;").replace(/>/g, "&gt;");

function writeEl(e: El, out: Output): void {
  let open = "<" + e.tag;
  for (const [k, v] of e.attrs) {
    open += " " + k + '="' + (/[&<>"]/.test(v) ? escAttr(v) : v) + '"';
  }
  if (e.children.length > 0) {
    out.push(open + ">\n");
    for (const c of e.children) writeEl(c, out);
    out.push("</" + e.tag + ">\n");
  } else out.push(open + "/>\n");
}

function nmaprunEl(s: InvScan): El {
  return el("nmaprun", [
    ["scanner", s.scanner],
    ["args", s.args],
    ["start", String(Math.floor(s.startTime / 1000))],
    ["startstr", startString(s.startTime)],
    ["version", s.version],
  ]);
}

const statusEl = (h: NdHost) => h.state !== null ? [el("status", [["state", h.state]])] : [];
const addressEl = (a: NdAddress) => el("address", [["addr", a.s], ["addrtype", a.type]]);
const hostnameEl = (n: string) => el("hostname", [["name", n]]);
const extraportsEls = (h: NdHost) =>
  [...h.extraports].map(([s, c]) => el("extraports", [["state", s], ["count", String(c)]]));
const osmatchEl = (n: string) => el("osmatch", [["name", n]]);
const scriptEl = (s: InvScript) => el("script", [["id", s.id], ["output", s.output]]);

function serviceEls(s: NdService): El[] {
  const e = el("service", [
    ["name", s.name],
    ["product", s.product],
    ["version", s.version],
    ["extrainfo", s.extrainfo],
    ["tunnel", s.tunnel],
  ]);
  return e.attrs.length > 0 ? [e] : [];
}

function portEl(p: NdPort): El {
  return el("port", [["portid", String(p.port)], ["protocol", p.protocol]], [
    ...(p.state !== null ? [el("state", [["state", p.state]])] : []),
    ...serviceEls(p.service),
    ...p.scripts.map(scriptEl),
  ]);
}

function wholeHostEl(h: NdHost): El {
  const children: El[] = [...statusEl(h), ...h.addresses.map(addressEl)];
  if (h.hostnames.length > 0) children.push(el("hostnames", [], h.hostnames.map(hostnameEl)));
  const ports = [...extraportsEls(h)];
  for (const p of h.ports) if (!isExtraports(h, p.state)) ports.push(portEl(p));
  if (ports.length > 0) children.push(el("ports", [], ports));
  if (h.os.length > 0) children.push(el("os", [], h.os.map(osmatchEl)));
  if (h.scripts.length > 0) children.push(el("hostscript", [], h.scripts.map(scriptEl)));
  return el("host", [], children);
}

function scriptDiffEls(d: ScriptDiff): El[] {
  const [a, b] = d;
  if (a && b && a.id === b.id && a.output === b.output) return [scriptEl(a)];
  const out: El[] = [];
  if (a) out.push(el("a", [], [scriptEl(a)]));
  if (b) out.push(el("b", [], [scriptEl(b)]));
  return out;
}

function scriptsBlock(tag: string, a: InvScript[], b: InvScript[], diffs: ScriptDiff[]): El[] {
  if (a.length === 0 && b.length === 0) return [];
  if (b.length === 0) return [el("a", [], [el(tag, [], a.map(scriptEl))])];
  if (a.length === 0) return [el("b", [], [el(tag, [], b.map(scriptEl))])];
  return [el(tag, [], diffs.flatMap(scriptDiffEls))];
}

function portDiffEl(d: PortDiff): El {
  const { a, b } = d;
  if (a.state === b.state) {
    const children: El[] = [...(a.state !== null ? [el("state", [["state", a.state]])] : [])];
    if (serviceEqual(a.service, b.service)) children.push(...serviceEls(a.service));
    else {
      children.push(el("a", [], serviceEls(a.service)), el("b", [], serviceEls(b.service)));
    }
    children.push(...d.scripts.flatMap(scriptDiffEls));
    return el("portdiff", [], [
      el("port", [["portid", String(a.port)], ["protocol", a.protocol]], children),
    ]);
  }
  return el("portdiff", [], [el("a", [], [portEl(a)]), el("b", [], [portEl(b)])]);
}

const mapEq = (a: Map<string, number>, b: Map<string, number>) =>
  a === b || a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

function hostDiffEl(d: HostDiff, verbose: boolean): El {
  const { a, b } = d;
  if (a.state === null || b.state === null) {
    const side = a.state !== null
      ? [el("a", [], [wholeHostEl(a)])]
      : b.state !== null
      ? [el("b", [], [wholeHostEl(b)])]
      : [];
    return el("hostdiff", [], side);
  }
  const children: El[] = [];
  if (a.state === b.state) {
    if (verbose) children.push(...statusEl(a));
  } else children.push(el("a", [], statusEl(a)), el("b", [], statusEl(b)));
  if (
    a.addresses.length === 1 && b.addresses.length === 1 &&
    a.addresses[0]!.key === b.addresses[0]!.key
  ) {
    children.push(addressEl(a.addresses[0]!)); // the common case: one address, the same
  } else {
    const ka = new Map(a.addresses.map((x) => [x.key, x])),
      kb = new Map(b.addresses.map((x) => [x.key, x]));
    const byKey = (l: NdAddress[]) => l.sort((x, y) => cmpStr(x.key, y.key)).map(addressEl);
    children.push(...byKey([...ka.values()].filter((x) => kb.has(x.key))));
    const onlyA = byKey([...ka.values()].filter((x) => !kb.has(x.key)));
    if (onlyA.length > 0) children.push(el("a", [], onlyA));
    const onlyB = byKey([...kb.values()].filter((x) => !ka.has(x.key)));
    if (onlyB.length > 0) children.push(el("b", [], onlyB));
  }
  if (a.hostnames.length > 0 || b.hostnames.length > 0) {
    const na = new Set(a.hostnames), nb = new Set(b.hostnames);
    const names: El[] = [...na].filter((x) => nb.has(x)).sort(cmpStr).map(hostnameEl);
    const nOnlyA = [...na].filter((x) => !nb.has(x)).sort(cmpStr).map(hostnameEl);
    if (nOnlyA.length > 0) names.push(el("a", [], nOnlyA));
    const nOnlyB = [...nb].filter((x) => !na.has(x)).sort(cmpStr).map(hostnameEl);
    if (nOnlyB.length > 0) names.push(el("b", [], nOnlyB));
    if (names.length > 0) children.push(el("hostnames", [], names));
  }
  const ports: El[] = [];
  if (mapEq(a.extraports, b.extraports)) ports.push(...extraportsEls(a));
  else ports.push(el("a", [], extraportsEls(a)), el("b", [], extraportsEls(b)));
  for (const p of d.ports) {
    if (p.cost === 0) {
      if (verbose) ports.push(portEl(p.a.state !== null ? p.a : p.b));
    } else ports.push(portDiffEl(p));
  }
  if (ports.length > 0) children.push(el("ports", [], ports));
  if (d.osChanged || verbose) {
    const os: El[] = [];
    for (const [op, i1, i2, j1, j2] of d.os) {
      if (op === "replace" || op === "delete") {
        os.push(el("a", [], a.os.slice(i1, i2).map(osmatchEl)));
      }
      if (op === "replace" || op === "insert") {
        os.push(el("b", [], b.os.slice(j1, j2).map(osmatchEl)));
      }
      if (op === "equal") os.push(...a.os.slice(i1, i2).map(osmatchEl));
    }
    if (os.length > 0) children.push(el("os", [], os));
  }
  if (d.scripts.length > 0 || verbose) {
    children.push(...scriptsBlock("hostscript", a.scripts, b.scripts, d.scripts));
  }
  return el("hostdiff", [], [el("host", [], children)]);
}

/** ndiff's XML format (`ndiff --xml`). */
export function ndiffXml(
  sa: InvScan,
  sb: InvScan,
  verbose = false,
  write?: (s: string) => void,
): DiffOutput {
  const out = new Output(write);
  out.push('<?xml version="1.0" encoding="utf-8"?>\n<nmapdiff version="1"><scandiff>');
  const differs = sa.scanner !== sb.scanner || sa.version !== sb.version || sa.args !== sb.args ||
    Math.floor(sa.startTime / 1000) !== Math.floor(sb.startTime / 1000) ||
    Math.floor((sa.endTime ?? -1000) / 1000) !== Math.floor((sb.endTime ?? -1000) / 1000);
  if (differs) {
    out.push("<a>");
    writeEl(nmaprunEl(sa), out);
    out.push("</a><b>");
    writeEl(nmaprunEl(sb), out);
    out.push("</b>");
  } else if (verbose) writeEl(nmaprunEl(sa), out);
  let cost = 0;
  for (const [a, b] of hostPairs(sa, sb)) {
    const d = diffHost(a, b, verbose);
    cost += d.cost;
    if (d.cost > 0 || verbose) writeEl(hostDiffEl(d, verbose), out);
  }
  out.push("</scandiff></nmapdiff>");
  return { text: out.end(), cost };
}

// ---------------------------------------------------------------------------------------
// NDJSON change events

/** One change between two scans. */
export interface ChangeEvent {
  event:
    | "host-appeared"
    | "host-gone"
    | "host-state-changed"
    | "port-opened"
    | "port-closed"
    | "port-filtered"
    | "port-state-changed"
    | "service-changed"
    | "product-changed"
    | "version-changed"
    | "os-changed"
    | "tls-certificate-changed";
  address: string;
  protocol?: string;
  port?: number;
  from?: string | null;
  to?: string | null;
  /** For host-appeared: its open ports ("22/tcp"). */
  open?: string[];
}

/** What a port not listed in a host's scan most likely was: the one "not shown" state,
 * when there is exactly one; null otherwise. */
function unlistedState(h: InvHost): string | null {
  return h.extraPorts?.length === 1 ? h.extraPorts[0]!.state : null;
}

/** Changes from scan `a` to scan `b`, hosts by address, ports by number and protocol. */
export function changeEvents(a: InvScan, b: InvScan): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  const hb = new Map(b.hosts.map((h) => [h.address, h]));
  const ha = new Map(a.hosts.map((h) => [h.address, h]));
  const openOf = (h: InvHost) =>
    h.ports.filter((p) => p.state === "open").map((p) => `${p.port}/${p.protocol}`);
  for (const h of a.hosts) {
    const n = hb.get(h.address);
    if (h.status === "up" && (!n || n.status !== "up")) {
      out.push(
        n ? hostState(h, n) : { event: "host-gone", address: h.address, from: "up", to: null },
      );
    }
  }
  for (const h of b.hosts) {
    const o = ha.get(h.address);
    if (h.status !== "up") continue;
    if (!o || o.status !== "up") {
      out.push(
        o
          ? hostState(o, h)
          : { event: "host-appeared", address: h.address, from: null, to: "up", open: openOf(h) },
      );
      if (!o) continue;
    }
    portEvents(o, h, out);
  }
  return out;
}

/** The events of one port: `x` in scan a, `y` in scan b (either may be missing), `any` one
 * of them. */
function portPairEvents(
  a: InvHost,
  b: InvHost,
  x: InvPort | undefined,
  y: InvPort | undefined,
  any: InvPort,
  out: ChangeEvent[],
): void {
  const from = x?.state ?? unlistedState(a);
  const to = y?.state ?? unlistedState(b);
  const base = { address: b.address, protocol: any.protocol, port: any.port };
  if (from !== to) {
    const event = to === "open"
      ? "port-opened"
      : from === "open" && (to === "closed" || to === null)
      ? "port-closed"
      : to !== null && to.includes("filtered")
      ? "port-filtered"
      : "port-state-changed";
    out.push({ event, ...base, from, to });
  }
  if (!x || !y || x.state !== "open" || y.state !== "open") return;
  const fields = [
    ["service-changed", x.service?.name, y.service?.name],
    ["product-changed", x.service?.product, y.service?.product],
    ["version-changed", x.service?.version, y.service?.version],
  ] as const;
  for (const [event, f, t] of fields) {
    // Only a change between two known values: a scan without -sV says nothing new.
    if (f !== undefined && t !== undefined && f !== t) {
      out.push({ event, ...base, from: f, to: t });
    }
  }
  const ca = certificateOf(x), cb = certificateOf(y);
  if (ca !== undefined && cb !== undefined && ca !== cb) {
    out.push({ event: "tls-certificate-changed", ...base, from: ca, to: cb });
  }
}

function hostState(a: InvHost, b: InvHost): ChangeEvent {
  return { event: "host-state-changed", address: a.address, from: a.status, to: b.status };
}

/** Whether two hosts list the same ports, each once, in ascending order. */
function sameSpecsInOrder(a: InvPort[], b: InvPort[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.port !== y.port || x.protocol !== y.protocol) return false;
    if (i > 0) {
      const w = a[i - 1]!;
      if (w.port > x.port || (w.port === x.port && w.protocol >= x.protocol)) return false;
    }
  }
  return true;
}

function portEvents(a: InvHost, b: InvHost, out: ChangeEvent[]): void {
  if (sameSpecsInOrder(a.ports, b.ports)) {
    // The common case, walked without maps: a port shared by both imports (one object)
    // cannot have changed.
    for (let i = 0; i < a.ports.length; i++) {
      const x = a.ports[i]!, y = b.ports[i]!;
      if (x !== y) portPairEvents(a, b, x, y, y, out);
    }
  } else {
    const pa = new Map(a.ports.map((p) => [`${p.port}/${p.protocol}`, p]));
    const pb = new Map(b.ports.map((p) => [`${p.port}/${p.protocol}`, p]));
    const keys = new Map<string, InvPort>();
    for (const p of [...a.ports, ...b.ports]) keys.set(`${p.port}/${p.protocol}`, p);
    const ordered = [...keys.entries()].sort((x, y) =>
      x[1].port - y[1].port || cmpStr(x[1].protocol, y[1].protocol)
    );
    for (const [k, any] of ordered) portPairEvents(a, b, pa.get(k), pb.get(k), any, out);
  }
  const oa = a.os?.[0]?.name, ob = b.os?.[0]?.name;
  if (oa !== undefined && ob !== undefined && oa !== ob) {
    out.push({ event: "os-changed", address: b.address, from: oa, to: ob });
  }
}
