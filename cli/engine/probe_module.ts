/**
 * The probe module contract: what one raw port-scan kind gives the engine (zmap's probe modules,
 * masscan's templates). The driver (cli/scans/probe_scan.ts) owns everything the kinds share —
 * the scheduler, the template batches, decoys, the source-port cookie and the reply-to-probe
 * match — and asks the module only what differs:
 *
 * - `prepare`: the constant headers, built once per session into a core template;
 * - `make`: the per-probe fields beyond addresses and ports, from the flow's keyed tag;
 * - `validate` / `validateQuote`: does this reply (or ICMP quote) carry our tag;
 * - `classify` / `classifyIcmp`: nmap's state and reason for it;
 * - `silence`: the state of a port that never answered.
 *
 * The tag is a keyed hash of (host, port, source port) (cookie.ts), so validation is stateless:
 * no table of probes in flight, as in zmap.
 *
 * @module
 */

import type { IpOptions, ParsedRecords, ProbeTemplate, TemplateSpec } from "../../core-wasm/mod.ts";
import type { PortState, Protocol } from "../model/mod.ts";

/** A decided port: state plus nmap's reason word. */
export interface Verdict {
  state: PortState;
  reason: string;
}

/** What shapes every probe of a run (nmap's --ttl, --data*, --badsum, --ip-options, --adler32). */
export interface ModuleShaping {
  ttl: number;
  payload?: Uint8Array;
  badsum?: boolean;
  /** --ip-options, built: every IPv4 probe carries them (the core leaves them off IPv6). */
  ipOptions?: IpOptions;
  /** --adler32: SCTP probes checksummed with Adler-32. */
  adler32?: boolean;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The template fields a module fixes; the driver adds link, addresses, ports and capacity. */
export type ProbeHeaders = DistributiveOmit<
  TemplateSpec,
  "src" | "dst" | "linkType" | "srcMac" | "dstMac" | "capacity" | "srcPort" | "dstPort"
>;

/** One raw port-scan kind. */
export interface ProbeModule {
  /** Its name in the scan registry ("syn", "sctpinit"; cli/scans/registry.ts). */
  readonly name: string;
  /** The port namespace it scans. */
  readonly protocol: Protocol;
  /** filter: the core's record kind of a direct reply (`Kind.TCP`, `Kind.SCTP`)… */
  readonly replyKind: number;
  /** … and the IP protocol of its probes, as an ICMP error quotes them (6, 132). */
  readonly ipProto: number;
  /** prepare: the constant headers of every probe (built once into a core template). */
  prepare(): ProbeHeaders;
  /** make: writes probe slot `k`'s per-probe fields (seq / ack / tags) for `tag`. */
  make(template: ProbeTemplate, k: number, tag: number): void;
  /** validate: whether direct reply `i` answers the probe that carried `tag`. */
  validate(rec: ParsedRecords, i: number, tag: number): boolean;
  /** validate an ICMP error: whether its quote of our probe carries `tag`. */
  validateQuote(rec: ParsedRecords, i: number, tag: number): boolean;
  /** classify a validated direct reply; null for one nmap ignores. */
  classify(rec: ParsedRecords, i: number): Verdict | null;
  /** classify a validated ICMP error; `fromTarget`: sent by the scanned host itself. */
  classifyIcmp(family: 4 | 6, type: number, code: number, fromTarget: boolean): Verdict | null;
  /** The verdict for a port silent after every try. */
  readonly silence: Verdict;
}

/** Makes a kind's module for one run's shaping (`scanFlags`: --scanflags, TCP only). */
export type ProbeModuleFactory = (shaping: ModuleShaping, scanFlags?: number) => ProbeModule;
