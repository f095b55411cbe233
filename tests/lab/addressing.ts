/**
 * Names and addresses of a lab, derived from its tag alone.
 *
 * A tag is 1–16 characters of `[a-z0-9]`. It picks an index `n` in [0, 50): a tag made of digits
 * below 50 is its own index, any other tag hashes (FNV-1a) to one. From `n`:
 *
 * | what                               | value                                  |
 * | ---------------------------------- | -------------------------------------- |
 * | scanner namespace                  | `ph-<tag>-s` (its only link: `eth0`)    |
 * | target namespaces                  | `ph-<tag>-t0`, `ph-<tag>-t1`, …        |
 * | hub namespace (bridge `br0`)       | `ph-<tag>-h` (bridged scenarios only)   |
 * | router k of a chain                | `ph-<tag>-r<k>`, k = 1, 2, …            |
 * | chain link after router k          | `10.B.(20+k).0/24` (k's end .1)         |
 * | chain router k's other address     | `10.B.30.k` (on its `lo`)               |
 * | link subnet                        | `10.B.0.0/24`, `fd00:B::/64`, B = 200+n |
 * | scanner on the link                | `10.B.0.1`, `fd00:B::1`                 |
 * | routed target's link end           | `10.B.0.2`, `fd00:B::2`                 |
 * | routed target's service address    | `10.B.1.1`, `fd00:B:1::1` (on its `lo`) |
 * | bridged host i                     | `10.B.0.(10+i)`, `fd00:B::(10+i)`       |
 * | AnyIP /16 (anyip16 scenario)       | `10.A.0.0/16`, A = 100+n                |
 *
 * The v6 groups reuse the decimal digits of the v4 octets (10.203.0.12 ↔ fd00:203::12), so the
 * two read alike. Two labs that hash to the same `n` still cannot meet: every address lives only
 * inside that lab's own namespaces, and the namespace names differ because the tags do. Nothing
 * is ever configured in the root namespace.
 */

/** The project's namespace prefix. Every lab namespace starts with it. */
export const PREFIX = "ph-";

const TAG_RE = /^[a-z0-9]{1,16}$/;

/** Throws a one-line error when `tag` is not 1–16 characters of [a-z0-9]. */
export function checkTag(tag: string): void {
  if (!TAG_RE.test(tag)) {
    throw new Error(`bad lab tag ${JSON.stringify(tag)}: use 1-16 characters of [a-z0-9]`);
  }
}

/** The tag's index n in [0, 50): digits below 50 stand for themselves, others hash (FNV-1a). */
export function tagIndex(tag: string): number {
  checkTag(tag);
  if (/^\d+$/.test(tag) && Number(tag) < 50) return Number(tag);
  let h = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    h ^= tag.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 50;
}

/** Everything a lab's layout needs to know about its tag. */
export interface LabAddressing {
  tag: string;
  index: number;
  /** Second octet of the link subnet, 200 + index. */
  b: number;
  /** Second octet of the AnyIP /16, 100 + index. */
  a: number;
  scannerNs: string;
  hubNs: string;
  targetNs(i: number): string;
  /** Router k (1-based) of a chain. */
  routerNs(k: number): string;
  /** `10.B.0.0/24` */
  linkV4: string;
  /** `fd00:B::/64` */
  linkV6: string;
  scannerV4: string;
  scannerV6: string;
  /** The routed target's end of the link. */
  gatewayV4: string;
  gatewayV6: string;
  /** The routed target's own (service) address. */
  serviceV4: string;
  serviceV6: string;
  /** `10.B.1.0/24`: routed towards the target. */
  serviceNetV4: string;
  serviceNetV6: string;
  /** Bridged host i. */
  hostV4(i: number): string;
  hostV6(i: number): string;
  /** `10.A.0.0/16` */
  anyipV4: string;
}

/** Derives every name and address of the lab called `tag` (see the module doc for the table). */
export function addressing(tag: string): LabAddressing {
  const index = tagIndex(tag);
  const b = 200 + index;
  const a = 100 + index;
  return {
    tag,
    index,
    b,
    a,
    scannerNs: `${PREFIX}${tag}-s`,
    hubNs: `${PREFIX}${tag}-h`,
    targetNs: (i) => `${PREFIX}${tag}-t${i}`,
    routerNs: (k) => `${PREFIX}${tag}-r${k}`,
    linkV4: `10.${b}.0.0/24`,
    linkV6: `fd00:${b}::/64`,
    scannerV4: `10.${b}.0.1`,
    scannerV6: `fd00:${b}::1`,
    gatewayV4: `10.${b}.0.2`,
    gatewayV6: `fd00:${b}::2`,
    serviceV4: `10.${b}.1.1`,
    serviceV6: `fd00:${b}:1::1`,
    serviceNetV4: `10.${b}.1.0/24`,
    serviceNetV6: `fd00:${b}:1::/64`,
    hostV4: (i) => `10.${b}.0.${10 + i}`,
    hostV6: (i) => `fd00:${b}::${10 + i}`,
    anyipV4: `10.${a}.0.0/16`,
  };
}

/** Splits a lab namespace name into its tag and role, or returns null for any other name. */
export function parseNsName(name: string): { tag: string; role: string } | null {
  const m = /^ph-([a-z0-9]{1,16})-(s\d*|h|t\d+|r\d+)$/.exec(name);
  return m ? { tag: m[1]!, role: m[2]! } : null;
}
