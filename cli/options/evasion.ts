/**
 * --help's FIREWALL/IDS EVASION AND SPOOFING: fragments (-f, -ff, --mtu), decoys (-D), source
 * address, interface and port (-S, -e, -g), payloads (--data*), --ip-options, --ttl, --spoof-mac,
 * --badsum, --proxies (proxies.ts).
 *
 * @module
 */

import { fatal } from "../errors.ts";
import {
  type OptionFamily,
  type OptionHandler,
  type OptionTable,
  type ParseState,
  shaping,
} from "./state.ts";
import type { Decoy } from "./types.ts";
import { parseIpOptions } from "./ip_options.ts";
import { atoi } from "./values.ts";
import { parseProxyChain } from "./proxies.ts";

/** nmap's MAX_PAYLOAD_ALLOWED (nmap.h): the largest --data-string/--data-length. */
const MAX_PAYLOAD_ALLOWED = 65400;

/** nmap's MAX_DECOYS (nmap.h). */
const MAX_DECOYS = 128;

/** --data HEX (nmap's parse_hex_string: "0x" prefix or "\\x" separators allowed). */
export function parseHexString(arg: string): Uint8Array | undefined {
  let s = arg;
  if (/^0x/i.test(s)) s = s.slice(2);
  s = s.replace(/\\x/gi, "");
  if (s.length === 0 || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** -D as nmap's apply_delayed_options reads it (names are resolved when the scan starts). */
export function parseDecoys(arg: string): Decoy[] {
  const out: Decoy[] = [];
  let count = 0;
  const tooMany = () =>
    fatal(
      `You are only allowed ${MAX_DECOYS} decoys (if you need more redefine MAX_DECOYS in nmap.h)`,
    );
  for (const p of arg.split(",")) {
    const lower = p.toLowerCase();
    if (lower === "me") {
      if (out.some((d) => d.kind === "me")) fatal("Can only use 'ME' as a decoy once.\n");
      out.push({ kind: "me" });
      count++;
    } else if (lower === "rnd" || lower.startsWith("rnd:")) {
      const n = p.length > 4 ? atoi(p.slice(4)) : 1;
      if (n < 1) fatal(`Bad 'rnd' decoy "${p}"`);
      if (count + n >= MAX_DECOYS - 1) tooMany();
      out.push({ kind: "rnd", count: n });
      count += n;
    } else {
      if (count >= MAX_DECOYS - 1) tooMany();
      out.push({ kind: "host", name: p });
      count++;
    }
  }
  return out;
}

/** -g / --source-port N: nmap takes atoi(N) (a u16) and warns about port 0. */
function sourcePort(s: ParseState, arg: string): void {
  const text = arg.trim();
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    fatal(`Source port must be an integer between 0 and 65535, not "${arg}".`);
  }
  const port = Number(text);
  if (port === 0) s.warnings.push("WARNING: a source port of zero may not work on all systems.");
  shaping(s).sourcePort = port;
}

/** The bytes of --data, --data-string or --data-length. */
function payloadBytes(name: string, arg: string): Uint8Array {
  if (name === "data") {
    const bytes = parseHexString(arg);
    if (!bytes) fatal("Invalid hex string specified");
    return bytes;
  }
  if (name === "data-string") {
    const bytes = new TextEncoder().encode(arg);
    if (bytes.length > MAX_PAYLOAD_ALLOWED) {
      fatal(`string length must be between 0 and ${MAX_PAYLOAD_ALLOWED}`);
    }
    return bytes;
  }
  const n = atoi(arg);
  if (n < 0 || n > MAX_PAYLOAD_ALLOWED) {
    fatal(`data-length must be between 0 and ${MAX_PAYLOAD_ALLOWED}`);
  }
  return crypto.getRandomValues(new Uint8Array(n));
}

/** --data, --data-string, --data-length: one payload, with nmap's limits and warning. */
const payload: OptionHandler = (s, arg, opt) => {
  if (s.o.shaping?.payload) fatal("Can't use the --data option(s) multiple times, or together.");
  const bytes = payloadBytes(opt.name, arg);
  if (bytes.length > 1400) {
    s.warnings.push("WARNING: Payloads bigger than 1400 bytes may not be sent successfully.");
  }
  shaping(s).payload = bytes;
};

/** -f (8 bytes) and -ff (16) add up, as nmap's do. */
function fragment(bytes: number): OptionHandler {
  return (s) => {
    const sh = shaping(s);
    sh.fragment = (sh.fragment ?? 0) + bytes;
  };
}

const options: OptionTable = {
  f: fragment(8),
  ff: fragment(16),
  mtu: (s, arg) => {
    const mtu = atoi(arg);
    if (mtu <= 0 || mtu % 8 !== 0) fatal("Data payload MTU must be >0 and multiple of 8");
    shaping(s).fragment = mtu;
  },
  D: (s, arg) => {
    shaping(s).decoys = parseDecoys(arg);
  },
  S: (s, address) => {
    if (s.o.sourceAddress !== undefined) {
      fatal(
        "You can only use the source option once!  Use -D <decoy1> -D <decoy2> etc. for decoys",
      );
    }
    s.o.sourceAddress = address; // checked against -4/-6 once both are known (delayed.ts)
  },
  e: (s, iface) => {
    s.o.iface = iface;
  },
  g: sourcePort,
  "source-port": sourcePort,
  data: payload,
  "data-string": payload,
  "data-length": payload,
  "ip-options": (s, arg) => {
    const request = parseIpOptions(arg);
    if (request) shaping(s).ipOptions = request;
    else delete shaping(s).ipOptions;
  },
  ttl: (s, arg) => {
    const ttl = atoi(arg);
    if (ttl < 0 || ttl > 255) fatal("ttl option must be a number between 0 and 255 (inclusive)");
    shaping(s).ttl = ttl;
  },
  "spoof-mac": (s, mac) => {
    shaping(s).spoofMac = mac;
  },
  badsum: (s) => {
    shaping(s).badsum = true;
  },
  // Not one of nmap's raw-socket options: it warns about none for --adler32.
  adler32: (s) => {
    s.o.adler32 = true;
  },
  proxies: (s, arg) => {
    s.o.proxies = parseProxyChain(arg);
  },
  proxy: (s, arg) => {
    s.o.proxies = parseProxyChain(arg);
  },
};

/** Firewall/IDS evasion and spoofing. */
export const evasion: OptionFamily = { options };
