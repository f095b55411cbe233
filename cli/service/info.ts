/**
 * What version detection adds to a host report: the VERSION column text and
 * the "Service Info:" line (nmap's populateFullVersionString and
 * printserviceinfooutput). Fields are returned raw; writers escape them.
 */

import type { ServiceInfo } from "../model/mod.ts";

/**
 * The VERSION column: "product version (extrainfo)", each part cut with "..."
 * to fit nmap's 160-byte buffer, and skipped when fewer than 8 bytes remain.
 */
export function versionString(s: ServiceInfo | undefined): string {
  if (!s) return "";
  let out = "";
  let left = 159;
  let pad = false;
  const put = (text: string) => {
    if (pad) {
      out += " ";
      left--;
    }
    if (left < text.length) {
      out += text.slice(0, left - 3) + "...";
      left = 0;
    } else {
      out += text;
      left -= text.length;
    }
    pad = true;
  };
  if (s.product && left >= 8) put(s.product);
  if (s.version && left >= 8) put(s.version);
  if (s.extraInfo && left >= 8) {
    if (pad) {
      out += " ";
      left--;
    }
    if (left - 2 < s.extraInfo.length) out += "(" + s.extraInfo.slice(0, left - 5) + "...)";
    else out += "(" + s.extraInfo + ")";
  }
  return out;
}

export { serviceInfoLine } from "../model/service_info.ts";
