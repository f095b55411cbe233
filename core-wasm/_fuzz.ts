// The fuzzer shared by fuzz.ts (≥ 1M cases) and fuzz_test.ts (≥ 100k): random and mutated
// frames — bit flips, overwrites, truncations, lying length fields, garbage quotes, bad
// index entries, wrong and unknown link types — parsed in batches. Checks: no trap, every
// record's fields stay inside its frame, no byte outside a frame influences its record
// (parsed twice with different surroundings), and records which reason codes were reached.

import { Gen, type GenCase } from "./_frame_gen.ts";
import { rng } from "./_frame_gen.ts";
import { LinkType, type PacketCore, PARSE_ERROR_COUNT } from "./mod.ts";

/** Result of a fuzz run. */
export interface FuzzReport {
  cases: number;
  /** How often each reason code was seen. */
  byStatus: number[];
  /** Invariant violations (empty when all is well). */
  failures: string[];
}

interface Seed {
  link: number;
  frame: Uint8Array;
  l3: number;
  l4: number;
}

const BATCH = 256;
const SLOT = 2048; // bytes per frame slot in the batch data

/** Seeds that reach the rarer paths: a long extension chain, IPv4 options, fragments. */
function specialSeeds(core: PacketCore, g: Gen): GenCase[] {
  const out: GenCase[] = [];
  // Ten destination-options headers: over the extension-header limit.
  const chain = new Uint8Array(80);
  for (let i = 0; i < 10; i++) chain[8 * i] = 60;
  out.push({
    what: "ext-limit",
    link: LinkType.RAW,
    frame: core.buildUdp({
      src: g.v6(),
      dst: g.v6(),
      srcPort: 1,
      dstPort: 2,
      linkType: LinkType.RAW,
      ipv6Extensions: { first: 60, bytes: chain },
    }),
    expect: {},
  });
  out.push({
    what: "ip-options",
    link: LinkType.EN10MB,
    frame: core.buildTcp({
      src: g.u32(),
      dst: g.u32(),
      srcPort: 1,
      dstPort: 2,
      ipOptions: new Uint8Array([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]),
    }),
    expect: {},
  });
  return out;
}

/** Seed corpus: valid frames of every kind on every link type. */
function corpus(core: PacketCore, g: Gen, n: number): Seed[] {
  const seeds: Seed[] = [];
  const batch = core.frameBatch(1, 70000);
  const add = (c: GenCase) => {
    batch.data.set(c.frame, 0);
    batch.index.set([0, c.frame.length, 0, 0]);
    const r = core.parseBatch(batch, 1, c.link, { verifyChecksums: false });
    seeds.push({ link: c.link, frame: c.frame, l3: r.l3Offset(0), l4: r.l4Offset(0) });
  };
  for (let i = 0; i < n; i++) add(g.any());
  for (const c of specialSeeds(core, g)) add(c);
  return seeds;
}

function put16(b: Uint8Array, o: number, v: number) {
  if (o + 1 < b.length) {
    b[o] = (v >> 8) & 255;
    b[o + 1] = v & 255;
  }
}

/** One mutation of a seed (or a fresh random frame). */
function mutate(g: Gen, s: Seed): Uint8Array {
  const op = g.int(12);
  let f: Uint8Array = s.frame.slice(0, Math.min(s.frame.length, SLOT));
  const at = () => g.int(Math.max(f.length, 1));
  switch (op) {
    case 0: // bit flips
      for (let k = 1 + g.int(8); k > 0 && f.length; k--) f[at()]! ^= 1 << g.int(8);
      break;
    case 1: // byte overwrites
      for (let k = 1 + g.int(4); k > 0 && f.length; k--) f[at()] = g.u8();
      break;
    case 2: // truncation anywhere
      f = f.slice(0, at());
      break;
    case 3: { // truncation with the IP length fields rewritten to match
      const cut = s.l3 + g.int(Math.max(f.length - s.l3, 1));
      f = f.slice(0, cut);
      const v = (f[s.l3] ?? 0) >> 4;
      if (v === 4) put16(f, s.l3 + 2, cut - s.l3);
      if (v === 6) put16(f, s.l3 + 4, Math.max(cut - s.l3 - 40, 0));
      break;
    }
    case 4: { // a lying length field
      const v = (f[s.l3] ?? 0) >> 4;
      const lie = g.bool() ? g.u16() : g.int(80);
      const which = g.int(7);
      if (which === 0 && v === 4) put16(f, s.l3 + 2, lie);
      else if (which === 1 && v === 4) f[s.l3] = 0x40 | g.int(16);
      else if (which === 1 && v === 6) put16(f, s.l3 + 4, lie);
      else if (which === 2 && s.l4) f[s.l4 + 12] = (g.int(16) << 4) | ((f[s.l4 + 12] ?? 0) & 15);
      else if (which === 3 && s.l4) put16(f, s.l4 + 4, lie); // UDP length
      else if (which === 4 && v === 6) f[s.l3 + 41] = g.u8(); // first extension length
      else if (which === 5 && s.l4) f[s.l4 + 8] = g.bool() ? 0x40 | g.int(16) : g.u8(); // quote
      else if (s.l4 + 20 < f.length) {
        f[s.l4 + 20 + g.int(Math.min(20, f.length - s.l4 - 20))] = g.u8();
      }
      break;
    }
    case 5: { // garbage into the ICMP quote / payload
      const from = s.l4 ? s.l4 + 8 : s.l3;
      for (let i = from; i < f.length; i++) if (g.r() < 0.3) f[i] = g.u8();
      break;
    }
    case 6: { // appended garbage
      const tail = g.bytes(g.int(64));
      const nf = new Uint8Array(Math.min(f.length + tail.length, SLOT));
      nf.set(f);
      nf.set(tail.subarray(0, nf.length - f.length), f.length);
      f = nf;
      break;
    }
    case 7: // a random frame
      f = g.bytes(g.int(g.bool() ? 80 : 400));
      break;
    case 8: // fragment offset / flags
      if (((f[s.l3] ?? 0) >> 4) === 4) put16(f, s.l3 + 6, g.u16());
      else f[at()] = g.u8();
      break;
    case 9: // version nibble
      if (s.l3 < f.length) f[s.l3] = (g.int(16) << 4) | ((f[s.l3] ?? 0) & 15);
      break;
    case 10: { // NDP / option length bytes to 0 or large
      if (s.l4 && s.l4 + 25 < f.length) f[s.l4 + 25] = g.pick([0, 1, 2, 255]);
      else f[at()] = 0;
      break;
    }
    default: // several mutations stacked
      return mutate(g, { ...s, frame: mutate(g, { ...s, frame: mutate(g, s) }) });
  }
  return f;
}

