/**
 * The -sU driver (udp.ts) end to end over a fake raw session: the probes the
 * core builds are parsed back, a simulated host answers them (rate-limited
 * ICMP quoting the probe, UDP services, TFTP answering from a fresh port and
 * DHCP to port 68, which prove nothing as in nmap, a router's
 * host-unreachable), and forged replies test that only what quotes or echoes
 * our cookies counts. Real time, small and fast limits; no permissions needed.
 */

import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { LinkType, packetCore, type ParsedRecords } from "../../core-wasm/mod.ts";
import { Kind } from "../../core-wasm/mod.ts";
import { ScanHost } from "../engine/host.ts";
import type { PortResult } from "../model/mod.ts";
import { udpScanSession, type UdpSession } from "./udp.ts";
import { SimLinuxTarget } from "../../tests/testing/udp_sim.ts";
import { fakeEngineContext, FakeRawSession } from "../../tests/testing/fake_session.ts";

const core = packetCore();
const US = "10.0.0.1";
const ROUTER = "10.0.0.254";
const num4 = (s: string) => s.split(".").reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);

interface Behaviour {
  /** "closed" ports answer ICMP through the limiter; others as named. */
  [port: number]: "open" | "silent" | "tftp" | "dhcp" | "router" | undefined;
}

/** The simulated hosts behind a fake raw session (tests/testing/fake_session.ts). */
class FakeSession extends FakeRawSession implements UdpSession {
  forged = 0;

  constructor(readonly targets: Map<number, { behaviour: Behaviour; sim: SimLinuxTarget }>) {
    super(US, "10.0.0.2", 0.2);
  }

  protected answer(recs: ParsedRecords, i: number, now: number): Uint8Array[] {
    const t = this.targets.get(recs.dstV4(i));
    if (!t || recs.kind(i) !== Kind.UDP) return [];
    const dport = recs.dstPort(i), sport = recs.srcPort(i);
    const dst = recs.dstV4(i);
    const probe = recs.frame(i).slice(recs.l3Offset(i));
    const target = `${dst >>> 24}.${(dst >> 16) & 255}.${(dst >> 8) & 255}.${dst & 255}`;
    const udp = (from: number, to: number, src = target) =>
      core.buildUdp({
        src,
        dst: US,
        srcPort: from,
        dstPort: to,
        payload: Uint8Array.of(1),
        linkType: LinkType.RAW,
      });
    const icmp = (src: string, code: number, quote = probe) =>
      core.buildIcmp({
        src,
        dst: US,
        type: 3,
        code,
        payload: quote.subarray(0, 576 - 28),
        linkType: LinkType.RAW,
      });
    // First, forgeries a blind attacker could send for any port: a reply
    // to another source port, and an ICMP error quoting a probe from
    // another source port. Neither may decide anything.
    // (Our source port is the cookie plus the try number: sport + 1 would
    // name the next try, so the forgery picks a port no try could use.)
    const forged = probe.slice();
    const other = (sport + 7919) % 65536;
    forged[20] = other >> 8;
    forged[21] = other & 255;
    const out: Uint8Array[] = [udp(dport, other), icmp(target, 3, forged)];
    this.forged += 2;
    const b = t.behaviour[dport];
    if (b === "open") out.push(udp(dport, sport));
    else if (b === "tftp") out.push(udp(40_123, sport));
    else if (b === "dhcp") out.push(udp(67, 68));
    else if (b === "router") out.push(icmp(ROUTER, 1));
    else if (b !== "silent" && t.sim.icmpAllowed(now)) out.push(icmp(target, 3));
    return out;
  }
}

function byPort(rs: PortResult[]): Record<number, string> {
  return Object.fromEntries(rs.map((r) => [r.port, `${r.state} ${r.reason}`]));
}

Deno.test("udp driver: states and reasons from a simulated host over a fake session", async () => {
  const ports = [7, 53, 67, 69, 123, 161, ...Array.from({ length: 24 }, (_, i) => 2000 + i)];
  const behaviour: Behaviour = { 7: "router", 53: "open", 67: "dhcp", 69: "tftp", 161: "silent" };
  const sim = new SimLinuxTarget({ peerRatelimitMs: 20, peerBurst: 6 });
  const session = new FakeSession(new Map([[num4("10.0.0.2"), { behaviour, sim }]]));
  const ctx = fakeEngineContext(["-sU", "-T4", "-p", ports.join(","), "10.0.0.2"]);
  const host = new ScanHost({ address: "10.0.0.2", family: 4, otherAddresses: [] }, ctx.jar);
  const done: string[] = [];
  const table = await udpScanSession(ctx, session, [host], ports, {
    hostDone: (h, i, t, timedOut) => done.push(`${h.address} ${i} ${t.decided(i)} ${timedOut}`),
  });
  assertEquals(done, [`10.0.0.2 0 ${ports.length} false`]);
  const got = byPort(table.results(0));
  const want: Record<number, string> = {
    7: "filtered host-unreach",
    53: "open udp-response",
    // As in nmap: replies from or to another port than the probe's prove nothing.
    67: "open|filtered no-response",
    69: "open|filtered no-response",
    123: "closed port-unreach",
    161: "open|filtered no-response",
  };
  for (let p = 2000; p < 2024; p++) want[p] = "closed port-unreach";
  assertEquals(got, want);
  const r7 = table.results(0).find((r) => r.port === 7)!;
  assertEquals(r7.reasonAddr, ROUTER);
  assertEquals(table.results(0).find((r) => r.port === 123)!.reasonTtl, 64);
  assert(session.forged > 0, "forgeries were sent and ignored");
  // 25 closed ports at 20 ms a token after a burst of 6: the limiter was hit and paced.
  assert(sim.icmpSuppressed > 0, "the limiter refused some probes");
});

Deno.test("udp driver: many hosts on one session, each with its own limiter", async () => {
  const ports = [53, ...Array.from({ length: 12 }, (_, i) => 3000 + i)];
  const addrs = ["10.0.0.2", "10.0.0.3", "10.0.0.4"];
  const targets = new Map(addrs.map((a, k) => [
    num4(a),
    {
      behaviour: (k === 1 ? { 53: "open", 3005: "silent" } : {}) as Behaviour,
      sim: new SimLinuxTarget({ peerRatelimitMs: 10 * (k + 1), peerBurst: 3 }),
    },
  ]));
  const session = new FakeSession(targets);
  const ctx = fakeEngineContext(["-sU", "-T4", "-p", ports.join(","), ...addrs]);
  const hosts = addrs.map((a) =>
    new ScanHost({ address: a, family: 4, otherAddresses: [] }, ctx.jar)
  );
  const table = await udpScanSession(ctx, session, hosts, ports);
  for (let h = 0; h < 3; h++) {
    const got = byPort(table.results(h));
    for (const p of ports) {
      const want = h === 1 && p === 53
        ? "open udp-response"
        : h === 1 && p === 3005
        ? "open|filtered no-response"
        : "closed port-unreach";
      assertEquals(got[p], want, `${addrs[h]}:${p}`);
    }
  }
});
