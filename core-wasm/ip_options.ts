/**
 * IPv4 options as nmap's --ip-options asks for them (RFC 791 3.1): what is asked
 * ({@link IpOptionsRequest}) and what the core built ({@link IpOptions}). The bytes come from
 * `assembly/ip_options.ts` (`PacketCore.buildIpOptions`), except the hex form's, which the user
 * wrote byte by byte.
 *
 * @module
 */

/** One --ip-options value, as nmap's parse_ip_options reads the text. */
export type IpOptionsRequest =
  /** "\x01\x07…": the bytes as given. */
  | { kind: "bytes"; bytes: Uint8Array }
  /** R (record), L (loose source) or S (strict source route), with the hops given (4 bytes each). */
  | { kind: "route"; route: "record" | "loose" | "strict"; hops: Uint8Array }
  /** T (timestamps) or U (address and timestamp pairs). */
  | { kind: "timestamp"; withAddresses: boolean };

/** Built options. A source route names the offsets (in `bytes`) of its first hop and its last slot. */
export interface IpOptions {
  bytes: Uint8Array;
  /** With `lastHop`: the datagram goes to this hop, and the target's address fills the last slot. */
  firstHop?: number;
  lastHop?: number;
}

/** RFC 791's option types. */
export const IpOptionType = {
  EOL: 0,
  NOP: 1,
  RR: 7,
  TS: 68,
  LSRR: 131,
  SSRR: 137,
} as const;
