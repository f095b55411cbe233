// masscan-style templates: a frame built once, then per probe only destination address,
// ports, sequence/ack, IP ID or ICMP id/seq are written and the checksums updated.
//
// The template keeps every per-probe field zero, and its checksum bases are the folded sums
// of that zeroed frame (pseudo-header included). A probe's checksum is then
// ~(base + Σ new words): RFC 1624 eqn. 3 with m = 0, so no full sum per probe.

import { ld16, ld32, st16, st32 } from "./mem";
import { allocRegion } from "./mem";
import { fold, sumBytes, term16 } from "./checksum";
import { buildFrame, BUILD_BAD_SPEC, BUILD_NO_ROOM } from "./emit";
import { setFrame } from "./context";
import { parseFrame } from "./parse";
import {
  E_OK, INDEX_STRIDE, KIND_ICMP4, KIND_ICMP6, KIND_SCTP, KIND_TCP, KIND_UDP, REC_DST_V4, REC_DST_V6,
  REC_FAMILY, REC_ICMP_ID, REC_ICMP_SEQ, REC_ICMP_TYPE, REC_IP_ID, REC_KIND, REC_L3_OFF,
  REC_L4_OFF, REC_SIZE, REC_ACK, REC_SEQ, REC_SRC_PORT, REC_DST_PORT, REC_FLAGS, FLAG_BAD_CSUM,
  FLAG_ADLER32,
} from "./layout";
import { hasIdSeq } from "./icmpv4";
import { DST_ADDR, sourceRouteSlot } from "./ipv4";
import { CHECKSUM as SCTP_CHECKSUM, CHUNK_INIT, HEADER_LEN as SCTP_HEADER_LEN, INIT_TAG,
  sctpAdler32, sctpChecksum } from "./sctp";

// Template struct fields (u32 each).
export const T_FRAME: u32 = 0;
export const T_LEN: u32 = 4;
export const T_CAP: u32 = 8;
export const T_STRIDE: u32 = 12;
export const T_OUT: u32 = 16;
export const T_OUT_INDEX: u32 = 20;
export const T_KIND: u32 = 24;
export const T_FAMILY: u32 = 28;
export const T_IP_OFF: u32 = 32;
export const T_L4_OFF: u32 = 36;
export const T_IP_BASE: u32 = 40;
export const T_L4_BASE: u32 = 44;
export const T_DST4: u32 = 48;
export const T_DST6: u32 = 52;
export const T_SPORT: u32 = 56;
export const T_DPORT: u32 = 60;
export const T_SEQ: u32 = 64;
export const T_ACK: u32 = 68;
export const T_IPID: u32 = 72;
export const T_ICMP_ID: u32 = 76;
export const T_ICMP_SEQ: u32 = 80;
/** IPv4: where the destination goes (16, or a source route's last slot; ipv4.ts). */
export const T_DST_AT: u32 = 84;
export const T_SIZE: u32 = 96;

export const TEMPLATE_UNSUPPORTED: i32 = -3;

// SCTP templates: bits of T_L4_BASE.
const SCTP_BAD_CRC: u32 = 1;
const SCTP_HAS_INIT: u32 = 2;
const SCTP_ADLER32: u32 = 4;

const SCRATCH_LEN: u32 = 65536 + 64;
const scratch = memory.data(SCRATCH_LEN, 16);
const scratchRec = memory.data(REC_SIZE, 16);

@inline function field(t: usize, f: u32): u32 {
  return load<u32>(t + f);
}

/**
 * Builds a template for `spec` on link `link` with room for `cap` probes per batch. Returns the
 * template struct address, or BUILD_NO_ROOM (memory map exhausted), BUILD_BAD_SPEC, or
 * TEMPLATE_UNSUPPORTED (only TCP, UDP, SCTP, ICMP/ICMPv6 echo-style messages are templated).
 * SCTP: `seq` is the verification tag and `ack` the initiate tag of a first INIT chunk; its
 * CRC32c cannot be updated incrementally, so each probe's is computed whole (a 32-byte INIT).
 */
