/**
 * Port expressions and port selection, as nmap's getpts()/gettoppts() do them:
 * `-p 22,80-90,T:443,U:53,S:80,[1024-]`, service names and wildcards (`http*`),
 * `-p-`, `--top-ports`, `--port-ratio`, `-F`, `--exclude-ports`, and the
 * default top-1000 list chosen by frequency from the services table.
 */

import type { Protocol } from "./model/mod.ts";
import type { PortSpec } from "./options/types.ts";
import { fatal } from "./errors.ts";
import type { ServicesDb } from "./services_db.ts";

const TCP = 1;
const UDP = 2;
const SCTP = 4;
const PROT = 8; // IP protocol numbers (-sO), 0..255

/** Which protocols a port expression applies to (nmap's range_type). */
export interface ProtocolMask {
  tcp: boolean;
  udp: boolean;
  sctp?: boolean;
  /** IP protocol numbers (-sO). */
  ip?: boolean;
}

/** TCP, UDP and SCTP port lists and IP protocol numbers, each ascending, without duplicates. */
export interface PortLists {
  tcp: number[];
  udp: number[];
  sctp: number[];
  ip: number[];
}

/** A port list plus nmap's non-fatal warnings (printed to stderr, scan continues). */
export interface PortListsResult extends PortLists {
  warnings: string[];
}

const DUPLICATE_WARNING =
  "WARNING: Duplicate port number(s) specified.  Are you alert enough to be using Nmap?  Have some coffee or Jolt(tm).";

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  /** Current character ("" at the end). A method, not a getter, so TS does not narrow it. */
  c(): string {
    return this.s[this.i] ?? "";
  }
  at(k: number): string {
    return this.s[this.i + k] ?? "";
  }
}

const isSpace = (c: string) => c !== "" && " \t\n\v\f\r".includes(c);
const isDigit = (c: string) => c >= "0" && c <= "9" && c.length === 1;
const isLower = (c: string) => c >= "a" && c <= "z" && c.length === 1;

/** strtol(…, 10) for a run of digits; values past 65535 are kept as-is to be refused. */
function readNumber(cur: Cursor): number {
  let j = cur.i;
  while (isDigit(cur.s[j] ?? "")) j++;
  const n = Number(cur.s.slice(cur.i, j));
  cur.i = j;
  return n;
}

