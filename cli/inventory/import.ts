/**
 * Importers: nmap XML (nmap's or Porthole's -oX), Porthole's -oJ NDJSON, masscan's -oJ
 * (JSON) and -oL (list), and the inventory's own scan JSON (what a failed store write
 * leaves behind). Each turns a file's text into an {@link InvScan}; {@link importScan}
 * recognises the format from the content.
 *
 * @module
 */

import { child, children, parseXml, type XmlElement, XmlError } from "./xml_tree.ts";
import {
  familyOf,
  type InvHost,
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

function scriptsOf(el: XmlElement): InvScript[] | undefined {
  const s = children(el, "script").map((x) => ({
    id: x.attrs.id ?? "",
    output: x.attrs.output ?? "",
  }));
  return s.length > 0 ? s : undefined;
}

/** nmap's XML (also Porthole's -oX). */
export function fromNmapXml(text: string): InvScan {
  const hosts: InvHost[] = [];
  // Hosts are converted as they close and dropped from the tree: a large file is never held
  // whole.
  const root = parseXml(text, {
    onRootChild: (el) => {
      if (el.name !== "host") return false;
      const h = nmapHost(el);
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

function nmapHost(h: XmlElement): InvHost | undefined {
  let address = "";
  let mac: string | undefined;
  let vendor: string | undefined;
  for (const a of children(h, "address")) {
    if (a.attrs.addrtype === "mac") {
      mac = a.attrs.addr;
      vendor = a.attrs.vendor;
    } else if (!address) address = a.attrs.addr ?? "";
  }
  if (!address) return undefined;
  const status = child(h, "status");
  const hn = child(h, "hostnames");
  const ports: InvPort[] = [];
  const portsEl = child(h, "ports");
  for (const p of portsEl ? children(portsEl, "port") : []) {
    const st = child(p, "state");
    const sv = child(p, "service");
    let service: InvService | undefined;
    if (sv) {
      const cpe = children(sv, "cpe").map((c) => c.text.trim());
      service = {
        name: sv.attrs.name ?? "",
        product: sv.attrs.product,
        version: sv.attrs.version,
        extraInfo: sv.attrs.extrainfo,
        tunnel: sv.attrs.tunnel,
        method: sv.attrs.method,
        conf: int(sv.attrs.conf),
        cpe: cpe.length > 0 ? cpe : undefined,
      };
    }
    ports.push({
      protocol: (p.attrs.protocol ?? "tcp") as InvPort["protocol"],
      port: int(p.attrs.portid) ?? 0,
      state: st?.attrs.state ?? "unknown",
      reason: st?.attrs.reason,
      reasonTtl: int(st?.attrs.reason_ttl),
      service,
      scripts: scriptsOf(p),
    });
  }
  const extra = portsEl ? children(portsEl, "extraports") : [];
  const os = child(h, "os");
  const matches = os
    ? children(os, "osmatch").map((m) => ({
      name: m.attrs.name ?? "",
      accuracy: int(m.attrs.accuracy) ?? 0,
    }))
    : [];
  const hostscript = child(h, "hostscript");
  return {
    address,
    family: familyOf(address),
    mac,
    vendor,
    hostnames: hn
      ? children(hn, "hostname").map((x) => ({
        name: x.attrs.name ?? "",
        type: x.attrs.type ?? "",
      }))
      : [],
    status: status?.attrs.state === "up" ? "up" : "down",
    reason: status?.attrs.reason,
    reasonTtl: int(status?.attrs.reason_ttl),
    startTime: h.attrs.starttime ? Number(h.attrs.starttime) * 1000 : undefined,
    endTime: h.attrs.endtime ? Number(h.attrs.endtime) * 1000 : undefined,
    ports,
    extraPorts: extra.length > 0
      ? extra.map((e) => ({ state: e.attrs.state ?? "", count: int(e.attrs.count) ?? 0 }))
      : undefined,
    os: matches.length > 0 ? matches : undefined,
    scripts: hostscript ? scriptsOf(hostscript) : undefined,
  };
}

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
