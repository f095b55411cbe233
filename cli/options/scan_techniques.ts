/**
 * --help's SCAN TECHNIQUES: the -s scan letters (-sS, -sT, -sU, -sY…), --scanflags and -b
 * (ftp_relay.ts).
 *
 * @module
 */

import { fatal, UsageError } from "../errors.ts";
import type { OptionFamily, OptionHandler, OptionTable, ParseState } from "./state.ts";
import type { ScanKind } from "./types.ts";
import { parseFtpRelay } from "./ftp_relay.ts";

/** The numeric TCP flag bits nmap's --scanflags understands. */
const TH = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** nmap's parse_scanflags(): a number 0..255, or flag names in any order ("URGPSHFIN"). -1 if bad. */
export function parseScanFlags(arg: string): number {
  if (/^\d/.test(arg)) {
    // strtol(arg, &end, 0): decimal, 0x hex or leading-0 octal, all of it.
    let v: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(arg)) v = parseInt(arg.slice(2), 16);
    else if (/^0[0-7]+$/.test(arg)) v = parseInt(arg, 8);
    else if (/^\d+$/.test(arg)) v = Number(arg);
    else return -1;
    return v >= 0 && v <= 255 ? v : -1;
  }
  const s = arg.toUpperCase();
  let v = 0;
  if (s.includes("FIN")) v |= TH.FIN;
  if (s.includes("SYN")) v |= TH.SYN;
  if (s.includes("RST") || s.includes("RESET")) v |= TH.RST;
  if (s.includes("PSH") || s.includes("PUSH")) v |= TH.PSH;
  if (s.includes("ACK")) v |= TH.ACK;
  if (s.includes("URG")) v |= TH.URG;
  if (s.includes("ECE")) v |= TH.ECE;
  if (s.includes("CWR")) v |= TH.CWR;
  if (s.includes("ALL")) v = 255;
  if (s.includes("NONE")) v = 0;
  return v;
}

/** A scan letter's kind; TCP kinds are counted, since nmap allows one. */
function scan(kind: ScanKind) {
  return (s: ParseState) => {
    const tcp = kind !== "udp" && kind !== "sctpinit" && kind !== "sctpcookieecho" &&
      kind !== "ipproto";
    if (tcp && !s.scanKinds.has(kind)) s.tcpScanCount++;
    s.scanKinds.add(kind);
  };
}

/**
 * -s<letters>: each letter runs its handler in `letters`, the -s letters of every family (-sV
 * is service detection's, -sC the scripts', -sn discovery's).
 */
export function scanTypeOption(letters: OptionTable): OptionHandler {
  return (s, _arg, opt) => {
    if (!opt.arg) {
      throw new UsageError(
        "An option is required for -s, most common are -sT (tcp scan), -sS (SYN scan), -sF (FIN scan), -sU (UDP scan) and -sn (Ping scan)",
        "plain",
      );
    }
    for (const c of opt.arg) {
      if (!Object.hasOwn(letters, c)) throw new UsageError(`Scantype ${c} not supported`, "plain");
      letters[c]!(s, "", opt);
    }
  };
}

const options: OptionTable = {
  scanflags: (s, arg) => {
    const flags = parseScanFlags(arg);
    if (flags < 0) {
      fatal(
        `--scanflags option must be a number between 0 and 255 (inclusive) or a string like "URGPSHFIN".`,
      );
    }
    s.o.scanFlags = flags;
  },
  b: (s, arg) => {
    const { relay, note } = parseFtpRelay(arg);
    if (note) s.warnings.push(note);
    s.o.ftpRelay = relay;
    scan("bounce")(s);
  },
  // -sI is a long option in nmap's table ("sI"), not an -s letter.
  sI: (s, arg) => {
    // nmap: FQDN_LEN (254).
    if (arg.length > 254) fatal("ERROR: -sI argument must be less than 254 characters");
    scan("idle")(s);
    s.o.idleZombie = arg;
  },
};

const scanTypes: OptionTable = {
  S: scan("syn"),
  T: scan("connect"),
  A: scan("ack"),
  W: scan("window"),
  M: scan("maimon"),
  U: scan("udp"),
  N: scan("null"),
  F: scan("fin"),
  X: scan("xmas"),
  B: () => fatal("No scan type 'B', did you mean bounce scan (-b)?"),
  O: scan("ipproto"),
  Y: scan("sctpinit"),
  Z: scan("sctpcookieecho"),
};

/** Scan techniques. */
export const scanTechniques: OptionFamily = { options, scanTypes };
