/**
 * The one escaping of untrusted text for a terminal, shared by the writers
 * (through format.ts) and by the CLI's stdout and stderr; a module of its own
 * so that `porthole --version` loads nothing more for it.
 *
 * @module
 */

const HEX = "0123456789ABCDEF";
/** A character escapeTerminal must rewrite: in a table cell, and in running text. */
const UNSAFE_CELL = /[^\x20-\x7e]/;
const UNSAFE_TEXT = /[^\x20-\x7e\t\n]/;

/**
 * Makes untrusted text (banners, DNS names, service fingerprints) safe for a
 * terminal, as nmap's escape_for_screen(): printable ASCII, tab and newline
 * pass; every other byte becomes `\xHH` (ESC → `\x1B`, CR → `\x0D`, UTF-8
 * bytes one by one). Characters U+0080..U+00FF count as single bytes (text
 * decoded as Latin-1); higher code points are escaped byte by byte of their
 * UTF-8 form. With `singleLine`, newline and tab are escaped too (table cells).
 */
export function escapeTerminal(s: string, singleLine = false): string {
  // Nearly every string written (ports, states, service names, whole report lines) is clean
  // already: one regex test instead of a walk by code point building a copy.
  if (!(singleLine ? UNSAFE_CELL : UNSAFE_TEXT).test(s)) return s;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c <= 0x7e) || (!singleLine && (c === 0x09 || c === 0x0a))) {
      out += ch;
    } else if (c <= 0xff) {
      out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      for (const b of new TextEncoder().encode(ch)) out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
    }
  }
  return out;
}