function walk(
  cur: Cursor,
  nested: boolean,
  table: Uint8Array,
  rangeType: number,
  changeRangeType: boolean,
  db: ServicesDb,
  warn: { dup: boolean },
): void {
  const example = changeRangeType
    ? "-100,200-1024,T:3000-4000,U:60000-"
    : "-100,200-1024,3000-4000,60000-";
  const illegal = (n: number): never =>
    fatal(
      `Error #${n}: Your port specifications are illegal.  Example of proper form: "${example}"`,
    );

  do {
    while (isSpace(cur.c())) cur.i++;

    if (changeRangeType && cur.at(1) === ":") {
      switch (cur.c()) {
        case "T":
          rangeType = TCP;
          break;
        case "U":
          rangeType = UDP;
          break;
        case "S":
          rangeType = SCTP;
          break;
        case "P":
          rangeType = PROT;
          break;
        default:
          fatal(`Error parsing port list: Unknown protocol specifier '${cur.c()}'.`);
      }
      cur.i += 2;
      continue;
    }

    let start: number;
    if (cur.c() === "[") {
      if (nested) fatal("Can't nest [] brackets in port/protocol specification");
      cur.i++;
      walk(cur, true, table, rangeType, changeRangeType, db, warn);
      while (cur.c() !== "]" && cur.c() !== "") cur.i++;
      if (cur.c() === "]") cur.i++;
      if (cur.c() === ",") cur.i++;
      continue;
    } else if (cur.c() === "]") {
      if (!nested) fatal("Unexpected ] character in port/protocol specification");
      return;
    } else if (cur.c() === "-") {
      start = rangeType & PROT ? 0 : 1;
    } else if (isDigit(cur.c())) {
      start = readNumber(cur);
      checkBound(start, rangeType);
      while (isSpace(cur.c())) cur.i++;
    } else if (isLower(cur.c()) || cur.c() === "*" || cur.c() === "?") {
      let mask = "";
      while (cur.c() !== "" && !isSpace(cur.c()) && cur.c() !== "," && cur.c() !== "]") {
        mask += cur.c();
        cur.i++;
        if (mask.length >= 127) {
          fatal(
            "A service mask in the port/protocol specification is either malformed or too long",
          );
        }
      }
      if (cur.c() !== "" && cur.c() !== "]") cur.i++;
      let n = 0;
      for (
        const [bit, proto] of [[TCP, "tcp"], [UDP, "udp"], [SCTP, "sctp"], [PROT, "ip"]] as const
      ) {
        if (!(rangeType & bit)) continue;
        for (const p of db.matchMask(mask, proto)) {
          table[p]! |= bit;
          n++;
        }
      }
      if (n === 0) {
        fatal(`Found no matches for the service mask '${mask}' and your specified protocols`);
      }
      continue;
    } else {
      return illegal(485);
    }

    let end: number;
    if (cur.c() === "" || cur.c() === "," || cur.c() === "]") {
      end = start;
    } else if (cur.c() === "-") {
      cur.i++;
      if (cur.c() === "" || cur.c() === "," || cur.c() === "]") {
        end = rangeType & PROT ? 255 : 65535;
      } else if (isDigit(cur.c())) {
        end = readNumber(cur);
        checkBound(end, rangeType);
      } else {
        return illegal(486);
      }
      if (end < start) {
        fatal(
          `Your ${
            rangeType & PROT ? "protocol" : "port"
          } range ${start}-${end} is backwards. Did you mean ${end}-${start}?`,
        );
      }
    } else {
      return illegal(487);
    }

    // A range over untouched ports (`-p-`, `1-65535`) is one native fill: the loop below costs
    // ~15 ms for 64k ports in code not yet optimised, before the first probe.
    const run = table.subarray(start, end + 1);
    if (!nested && end > start && isZero(run)) {
      run.fill(rangeType);
    } else {
      for (let p = start; p <= end; p++) {
        if (table[p]! & rangeType) {
          warn.dup = true;
        } else if (nested) {
          // Inside [] only ports the services table knows are taken.
          if (rangeType & TCP && db.has("tcp", p)) table[p]! |= TCP;
          if (rangeType & UDP && db.has("udp", p)) table[p]! |= UDP;
          if (rangeType & SCTP && db.has("sctp", p)) table[p]! |= SCTP;
          if (rangeType & PROT && p <= 255 && db.has("ip", p)) table[p]! |= PROT;
        } else {
          table[p]! |= rangeType;
        }
      }
    }

    while (isSpace(cur.c())) cur.i++;
    if (cur.c() === "]") {
      if (!nested) fatal("Unexpected ] character in port/protocol specification");
      return;
    }
    if (cur.c() !== "" && cur.c() !== ",") illegal(488);
    if (cur.c() === ",") cur.i++;
  } while (cur.c() !== "");
}

function checkBound(n: number, rangeType: number): void {
  if (rangeType & PROT) {
    if (n > 255) fatal("Protocols specified must be between 0 and 255 inclusive");
  } else if (n > 65535) {
    fatal("Ports specified must be between 0 and 65535 inclusive");
  }
}

/** True when every byte is 0 (native scans: the table holds 4-bit protocol masks). */
function isZero(run: Uint8Array): boolean {
  for (let v = 1; v < 16; v++) if (run.includes(v)) return false;
  return true;
}

function tableToLists(table: Uint8Array): PortLists {
  return {
    tcp: portsWith(table, TCP),
    udp: portsWith(table, UDP),
    sctp: portsWith(table, SCTP),
    ip: portsWith(table, PROT),
  };
}

/**
 * Ascending ports whose table entry has `bit`. Empty stretches are skipped four entries at a
 * time: this runs in cold code before a scan's first probe, once per protocol, and 65,536
 * entries read one by one, twice, cost a `-p 22,80` scan ~3 ms.
 */
function portsWith(table: Uint8Array, bit: number): number[] {
  const words = new Uint32Array(table.buffer, table.byteOffset, table.length >> 2);
  const out: number[] = [];
  for (let w = 0; w < words.length; w++) {
    if (words[w] === 0) continue;
    for (let p = w << 2, end = p + 4; p < end; p++) if (table[p]! & bit) out.push(p);
  }
  return out;
}

/**
 * Parses a port expression like nmap's getpts(): ranges (`1-1024`, `-100`,
 * `60000-`, `-`), lists, `T:`/`U:`/`S:` prefixes, `[…]` (only ports named in the
 * services table), and service names with `*`/`?` wildcards. `want` says
 * which protocols unprefixed items apply to. Lists are ascending. Throws
 * UsageError with nmap's message on bad syntax or when nothing matches.
 */
export function parsePortExpression(
  expr: string,
  want: ProtocolMask,
  db: ServicesDb,
): PortListsResult {
  const table = new Uint8Array(65536);
  const rangeType = (want.tcp ? TCP : 0) | (want.udp ? UDP : 0) | (want.sctp ? SCTP : 0) |
    (want.ip ? PROT : 0);
  const warn = { dup: false };
  walk(new Cursor(expr), false, table, rangeType, true, db, warn);
  const lists = tableToLists(table);
  const any = lists.tcp.length + lists.udp.length + lists.sctp.length + lists.ip.length > 0;
  if (rangeType !== 0 && !any) {
    fatal("No ports specified -- If you really don't want to scan any ports use ping scan...");
  }
  return { ...lists, warnings: warn.dup ? [DUPLICATE_WARNING] : [] };
}

