/**
 * `--resume` inside a host: an interrupted run recorded, for each host it had
 * started, the ports already settled (cli/output/resume.ts recordedPorts). The
 * resumed run scans only the ports still missing and merges the recorded
 * results back, so the host's report equals an uninterrupted scan's.
 *
 * @module
 */

import type { PortResult, Protocol } from "../model/mod.ts";
import { comparePorts } from "../output/extraports.ts";

const SLOT: Record<Protocol, number> = { tcp: 0, udp: 1, sctp: 2, ip: 3 };
const key = (protocol: Protocol, port: number) => SLOT[protocol] * 65536 + port;

/**
 * The ports of `ports` that at least one partial host (`recorded`: each one's
 * settled ports) has not scanned yet: partial hosts are scanned together as
 * one group over one port list, and a port some host already settled is
 * scanned again for the others only (the recorded result wins in
 * {@link mergeRecorded}).
 */
export function portsLeft(
  ports: readonly number[],
  protocol: Protocol,
  recorded: readonly (readonly PortResult[])[],
): number[] {
  const done = recorded.map((list) =>
    new Set(list.filter((s) => s.protocol === protocol).map((s) => s.port))
  );
  return ports.filter((p) => done.some((s) => !s.has(p)));
}

/**
 * A host's ports after resuming: every recorded result, plus the newly
 * scanned ports that were not recorded; nmap's order (TCP, then UDP, by port).
 */
export function mergeRecorded(
  scanned: readonly PortResult[],
  recorded: readonly PortResult[],
): PortResult[] {
  const have = new Set(recorded.map((p) => key(p.protocol, p.port)));
  return [
    ...recorded.map((p) => ({ ...p })),
    ...scanned.filter((p) => !have.has(key(p.protocol, p.port))),
  ].sort(comparePorts);
}
