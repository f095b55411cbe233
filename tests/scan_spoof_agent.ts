/**
 * The target-side half of tests/scan_spoof_test.ts, run inside the target's
 * namespace: it watches for SYN probes to two ports the target's firewall
 * drops and answers each with a forged SYN-ACK — with the right ack
 * (probe seq + 1) for `goodPort`, and a wrong one (seq + 2) for `badPort`.
 * A scanner that checks replies against its probes reports goodPort open
 * and badPort filtered.
 *
 *     deno run -A tests/scan_spoof_agent.ts GOOD_PORT BAD_PORT DIR
 *
 * Writes DIR/ready once capturing; exits when DIR/stop appears (or after
 * 120 s), printing how many replies it forged.
 */

import { Pcap, RawIpSender } from "../ffi/mod.ts";
import { Kind, packetCore, ParseError } from "../core-wasm/mod.ts";

const [good, bad, dir] = [Number(Deno.args[0]), Number(Deno.args[1]), Deno.args[2]!];
const core = packetCore();
const pcap = Pcap.open("any", {
  filter: `tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0 and ` +
    `(dst port ${good} or dst port ${bad})`,
  direction: "in",
  snaplen: 256,
});
const sender = RawIpSender.open();
const batch = core.frameBatch(64, 64 * 300);
const dlt = pcap.datalink();
await Deno.writeTextFile(`${dir}/ready`, "");
let forged = 0;
const deadline = performance.now() + 120_000;
const stopped = async () => {
  try {
    await Deno.stat(`${dir}/stop`);
    return true;
  } catch {
    return false;
  }
};
while (performance.now() < deadline && !(await stopped())) {
  const n = pcap.receiveBatch(batch, 64);
  if (n === 0) {
    await pcap.waitReadable(50);
    continue;
  }
  const rec = core.parseBatch(batch, n, dlt);
  for (let i = 0; i < n; i++) {
    if (rec.status(i) !== ParseError.OK || rec.kind(i) !== Kind.TCP || rec.family(i) !== 4) {
      continue;
    }
    const dport = rec.dstPort(i);
    const seq = rec.seq(i);
    const ack = (seq + (dport === good ? 1 : 2)) >>> 0;
    sender.send(core.buildTcp({
      linkType: 12,
      src: rec.dstV4(i),
      dst: rec.srcV4(i),
      srcPort: dport,
      dstPort: rec.srcPort(i),
      seq: 0x1234_5678,
      ack,
      flags: 0x12, // SYN+ACK
      window: 64240,
      ttl: 64,
    }));
    forged++;
  }
}
pcap.close();
sender.close();
console.log(`forged ${forged}`);
