/**
 * TCP options as structured values (RFC 9293 3.2, RFC 7323, RFC 2018) and their wire form.
 *
 * @module
 */

/** One TCP option. `raw` carries any other kind verbatim. */
export type TcpOption =
  | { kind: "eol" }
  | { kind: "nop" }
  | { kind: "mss"; value: number }
  | { kind: "wscale"; value: number }
  | { kind: "sackOk" }
  | { kind: "sack"; blocks: [number, number][] }
  | { kind: "timestamp"; tsval: number; tsecr: number }
  | { kind: "raw"; type: number; data: Uint8Array };

/**
 * Encodes options in order, unpadded (the builder pads with EOL to a multiple of 4).
 * Throws `RangeError` when they exceed the 40 bytes TCP allows.
 */
export function encodeTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >>> 8) & 255, v & 255);
  const u32 = (v: number) => out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  for (const o of options) {
    switch (o.kind) {
      case "eol":
        out.push(0);
        break;
      case "nop":
        out.push(1);
        break;
      case "mss":
        out.push(2, 4);
        u16(o.value);
        break;
      case "wscale":
        out.push(3, 3, o.value & 255);
        break;
      case "sackOk":
        out.push(4, 2);
        break;
      case "sack":
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          u32(l);
          u32(r);
        }
        break;
      case "timestamp":
        out.push(8, 10);
        u32(o.tsval);
        u32(o.tsecr);
        break;
      case "raw":
        out.push(o.type & 255, o.data.length + 2, ...o.data);
        break;
    }
  }
  if (out.length > 40) throw new RangeError(`TCP options take ${out.length} bytes; 40 is the most`);
  return new Uint8Array(out);
}

/** Decodes the option bytes of a segment; stops at EOL; throws `RangeError` when malformed. */
export function decodeTcpOptions(bytes: Uint8Array): TcpOption[] {
  const out: TcpOption[] = [];
  const u16 = (i: number) => ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  const u32 = (i: number) => ((u16(i) << 16) | u16(i + 2)) >>> 0;
  for (let i = 0; i < bytes.length;) {
    const k = bytes[i] ?? 0;
    if (k === 0) {
      out.push({ kind: "eol" });
      break;
    }
    if (k === 1) {
      out.push({ kind: "nop" });
      i++;
      continue;
    }
    const l = bytes[i + 1];
    if (l === undefined || l < 2 || i + l > bytes.length) {
      throw new RangeError(`bad TCP option length at byte ${i}`);
    }
    if (k === 2 && l === 4) out.push({ kind: "mss", value: u16(i + 2) });
    else if (k === 3 && l === 3) out.push({ kind: "wscale", value: bytes[i + 2] ?? 0 });
    else if (k === 4 && l === 2) out.push({ kind: "sackOk" });
    else if (k === 8 && l === 10) {
      out.push({ kind: "timestamp", tsval: u32(i + 2), tsecr: u32(i + 6) });
    } else if (k === 5 && l >= 10 && (l - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let j = i + 2; j < i + l; j += 8) blocks.push([u32(j), u32(j + 4)]);
      out.push({ kind: "sack", blocks });
    } else out.push({ kind: "raw", type: k, data: bytes.slice(i + 2, i + l) });
    i += l;
  }
  return out;
}
