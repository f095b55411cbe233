/**
 * Deno permissions a run needs, checked before any packet: a run started
 * with fewer (the artifact without --allow-net, `deno run cli/main.ts`
 * without flags) stops with one sentence naming the permission and the
 * flag, instead of reporting every port filtered or no interfaces at all.
 * A permission refused later anyway (Deno.errors.NotCapable) is worded the
 * same way by {@link permissionMessage}.
 *
 * @module
 */

import type { Options, ScanKind } from "../options/types.ts";
import { missingPermissionSentence } from "../errors.ts";

export { missingPermissionSentence } from "../errors.ts";

/** A permission a run needs and what for. */
export interface PermissionNeed {
  descriptor: Deno.PermissionDescriptor;
  /** Why, as the sentence says it: "for a connect scan (-sT)". */
  why: string;
}

/** An IP address, CIDR block or nmap octet range: no name to look up. */
function isAddressSpec(spec: string): boolean {
  return spec.includes(":") || /^[0-9.,*\-]+(\/\d+)?$/.test(spec);
}

/** What a run needs before it can decide between a raw and a connect scan. */
export const PRIVILEGE_NEEDS: readonly PermissionNeed[] = [
  { descriptor: { name: "sys", kind: "uid" }, why: "to tell whether it runs as root" },
];

/** What --iflist needs. */
export const IFLIST_NEEDS: readonly PermissionNeed[] = [
  { descriptor: { name: "ffi" }, why: "to list interfaces and routes" },
];

/**
 * What a scan with these options needs, in the order it would first be
 * used. `scans` and `privileged` are the decided ones (cli/app/run.ts's
 * decidePrivileges): a connect scan needs the network, a raw one FFI.
 */
export function scanPermissionNeeds(
  opts: Options,
  scans: readonly ScanKind[],
  privileged: boolean,
): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const net = (why: string) => needs.push({ descriptor: { name: "net" }, why });
  if (opts.iface !== undefined || opts.sourceAddress !== undefined) {
    needs.push({
      descriptor: { name: "ffi" },
      why: `to check the interface and address given with ${
        opts.iface !== undefined ? "-e" : "-S"
      }`,
    });
  }
  if (!opts.discovery.pingOnly && scans.includes("connect")) net("for a connect scan (-sT)");
  if (!opts.discovery.pingOnly && scans.includes("bounce")) net("for an FTP bounce scan (-b)");
  // Unprivileged host discovery connects to ports 80 and 443.
  if (!privileged && !opts.discovery.skip) net("to find hosts up with TCP connects (or give -Pn)");
  if (opts.versionDetection) net("for service detection (-sV)");
  const names = opts.targets.some((t) => !isAddressSpec(t)) || opts.inputList !== undefined;
  if (names || opts.dnsMode !== "never") {
    needs.push({ descriptor: { name: "read", path: "/etc/hosts" }, why: "to read /etc/hosts" });
    net("to resolve names (or give -n and addresses)");
  }
  const o = opts.output;
  for (const path of [o.normal, o.xml, o.grepable, o.json, o.skid]) {
    if (path !== undefined && path !== "-") {
      needs.push({ descriptor: { name: "write", path }, why: `to write ${path}` });
    }
  }
  return needs;
}

/** The first need not granted, as a sentence; undefined when all are. */
export function firstMissing(needs: readonly PermissionNeed[]): string | undefined {
  for (const n of needs) {
    let state: Deno.PermissionState;
    try {
      state = Deno.permissions.querySync(n.descriptor).state;
    } catch {
      state = "denied";
    }
    if (state !== "granted") return missingPermissionSentence(n.descriptor.name, n.why);
  }
  return undefined;
}

/**
 * Deno's refusal of a permission (NotCapable; PermissionDenied carrying
 * Deno's "Requires … access" words in older releases) as the one sentence;
 * undefined for any other error.
 */
export function permissionMessage(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const notCapable = e instanceof Deno.errors.NotCapable;
  const m = /Requires (\w+) access(?: to ("[^"]*"|\S+))?/.exec(e.message);
  if (!m || !(notCapable || e instanceof Deno.errors.PermissionDenied)) return undefined;
  const name = m[1]!;
  return missingPermissionSentence(name, m[2] ? `(it asked for ${m[2]})` : "");
}
