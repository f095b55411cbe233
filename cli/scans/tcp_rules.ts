/**
 * nmap's rules for turning a reply (or silence) into a port state and reason
 * word, as in scan_engine_raw.cc (`get_pcap_result`) and portreasons.cc.
 * Pure functions over already-parsed fields, shared by every raw TCP scan
 * (and the ICMP part by the UDP scan).
 *
 * @module
 */

import { TcpFlag } from "../../core-wasm/mod.ts";
import type { Protocol } from "../model/mod.ts";
import type { Verdict } from "../engine/probe_module.ts";
import type { ScanKind } from "../options_types.ts";

/** The raw TCP scan kinds (everything but connect and UDP). */
export type RawTcpScanKind = "syn" | "fin" | "null" | "xmas" | "ack" | "window" | "maimon";

/** The flags each scan sends (nmap's defaults, overridable by --scanflags). */
export const SCAN_FLAGS: Record<RawTcpScanKind, number> = {
  syn: TcpFlag.SYN,
  fin: TcpFlag.FIN,
  null: 0,
  xmas: TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG,
  ack: TcpFlag.ACK,
  window: TcpFlag.ACK,
  maimon: TcpFlag.FIN | TcpFlag.ACK,
};

export type { Verdict };

// Shared, frozen verdicts: the hot path allocates nothing per reply.
const OPEN_SYNACK: Verdict = Object.freeze({ state: "open", reason: "syn-ack" });
const OPEN_RESET: Verdict = Object.freeze({ state: "open", reason: "reset" });
const CLOSED_RESET: Verdict = Object.freeze({ state: "closed", reason: "reset" });
const UNFILTERED_RESET: Verdict = Object.freeze({ state: "unfiltered", reason: "reset" });
const OPEN_SPLIT: Verdict = Object.freeze({ state: "open", reason: "split-handshake-syn" });

/**
 * A TCP segment matched to a probe of scan `kind`. Returns null for
 * segments nmap ignores ("unexpected TCP flags").
 */
export function tcpReplyVerdict(
  kind: RawTcpScanKind,
  flags: number,
  window: number,
): Verdict | null {
  if (kind === "syn" && (flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
    return OPEN_SYNACK;
  }
  if (flags & TcpFlag.RST) {
    if (kind === "window") return window ? OPEN_RESET : CLOSED_RESET;
    if (kind === "ack") return UNFILTERED_RESET;
    return CLOSED_RESET;
  }
  // A bare SYN back: TCP split handshake (nmap.org/misc/split-handshake.pdf).
  if (kind === "syn" && flags & TcpFlag.SYN) return OPEN_SPLIT;
  return null;
}

const OPEN_FILTERED_SILENT: Verdict = Object.freeze({
  state: "open|filtered",
  reason: "no-response",
});
const FILTERED_SILENT: Verdict = Object.freeze({ state: "filtered", reason: "no-response" });

/** The state silence means after every try: nmap's defaults per scan. */
export function silenceVerdict(kind: ScanKind): Verdict {
  switch (kind) {
    case "fin":
    case "null":
    case "xmas":
    case "maimon":
    case "udp":
      return OPEN_FILTERED_SILENT;
    default:
      return FILTERED_SILENT;
  }
}

/** nmap's reason word for an ICMP or ICMPv6 message (portreasons.cc). */
export function icmpReason(family: 4 | 6, type: number, code: number): string {
  if (family === 4) {
    switch (type) {
      case 0:
        return "echo-reply";
      case 3:
        return ["net-unreach", "host-unreach", "proto-unreach", "port-unreach"][code] ??
          (code === 9
            ? "net-prohibited"
            : code === 10
            ? "host-prohibited"
            : code === 13
            ? "admin-prohibited"
            : "dest-unreach");
      case 4:
        return "source-quench";
      case 11:
        return "time-exceeded";
      case 14:
        return "timestamp-reply";
      case 18:
        return "addressmask-reply";
    }
    return "unknown-response";
  }
  switch (type) {
    case 129:
      return "echo-reply";
    case 1:
      switch (code) {
        case 0:
          return "no-route";
        case 1:
        case 5:
          return "admin-prohibited";
        case 2:
          return "beyond-scope";
        case 3:
          return "host-unreach";
        case 4:
          return "port-unreach";
        case 6:
          return "reject-route";
      }
      return "dest-unreach";
    case 4:
      return "param-problem";
    case 3:
      return "time-exceeded";
  }
  return "unknown-response";
}

/**
 * An ICMP error quoting one of our probes. `fromTarget`: the error came from
 * the scanned host itself (port unreachable then means closed for UDP).
 * Returns null for type/code pairs nmap does not act on.
 */
export function icmpErrorVerdict(
  family: 4 | 6,
  type: number,
  code: number,
  protocol: Protocol,
  fromTarget: boolean,
): Verdict | null {
  const reason = icmpReason(family, type, code);
  const portUnreach = { state: protocol === "udp" && fromTarget ? "closed" : "filtered", reason };
  if (family === 4) {
    if (type === 11) return { state: "filtered", reason };
    if (type !== 3) return null;
    switch (code) {
      case 3:
        return portUnreach as Verdict;
      case 0:
      case 1:
      case 2:
      case 9:
      case 10:
      case 13:
        return { state: "filtered", reason };
    }
    return null;
  }
  if (type === 1) {
    if (code === 4) return portUnreach as Verdict;
    if (code <= 6) return { state: "filtered", reason };
    return null;
  }
  if (type === 4) {
    if (code === 0) return { state: "open", reason };
    if (code === 1) return { state: "filtered", reason };
  }
  return null;
}
