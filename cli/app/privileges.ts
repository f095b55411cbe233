/**
 * Raw packets or not: nmap's decision between a raw and a connect scan, its refusals and its
 * warnings, before any packet.
 *
 * @module
 */

import type { Options, ScanKind } from "../options/types.ts";
import { checkPrivileges } from "../options/mod.ts";
import { UsageError } from "../errors.ts";
import type { RunLog } from "../engine/context.ts";
import { needsRawPackets } from "../scans/registry.ts";

/** Decide raw vs connect, and the scan list, as nmap does. Throws UsageError. */
export async function decidePrivileges(
  opts: Options,
  log: RunLog,
): Promise<{ privileged: boolean; scans: ScanKind[] }> {
  let rawOk = false;
  let reason = "";
  if (opts.privileged !== false) {
    try {
      const { rawAccess } = await import("../engine/system.ts");
      const a = rawAccess();
      rawOk = a.ok;
      if (!a.ok) reason = a.reason;
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
  }
  const privileged = opts.privileged ?? rawOk;
  const isRoot = Deno.uid?.() === 0;
  // What asks for raw packets, worded as nmap's "requires root privileges" messages are.
  const wantsRaw = opts.scans.some((k) => needsRawPackets(k))
    ? "You requested a scan type which"
    : opts.osDetection && !opts.aggressive
    ? "TCP/IP fingerprinting (for OS scan)"
    : opts.discovery.udpPorts.length > 0
    ? "UDP Ping (-PU)"
    : undefined;
  if (!privileged && wantsRaw && isRoot && reason && opts.privileged === undefined) {
    // Root, but raw packets are not to be had (no libpcap, no --allow-ffi):
    // say why in one sentence rather than blaming privileges.
    throw new UsageError(`${wantsRaw} requires raw packet access: ${reason}`);
  }
  checkPrivileges(opts, privileged);
  if (opts.scans.length === 0 && !privileged && isRoot && reason && !opts.discovery.pingOnly) {
    log.warn(`Raw packets are unavailable (${reason}); using a TCP connect scan (-sT) instead.`);
  }
  const scans: ScanKind[] = opts.scans.length ? [...opts.scans] : [privileged ? "syn" : "connect"];
  if (opts.shaping && (!privileged || scans.includes("connect"))) {
    log.warn(
      "You have specified some options that require raw socket access.\n" +
        `These options will not be honored ${
          privileged ? "for TCP Connect scan" : "without the necessary privileges"
        }.`,
    );
  }
  return { privileged, scans };
}
