/**
 * Helpers for the version-script tests beside cli/service/ (murmur, stun, snmp): bytes from
 * hex as captures print them, and a port to try a portrule on. Test-only.
 */

import type { PortResult } from "../../cli/model/mod.ts";

/** "0a0b…" → bytes. */
export const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

/** A port of `protocol` numbered `port`, open, changed by `p`. */
export function portResult(
  protocol: "tcp" | "udp",
  port: number,
  p: Partial<PortResult> = {},
): PortResult {
  return { protocol, port, state: "open", reason: "test", ...p };
}