/** Runs `cases` fuzz cases from `seed`; `progress` is called after each batch. */
export function fuzz(
  core: PacketCore,
  seed: number,
  cases: number,
  progress?: (done: number) => void,
): FuzzReport {
  const g = new Gen(core, rng(seed));
  const seeds = corpus(core, g, 600);
  const batch = core.frameBatch(BATCH, BATCH * SLOT);
  const byStatus = new Array<number>(PARSE_ERROR_COUNT).fill(0);
  const failures: string[] = [];
  const mem = new Uint8Array(core.memory.buffer);
  const snapshot = new Uint8Array(BATCH * 256);
  const frames: Uint8Array[] = new Array(BATCH);
  const links = [...new Set(seeds.map((s) => s.link))];
  let done = 0;
  while (done < cases && failures.length < 20) {
    const n = Math.min(BATCH, cases - done);
    // One link type per batch; sometimes frames of another link, or an unknown link type.
    const link = g.r() < 0.03 ? g.pick([2, 9, 105, 127, 999, 0xffffffff]) : g.pick(links);
    const pool = seeds.filter((s) => s.link === link);
    for (let i = 0; i < n; i++) {
      const s = pool.length && g.r() < 0.95 ? g.pick(pool) : g.pick(seeds);
      frames[i] = mutate(g, s);
    }
    const verifyChecksums = g.bool();
    const badFirst = g.r() < 0.05 ? 11 + g.int(100) : 0;
    const badLast = g.r() < 0.02;
    // Pass 1: surroundings 0x00; pass 2: 0xff. Records must not change.
    for (let pass = 0; pass < 2; pass++) {
      batch.data.fill(pass ? 0xff : 0x00);
      for (let i = 0; i < n; i++) {
        const f = frames[i]!;
        // Frames end at the end of their slot so a read past caplen sees the next slot.
        const off = i * SLOT + SLOT - f.length;
        batch.data.set(f, off);
        batch.index.set([off, f.length, i, pass], 4 * i);
      }
      // A few index entries that point outside the data.
      if (badFirst) batch.index.set([batch.data.length - 10, badFirst, 0, 0], 0);
      if (badLast) batch.index.set([0xfffffff0, 0x20, 0, 0], 4 * (n - 1));
      const r = core.parseBatch(batch, n, link, { verifyChecksums });
      if (pass === 0) {
        snapshot.set(mem.subarray(r.recordAddress(0), r.recordAddress(n)));
        continue;
      }
      for (let i = 0; i < n; i++) {
        const st = r.status(i);
        if (st >= PARSE_ERROR_COUNT) failures.push(`status ${st} out of range`);
        else byStatus[st]!++;
        const caplen = batch.index[4 * i + 1]!;
        if (r.payloadOffset(i) + r.payloadLength(i) > caplen && st !== 1) {
          failures.push(`payload outside frame: ${r.payloadOffset(i)}+${r.payloadLength(i)}`);
        }
        if (r.l4Offset(i) > caplen || r.l3Offset(i) > caplen) failures.push("offset outside frame");
        if (r.tcpOptions(i).length !== mem[r.recordAddress(i) + 80]) {
          failures.push("TCP options outside frame");
        }
        // Everything but the timestamps must be equal across the two passes.
        const a = r.recordAddress(i);
        for (let k = 0; k < 256; k++) {
          if (k >= 172 && k < 180) continue;
          if (mem[a + k] !== snapshot[i * 256 + k]) {
            failures.push(
              `record ${i} byte ${k} depends on bytes outside the frame (link ${link})`,
            );
            break;
          }
        }
      }
    }
    done += n;
    progress?.(done);
  }
  return { cases: done, byStatus, failures };
}