/**
 * Parses a single-protocol port list as for -PS/-PA/-PU (nmap's
 * getpts_simple(): no `T:`/`U:` prefixes). Returns ascending ports, possibly
 * empty.
 */
export function parseSimplePortList(expr: string, protocol: Protocol, db: ServicesDb): number[] {
  const table = new Uint8Array(65536);
  const bit = protocol === "tcp"
    ? TCP
    : protocol === "udp"
    ? UDP
    : protocol === "sctp"
    ? SCTP
    : PROT;
  walk(new Cursor(expr), false, table, bit, false, db, { dup: false });
  return portsWith(table, bit);
}

/** What decides the port set; mirrors nmap's -p, -F, --top-ports, --port-ratio, --exclude-ports. */
export interface PortSelection {
  /** -p expression. */
  expression?: string;
  /** --top-ports N (integer ≥ 1). */
  topPorts?: number;
  /** --port-ratio R in [0, 1). */
  portRatio?: number;
  /** -F (also implied by --servicedb, as in nmap). */
  fast: boolean;
  /** --exclude-ports expression. */
  exclude?: string;
  /** Protocols being scanned (TCP unless only -sU / -sY / -sO). */
  tcp: boolean;
  udp: boolean;
  sctp?: boolean;
  /** -sO: IP protocol numbers. */
  ip?: boolean;
}

/**
 * Chooses the ports to scan exactly as nmap 7.93's gettoppts() followed by
 * removepts(): the top-N (default 1000, or 100 with -F) ports by frequency,
 * restricted to -p when both are given, minus --exclude-ports. Lists are
 * ascending (nmap sorts them before scanning and before printing scaninfo).
 * Only protocols being scanned are returned; nmap's warnings come back in
 * `warnings`.
 */
export function selectPorts(sel: PortSelection, db: ServicesDb): PortListsResult {
  const want = { tcp: sel.tcp, udp: sel.udp, sctp: !!sel.sctp, ip: !!sel.ip };
  const warnings: string[] = [];
  let level = sel.topPorts ?? sel.portRatio ?? -1;
  let lists: PortLists;

  const getpts = (e: string) => {
    const r = parsePortExpression(e, want, db);
    warnings.push(...r.warnings);
    return { tcp: r.tcp, udp: r.udp, sctp: r.sctp, ip: r.ip };
  };

  if (sel.expression !== undefined) {
    for (let i = 0; i + 1 < sel.expression.length; i++) {
      if (sel.expression[i + 1] !== ":") continue;
      const c = sel.expression[i];
      if (c === "T" && !sel.tcp) {
        warnings.push(
          `WARNING: Your ports include "T:" but you haven't specified any TCP scan type.`,
        );
      } else if (c === "U" && !sel.udp) {
        warnings.push(
          `WARNING: Your ports include "U:" but you haven't specified UDP scan with -sU.`,
        );
      } else if (c === "S" && !sel.sctp) {
        warnings.push(
          `WARNING: Your ports include "S:" but you haven't specified any SCTP scan type.`,
        );
      } else if (c === "P" && !sel.ip) {
        warnings.push(
          `WARNING: Your ports include "P:" but you haven't specified IP Protocol scan with -sO.`,
        );
      }
    }
  }

  if (!db.hasRatios) {
    if (level !== -1) {
      fatal("Unable to use --top-ports or --port-ratio with an old style (no-ratio) services file");
    }
    lists = getpts(sel.expression ?? (sel.fast ? "[-]" : "1-1024,[1025-]"));
  } else if (level === -1 && sel.expression !== undefined) {
    lists = getpts(sel.expression);
  } else {
    if (level === -1) level = sel.fast ? 100 : 1000;
    let member: PortLists | undefined;
    if (sel.expression !== undefined) member = getpts(sel.expression);
    else if (sel.exclude !== undefined) member = getpts("-");
    if (member && sel.exclude !== undefined) member = removePorts(member, sel.exclude, db);
    const pick = (proto: Protocol): number[] => {
      const allowed = member ? new Set(member[proto]) : undefined;
      const out: number[] = [];
      if (level < 1) {
        for (const e of db.byRatio(proto)) {
          if (e.ratio < level) break;
          if (!allowed || allowed.has(e.port)) out.push(e.port);
        }
      } else {
        // The precomputed frequency order: no need to decode the table's names.
        const order = db.portsByFrequency(proto);
        const n = Math.min(level, order.length);
        for (const p of order) {
          if (out.length >= n) break;
          if (!allowed || allowed.has(p)) out.push(p);
        }
      }
      // A typed array sorts numerically in native code (no comparator calls in cold code).
      return Array.from(Int32Array.from(out).sort());
    };
    lists = {
      tcp: sel.tcp ? pick("tcp") : [],
      udp: sel.udp ? pick("udp") : [],
      sctp: sel.sctp ? pick("sctp") : [],
      ip: [],
    };
  }
  // -sO: -p's protocol numbers, else all 256 (-F: those nmap-protocols names), never top-N.
  if (sel.ip) {
    const r = parsePortExpression(sel.expression ?? (sel.fast ? "[P:0-]" : "P:0-"), want, db);
    lists.ip = r.ip;
  }

  if (sel.exclude !== undefined) lists = removePorts(lists, sel.exclude, db);
  if (!sel.tcp) lists.tcp = [];
  if (!sel.udp) lists.udp = [];
  if (!sel.sctp) lists.sctp = [];
  if (!sel.ip) lists.ip = [];

  if (sel.tcp && lists.tcp.length === 0) {
    warnings.push(
      "WARNING: a TCP scan type was requested, but no tcp ports were specified.  Skipping this scan type.",
    );
  }
  if (sel.udp && lists.udp.length === 0) {
    warnings.push(
      "WARNING: UDP scan was requested, but no udp ports were specified.  Skipping this scan type.",
    );
  }
  if (sel.sctp && lists.sctp.length === 0) {
    warnings.push(
      "WARNING: a SCTP scan type was requested, but no sctp ports were specified.  Skipping this scan type.",
    );
  }
  if (sel.ip && lists.ip.length === 0) {
    warnings.push(
      "WARNING: protocol scan was requested, but no protocols were specified to be scanned.  Skipping this scan type.",
    );
  }
  return { ...lists, warnings };
}