export function templateCreate(spec: usize, link: u32, cap: u32): i32 {
  const kind = <u32>load<u8>(spec + REC_KIND);
  const family = <u32>load<u8>(spec + REC_FAMILY);
  const icmpType = <u32>load<u8>(spec + REC_ICMP_TYPE);
  if (kind == KIND_ICMP4 && !hasIdSeq(icmpType)) return TEMPLATE_UNSUPPORTED;
  if (kind == KIND_ICMP6 && icmpType != 128 && icmpType != 129) return TEMPLATE_UNSUPPORTED;
  if (kind != KIND_TCP && kind != KIND_UDP && kind != KIND_SCTP && kind != KIND_ICMP4 &&
    kind != KIND_ICMP6) {
    return TEMPLATE_UNSUPPORTED;
  }
  if (cap == 0 || cap > 0x1000000) return BUILD_BAD_SPEC;
  const len = buildFrame(spec, link, scratch, SCRATCH_LEN);
  if (len < 0) return len;
  // Locate the headers by parsing what we built.
  setFrame(scratch, false);
  memory.fill(scratchRec, 0, REC_SIZE);
  if (parseFrame(scratch, <u32>len, scratchRec, link) != E_OK) return BUILD_BAD_SPEC;
  const ipOff = <u32>load<u16>(scratchRec + REC_L3_OFF);
  const l4Off = <u32>load<u16>(scratchRec + REC_L4_OFF);
  const stride = (<u32>len + 15) & ~15;
  if (<u64>stride * <u64>cap > 0x40000000) return BUILD_NO_ROOM;

  const t = allocRegion(T_SIZE);
  const frame = allocRegion(<u32>len);
  const out = allocRegion(stride * cap);
  const index = allocRegion(INDEX_STRIDE * cap);
  const dst4 = allocRegion(4 * cap);
  const dst6 = allocRegion(16 * cap);
  const sport = allocRegion(2 * cap);
  const dport = allocRegion(2 * cap);
  const seq = allocRegion(4 * cap);
  const ack = allocRegion(4 * cap);
  const ipid = allocRegion(2 * cap);
  const icmpId = allocRegion(2 * cap);
  const icmpSeq = allocRegion(2 * cap);
  if (t == 0 || frame == 0 || out == 0 || index == 0 || dst4 == 0 || dst6 == 0 || sport == 0 ||
    dport == 0 || seq == 0 || ack == 0 || ipid == 0 || icmpId == 0 || icmpSeq == 0) {
    return BUILD_NO_ROOM;
  }
  store<u32>(t + T_FRAME, <u32>frame);
  store<u32>(t + T_LEN, <u32>len);
  store<u32>(t + T_CAP, cap);
  store<u32>(t + T_STRIDE, stride);
  store<u32>(t + T_OUT, <u32>out);
  store<u32>(t + T_OUT_INDEX, <u32>index);
  store<u32>(t + T_KIND, kind);
  store<u32>(t + T_FAMILY, family);
  store<u32>(t + T_IP_OFF, ipOff);
  store<u32>(t + T_L4_OFF, l4Off);
  store<u32>(t + T_DST4, <u32>dst4);
  store<u32>(t + T_DST6, <u32>dst6);
  store<u32>(t + T_SPORT, <u32>sport);
  store<u32>(t + T_DPORT, <u32>dport);
  store<u32>(t + T_SEQ, <u32>seq);
  store<u32>(t + T_ACK, <u32>ack);
  store<u32>(t + T_IPID, <u32>ipid);
  store<u32>(t + T_ICMP_ID, <u32>icmpId);
  store<u32>(t + T_ICMP_SEQ, <u32>icmpSeq);

  // Per-probe inputs start as the spec's values, so unused arrays keep the template's.
  const r = scratchRec;
  for (let i: u32 = 0; i < cap; i++) {
    store<u32>(dst4 + 4 * i, load<u32>(spec + REC_DST_V4)); // not the parsed one: a source route's
    memory.copy(dst6 + 16 * i, r + REC_DST_V6, 16);
    store<u16>(sport + 2 * i, load<u16>(r + REC_SRC_PORT));
    store<u16>(dport + 2 * i, load<u16>(r + REC_DST_PORT));
    store<u32>(seq + 4 * i, load<u32>(r + REC_SEQ));
    store<u32>(ack + 4 * i, load<u32>(r + REC_ACK));
    store<u16>(ipid + 2 * i, load<u16>(r + REC_IP_ID));
    store<u16>(icmpId + 2 * i, load<u16>(r + REC_ICMP_ID));
    store<u16>(icmpSeq + 2 * i, load<u16>(r + REC_ICMP_SEQ));
    const e = index + INDEX_STRIDE * i;
    store<u32>(e, stride * i);
    store<u32>(e, <u32>len, 4);
    store<u32>(e, 0, 8);
    store<u32>(e, 0, 12);
  }

  // Zero every per-probe field, then take the checksum bases.
  const ip = scratch + ipOff;
  const l4 = scratch + l4Off;
  const l4Len = <u32>len - l4Off;
  let csumOff: u32;
  let proto: u32;
  if (family == 4) {
    const at = sourceRouteSlot(spec);
    store<u32>(t + T_DST_AT, at != 0 ? at : DST_ADDR);
    st32(ip + (at != 0 ? at : DST_ADDR), 0);
    st16(ip + 4, 0);
    st16(ip + 10, 0);
    store<u32>(t + T_IP_BASE, fold(sumBytes(ip, (<u32>load<u8>(ip) & 15) << 2, 0)));
  } else {
    memory.fill(ip + 24, 0, 16);
  }
  if (kind == KIND_SCTP) {
    // No sum to keep: T_L4_BASE holds SCTP_BAD_CRC and SCTP_HAS_INIT instead.
    const init = l4Len >= SCTP_HEADER_LEN + INIT_TAG + 4 &&
      <u32>load<u8>(l4 + SCTP_HEADER_LEN) == CHUNK_INIT;
    const bad = (load<u16>(spec + REC_FLAGS) & FLAG_BAD_CSUM) != 0;
    const adler = (load<u16>(spec + REC_FLAGS) & FLAG_ADLER32) != 0;
    store<u32>(t + T_L4_BASE, (bad ? SCTP_BAD_CRC : 0) | (init ? SCTP_HAS_INIT : 0) |
      (adler ? SCTP_ADLER32 : 0));
    memory.copy(frame, scratch, <u32>len);
    return <i32>t;
  }
  if (kind == KIND_TCP) {
    st16(l4, 0);
    st16(l4 + 2, 0);
    st32(l4 + 4, 0);
    st32(l4 + 8, 0);
    csumOff = 16;
    proto = 6;
  } else if (kind == KIND_UDP) {
    st16(l4, 0);
    st16(l4 + 2, 0);
    csumOff = 6;
    proto = 17;
  } else {
    st16(l4 + 4, 0);
    st16(l4 + 6, 0);
    csumOff = 2;
    proto = 58;
  }
  st16(l4 + csumOff, 0);
  let acc = sumBytes(l4, l4Len, 0);
  if (kind != KIND_ICMP4) {
    acc = sumBytes(ip + (family == 4 ? 12 : 8), family == 4 ? 4 : 16, acc);
    acc += term16(proto) + term16(l4Len);
  }
  // --badsum: every probe's checksum one off, as the builder makes it (tcp.ts, udp.ts).
  if (kind == KIND_TCP || kind == KIND_UDP) {
    if ((load<u16>(spec + REC_FLAGS) & FLAG_BAD_CSUM) != 0) acc += term16(1);
  }
  store<u32>(t + T_L4_BASE, fold(acc));
  memory.copy(frame, scratch, <u32>len);
  return <i32>t;
}

