/**
 * What nmap's `murmur-version` script (NSE category "version", run by every -sV at intensity 7
 * or more) does: on port 64738 or a port named "murmur", TCP or UDP, open or open|filtered, it
 * sends Murmur's UDP ping to that port number (once per host and port number, whichever
 * protocol asks first) and, when anything answers, calls the UDP port open; when the answer is
 * a Murmur pong, the port is Murmur with the version, user counts and bandwidth the pong
 * carries: "ssl/murmur Murmur 1.3.4 (control port; users: 0; …)" on TCP, where nmap's probes
 * only see TLS. The script's output line is not reproduced, only its effect on the port.
 */

import type { PortResult } from "../model/mod.ts";
import type { ScriptVersion } from "./version_script.ts";

/** Mumble's default port. */
export const MURMUR_PORT = 64738;
/** The script's ping: request type 0 and the 8-byte identifier the pong echoes. */
export const MURMUR_PING = Uint8Array.from("\0\0\0\0abcdefgh", (c) => c.charCodeAt(0));
/** How long the script waits for the pong (ms). */
export const MURMUR_TIMEOUT_MS = 3000;

/** The script's portrule: shortport.version_port_or_service({64738}, "murmur", {"tcp", "udp"}). */
export function murmurApplies(port: PortResult, intensity: number): boolean {
  if (intensity < 7 || (port.protocol !== "tcp" && port.protocol !== "udp")) return false;
  if (port.state !== "open" && port.state !== "open|filtered") return false;
  return port.port === MURMUR_PORT || port.service?.name === "murmur";
}

/** A pong (`^\0...abcdefgh............$`), as the script reads it, or null. */
export interface MurmurPong {
  version: string;
  users: number;
  maxUsers: number;
  bandwidth: number;
}

/** Reads a reply to {@link MURMUR_PING}: null unless it is a pong to it. */
export function parseMurmurPong(reply: Uint8Array): MurmurPong | null {
  if (reply.length !== 24 || reply[0] !== 0) return null;
  for (let i = 0; i < 8; i++) if (reply[4 + i] !== MURMUR_PING[4 + i]) return null;
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  return {
    version: `${reply[1]}.${reply[2]}.${reply[3]}`,
    users: view.getUint32(12),
    maxUsers: view.getUint32(16),
    bandwidth: view.getUint32(20),
  };
}

/** The fields the script sets on a TCP (control) or UDP (voice) port. */
export function murmurVersion(pong: MurmurPong, protocol: "tcp" | "udp"): ScriptVersion {
  return {
    name: "murmur",
    product: "Murmur",
    version: pong.version,
    extraInfo: `${protocol === "tcp" ? "control" : "voice"} port; users: ${pong.users}; ` +
      `max. users: ${pong.maxUsers}; bandwidth: ${pong.bandwidth} b/s`,
  };
}
