/**
 * nmap's apply_delayed_options(): what depends on other options, applied once all are read, in
 * nmap's order: the address family, -A, the script trace, the source address, and the explicit
 * timing options over the -T template.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { type ParseState, scriptOptions } from "./state.ts";
import { isIpLiteral } from "./values.ts";

/** Applies the delayed options to `s.o` (targets, timing, -A, -6…); throws nmap's refusals. */
export function applyDelayedOptions(s: ParseState): void {
  const { o, timing: t, pre, warnings } = s;
  o.ipv6 = s.af === 6;
  if (o.ipv6 && o.shaping?.fragment) {
    warnings.push("WARNING: Porthole fragments IPv4 probes only; -f/--mtu is ignored with -6.");
  }
  if (o.ipv6 && o.shaping?.decoys?.some((d) => d.kind === "rnd")) {
    fatal("Random decoys can only be used with IPv4");
  }
  if (o.verbose > 0) warnings.unshift(...s.verboseNotes);
  if (s.advanced) {
    // nmap's -A: -sV -sC, and -O --traceroute when privileged (the engine skips those otherwise).
    o.aggressive = true;
    o.versionDetection = true;
    const scripts = scriptOptions(s);
    if (!scripts.rules.includes("default")) scripts.rules.push("default");
    o.osDetection = true;
    o.traceroute = true;
  }
  // --script-trace alone runs no script (nmap's o.scripttrace only traces the scripts chosen).
  if (s.scriptTrace && o.scripts) o.scripts.trace = true;
  if (o.sourceAddress !== undefined && !isIpLiteral(o.sourceAddress, s.af === 6 ? 6 : 4)) {
    fatal(
      `Failed to resolve/decode supposed ${
        s.af === 6 ? "IPv6" : "IPv4"
      } source address "${o.sourceAddress}": Name or service not known`,
    );
  }
  if (pre.maxParallelism !== undefined) t.maxParallelism = pre.maxParallelism;
  if (pre.scanDelay !== undefined) {
    t.scanDelay = pre.scanDelay;
    if (t.scanDelay > t.maxTcpScanDelay) t.maxTcpScanDelay = t.scanDelay;
    if (t.scanDelay > t.maxUdpScanDelay) t.maxUdpScanDelay = t.scanDelay;
    if (pre.maxParallelism !== undefined || t.minParallelism !== 0) {
      warnings.push(
        "Warning: --min-parallelism and --max-parallelism are ignored with --scan-delay.",
      );
    }
  }
  if (pre.maxScanDelay !== undefined) {
    t.maxTcpScanDelay = pre.maxScanDelay;
    t.maxUdpScanDelay = pre.maxScanDelay;
  }
  if (pre.initRtt !== undefined) t.setInitialRtt(pre.initRtt);
  if (pre.minRtt !== undefined) t.setMinRtt(pre.minRtt);
  if (pre.maxRtt !== undefined) t.setMaxRtt(pre.maxRtt);
  if (pre.maxRetries !== undefined) t.maxRetries = pre.maxRetries;
  if (pre.hostTimeout !== undefined) t.hostTimeout = pre.hostTimeout;
  if (o.verbose > 1) o.reason = true;

  o.timing = {
    template: t.template,
    minRttTimeoutMs: t.minRtt,
    maxRttTimeoutMs: t.maxRtt,
    initialRttTimeoutMs: t.initialRtt,
    maxRetries: t.maxRetries,
    hostTimeoutMs: t.hostTimeout,
    scanDelayMs: t.scanDelay,
    maxScanDelayMs: t.maxTcpScanDelay,
    maxUdpScanDelayMs: t.maxUdpScanDelay,
    minRate: t.minRate,
    maxRate: t.maxRate,
    minParallelism: t.minParallelism,
    maxParallelism: t.maxParallelism,
    // The explicit values (0 = auto); `t`'s are nmap's defaults, for the handlers' checks.
    minHostgroup: o.timing.minHostgroup,
    maxHostgroup: o.timing.maxHostgroup,
    ...(o.timing.noGroupCongestion ? { noGroupCongestion: true } : {}),
  };
  o.targets = s.operands;
  if (s.excludeSpec !== undefined) {
    o.exclude = s.excludeSpec.split(",").map((x) => x.trim()).filter((x) => x !== "");
  }
  if (s.servicedb !== undefined) o.serviceDb = s.servicedb;
  o.excludePorts = s.excludePorts;
}
