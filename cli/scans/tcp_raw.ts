/**
 * The raw TCP scans as probe modules (cli/engine/probe_module.ts): -sS, -sF, -sN, -sX, -sA,
 * -sW, -sM and --scanflags differ only in the flags they send and in nmap's reading of the
 * answer (tcp_rules.ts).
 *
 * - prepare: nmap's window 1024, MSS 1460 on SYNs, the run's TTL, --data, --badsum and
 *   --ip-options.
 * - make: the flow's tag is the seq, and the ack too when the probe carries ACK.
 * - validate: a reply with ACK acknowledges exactly the probe's sequence space (and, for a RST,
 *   maybe its payload: RFC 9293 3.10.7.1); a RST without ACK answers an ACK probe with our ack
 *   as its seq (RFC 9293 3.10.7.3). An ICMP error quotes our seq.
 *
 * @module
 */

import type { ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind, TcpFlag } from "../../core-wasm/mod.ts";
import { FlowCookies } from "../engine/cookie.ts";
import type { ModuleShaping, ProbeModule } from "../engine/probe_module.ts";
import {
  icmpErrorVerdict,
  type RawTcpScanKind,
  SCAN_FLAGS,
  silenceVerdict,
  tcpReplyVerdict,
} from "./tcp_rules.ts";

/** The probe module of raw TCP scan `kind` sending `flags` (--scanflags overrides the kind's). */
export function tcpProbeModule(
  kind: RawTcpScanKind,
  shaping: ModuleShaping,
  flags: number = SCAN_FLAGS[kind],
): ProbeModule {
  const seqSpace = FlowCookies.sequenceSpace(flags);
  const carriesAck = (flags & TcpFlag.ACK) !== 0;
  // A RST acknowledges the probe's payload too (RFC 9293 3.10.7.1); a SYN-ACK only the SYN.
  const payloadLen = shaping.payload?.length ?? 0;
  return {
    name: kind,
    protocol: "tcp",
    replyKind: Kind.TCP,
    ipProto: 6,
    silence: silenceVerdict(kind),
    prepare: () => ({
      protocol: "tcp",
      flags,
      // nmap's window 1024 and MSS 1460 on SYNs; a random TTL as nmap's (per run).
      window: 1024,
      ttl: shaping.ttl,
      options: flags & TcpFlag.SYN ? [{ kind: "mss", value: 1460 }] : undefined,
      payload: shaping.payload,
      ipOptions: shaping.ipOptions,
      badChecksum: shaping.badsum,
    }),
    make(t, k, tag) {
      t.seq[k] = tag;
      t.ack[k] = carriesAck ? tag : 0;
    },
    validate(rec: ParsedRecords, i: number, tag: number) {
      const tf = rec.tcpFlags(i);
      return FlowCookies.matches(tag, tf, rec.seq(i), rec.ack(i), seqSpace) ||
        (payloadLen > 0 &&
          FlowCookies.matches(tag, tf, rec.seq(i), rec.ack(i), seqSpace + payloadLen));
    },
    validateQuote: (rec, i, tag) => rec.quotedSeq(i) >>> 0 === tag >>> 0,
    classify: (rec, i) => tcpReplyVerdict(kind, rec.tcpFlags(i), rec.window(i)),
    classifyIcmp: (family, type, code, fromTarget) =>
      icmpErrorVerdict(family, type, code, "tcp", fromTarget),
  };
}