@inline function finish(s: u32): u32 {
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

/** Writes probes 0..n-1 into the template's output region; returns n (clamped to capacity). */
export function emitBatch(t: usize, n: u32): u32 {
  const cap = field(t, T_CAP);
  if (n > cap) n = cap;
  const frame = <usize>field(t, T_FRAME);
  const len = field(t, T_LEN);
  const stride = field(t, T_STRIDE);
  const kind = field(t, T_KIND);
  const v4 = field(t, T_FAMILY) == 4;
  const ipOff = field(t, T_IP_OFF);
  const l4Off = field(t, T_L4_OFF);
  const ipBase = field(t, T_IP_BASE);
  const dstAt = field(t, T_DST_AT);
  const l4Base = field(t, T_L4_BASE);
  const dst4 = <usize>field(t, T_DST4);
  const dst6 = <usize>field(t, T_DST6);
  const sport = <usize>field(t, T_SPORT);
  const dport = <usize>field(t, T_DPORT);
  const seq = <usize>field(t, T_SEQ);
  const ack = <usize>field(t, T_ACK);
  const ipid = <usize>field(t, T_IPID);
  const icmpId = <usize>field(t, T_ICMP_ID);
  const icmpSeq = <usize>field(t, T_ICMP_SEQ);
  const index = <usize>field(t, T_OUT_INDEX);
  let o = <usize>field(t, T_OUT);
  for (let i: u32 = 0; i < n; i++, o += stride) {
    // The index is rewritten each time, so callers may reorder or trim it between batches.
    const e = index + (i << 4);
    store<u32>(e, i * stride);
    store<u32>(e, len, 4);
    store<u64>(e, 0, 8);
    memory.copy(o, frame, len);
    const ip = o + ipOff;
    const l4 = o + l4Off;
    let addrWords: u32;
    if (v4) {
      const d = load<u32>(dst4 + (i << 2));
      const id = <u32>load<u16>(ipid + (i << 1));
      st32(ip + dstAt, d);
      st16(ip + 4, id);
      addrWords = (d >>> 16) + (d & 0xffff);
      st16(ip + 10, finish(ipBase + addrWords + id));
    } else {
      const src = dst6 + (i << 4);
      store<u64>(ip + 24, load<u64>(src));
      store<u64>(ip + 32, load<u64>(src, 8));
      addrWords = fold(sumBytes(src, 16, 0));
    }
    if (kind == KIND_TCP) {
      const sp = <u32>load<u16>(sport + (i << 1));
      const dp = <u32>load<u16>(dport + (i << 1));
      const sq = load<u32>(seq + (i << 2));
      const ak = load<u32>(ack + (i << 2));
      st16(l4, sp);
      st16(l4 + 2, dp);
      st32(l4 + 4, sq);
      st32(l4 + 8, ak);
      st16(l4 + 16, finish(l4Base + addrWords + sp + dp + (sq >>> 16) + (sq & 0xffff) +
        (ak >>> 16) + (ak & 0xffff)));
    } else if (kind == KIND_SCTP) {
      st16(l4, <u32>load<u16>(sport + (i << 1)));
      st16(l4 + 2, <u32>load<u16>(dport + (i << 1)));
      st32(l4 + 4, load<u32>(seq + (i << 2)));
      if (l4Base & SCTP_HAS_INIT) st32(l4 + SCTP_HEADER_LEN + INIT_TAG, load<u32>(ack + (i << 2)));
      const sum = l4Base & SCTP_ADLER32 ? sctpAdler32(l4, len - l4Off) : sctpChecksum(l4, len - l4Off);
      store<u32>(l4 + SCTP_CHECKSUM, sum ^ (l4Base & SCTP_BAD_CRC));
    } else if (kind == KIND_UDP) {
      const sp = <u32>load<u16>(sport + (i << 1));
      const dp = <u32>load<u16>(dport + (i << 1));
      st16(l4, sp);
      st16(l4 + 2, dp);
      const c = finish(l4Base + addrWords + sp + dp);
      st16(l4 + 6, c == 0 ? 0xffff : c);
    } else {
      const id = <u32>load<u16>(icmpId + (i << 1));
      const sq = <u32>load<u16>(icmpSeq + (i << 1));
      st16(l4 + 4, id);
      st16(l4 + 6, sq);
      st16(l4 + 2, finish(l4Base + (kind == KIND_ICMP6 ? addrWords : 0) + id + sq));
    }
  }
  return n;
}
