/**
 * The bench's knowledge table: the fingerprint corpus of real daemons (tests/data/
 * real-daemons.json, `deno task lab:capture`) replayed through Porthole's matcher with its
 * built-in probe file and with nmap's, beside nmap -sV's own answers recorded in the same lab,
 * each scored against ground truth (the package's upstream version). No lab, no root: replay.
 */

import { builtinProbeDb, loadProbeDb } from "../cli/service/db.ts";
import type { ProbeDb } from "../cli/service/probe_db.ts";
import {
  type Corpus,
  probeKeys,
  readCorpus,
  replayPort,
  sameAnswer,
  type Score,
  SCORES,
  type Tally,
  tally,
} from "../tests/lab/replay.ts";

export const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";

export interface FingerprintRow {
  who: string;
  tally: Tally;
  /** Ports answered exactly as nmap did in the lab (service, product, version, tunnel). */
  exactVsNmap: number;
  /** Ports nmap named in the lab. */
  nmapNamed: number;
  ports: number;
}

function row(who: string, corpus: Corpus, answer: Parameters<typeof tally>[1]): FingerprintRow {
  const { tally: t, rows } = tally(corpus, answer);
  const named = rows.filter((r) => r.port.nmap?.service);
  return {
    who,
    tally: t,
    exactVsNmap: named.filter((r) => sameAnswer(r.answer, r.port.nmap)).length,
    nmapNamed: named.length,
    ports: rows.length,
  };
}

function replayRow(who: string, corpus: Corpus, db: ProbeDb): FingerprintRow {
  const keys = probeKeys(db);
  return row(who, corpus, (p) => replayPort(db, keys, p));
}

/** The rows: Porthole built-in, Porthole with nmap's probes (when installed), nmap in the lab. */
export async function fingerprintRows(): Promise<{ corpus: Corpus; rows: FingerprintRow[] }> {
  const corpus = await readCorpus();
  const rows = [replayRow("Porthole built-in (replay)", corpus, builtinProbeDb())];
  if (await Deno.stat(NMAP_PROBES).then(() => true, () => false)) {
    rows.push(
      replayRow("Porthole, nmap's probe file (replay)", corpus, await loadProbeDb(NMAP_PROBES)),
    );
  }
  if (corpus.nmapVersion) {
    rows.push(row(`nmap ${corpus.nmapVersion} -sV (in the lab)`, corpus, (p) => p.nmap));
  }
  return { corpus, rows };
}

/** The rows as a Markdown table: per score, TCP/UDP. */
export function renderFingerprints(corpus: Corpus, rows: FingerprintRow[]): string {
  const daemons = new Set(corpus.ports.map((p) => p.daemon)).size;
  const tcp = corpus.ports.filter((p) => p.proto === "tcp").length;
  const cell = (t: Tally, s: Score) => `${t.tcp[s]} / ${t.udp[s]}`;
  return [
    `Fingerprint corpus: ${daemons} real daemons, ${tcp} TCP + ${
      corpus.ports.length - tcp
    } UDP ports, captured ${corpus.captured}; each cell TCP / UDP.`,
    "",
    `| answers of | ${SCORES.join(" | ")} | exact vs nmap |`,
    `| --- | ${SCORES.map(() => "---").join(" | ")} | --- |`,
    ...rows.map((r) =>
      `| ${r.who} | ${
        SCORES.map((s) => cell(r.tally, s)).join(" | ")
      } | ${r.exactVsNmap}/${r.nmapNamed} |`
    ),
  ].join("\n") + "\n";
}

if (import.meta.main) {
  const { corpus, rows } = await fingerprintRows();
  console.log(renderFingerprints(corpus, rows));
}
