/**
 * Every port-scan kind, one line each: nmap's option letter, its phase title and XML scaninfo
 * type, the port namespace it scans, and how it runs — a raw probe module on the shared driver
 * (probe_scan.ts), or a driver of its own (connect, UDP). The run looks kinds up here; adding a
 * kind is a protocol file in the core, one module file and one line below.
 *
 * @module
 */

import type { ProbeModuleFactory } from "../engine/probe_module.ts";
import type { Protocol } from "../model/mod.ts";
import type { ScanKind } from "../options/types.ts";
import { sctpCookieEchoModule } from "./sctp_cookie_echo.ts";
import { sctpInitModule } from "./sctp_init.ts";
import type { RawTcpScanKind } from "./tcp_rules.ts";
import { tcpProbeModule } from "./tcp_raw.ts";

/** How a kind's probes are sent and its replies read. */
export type ScanDriver =
  /** A probe module on the shared raw driver (probe_scan.ts), per raw session. */
  | { kind: "module"; module: ProbeModuleFactory }
  /** The kernel's connect() (scans/connect.ts): no privileges needed. */
  | { kind: "connect" }
  /** The UDP scan's own driver (scans/udp.ts: ICMP rate limits, payloads per port). */
  | { kind: "udp" }
  /** The IP protocol scan's driver (scans/ip_protocol.ts: a probe of another kind per protocol). */
  | { kind: "protocol" }
  /** Commands to an FTP server that connects for us (scans/ftp_bounce.ts). */
  | { kind: "bounce" }
  /** The idle scan through a zombie (scans/idle_link.ts), one host at a time. */
  | { kind: "idle" };

/** One scan kind. */
export interface ScanKindEntry {
  /** nmap's option (`-sS`). */
  readonly option: string;
  /** nmap's phase name ("Initiating SYN Stealth Scan"). */
  readonly title: string;
  /** nmap's XML `<scaninfo type=…>`; null when nmap writes none for it (-sI: output.cc). */
  readonly xmlType: string | null;
  readonly protocol: Protocol;
  readonly driver: ScanDriver;
}

const entry = (
  option: string,
  title: string,
  xmlType: string | null,
  protocol: Protocol,
  driver: ScanDriver,
): ScanKindEntry => ({ option, title, xmlType, protocol, driver });
const module = (factory: ProbeModuleFactory): ScanDriver => ({ kind: "module", module: factory });
const tcp = (kind: RawTcpScanKind) =>
  module((shaping, flags) => tcpProbeModule(kind, shaping, flags));

/** The registry, in nmap's phase order (TCP kinds, then UDP, SCTP and IP protocols: nmap.cc). */
export const SCAN_KINDS: Readonly<Record<ScanKind, ScanKindEntry>> = {
  syn: entry("-sS", "SYN Stealth Scan", "syn", "tcp", tcp("syn")),
  connect: entry("-sT", "Connect Scan", "connect", "tcp", { kind: "connect" }),
  bounce: entry("-b", "Bounce Scan", "bounce", "tcp", { kind: "bounce" }),
  fin: entry("-sF", "FIN Scan", "fin", "tcp", tcp("fin")),
  null: entry("-sN", "NULL Scan", "null", "tcp", tcp("null")),
  xmas: entry("-sX", "XMAS Scan", "xmas", "tcp", tcp("xmas")),
  ack: entry("-sA", "ACK Scan", "ack", "tcp", tcp("ack")),
  window: entry("-sW", "Window Scan", "window", "tcp", tcp("window")),
  maimon: entry("-sM", "Maimon Scan", "maimon", "tcp", tcp("maimon")),
  udp: entry("-sU", "UDP Scan", "udp", "udp", { kind: "udp" }),
  sctpinit: entry("-sY", "SCTP INIT Scan", "sctpinit", "sctp", module(sctpInitModule)),
  sctpcookieecho: entry(
    "-sZ",
    "SCTP COOKIE-ECHO Scan",
    "sctpcookieecho",
    "sctp",
    module(sctpCookieEchoModule),
  ),
  ipproto: entry("-sO", "IPProto Scan", "ipproto", "ip", { kind: "protocol" }),
  // After the others, as nmap's idle_scan() runs after its ultra_scan() phases.
  idle: entry("-sI", "idle scan", null, "tcp", { kind: "idle" }),
};

/** The entry of `kind`. */
export function scanKind(kind: ScanKind): ScanKindEntry {
  return SCAN_KINDS[kind];
}

/** Does `kind` send raw packets (and so need privileges), rather than use the OS's sockets? */
export function needsRawPackets(kind: ScanKind): boolean {
  const d = SCAN_KINDS[kind].driver.kind;
  return d !== "connect" && d !== "bounce";
}

/** The kinds of `kinds` that scan `protocol`, in registry order. */
export function kindsOf(kinds: readonly ScanKind[], protocol: Protocol): ScanKind[] {
  return (Object.keys(SCAN_KINDS) as ScanKind[]).filter((k) =>
    kinds.includes(k) && SCAN_KINDS[k].protocol === protocol
  );
}
