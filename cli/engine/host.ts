/**
 * One target as the engine carries it through discovery, scans and output.
 *
 * @module
 */

import type { HostAddress, HostResult, PortResult } from "../model/mod.ts";
import type { HostTiming } from "./scheduler.ts";
import type { RawRoute } from "./route.ts";
import type { CookieJar } from "./cookie.ts";
import { parseIp } from "../../core-wasm/addr.ts";

/** What targets.ts yields (structurally; kept local so the engine needs no parser). */
export interface TargetLike {
  address: string;
  family: 4 | 6;
  userHostname?: string;
  otherAddresses: string[];
}

export class ScanHost {
  readonly address: string;
  readonly family: 4 | 6;
  /** IPv4 address as a number (0 for IPv6). */
  readonly v4: number;
  /** IPv6 address bytes (undefined for IPv4). */
  readonly v6?: Uint8Array;
  /** Keyed digest of the address for cookies. */
  readonly digest: number;
  /** Lookup key: the v4 number as text, or the 16 bytes as latin1. */
  readonly key: string;
  route?: RawRoute;
  /** Timing carried from discovery into the scans. */
  timing?: HostTiming;
  up = false;
  statusReason = "no-response";
  statusReasonTtl?: number;
  mac?: HostAddress;
  latencySeconds?: number;
  timedOut = false;
  ports: PortResult[] = [];
  readonly startTime = Date.now();

  constructor(readonly target: TargetLike, jar: CookieJar) {
    this.address = target.address;
    this.family = target.family;
    const ip = parseIp(target.address);
    if (!ip) throw new Error(`not an IP address: ${target.address}`);
    if (ip.family === 4) {
      const b = ip.bytes;
      this.v4 = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      this.digest = jar.addressDigest(this.v4);
      this.key = String(this.v4);
    } else {
      this.v4 = 0;
      this.v6 = ip.bytes;
      this.digest = jar.addressDigest(ip.bytes);
      this.key = v6Key(ip.bytes);
    }
  }

  /** The finished result for the writers. */
  result(): HostResult {
    const t = this.timing?.rtt;
    const r: HostResult = {
      address: this.address,
      family: this.family,
      userHostname: this.target.userHostname,
      otherAddresses: this.target.otherAddresses,
      status: this.up ? "up" : "down",
      statusReason: this.statusReason,
      ports: this.ports,
      startTime: this.startTime,
      endTime: Date.now(),
    };
    if (this.mac) r.mac = this.mac;
    if (this.statusReasonTtl !== undefined) r.statusReasonTtl = this.statusReasonTtl;
    const latency = this.latencySeconds ?? t?.latencySeconds;
    if (this.up && latency !== undefined) r.latencySeconds = latency;
    if (this.timedOut) r.timedOut = true;
    if (t?.srtt !== undefined && t.rttvar !== undefined) {
      // nmap stores the timeout floored at --min-rtt-timeout (timing.cc), and so shows it in
      // <times to=> and hands it to scripts (host.times); Porthole's scan may wait less on a LAN.
      r.times = {
        srtt: Math.round(t.srtt * 1000),
        rttvar: Math.round(t.rttvar * 1000),
        timeout: Math.round(Math.max(t.timeout, t.limits.minRttTimeoutMs) * 1000),
      };
    }
    return r;
  }
}

/** A string key for 16 IPv6 bytes (one char per byte). */
export function v6Key(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += String.fromCharCode(b[i]!);
  return s;
}
