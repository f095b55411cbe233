/**
 * IPv4 options as nmap's text shows them: format_ip_options() (libnetutil/packettrace.cc), which
 * --packet-trace puts in "ipopts={…}", and the "Binary/Parsed ip options to be send" lines nmap
 * prints at start-up with -d or --packet-trace. Malformed options are shown as nmap shows them
 * (a "[bad ptr=…]" note, a hex dump of what it cannot read), since the trace shows replies too.
 *
 * @module
 */

import { formatIpv4 } from "../../core-wasm/addr.ts";

const UNKNOWN = -1, HEXDUMP = -2;
/** format_ip_options writes into a static buffer of 256 bytes. */
const BUFFER_CHARS = 255;

const hex = (b: number) => `\\x${b.toString(16).padStart(2, "0")}`;
const pad2 = (n: number) => String(n).padStart(2, "0");

/** nmap's text of the option bytes `o` (" NOP RR{#0.0.0.0 0.0.0.0}"), a walk of its own rules. */
export function formatIpOptions(o: Uint8Array): string {
  const n = o.length;
  const ip4 = (at: number) => formatIpv4(o.subarray(at, at + 4));
  const u32 = (at: number) =>
    ((o[at]! << 24) >>> 0) + (o[at + 1]! << 16) + (o[at + 2]! << 8) + o[at + 3]!;
  let out = "";
  let type = UNKNOWN, len = 0, ptr = 0, flags = 0, start = 0, end = 0, pt = 0;
  while (pt < n) {
    if (type === UNKNOWN) {
      start = pt;
      type = o[pt++]!;
      if (type !== 0 && type !== 1) {
        if (pt >= n) {
          // No length byte: dump to the end.
          type = HEXDUMP;
          pt--;
          end = 255;
          continue;
        }
        len = o[pt++]!;
        end = Math.max(Math.min(start + len, n), start + 2);
      }
    }
    // `dump`: what nmap's CHECK/BREAK do, the rest of the option as hex.
    const dump = () => void (type = HEXDUMP);
    switch (type) {
      case 0:
        out += " EOL";
        type = UNKNOWN;
        break;
      case 1:
        out += " NOP";
        type = UNKNOWN;
        break;
      case 7:
      case 131:
      case 137: {
        if (pt - start === 2) {
          out += ` ${type === 131 ? "LS" : type === 137 ? "SS" : ""}RR{`;
          if (pt >= end) {
            dump();
            break;
          }
          ptr = o[pt++]!;
          if (ptr % 4 !== 0 || start + ptr - 1 > end || ptr < 4) out += ` [bad ptr=${pad2(ptr)}]`;
        }
        if (pt - start <= 2 || pt + 3 >= end) {
          dump();
          break;
        }
        // A pointer off by up to 3 bytes: those bytes as hex first.
        const skew = ptr % 4;
        for (let i = 0; i < skew; i++) out += hex(o[pt++]!);
        ptr -= skew;
        if (pt + 3 >= end) {
          dump();
          break;
        }
        pt += 4;
        out += (pt - 3 - start === ptr ? "#" : " ") + ip4(pt - 4);
        if (pt === end && pt - start === ptr - 1) out += "#";
        break;
      }
      case 68: {
        if (pt - start === 2) {
          out += " TM{";
          if (pt >= end) {
            dump();
            break;
          }
          ptr = o[pt++]!;
          if (ptr % 4 !== 1 || start + ptr - 1 > end || ptr < 5) out += ` [bad ptr=${pad2(ptr)}]`;
          if (pt >= end) {
            dump();
            break;
          }
          flags = o[pt++]!;
          if ((flags & 0x0c) || (flags & 3) === 2) {
            out += ` [bad flags=\\x${(flags & 0x0f).toString(16)}]`;
          }
          out += `[${flags >> 4} hosts not recorded]`;
          flags &= 3;
        }
        if (pt - start <= 2) {
          dump();
          break;
        }
        const skew = (ptr + 3) % (flags === 0 ? 4 : 8);
        if (pt + (flags === 0 ? 3 : 7) >= end) {
          dump();
          break;
        }
        for (let i = 0; i < skew; i++) out += hex(o[pt++]!);
        ptr -= skew;
        out += pt + 1 - start === ptr ? "#" : " ";
        if (flags !== 0) {
          if (pt + 3 >= end) {
            dump();
            break;
          }
          out += `${ip4(pt)}@`;
          pt += 4;
        }
        if (pt + 3 >= end) {
          dump();
          break;
        }
        out += String(u32(pt));
        pt += 4;
        if (pt === end) out += pt - start === ptr - 1 ? "#" : " ";
        break;
      }
      case 136: {
        if (pt - start !== 2) {
          dump();
          break;
        }
        out += " SI{";
        if (start + len > n || len !== 4) out += `[bad len ${pad2(len)}]`;
        if (pt + 1 >= end) {
          dump();
          break;
        }
        out += `id=${(o[pt]! << 8) | o[pt + 1]!}`;
        pt += 2;
        if (pt !== end) dump();
        break;
      }
      case HEXDUMP:
        if (pt === end) {
          out += "}";
          type = UNKNOWN;
          break;
        }
        out += hex(o[pt++]!);
        break;
      default:
        out += ` ??{${hex(type)}${hex(len)}`;
        end = len < n ? Math.min(Math.max(start + len, start + 2), n) : 255;
        type = HEXDUMP;
    }
    if (pt === end && type !== UNKNOWN) {
      out += "}";
      type = UNKNOWN;
    }
  }
  if (type !== UNKNOWN) out += "}";
  return out.slice(0, BUFFER_CHARS);
}

/** nmap's bintohexstr(): "\x01\x07…", a space after each 8 bytes and a line per 16. */
export function hexLines(bytes: Uint8Array): string {
  let out = "";
  bytes.forEach((b, i) => {
    out += hex(b);
    if (i % 16 === 7) out += " ";
    if (i % 16 === 15) out += "\n";
  });
  if (bytes.length % 16 !== 0) out += "\n";
  return out;
}

/** What nmap prints before "Starting Nmap" with -d or --packet-trace and --ip-options. */
export function ipOptionsAnnouncement(bytes: Uint8Array): string {
  const binary = bytes.length >= 8 ? `Binary ip options to be send:\n${hexLines(bytes)}` : "";
  return `${binary}Parsed ip options to be send:\n${formatIpOptions(bytes)}\n`;
}
