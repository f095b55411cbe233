/**
 * -D: the decoys' source addresses.
 *
 * @module
 */

import type { Decoy } from "../options_types.ts";
import { fatal } from "../errors.ts";

/** The IPv4 ranges nmap's ip_is_reserved() keeps random decoys out of (RFC 6890 and multicast). */
const RESERVED_V4: [number, number][] = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0000000, 24],
  [0xc0000200, 24],
  [0xc0586300, 24],
  [0xc0a80000, 16],
  [0xc6120000, 15],
  [0xc6336400, 24],
  [0xcb007100, 24],
  [0xe0000000, 3],
];

/** -D's entries as source addresses (null: ME, placed at random when not given, as nmap does). */
export async function resolveDecoys(list: Decoy[], family: 4 | 6): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const d of list) {
    if (d.kind === "me") out.push(null);
    else if (d.kind === "rnd") {
      for (let i = 0; i < d.count; i++) {
        let a: number;
        do a = crypto.getRandomValues(new Uint32Array(1))[0]!; while (
          RESERVED_V4.some(([net, len]) => (a >>> (32 - len)) === (net >>> (32 - len)))
        );
        out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
      }
    } else {
      const { SystemResolver } = await import("../dns.ts");
      const literal = family === 6 ? d.name.includes(":") : /^\d+\.\d+\.\d+\.\d+$/.test(d.name);
      let found: string[] = [];
      try {
        found = literal ? [d.name] : await new SystemResolver().lookup(d.name);
      } catch {
        // reported below
      }
      const a = found.find((x) => (x.includes(":") ? 6 : 4) === family);
      if (!a) fatal(`Failed to resolve decoy host "${d.name}": Name or service not known`);
      out.push(a);
    }
  }
  if (!out.includes(null)) out.splice(Math.floor(Math.random() * (out.length + 1)), 0, null);
  return out;
}
