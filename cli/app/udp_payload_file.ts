/**
 * nmap's UDP payload file for a run's -sU, found as nmap finds its data files (data_files.ts)
 * and read when the UDP scan starts, as nmap 7.93's init_payloads() does: the file is noted for
 * -v's "Read data files from:", and its payloads replace Porthole's own on the ports it names
 * (udp_payloads.ts). A file with a problem is named in one warning and not used at all; the
 * scan goes on with Porthole's own payloads.
 *
 * @module
 */

import { findDataFile, noteDataFileRead } from "../data_files.ts";
import { parseSimplePortList } from "../ports.ts";
import { servicesDbFor } from "../services_db.ts";
import { MAX_FILE_BYTES, NmapPayloadsError, parseNmapPayloads } from "../scans/nmap_payloads.ts";
import type { NmapPayloadTable } from "../scans/udp_payloads.ts";

/** Each file read once per process: its table, or the warning it earned (said once). */
const cache = new Map<string, { table?: NmapPayloadTable; warning?: string; said?: boolean }>();

/**
 * nmap's payloads by port from the nmap-payloads the data directories hold, or undefined (none
 * found, or a bad one: `warn` gets one line saying why, once).
 */
export function nmapPayloadsFor(
  opts: { datadir?: string; serviceDb?: string },
  warn: (line: string) => void,
): NmapPayloadTable | undefined {
  const path = findDataFile("nmap-payloads", opts.datadir);
  if (path === undefined) return undefined;
  noteDataFileRead("nmap-payloads", path);
  let got = cache.get(path);
  if (!got) {
    got = readPayloadFile(path, opts);
    cache.set(path, got);
  }
  if (got.warning && !got.said) {
    got.said = true;
    warn(got.warning);
  }
  return got.table;
}

function readPayloadFile(
  path: string,
  opts: { datadir?: string; serviceDb?: string },
): { table?: NmapPayloadTable; warning?: string } {
  const unused = "; using Porthole's own UDP payloads.";
  let bytes: Uint8Array;
  try {
    const size = Deno.statSync(path).size;
    if (size > MAX_FILE_BYTES) {
      return { warning: `WARNING: ${path} is ${size} bytes (at most ${MAX_FILE_BYTES})${unused}` };
    }
    bytes = Deno.readFileSync(path);
  } catch (e) {
    return { warning: `WARNING: Can't read ${path}: ${(e as Error).message}${unused}` };
  }
  // Port lists name services too (nmap's getpts_simple), from the run's services table.
  const db = servicesDbFor(opts.serviceDb, opts.datadir);
  try {
    return {
      table: parseNmapPayloads(bytes, (e) => parseSimplePortList(e, "udp", db), path).byPort,
    };
  } catch (e) {
    if (!(e instanceof NmapPayloadsError)) throw e;
    return { warning: `WARNING: ${e.message}${unused}` };
  }
}
