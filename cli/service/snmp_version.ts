/**
 * What nmap's `snmp-info` script (NSE categories default, version, safe; run by every -sV at
 * intensity 7 or more) does to a port's version: on UDP port 161 or a UDP port named "snmp",
 * it sends an SNMPv3 GetRequest with msgID 0x4a69 and no user (RFC 3414 §4: the agent answers
 * with a Report carrying its engine ID), unless the probes' fingerprint already holds the reply
 * to nmap's probe of that name. A User-based Security Model reply names the agent's enterprise
 * (engine ID's first four bytes, RFC 3411 §5 SnmpEngineID) and the product becomes
 * "net-snmp SNMPv3 server", or "SNMPv1 server; net-snmp SNMPv3 server" after a product that
 * was already there. Enterprise names are IANA's, from nmap's nselib/data/enterprise_numbers.txt
 * where nmap's data is found, else from a few well-known numbers, else the number.
 */

import type { PortResult, ServiceInfo } from "../model/mod.ts";
import { dataDirs } from "../data_files.ts";
import type { ScriptVersion } from "./version_script.ts";

/** The script's request (msgID 0x4a69, reportable, USM, empty user and engine). */
export const SNMPV3_GET_REQUEST = Uint8Array.from(
  "\x30\x3a\x02\x01\x03\x30\x0f\x02\x02\x4a\x69\x02\x03\0\xff\xe3\x04\x01\x04\x02\x01\x03\x04\x10" +
    "\x30\x0e\x04\0\x02\x01\0\x02\x01\0\x04\0\x04\0\x04\0\x30\x12\x04\0\x04\0\xa0\x0c\x02\x02\x37" +
    "\xf0\x02\x01\0\x02\x01\0\x30\0",
  (c) => c.charCodeAt(0),
);
/** The name of nmap's probe whose recorded reply the script reads first. */
export const SNMPV3_PROBE_NAME = "SNMPv3GetRequest";
/** How long the script's comm.exchange waits (ms): 6 s, plus the host's connect timeout. */
export const SNMP_TIMEOUT_MS = 7000;

/** The script's portrule: shortport.version_port_or_service(161, "snmp", "udp"). */
export function snmpApplies(port: PortResult, intensity: number): boolean {
  if (intensity < 7 || port.protocol !== "udp") return false;
  if (port.state !== "open" && port.state !== "open|filtered") return false;
  return port.port === 161 || port.service?.name === "snmp";
}

interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** The BER TLVs that fill `b` (X.690 §8.1), or null when one does not fit. */
function tlvs(b: Uint8Array): Tlv[] | null {
  const out: Tlv[] = [];
  for (let at = 0; at < b.length;) {
    if (at + 2 > b.length) return null;
    const tag = b[at]!;
    let len = b[at + 1]!;
    at += 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || at + n > b.length) return null;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[at + i]!;
      at += n;
    }
    if (at + len > b.length) return null;
    out.push({ tag, value: b.subarray(at, at + len) });
    at += len;
  }
  return out;
}

const integer = (t: Tlv | undefined) => {
  if (t?.tag !== 0x02 || t.value.length === 0 || t.value.length > 6) return undefined;
  let v = t.value[0]! & 0x80 ? -1 : 0;
  for (const b of t.value) v = v * 256 + b;
  return v;
};

/**
 * The enterprise number in the engine ID of an SNMPv3 USM reply to the script's request, or
 * null when the reply is not one (the script then leaves the port alone).
 */
export function snmpEnterprise(reply: Uint8Array): { number: number; flagged: boolean } | null {
  const top = tlvs(reply)?.[0];
  if (top?.tag !== 0x30) return null;
  const msg = tlvs(top.value);
  if (!msg || integer(msg[0]) !== 3 || msg[1]?.tag !== 0x30) return null;
  const global = tlvs(msg[1].value);
  if (!global || integer(global[0]) !== 0x4a69 || integer(global[3]) !== 3) return null;
  if (msg[2]?.tag !== 0x04) return null;
  const params = tlvs(msg[2].value)?.[0];
  if (params?.tag !== 0x30) return null;
  const engineId = tlvs(params.value)?.[0];
  if (engineId?.tag !== 0x04 || engineId.value.length < 4) return null;
  const v = engineId.value;
  const n = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
  // RFC 3411: the high bit set says the rest of the ID follows the enterprise's format.
  return n > 0x80000000 ? { number: n - 0x80000000, flagged: true } : { number: n, flagged: false };
}

/** A few IANA Private Enterprise Numbers, for when nmap's list is not installed. */
const WELL_KNOWN_ENTERPRISES = new Map([
  [2, "IBM"],
  [9, "ciscoSystems"],
  [11, "Hewlett-Packard"],
  [311, "Microsoft"],
  [2021, "U.C. Davis, ECE Dept. Tom"],
  [2636, "Juniper Networks, Inc."],
  [4526, "Netgear"],
  [8072, "net-snmp"],
  [14988, "MikroTik"],
]);

let nmapEnterprises: string | null | undefined;

/** IANA's name of an enterprise number, as snmp-info finds it. */
export function enterpriseName(n: number, datadir?: string): string | undefined {
  if (nmapEnterprises === undefined) {
    nmapEnterprises = null;
    for (const dir of dataDirs(datadir)) {
      try {
        nmapEnterprises = Deno.readTextFileSync(`${dir}/nselib/data/enterprise_numbers.txt`);
        break;
      } catch {
        // not here
      }
    }
  }
  if (nmapEnterprises === null) return WELL_KNOWN_ENTERPRISES.get(n);
  return new RegExp(`^${n}\\t(.*)$`, "m").exec(nmapEnterprises)?.[1];
}

/** The fields the script sets, from its reply and the port's service so far; null: no change. */
export function snmpVersion(
  reply: Uint8Array,
  old: ServiceInfo | undefined,
  datadir?: string,
): ScriptVersion | null {
  const e = snmpEnterprise(reply);
  if (!e) return null;
  const name = enterpriseName(e.number, datadir);
  // Lua's "%s" of a missing name is "nil" for a flagged ID; an unflagged one falls back to the number.
  const enterprise = name ?? (e.flagged ? "nil" : String(e.number));
  const product = old?.product && old.product !== "SNMPv3 server"
    ? `${old.product}; ${enterprise} SNMPv3 server`
    : `${enterprise} SNMPv3 server`;
  return { name: old?.name ?? "snmp", product };
}
