/**
 * The fingerprint corpus (tests/data/real-daemons.json, written by capture.ts) and its replay:
 * Porthole's service matcher run on the answers real daemons gave, with no daemon and no root,
 * and the answers scored against the ground truth (the package's upstream version).
 *
 * The replay walks a port the way the engine resolves it (cli/service/engine.ts): the NULL probe,
 * then the probes of the port's plan in nmap's order (cli/service/plan.ts), each reply matched
 * against the probe's fallback chain (cli/service/match.ts); a softmatch narrows the later probes
 * to those that can name its service; an "ssl" match goes on with the replies recorded through
 * TLS. A probe with no recorded reply timed out silent.
 */

import { keepFirstWords, type MatchDetails, matchResponse } from "../../cli/service/match.ts";
import { candidateProbes, INTENSITY_DEFAULT, isEligible } from "../../cli/service/plan.ts";
import type { Probe, ProbeDb } from "../../cli/service/probe_db.ts";

/** Base64 of bytes (the corpus keeps replies so). */
export function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** Where capture.ts writes the corpus. */
export const CORPUS_PATH = new URL("../data/real-daemons.json", import.meta.url).pathname;

/**
 * A reply: the index of its bytes in the port's `blobs` (-1: nothing), 1 when the daemon closed
 * the connection (0 when the wait ran out or the cap was reached), and for the NULL probe the
 * milliseconds until it closed (nmap's tcpwrappedms tells tcpwrapped by it).
 */
export type Reply = [number, 0 | 1] | [number, 0 | 1, number];

/** What a scanner said about a port. */
export interface Answer {
  state?: string;
  service?: string;
  product?: string;
  version?: string;
  info?: string;
  tunnel?: "ssl";
}

/** The ground truth of a port. */
export interface Truth {
  service: string;
  products: string[];
  /** The package's upstream version. */
  version: string;
  noVersion?: boolean;
}

/** One port of the corpus. */
export interface CorpusPort {
  daemon: string;
  pkg: string;
  pkgVersion: string;
  proto: "tcp" | "udp";
  port: number;
  truth: Truth;
  /** nmap -sV's answer in the lab (the oracle), when it was run. */
  nmap?: Answer;
  /** The distinct replies of the port, base64 (a reply repeated by many probes is kept once). */
  blobs: string[];
  /** Replies by probe key (probeKey of the payload), in the clear. */
  plain: Record<string, Reply>;
  /** Replies through TLS, for ports that completed a TLS handshake. */
  tls?: Record<string, Reply>;
}

/** The corpus file. */
export interface Corpus {
  captured: string;
  nmapVersion?: string;
  /** Bytes kept of each reply. */
  replyCap: number;
  ports: CorpusPort[];
}

