/**
 * Packet core throughput: `deno bench core-wasm/core_bench.ts` (no permissions).
 * Each iteration handles a batch of frames, named "(batch N)" in the bench name (bench/micro.ts
 * reads it), so frames/s = N / (time per iteration).
 *
 * @module
 */

import { LinkType, nmapInit, packetCore, TcpFlag } from "./mod.ts";

const BATCH = 4096;
const core = packetCore();

function synTemplate(family: 4 | 6) {
  const t = core.probeTemplate({
    protocol: "tcp",
    srcMac: "02:00:00:00:00:01",
    dstMac: "02:00:00:00:00:02",
    src: family === 4 ? "10.0.0.1" : "fd00::1",
    dst: family === 4 ? "10.0.0.2" : "fd00::2",
    srcPort: 40000,
    dstPort: 80,
    flags: TcpFlag.SYN,
    window: 1024,
    options: [{ kind: "mss", value: 1460 }],
    capacity: BATCH,
  });
  for (let i = 0; i < BATCH; i++) {
    t.dstV4[i] = (0x0a000000 + i * 2654435761) >>> 0;
    t.dstV6.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 24, i >> 16, i >> 8, i], 16 * i);
    t.dstPort[i] = (i * 7) & 0xffff;
    t.srcPort[i] = 40000 + (i & 1023);
    t.seq[i] = (i * 0x9e3779b9) >>> 0;
    t.ipId[i] = i & 0xffff;
  }
  return t;
}

function synAckBatch(family: 4 | 6) {
  const batch = core.frameBatch(BATCH, BATCH * 96);
  let off = 0;
  for (let i = 0; i < BATCH; i++) {
    const f = core.buildTcp({
      srcMac: "02:00:00:00:00:02",
      dstMac: "02:00:00:00:00:01",
      src: family === 4 ? (0x0a000000 + i) >>> 0 : "fd00::2",
      dst: family === 4 ? "10.0.0.1" : "fd00::1",
      srcPort: 80,
      dstPort: 40000 + (i & 1023),
      seq: (i * 2654435761) >>> 0,
      ack: (i * 0x9e3779b9 + 1) >>> 0,
      flags: TcpFlag.SYN | TcpFlag.ACK,
      window: 64240,
      df: true,
      options: [
        { kind: "mss", value: 1460 },
        { kind: "sackOk" },
        { kind: "timestamp", tsval: i, tsecr: 1 },
        { kind: "nop" },
        { kind: "wscale", value: 7 },
      ],
    });
    batch.data.set(f, off);
    batch.index.set([off, f.length, 0, 0], 4 * i);
    off += f.length;
  }
  return batch;
}

const t4 = synTemplate(4);
const t6 = synTemplate(6);
const b4 = synAckBatch(4);
const b6 = synAckBatch(6);
const u = core.probeTemplate({
  protocol: "udp",
  src: "10.0.0.1",
  dst: "10.0.0.2",
  srcPort: 40000,
  dstPort: 53,
  payload: new Uint8Array(40),
  capacity: BATCH,
});

Deno.bench(
  `template: TCP SYN probes, IPv4/Ethernet (batch ${BATCH})`,
  { group: "build", baseline: true },
  () => {
    core.emitBatch(t4, BATCH);
  },
);
Deno.bench(`template: TCP SYN probes, IPv6/Ethernet (batch ${BATCH})`, { group: "build" }, () => {
  core.emitBatch(t6, BATCH);
});
const y = core.probeTemplate({
  protocol: "sctp",
  srcMac: "02:00:00:00:00:01",
  dstMac: "02:00:00:00:00:02",
  src: "10.0.0.1",
  dst: "10.0.0.2",
  srcPort: 40000,
  dstPort: 80,
  chunks: [nmapInit(0, 1)],
  capacity: BATCH,
});
for (let i = 0; i < BATCH; i++) {
  y.dstV4[i] = (0x0a000000 + i * 2654435761) >>> 0;
  y.dstPort[i] = (i * 7) & 0xffff;
  y.srcPort[i] = 40000 + (i & 1023);
  y.ack[i] = (i * 0x9e3779b9) >>> 0;
}

Deno.bench(
  `template: SCTP INIT probes (a whole CRC32c each), IPv4/Ethernet (batch ${BATCH})`,
  { group: "build" },
  () => {
    core.emitBatch(y, BATCH);
  },
);
Deno.bench(
  `template: UDP probes with 40-byte payload, IPv4 (batch ${BATCH})`,
  { group: "build" },
  () => {
    core.emitBatch(u, BATCH);
  },
);
Deno.bench(`parseBatch: SYN-ACKs, IPv4, checksums verified (batch ${BATCH})`, {
  group: "parse",
  baseline: true,
}, () => {
  core.parseBatch(b4, BATCH, LinkType.EN10MB);
});
Deno.bench(
  `parseBatch: SYN-ACKs, IPv4, no checksum check (batch ${BATCH})`,
  { group: "parse" },
  () => {
    core.parseBatch(b4, BATCH, LinkType.EN10MB, { verifyChecksums: false });
  },
);
Deno.bench(
  `parseBatch: SYN-ACKs, IPv6, checksums verified (batch ${BATCH})`,
  { group: "parse" },
  () => {
    core.parseBatch(b6, BATCH, LinkType.EN10MB);
  },
);
