/**
 * -sY, the SCTP INIT scan, as a probe module (cli/engine/probe_module.ts). nmap's rules
 * (scan_engine_raw.cc): an INIT ACK means open, an ABORT closed, silence or an ICMP
 * unreachable filtered.
 *
 * - prepare: nmap's INIT (window 32768, 10 outbound and 2048 inbound streams) with a zero
 *   verification tag, as RFC 9260 8.5.1 requires of a packet carrying INIT.
 * - make: the flow's tag is the INIT's initiate tag.
 * - validate: an INIT ACK, and an ABORT with the T bit clear, carry our initiate tag as their
 *   verification tag (RFC 9260 8.4, 8.5.1); an ABORT with the T bit reflects the zero tag we
 *   sent, so only the source-port cookie vouches for it. An ICMP error quotes our zero tag.
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind, nmapInit, SCTP_ABORT_T_BIT, SctpChunkType } from "../../core-wasm/mod.ts";
import type { ModuleShaping, ProbeModule, Verdict } from "../engine/probe_module.ts";
import { icmpErrorVerdict } from "./tcp_rules.ts";

const OPEN_INIT_ACK: Verdict = Object.freeze({ state: "open", reason: "init-ack" });
const CLOSED_ABORT: Verdict = Object.freeze({ state: "closed", reason: "abort" });
const FILTERED_SILENT: Verdict = Object.freeze({ state: "filtered", reason: "no-response" });

/** A reply's state and reason by its first chunk (INIT ACK, ABORT); null for any other. */
export function sctpReplyVerdict(chunkType: number): Verdict | null {
  if (chunkType === SctpChunkType.INIT_ACK) return OPEN_INIT_ACK;
  if (chunkType === SctpChunkType.ABORT) return CLOSED_ABORT;
  return null;
}

/** Whether reply `i` carries `tag`, the initiate tag of our INIT (see the module comment). */
export function sctpReplyCarries(rec: ParsedRecords, i: number, tag: number): boolean {
  const vtag = rec.sctpVtag(i) >>> 0;
  if (vtag === tag >>> 0) return true;
  return rec.sctpChunkType(i) === SctpChunkType.ABORT &&
    (rec.sctpChunkFlags(i) & SCTP_ABORT_T_BIT) !== 0 && vtag === 0;
}

/** The probe module of -sY. */
export function sctpInitModule(shaping: ModuleShaping): ProbeModule {
  return {
    name: "sctpinit",
    protocol: "sctp",
    replyKind: Kind.SCTP,
    ipProto: 132,
    silence: FILTERED_SILENT,
    prepare: () => ({
      protocol: "sctp",
      ttl: shaping.ttl,
      vtag: 0,
      // The initiate tag is each probe's; the initial TSN is any number (nmap: random).
      chunks: [nmapInit(0, (Math.random() * 0x100000000) >>> 0)],
      badChecksum: shaping.badsum,
      adler32: shaping.adler32,
      ipOptions: shaping.ipOptions,
    }),
    make(t, k, tag) {
      t.seq[k] = 0;
      t.ack[k] = tag;
    },
    validate: sctpReplyCarries,
    validateQuote: (rec, i) => rec.quotedSeq(i) === 0,
    classify: (rec, i) => sctpReplyVerdict(rec.sctpChunkType(i)),
    classifyIcmp: (family, type, code, fromTarget) =>
      icmpErrorVerdict(family, type, code, "sctp", fromTarget),
  };
}