/** nmap's removepts(): drop every port the expression names (both protocols unless prefixed). */
export function removePorts(lists: PortLists, expr: string, db: ServicesDb): PortLists {
  const ex = parsePortExpression(expr, { tcp: true, udp: true, sctp: true, ip: true }, db);
  const t = new Set(ex.tcp), u = new Set(ex.udp), s = new Set(ex.sctp), ip = new Set(ex.ip);
  return {
    tcp: lists.tcp.filter((p) => !t.has(p)),
    udp: lists.udp.filter((p) => !u.has(p)),
    sctp: lists.sctp.filter((p) => !s.has(p)),
    ip: lists.ip.filter((p) => !ip.has(p)),
  };
}

/** Flattens lists to PortSpec[]: TCP ports first, then UDP, SCTP and IP protocols, ascending. */
export function toPortSpecs(
  lists: Omit<PortLists, "sctp" | "ip"> & { sctp?: number[]; ip?: number[] },
): PortSpec[] {
  return [
    ...lists.tcp.map((port) => ({ protocol: "tcp" as const, port })),
    ...lists.udp.map((port) => ({ protocol: "udp" as const, port })),
    ...(lists.sctp ?? []).map((port) => ({ protocol: "sctp" as const, port })),
    ...(lists.ip ?? []).map((port) => ({ protocol: "ip" as const, port })),
  ];
}

/** The popular TCP ports nmap moves to the front after shuffling (portlist.cc random_port_cheat). */
export const POPULAR_TCP_PORTS: readonly number[] = [
  80,
  23,
  443,
  21,
  22,
  25,
  3389,
  110,
  445,
  139,
  143,
  53,
  135,
  3306,
  8080,
  1723,
  111,
  995,
  993,
  5900,
  1025,
  587,
  8888,
  199,
  1720,
  113,
  554,
  256,
];

/**
 * The order in which to probe a protocol's ports, as nmap does it: with
 * randomisation (the default; off with -r), a Fisher–Yates shuffle, and for
 * TCP the popular ports then swapped to the front so open ports show early.
 * Without randomisation the ascending order is kept.
 */
export function scanOrder(
  ports: readonly number[],
  protocol: Protocol,
  randomize: boolean,
  random: () => number = Math.random,
): number[] {
  const a = [...ports];
  if (!randomize) return a;
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    if (j !== i) [a[i], a[j]] = [a[j]!, a[i]!];
  }
  if (protocol === "tcp") {
    const popular = new Set(POPULAR_TCP_PORTS);
    let early = 0;
    for (let i = 0; i < a.length; i++) {
      if (popular.has(a[i]!)) {
        if (i !== early) [a[i], a[early]] = [a[early]!, a[i]!];
        early++;
      }
    }
  }
  return a;
}
