/**
 * What nmap's NSE `nmap.set_port_version(host, port, "hardmatched")` does to a port
 * (nse_nmaplib.cc, portlist.cc setServiceProbeResults): a version script starts from the
 * port's version table, changes some fields and stores it as a hard match: "probed" with
 * confidence 10, the tunnel, host name, OS and device types and CPEs kept, the fingerprint
 * dropped. -sV reproduces the effect of nmap's version scripts natively (they need no NSE):
 * http_server_header.ts, murmur_version.ts, stun_version.ts, snmp_version.ts.
 */

import type { ServiceInfo } from "../model/mod.ts";
import { sanitizeField } from "./fingerprint.ts";
import { EXTRA_LEN, FIELD_LEN } from "./template.ts";

/** The fields a version script sets (the others keep the port's values). */
export interface ScriptVersion {
  name: string;
  product?: string;
  version?: string;
  extraInfo?: string;
}

/** The port's service after a version script's hard match. */
export function setPortVersion(old: ServiceInfo | undefined, set: ScriptVersion): ServiceInfo {
  const { fingerprint: _, ...kept } = old ?? { name: set.name, method: "table", confidence: 3 };
  const out: ServiceInfo = { ...kept, name: set.name, method: "probed", confidence: 10 };
  const field = (k: "product" | "version" | "extraInfo", v: string | undefined, len: number) => {
    if (v === undefined) return;
    const clean = sanitizeField(v, len);
    if (clean) out[k] = clean;
    else delete out[k];
  };
  field("product", set.product, FIELD_LEN);
  field("version", set.version, FIELD_LEN);
  field("extraInfo", set.extraInfo, EXTRA_LEN);
  return out;
}
