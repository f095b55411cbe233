/**
 * Importers: nmap XML (nmap's or Porthole's -oX), Porthole's -oJ NDJSON, masscan's -oJ
 * (JSON) and -oL (list), and the inventory's own scan JSON (what a failed store write
 * leaves behind). Each turns a file's text into an {@link InvScan}; {@link importScan}
 * recognises the format from the content.
 *
 * @module
 */

import { child, parseXml, type XmlElement, XmlError } from "./xml_tree.ts";
import {
  familyOf,
  type InvExtraPorts,
  type InvHost,
  type InvHostname,
  type InvOsMatch,
  type InvPort,
  type InvScan,
  type InvScript,
  type InvService,
} from "./scan.ts";

/** The input is not a scan this module reads; the message says what is wrong. */
export class ImportError extends Error {}

/** The formats {@link importScan} reads. */
export type ScanFormat =
  | "nmap-xml"
  | "porthole-json"
  | "masscan-json"
  | "masscan-list"
  | "inventory";

/** The first line of the inventory's own scan JSON. */
export const INVENTORY_FORMAT = "porthole-inventory-scan";

/** Recognises the format of a scan file from its first bytes. */
export function detectFormat(text: string): ScanFormat | undefined {
  const head = text.replace(/^\uFEFF/, "").trimStart().slice(0, 4096);
  if (head.startsWith("<")) return "nmap-xml";
  if (head.startsWith(`{"format":"${INVENTORY_FORMAT}"`)) return "inventory";
  if (/^\{\s*"type"\s*:\s*"run"/.test(head)) return "porthole-json";
  if (head.startsWith("[") || /^\{\s*"ip"\s*:/.test(head)) return "masscan-json";
  if (head.startsWith("#masscan") || /^(open|closed|banner) (tcp|udp|sctp|icmp) /.test(head)) {
    return "masscan-list";
  }
  return undefined;
}

/** Reads a scan in any known format; `name` only words the error. */
export function importScan(text: string, name = "input"): InvScan {
  const format = detectFormat(text);
  try {
    switch (format) {
      case "nmap-xml":
        return fromNmapXml(text);
      case "porthole-json":
        return fromPortholeJson(text);
      case "masscan-json":
        return fromMasscanJson(text);
      case "masscan-list":
        return fromMasscanList(text);
      case "inventory":
        return fromInventoryJson(text);
      default:
        throw new ImportError(
          "not a scan file (nmap or Porthole XML, Porthole -oJ, masscan -oJ or -oL)",
        );
    }
  } catch (e) {
    if (e instanceof ImportError || e instanceof XmlError || e instanceof SyntaxError) {
      throw new ImportError(`${name}: ${e.message}`);
    }
    throw e;
  }
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined || s === "") return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
};

/** Interned values of one import: a /16 scan repeats the same few ports, services, "not
 * shown" lists and host names on every host; one shared (frozen) copy of each keeps the
 * imported scan small, and the garbage collector's work with it. */
class Interned {
  #ports = new Map<string, InvPort>();
  #extra = new Map<string, InvExtraPorts[]>();

  port(p: InvPort, key: string): InvPort {
    const had = this.#ports.get(key);
    if (had) return had;
    if (this.#ports.size < 10_000) this.#ports.set(key, deepFreeze(p));
    return p;
  }

  extraPorts(e: InvExtraPorts[], key: string): InvExtraPorts[] {
    const had = this.#extra.get(key);
    if (had) return had;
    if (this.#extra.size < 1_000) this.#extra.set(key, deepFreeze(e));
    return e;
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const NO_HOSTNAMES: InvHostname[] = Object.freeze([]) as unknown as InvHostname[];

function scriptsOf(el: XmlElement): InvScript[] | undefined {
  let s: InvScript[] | undefined;
  for (const x of el.children) {
    if (x.name === "script") {
      (s ??= []).push({ id: x.attrs.id ?? "", output: x.attrs.output ?? "" });
    }
  }
  return s;
}

/** nmap's XML (also Porthole's -oX). */
export function fromNmapXml(text: string): InvScan {
  const hosts: InvHost[] = [];
  const interned = new Interned();
  // Hosts are converted as they close and dropped from the tree: a large file is never held
  // whole.
  const root = parseXml(text, {
    onRootChild: (el) => {
      if (el.name !== "host") return false;
      const h = nmapHost(el, interned);
      if (h) hosts.push(h);
      return true;
    },
  });
  if (root.name !== "nmaprun") {
    throw new ImportError(`root element is <${root.name}>, not <nmaprun>`);
  }
  const finished = child(root, "runstats") && child(child(root, "runstats")!, "finished");
  // Kept as written: Porthole's -oX says scanner="nmap" too (nmap.dtd allows no other value),
  // its args say which program ran, and ndiff's banner words it from this attribute.
  return {
    scanner: root.attrs.scanner ?? "nmap",
    version: root.attrs.version,
    args: root.attrs.args ?? "",
    startTime: (int(root.attrs.start) ?? 0) * 1000,
    endTime: finished?.attrs.time ? Number(finished.attrs.time) * 1000 : undefined,
    hosts,
  };
}

/** One <host>; fields nmap left out stay absent (not undefined) so a large scan stays small. */
function nmapHost(h: XmlElement, interned: Interned): InvHost | undefined {
  let address = "";
  let mac: string | undefined;
  let vendor: string | undefined;
  let status: XmlElement | undefined;
  let hn: XmlElement | undefined;
  let portsEl: XmlElement | undefined;
  let os: XmlElement | undefined;
  let hostscript: XmlElement | undefined;
  for (const c of h.children) {
    switch (c.name) {
      case "address":
        if (c.attrs.addrtype === "mac") {
          mac = c.attrs.addr;
          vendor = c.attrs.vendor;
        } else if (!address) address = c.attrs.addr ?? "";
        break;
      case "status":
        status ??= c;
        break;
      case "hostnames":
        hn ??= c;
        break;
      case "ports":
        portsEl ??= c;
        break;
      case "os":
        os ??= c;
        break;
      case "hostscript":
        hostscript ??= c;
        break;
    }
  }
  if (!address) return undefined;
  const ports: InvPort[] = [];
  let extra: InvExtraPorts[] | undefined;
  let extraKey = "";
  for (const p of portsEl?.children ?? []) {
    if (p.name === "port") ports.push(nmapPort(p, interned));
    else if (p.name === "extraports") {
      const state = p.attrs.state ?? "", count = int(p.attrs.count) ?? 0;
      (extra ??= []).push({ state, count });
      extraKey += `${state}\u0001${count}\u0001`;
    }
  }
  let hostnames = NO_HOSTNAMES;
  for (const x of hn?.children ?? []) {
    if (x.name !== "hostname") continue;
    if (hostnames === NO_HOSTNAMES) hostnames = [];
    hostnames.push({ name: x.attrs.name ?? "", type: x.attrs.type ?? "" });
  }
  let matches: InvOsMatch[] | undefined;
  for (const m of os?.children ?? []) {
    if (m.name !== "osmatch") continue;
    (matches ??= []).push({ name: m.attrs.name ?? "", accuracy: int(m.attrs.accuracy) ?? 0 });
  }
  // Fields in the order the other importers write them (JSON of a scan reads the same).
  const out = { address, family: familyOf(address) } as InvHost;
  if (mac !== undefined) out.mac = mac;
  if (vendor !== undefined) out.vendor = vendor;
  out.hostnames = hostnames;
  out.status = status?.attrs.state === "up" ? "up" : "down";
  const reason = status?.attrs.reason, reasonTtl = int(status?.attrs.reason_ttl);
  if (reason !== undefined) out.reason = reason;
  if (reasonTtl !== undefined) out.reasonTtl = reasonTtl;
  if (h.attrs.starttime) out.startTime = Number(h.attrs.starttime) * 1000;
  if (h.attrs.endtime) out.endTime = Number(h.attrs.endtime) * 1000;
  out.ports = ports;
  if (extra) out.extraPorts = interned.extraPorts(extra, extraKey);
  if (matches) out.os = matches;
  const scripts = hostscript && scriptsOf(hostscript);
  if (scripts) out.scripts = scripts;
  return out;
}

/** One <port>; a port without scripts is shared with every host that has the same one. */
function nmapPort(p: XmlElement, interned: Interned): InvPort {
  let st: XmlElement | undefined;
  let sv: XmlElement | undefined;
  let scripts: InvScript[] | undefined;
  for (const c of p.children) {
    if (c.name === "state") st ??= c;
    else if (c.name === "service") sv ??= c;
    else if (c.name === "script") {
      (scripts ??= []).push({ id: c.attrs.id ?? "", output: c.attrs.output ?? "" });
    }
  }
  const out: InvPort = {
    protocol: (p.attrs.protocol ?? "tcp") as InvPort["protocol"],
    port: int(p.attrs.portid) ?? 0,
    state: st?.attrs.state ?? "unknown",
  };
  let key = `${out.protocol}\u0001${out.port}\u0001${out.state}`;
  const reason = st?.attrs.reason, reasonTtl = int(st?.attrs.reason_ttl);
  if (reason !== undefined) out.reason = reason;
  if (reasonTtl !== undefined) out.reasonTtl = reasonTtl;
  key += `\u0001${reason ?? "\u0002"}\u0001${reasonTtl ?? "\u0002"}`;
  if (sv) {
    const service: InvService = { name: sv.attrs.name ?? "" };
    key += `\u0001${service.name}`;
    for (const [field, attr] of SERVICE_ATTRS) {
      const v = sv.attrs[attr];
      if (v !== undefined) (service as unknown as Record<string, string>)[field] = v;
      key += `\u0001${v ?? "\u0002"}`;
    }
    const conf = int(sv.attrs.conf);
    if (conf !== undefined) service.conf = conf;
    key += `\u0001${conf ?? "\u0002"}`;
    for (const c of sv.children) {
      if (c.name !== "cpe") continue;
      const cpe = c.text.trim();
      (service.cpe ??= []).push(cpe);
      key += `\u0003${cpe}`;
    }
    out.service = service;
  }
  if (scripts) {
    out.scripts = scripts;
    return out;
  }
  return interned.port(out, key);
}

/** InvService's string fields and the <service> attributes they come from. */
const SERVICE_ATTRS = [
  ["product", "product"],
  ["version", "version"],
  ["extraInfo", "extrainfo"],
  ["tunnel", "tunnel"],
  ["method", "method"],
] as const;

// deno-lint-ignore no-explicit-any
type Json = any;

function jsonLines(text: string): Json[] {
  const out: Json[] = [];
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new ImportError(`line ${n}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Porthole's -oJ. */
export function fromPortholeJson(text: string): InvScan {
  const lines = jsonLines(text);
  const run = lines.find((l) => l.type === "run");
  if (!run) throw new ImportError("no run line");
  const summary = lines.find((l) => l.type === "summary");
  const hosts: InvHost[] = lines.filter((l) => l.type === "host").map((h): InvHost => ({
    address: h.address,
    family: h.family === 6 ? 6 : 4,
    mac: h.mac?.addr,
    vendor: h.mac?.vendor,
    hostnames: [
      ...(h.userHostname ? [{ name: h.userHostname, type: "user" }] : []),
      ...(h.ptrHostname ? [{ name: h.ptrHostname, type: "PTR" }] : []),
    ],
    status: h.status === "up" ? "up" : "down",
    reason: h.statusReason,
    reasonTtl: h.statusReasonTtl,
    startTime: h.startTime,
    endTime: h.endTime,
    ports: (h.ports ?? []).map((p: Json): InvPort => ({
      protocol: p.protocol,
      port: p.port,
      state: p.state,
      reason: p.reason,
      reasonTtl: p.reasonTtl,
      service: p.service && {
        name: p.service.name,
        product: p.service.product,
        version: p.service.version,
        extraInfo: p.service.extraInfo,
        tunnel: p.service.tunnel,
        method: p.service.method,
        conf: p.service.confidence,
        cpe: p.service.cpe,
      },
      scripts: p.scripts,
    })),
    extraPorts: h.extraPorts?.length
      ? h.extraPorts.map((e: Json) => ({ state: e.state, count: e.count }))
      : undefined,
    os: h.os,
    scripts: h.scripts,
  }));
  return {
    scanner: run.scanner ?? "porthole",
    version: run.version,
    args: (run.args ?? []).join(" "),
    startTime: run.startTime,
    endTime: summary?.endTime,
    hosts,
  };
}

/** Gathers masscan's one-port records into hosts, in order of first appearance. */
class MasscanHosts {
  #hosts = new Map<string, InvHost>();
  start = Infinity;
  end = 0;

  add(
    ip: string,
    time: number,
    port: InvPort | undefined,
    banner?: { name: string; text: string },
  ) {
    let h = this.#hosts.get(ip);
    if (!h) {
      h = { address: ip, family: familyOf(ip), hostnames: [], status: "up", ports: [] };
      this.#hosts.set(ip, h);
    }
    if (time > 0) {
      this.start = Math.min(this.start, time);
      this.end = Math.max(this.end, time);
    }
    if (!port) return;
    let p = h.ports.find((x) => x.port === port.port && x.protocol === port.protocol);
    if (!p) {
      p = port;
      h.ports.push(p);
    } else if (port.state && !banner) {
      p.state = port.state;
      p.reason = port.reason ?? p.reason;
      p.reasonTtl = port.reasonTtl ?? p.reasonTtl;
    }
    if (banner) {
      (p.scripts ??= []).push({ id: `banner-${banner.name}`, output: banner.text });
      p.service ??= { name: banner.name };
    }
  }

  scan(args: string): InvScan {
    const hosts = [...this.#hosts.values()];
    for (const h of hosts) h.ports.sort((a, b) => a.port - b.port);
    return {
      scanner: "masscan",
      args,
      startTime: Number.isFinite(this.start) ? this.start : 0,
      endTime: this.end || undefined,
      hosts,
    };
  }
}

/** masscan -oJ: an array of one-port records (older releases end with "{finished: 1}"
 * and leave a comma before "]"). */
export function fromMasscanJson(text: string): InvScan {
  const acc = new MasscanHosts();
  let n = 0;
  for (let line of text.split("\n")) {
    n++;
    line = line.trim().replace(/^,/, "").replace(/,$/, "").trim();
    if (line === "" || line === "[" || line === "]" || /^\{\s*finished\s*:/.test(line)) continue;
    let rec: Json;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new ImportError(`line ${n}: ${(e as Error).message}`);
    }
    if (typeof rec.ip !== "string") throw new ImportError(`line ${n}: record without "ip"`);
    const time = Number(rec.timestamp ?? 0) * 1000;
    for (const p of rec.ports ?? []) {
      const port: InvPort = {
        protocol: p.proto,
        port: Number(p.port),
        state: p.status ?? "open",
        reason: p.reason,
        reasonTtl: p.ttl,
      };
      acc.add(
        rec.ip,
        time,
        port,
        p.service ? { name: p.service.name, text: String(p.service.banner ?? "") } : undefined,
      );
    }
  }
  return acc.scan("masscan -oJ");
}

/** masscan -oL: "open tcp 80 10.0.0.1 1600000000" and "banner tcp 80 IP TIME service text". */
export function fromMasscanList(text: string): InvScan {
  const acc = new MasscanHosts();
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (line.trim() === "" || line.startsWith("#")) continue;
    const f = line.split(" ");
    const [kind, proto, portText, ip, timeText] = f;
    const port = Number(portText);
    if (!ip || !proto || !Number.isInteger(port) || !["open", "closed", "banner"].includes(kind!)) {
      throw new ImportError(`line ${n}: not a masscan -oL record: ${line.slice(0, 60)}`);
    }
    const time = Number(timeText ?? 0) * 1000;
    const p: InvPort = {
      protocol: proto as InvPort["protocol"],
      port,
      state: kind === "banner" ? "open" : kind!,
    };
    if (kind === "banner") acc.add(ip, time, p, { name: f[5] ?? "", text: f.slice(6).join(" ") });
    else acc.add(ip, time, p);
  }
  return acc.scan("masscan -oL");
}

/** The inventory's own scan JSON: a header line, then the scan. */
export function fromInventoryJson(text: string): InvScan {
  const nl = text.indexOf("\n");
  const scan = JSON.parse(text.slice(nl + 1)) as InvScan;
  if (!Array.isArray(scan.hosts)) throw new ImportError("no hosts");
  return scan;
}

/** Writes a scan as the inventory's own JSON (read back by {@link importScan}). */
export function inventoryJson(scan: InvScan): string {
  return JSON.stringify({ format: INVENTORY_FORMAT, version: 1 }) + "\n" + JSON.stringify(scan) +
    "\n";
}
