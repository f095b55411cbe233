/**
 * MAC address vendors for "MAC Address: 00:1B:21:3A:4F:01 (Intel Corporate)": nmap's
 * nmap-mac-prefixes when the data directories hold it (data_files.ts), then Porthole's table of
 * the IEEE registry's MA-L assignments (cli/data/ieee-oui.txt, made by tools/gen_mac_vendors.ts)
 * for what nmap's does not name. Both load on first use, so scans that print no MAC line pay
 * nothing.
 *
 * @module
 */

import { findDataFile, noteDataFileRead } from "./data_files.ts";

/** Prefix (6, 7 or 9 upper-case hex digits: MA-L, MA-M, MA-S) → vendor. */
export type VendorTable = Map<string, string>;

/**
 * Parses nmap-mac-prefixes as nmap's MACLookup.cc does: "PREFIX Vendor" lines with 6, 7 or 9
 * hex digits, `#` comments, the first of duplicated prefixes kept; a malformed line stops the
 * parse there (nmap: "Parse error on line #N ... Giving up parsing."), keeping what came before.
 */
export function parseMacPrefixes(text: string): VendorTable {
  const table: VendorTable = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("#")) continue;
    const m = /^([0-9A-Fa-f]+)\s+(\S.*)$/.exec(line);
    if (!m || ![6, 7, 9].includes(m[1]!.length)) break;
    const prefix = m[1]!.toUpperCase();
    if (!table.has(prefix)) table.set(prefix, m[2]!);
  }
  return table;
}

/** Decodes cli/data/ieee-oui.txt (format: tools/gen_mac_vendors.ts). */
export async function decodeIeeeTable(text: string): Promise<VendorTable> {
  const b64 = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).join("");
  const gz = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const body = await new Response(
    new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  const [namePart, rowPart] = body.split("\n\n");
  const names = namePart!.split("\n");
  const table: VendorTable = new Map();
  let prefix = 0;
  for (const row of rowPart!.split("\n")) {
    if (row === "") continue;
    const sp = row.indexOf(" ");
    prefix += parseInt(row.slice(0, sp), 36);
    const name = names[parseInt(row.slice(sp + 1), 36)];
    if (name !== undefined) table.set(prefix.toString(16).toUpperCase().padStart(6, "0"), name);
  }
  return table;
}

/** The vendor of `mac` ("00:1b:21:…", any case) in `table`: the longest prefix wins. */
export function lookupVendor(table: VendorTable, mac: string): string | undefined {
  const hex = mac.replace(/[^0-9A-Fa-f]/g, "").toUpperCase();
  return table.get(hex.slice(0, 9)) ?? table.get(hex.slice(0, 7)) ?? table.get(hex.slice(0, 6));
}

let nmapTable: Promise<VendorTable | undefined> | undefined;
let nmapTableDir: string | undefined;
let ieeeTable: Promise<VendorTable> | undefined;

/**
 * The vendor of `mac`, or undefined ("Unknown"): nmap's table first, then the IEEE registry's
 * for a globally administered address (the registry assigns no locally administered ones; the
 * few such prefixes nmap's file lists, QEMU's 52:54:00 among them, are found in nmap's).
 */
export async function macVendor(mac: string, datadir?: string): Promise<string | undefined> {
  if (!nmapTable || nmapTableDir !== datadir) {
    nmapTableDir = datadir;
    nmapTable = (async () => {
      const path = findDataFile("nmap-mac-prefixes", datadir);
      if (path === undefined) return undefined;
      try {
        const table = parseMacPrefixes(await Deno.readTextFile(path));
        noteDataFileRead("nmap-mac-prefixes", path);
        return table;
      } catch {
        return undefined; // nmap: "Unable to open …  Ethernet vendor correlation will not be performed"
      }
    })();
  }
  const nmap = await nmapTable;
  const hit = nmap && lookupVendor(nmap, mac);
  if (hit) return hit;
  const first = parseInt(mac.slice(0, 2), 16);
  if (!(first >= 0) || (first & 0x02) !== 0) return undefined;
  ieeeTable ??= import("./data/ieee-oui.txt", { with: { type: "text" } })
    .then((m) => decodeIeeeTable(m.default));
  return lookupVendor(await ieeeTable, mac);
}
