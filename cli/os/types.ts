/**
 * What OS detection found for one host, as plain data (it travels in `HostResult.os`, is
 * written by the output writers and read back by --resume): nmap's FingerPrintResults plus the
 * host's sequence numbers (its `seq` struct), distance and uptime.
 *
 * @module
 */

import type { DistanceMethod } from "./fingerprint.ts";
import type { Fingerprint, MatchOutcome, OsMatch } from "./match.ts";
import type { IpIdClass, TsClass } from "./analyze.ts";

export type { DistanceMethod } from "./fingerprint.ts";
export type { Fingerprint, FpTest, MatchOutcome, OsMatch } from "./match.ts";
export type { OsClass } from "./db.ts";

/** TCP sequence and IP ID figures of the round kept (nmap's struct seq_info). */
export interface OsSequence {
  /** SEQ replies used. */
  responses: number;
  /** SP: the TCP sequence predictability index. */
  index: number;
  /** The target's ISNs, in probe order. */
  seqs: number[];
  /** IP IDs of those replies. */
  ipIds: number[];
  /** TSvals of those replies (0 when absent). */
  timestamps: number[];
  ipIdClass: IpIdClass;
  tsClass: TsClass;
  /** Epoch seconds of the boot the timestamps point at (nmap's lastboot), when known. */
  lastBoot?: number;
}

/** OS detection's result for a host. */
export interface OsResult {
  /** The ports the probes went to (nmap's <portused>): found by the scan, or U1's answer. */
  portsUsed: { openTcp?: number; closedTcp?: number; closedUdp?: number };
  /** No open port, or neither a closed nor an unfiltered one: nmap's OS_PERF_UNREL. */
  unreliable: boolean;
  outcome: MatchOutcome;
  /** Best first, up to 36. */
  matches: OsMatch[];
  /** How many matches are 100%. */
  perfect: number;
  /** Why the fingerprint is not fit for submission (nmap's OmitSubmissionFP), if it is not. */
  omitReason?: string;
  /** Every round's fingerprint (the printed block merges them). */
  rounds: Fingerprint[];
  /** The database the matches come from (its path, or "porthole-os-db"). */
  db: string;
  /** Hop distance and how it was learned; absent when unknown. */
  distance?: number;
  distanceMethod?: DistanceMethod;
  /** nmap's distance_guess (initial TTL guess − received TTL). */
  distanceGuess?: number;
  /** What the SCAN line of the printed fingerprint says. */
  scan: {
    version: string;
    platform: string;
    /** Epoch milliseconds of the detection. */
    time: number;
    mac?: string;
  };
  sequence: OsSequence;
  /** Rounds run. */
  tries: number;
}
