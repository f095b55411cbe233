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
  // By hand rather than a regex per line: 32,000 lines cost ~10 ms instead of ~45.
  const table: VendorTable = new Map();
  const isHex = (c: number) =>
    (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
  const isSpace = (c: number) => c === 32 || c === 9;
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const next = end + 1;
    if (end > at && text.charCodeAt(end - 1) === 13) end--;
    if (text.charCodeAt(at) !== 35 /* # */) {
      let i = at;
      while (i < end && isHex(text.charCodeAt(i))) i++;
      const digits = i - at;
      if ((digits !== 6 && digits !== 7 && digits !== 9) || !isSpace(text.charCodeAt(i))) break;
      while (i < end && isSpace(text.charCodeAt(i))) i++;
      if (i === end) break;
      const prefix = text.slice(at, at + digits).toUpperCase();
      if (!table.has(prefix)) table.set(prefix, text.slice(i, end));
    }
    at = next;
  }
  return table;
}

/** Decodes cli/data/ieee-oui.txt (format: tools/gen_mac_vendors.ts). */
export async function decodeIeeeTable(text: string): Promise<VendorTable> {
  const b64 = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).join("");
  // In native code: a callback per byte (Uint8Array.from(atob(b64), ...)) cost 260 million
  // instructions (75 ms) for the table's 250 KB, the first time a scan printed a MAC line.
  const gz = Uint8Array.fromBase64(b64);
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

/** A vendor table that starts as text searched per address, and is parsed once it is used a lot. */
class NmapPrefixes {
  #table?: VendorTable;
  #lookups = 0;
  constructor(readonly text: string) {}

  lookup(mac: string): string | undefined {
    // A few addresses (most scans print one MAC line, or none) cost a search of the text each,
    // ~0.2 ms; parsing the whole file costs ~40 ms, worth it from a few dozen hosts on.
    if (this.#table || ++this.#lookups > SEARCHES_BEFORE_PARSE) {
      this.#table ??= parseMacPrefixes(this.text);
      return lookupVendor(this.#table, mac);
    }
    const hex = mac.replace(/[^0-9A-Fa-f]/g, "").toUpperCase();
    for (const n of [9, 7, 6]) {
      const hit = searchPrefix(this.text, hex.slice(0, n));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

const SEARCHES_BEFORE_PARSE = 32;

/** The vendor on the first line "PREFIX<space>Vendor" of nmap-mac-prefixes text, if any. */
export function searchPrefix(text: string, prefix: string): string | undefined {
  for (let at = text.startsWith(prefix) ? 0 : text.indexOf(`\n${prefix}`); at >= 0;) {
    const start = at === 0 && text.startsWith(prefix) ? 0 : at + 1;
    const after = text.charCodeAt(start + prefix.length);
    if (after === 32 || after === 9) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const vendor = text.slice(start + prefix.length, end).replace(/\r$/, "").trim();
      if (vendor !== "") return vendor;
    }
    at = text.indexOf(`\n${prefix}`, start + 1);
  }
  return undefined;
}

let nmapTable: Promise<NmapPrefixes | undefined> | undefined;
let nmapTableDir: string | undefined;
let ieeeTable: Promise<VendorTable> | undefined;

/**
 * The vendor of `mac`, or undefined ("Unknown"): nmap's table first, then the IEEE registry's
 * for a globally administered address (the registry assigns no locally administered ones; the
 * few such prefixes nmap's file lists, QEMU's 52:54:00 among them, are found in nmap's).
 */
export async function macVendor(mac: string, datadir?: string): Promise<string | undefined> {
  const hit = (await nmapPrefixes(datadir))?.lookup(mac);
  if (hit) return hit;
  const first = parseInt(mac.slice(0, 2), 16);
  if (!(first >= 0) || (first & 0x02) !== 0) return undefined;
  ieeeTable ??= import("./data/ieee-oui.txt", { with: { type: "text" } })
    .then((m) => decodeIeeeTable(m.default));
  return lookupVendor(await ieeeTable, mac);
}

/** nmap-mac-prefixes from the data directories, read once per datadir (undefined: none). */
function nmapPrefixes(datadir?: string): Promise<NmapPrefixes | undefined> {
  if (!nmapTable || nmapTableDir !== datadir) {
    nmapTableDir = datadir;
    nmapTable = (async () => {
      const path = findDataFile("nmap-mac-prefixes", datadir);
      if (path === undefined) return undefined;
      try {
        const prefixes = new NmapPrefixes(await Deno.readTextFile(path));
        noteDataFileRead("nmap-mac-prefixes", path);
        return prefixes;
      } catch {
        return undefined; // nmap: "Unable to open …  Ethernet vendor correlation will not be performed"
      }
    })();
  }
  return nmapTable;
}

/**
 * nmap's MACCorp2Prefix: the prefix (hex digits) of the first vendor in nmap-mac-prefixes whose
 * name contains `name`, ignoring case.
 */
export function vendorPrefix(text: string, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [prefix, vendor] of parseMacPrefixes(text)) {
    if (vendor.toLowerCase().includes(want)) return prefix;
  }
  return undefined;
}

/**
 * --spoof-mac as nmap reads it: "0" is a random address; hex digits (colons allowed) are a
 * prefix of up to 6 bytes; anything else names a vendor in nmap-mac-prefixes. Bytes not given
 * are random. Returns the address and the vendor line nmap prints, or throws `fail`'s error.
 */
export async function spoofMacAddress(
  arg: string,
  fail: (message: string) => never,
  datadir?: string,
): Promise<{ mac: Uint8Array; text: string }> {
  const mac = crypto.getRandomValues(new Uint8Array(6));
  let pos = 0;
  if (arg !== "0") {
    let p = 0;
    const hex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
    while (p < arg.length) {
      if (arg[p] === ":") p++;
      if (!hex(arg[p]) || !hex(arg[p + 1])) break;
      if (pos >= 6) {
        fail(`Bogus --spoof-mac value encountered (${arg}) -- only up to 6 bytes permitted`);
      }
      mac[pos++] = parseInt(arg.slice(p, p + 2), 16);
      p += 2;
    }
    if (p < arg.length) {
      const text = (await nmapPrefixes(datadir))?.text;
      const prefix = text === undefined ? undefined : vendorPrefix(text, arg);
      if (prefix === undefined) {
        fail(
          `Could not parse as a prefix nor find as a vendor substring the given --spoof-mac argument: ${arg}.  If you are giving hex digits, there must be an even number of them.`,
        );
      }
      const digits = prefix.length % 2 ? prefix + "0" : prefix;
      // A 7- or 9-digit prefix fixes half of its last byte.
      for (pos = 0; pos * 2 < digits.length; pos++) {
        const v = parseInt(digits.slice(pos * 2, pos * 2 + 2), 16);
        mac[pos] = prefix.length % 2 && (pos + 1) * 2 > prefix.length ? v | (mac[pos]! & 15) : v;
      }
    }
  }
  const shown = [...mac].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");
  const vendor = (await nmapPrefixes(datadir))?.lookup(shown);
  return { mac, text: `${shown} (${vendor ?? "No registered vendor"})` };
}
