/**
 * What nmap's `stun-version` script (NSE category "version", run by every -sV at intensity 7
 * or more) does: on UDP port 3478 or a UDP port named "stun", open or open|filtered, it sends a
 * STUN Binding request (RFC 5389 §6: the magic cookie, a random transaction id) and waits up
 * to 10 s; a Binding response with a MAPPED-ADDRESS or a SOFTWARE attribute makes the port
 * open, named "stun", with SOFTWARE's value as its product ("Coturn-4.6.1 'Gorst'"). The
 * response is read as nselib/stun.lua reads it: attributes walked without their padding.
 */

import type { PortResult } from "../model/mod.ts";
import type { ScriptVersion } from "./version_script.ts";

/** STUN's port. */
export const STUN_PORT = 3478;
/** How long the script waits for the response (nselib/stun.lua's default timeout, ms). */
export const STUN_TIMEOUT_MS = 10_000;

/** The script's portrule: shortport.version_port_or_service(3478, "stun", "udp"). */
export function stunApplies(port: PortResult, intensity: number): boolean {
  if (intensity < 7 || port.protocol !== "udp") return false;
  if (port.state !== "open" && port.state !== "open|filtered") return false;
  return port.port === STUN_PORT || port.service?.name === "stun";
}

/** A Binding request: type 1, no attributes, the magic cookie and 12 random bytes. */
export function stunBindingRequest(): Uint8Array {
  const req = new Uint8Array(20);
  req.set([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
  crypto.getRandomValues(req.subarray(8));
  return req;
}

/** The fields the script sets from a response, or null when it fails on it. */
export function stunVersion(reply: Uint8Array): ScriptVersion | null {
  if (reply.length < 20) return null;
  const u16 = (at: number) => (reply[at]! << 8) | reply[at + 1]!;
  if (u16(0) !== 0x0101) return null; // not a Binding response
  const end = Math.min(reply.length, 20 + u16(2));
  let mapped = false;
  let server: string | undefined;
  for (let pos = 20; pos < end;) {
    if (pos + 4 > end) return null; // the Lua unpack fails: the script errs
    const type = u16(pos);
    const len = u16(pos + 2);
    if (type === 0x0001) mapped = true; // MAPPED-ADDRESS
    if (type === 0x8022) {
      // SOFTWARE (SERVER in RFC 3489's numbering)
      server = String.fromCharCode(...reply.subarray(pos + 4, Math.min(end, pos + 4 + len)));
    }
    pos += len + 4;
  }
  if (!mapped && server === undefined) return null; // "Server returned no response"
  return { name: "stun", product: server ?? "" };
}
