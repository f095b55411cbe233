/**
 * -sZ, the SCTP COOKIE ECHO scan, as a probe module (cli/engine/probe_module.ts). nmap's rules
 * (scan_engine_raw.cc): an ABORT means closed; silence open|filtered (a listener discards a
 * COOKIE ECHO whose cookie it never made, RFC 9260 5.1.5); an ICMP unreachable filtered.
 *
 * - prepare: nmap's COOKIE ECHO, a chunk with a 4-byte cookie (random, per run here).
 * - make: the flow's tag is the packet's verification tag (nmap: random, non-zero).
 * - validate: the ABORT of a closed port reflects our verification tag with its T bit set
 *   (RFC 9260 8.4 rule 8, an out-of-the-blue COOKIE ECHO); an ICMP error quotes it.
 *
 * @module
 */

import { Kind, SctpChunkType } from "../../core-wasm/mod.ts";
import type { ModuleShaping, ProbeModule, Verdict } from "../engine/probe_module.ts";
import { sctpReplyVerdict } from "./sctp_init.ts";
import { icmpErrorVerdict } from "./tcp_rules.ts";

const OPEN_FILTERED_SILENT: Verdict = Object.freeze({
  state: "open|filtered",
  reason: "no-response",
});

/** The probe module of -sZ. */
export function sctpCookieEchoModule(shaping: ModuleShaping): ProbeModule {
  const cookie = crypto.getRandomValues(new Uint8Array(4));
  return {
    name: "sctpcookieecho",
    protocol: "sctp",
    replyKind: Kind.SCTP,
    ipProto: 132,
    silence: OPEN_FILTERED_SILENT,
    prepare: () => ({
      protocol: "sctp",
      ttl: shaping.ttl,
      vtag: 0,
      chunks: [{ type: "raw", chunkType: SctpChunkType.COOKIE_ECHO, flags: 0, value: cookie }],
      badChecksum: shaping.badsum,
      adler32: shaping.adler32,
      ipOptions: shaping.ipOptions,
    }),
    make(t, k, tag) {
      // A zero tag belongs to INIT alone (RFC 9260 8.5.1).
      t.seq[k] = tag || 1;
    },
    validate: (rec, i, tag) => (rec.sctpVtag(i) >>> 0) === ((tag || 1) >>> 0),
    validateQuote: (rec, i, tag) => (rec.quotedSeq(i) >>> 0) === ((tag || 1) >>> 0),
    // Only an ABORT answers (nmap ignores any other chunk).
    classify: (rec, i) =>
      rec.sctpChunkType(i) === SctpChunkType.ABORT ? sctpReplyVerdict(SctpChunkType.ABORT) : null,
    classifyIcmp: (family, type, code, fromTarget) =>
      icmpErrorVerdict(family, type, code, "sctp", fromTarget),
  };
}