/** The key of a probe in the corpus: "null" for the empty payload, else a hash of the payload. */
export function probeKey(payload: Uint8Array): string {
  if (payload.length === 0) return "null";
  // Two FNV-1a 32-bit hashes with different offsets: 64 bits, plenty for a few hundred probes.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const x of payload) {
    a = Math.imul(a ^ x, 0x01000193) >>> 0;
    b = Math.imul(b ^ x, 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/** Probe keys of a database, computed once. */
export function probeKeys(db: ProbeDb): Map<Probe, string> {
  const m = new Map<Probe, string>();
  for (const p of [...(db.nullProbe ? [db.nullProbe] : []), ...db.probes]) {
    m.set(p, probeKey(p.payload));
  }
  return m;
}

function answerOf(md: MatchDetails, ssl: boolean): Answer {
  let service = md.service;
  let tunnel: "ssl" | undefined = ssl ? "ssl" : undefined;
  if (service.startsWith("ssl/")) {
    service = service.slice(4);
    tunnel = "ssl";
  }
  return {
    state: md.soft ? "soft" : "hard",
    service,
    product: md.product,
    version: md.version,
    info: md.info,
    tunnel,
  };
}

/** Replays one port's recorded replies through `db`'s matcher. */
export function replayPort(
  db: ProbeDb,
  keys: Map<Probe, string>,
  p: CorpusPort,
  intensity = INTENSITY_DEFAULT,
): Answer {
  let ssl = false;
  let lastSoft: Answer | undefined;
  for (;;) {
    const layer = ssl ? p.tls : p.plain;
    if (!layer) break;
    let soft: MatchDetails | undefined;
    const bytesOf = (probe: Probe) => {
      const r = layer[keys.get(probe)!];
      if (!r) return undefined;
      const data = r[0] >= 0 ? fromBase64(p.blobs[r[0]] ?? "") : new Uint8Array();
      return { data, closed: r[1] === 1, closedMs: r[2] };
    };
    let tunnel = false;
    const tryProbe = (probe: Probe): Answer | undefined => {
      const r = bytesOf(probe);
      if (!r || r.data.length === 0) return undefined;
      const md = matchResponse(probe, r.data);
      if (!md) return undefined;
      if (!md.soft) {
        if (!ssl && p.proto === "tcp" && md.service === "ssl" && p.tls) {
          tunnel = true;
          return undefined;
        }
        return answerOf(keepFirstWords(soft, md), ssl);
      }
      if (!soft) soft = md;
      return undefined;
    };
    if (p.proto === "tcp" && db.nullProbe) {
      const r = bytesOf(db.nullProbe);
      // nmap's tcpwrapped: the NULL probe's connection closed, silent, within tcpwrappedms.
      if (
        !ssl && r && r.data.length === 0 && r.closed &&
        (r.closedMs ?? 0) < db.nullProbe.tcpWrappedMs
      ) return { state: "tcpwrapped", service: "tcpwrapped" };
      const a = tryProbe(db.nullProbe);
      if (a) return a;
    }
    if (!tunnel) {
      for (const e of candidateProbes(db, p.proto, p.port, ssl)) {
        if (!isEligible(e, intensity, soft?.service)) continue;
        const a = tryProbe(e.probe);
        if (a) return a;
        if (tunnel) break;
      }
    }
    if (tunnel) {
      ssl = true;
      continue;
    }
    if (soft) lastSoft = answerOf(soft, ssl);
    break;
  }
  return lastSoft ?? { state: "nomatch", tunnel: ssl ? "ssl" : undefined };
}

/** How an answer compares with the ground truth. */
export type Score = "full" | "product" | "name" | "none" | "wrong";
export const SCORES: Score[] = ["full", "product", "name", "none", "wrong"];

/** Service names that name nothing. */
const NOT_NAMED = new Set(["unknown", "tcpwrapped"]);
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Scores an answer: "full" when service, product and version (where the product tells one) are
 * right; "product" or "name" when what is given is right but the rest is missing; "none" when the
 * port is not named; "wrong" when any part given is wrong (a version range that leaves out what
 * runs, "4.6.2" for Samba 4.17). A version stated as "X or later" is not a version: "product".
 */
export function scoreAnswer(a: Answer | undefined, t: Truth): Score {
  if (!a?.service || NOT_NAMED.has(a.service) || a.service.endsWith("?")) return "none";
  if (a.service !== t.service) return "wrong";
  if (!a.product) return t.products.length === 0 ? "full" : "name";
  if (t.products.length === 0) return "full";
  // A product may carry more words ("kamailio (5.6.3 (x86_64/linux))", "Coturn-4.6.1 'Gorst'",
  // "SNMPv1 server; net-snmp SNMPv3 server").
  if (!t.products.some((p) => norm(a.product!).includes(norm(p)))) return "wrong";
  if (t.noVersion) return "full";
  const re = new RegExp(`(^|[^0-9.])${escapeRe(t.version)}($|[^0-9])`);
  if (!a.version) return re.test(a.product) ? "full" : "product";
  if (/or later/i.test(a.version)) return "product";
  // What the daemon itself tells may be shorter: CUPS says "2.4" for 2.4.2.
  const v = a.version.trim();
  const prefix = /^\d+\.\d+(\.\d+)*$/.test(v) && t.version.startsWith(v + ".");
  return re.test(v) || prefix ? "full" : "wrong";
}

/** The same answer (service, product, version, tunnel), as "exact-vs-nmap" counts it. */
export function sameAnswer(a: Answer | undefined, b: Answer | undefined): boolean {
  const k = (x: Answer | undefined) =>
    x?.service && x.service !== "unknown" && !x.service.endsWith("?")
      ? [x.service, x.product ?? "", x.version ?? "", x.tunnel ?? ""].join("|")
      : "";
  return k(a) === k(b);
}

/** Counts per score, per protocol. */
export type Tally = Record<"tcp" | "udp", Record<Score, number>>;

export function emptyTally(): Tally {
  const z = () => ({ full: 0, product: 0, name: 0, none: 0, wrong: 0 });
  return { tcp: z(), udp: z() };
}

/** Scores every port of the corpus with `answer`. */
export function tally(
  corpus: Corpus,
  answer: (p: CorpusPort) => Answer | undefined,
): { tally: Tally; rows: { port: CorpusPort; answer?: Answer; score: Score }[] } {
  const t = emptyTally();
  const rows = corpus.ports.map((port) => {
    const a = answer(port);
    const score = scoreAnswer(a, port.truth);
    t[port.proto][score]++;
    return { port, answer: a, score };
  });
  return { tally: t, rows };
}

/** Reads the corpus. */
export async function readCorpus(path = CORPUS_PATH): Promise<Corpus> {
  return JSON.parse(await Deno.readTextFile(path)) as Corpus;
}
