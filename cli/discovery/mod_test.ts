/**
 * Raw host discovery (mod.ts) over a fake network, with no permissions: nmap's default pings as
 * root (ICMP echo, SYN to 443, ACK to 80, timestamp) go out through a fake raw session, some
 * hosts answer one of them and some answer none. Exactly the answering hosts are up, each with
 * nmap's reason; replies a blind attacker could forge (a SYN-ACK or RST that does not
 * acknowledge our cookie, one to a source port we never used, an echo reply with another id)
 * mark nothing up.
 */

import { assertEquals } from "../../tests/testing/assert.ts";
import { Kind, LinkType, packetCore, type ParsedRecords, TcpFlag } from "../../core-wasm/mod.ts";
import { ScanHost } from "../engine/host.ts";
import { fakeEngineContext, FakeRawSession } from "../../tests/testing/fake_session.ts";
import { discoverHosts } from "./mod.ts";

const core = packetCore();
const US = "10.0.0.1";

/** What a fake host answers: one kind of ping, nothing, or forgeries only. */
type Behaviour = "syn" | "ack" | "echo" | "silent" | "forger";

const NETWORK: Record<string, Behaviour> = {
  "10.0.0.2": "syn",
  "10.0.0.3": "ack",
  "10.0.0.4": "echo",
  "10.0.0.5": "silent",
  "10.0.0.6": "forger",
};

const v4 = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

class FakeNetwork extends FakeRawSession {
  constructor() {
    super(US, "10.0.0.254");
  }

  protected answer(r: ParsedRecords, i: number): Uint8Array[] {
    const host = v4(r.dstV4(i));
    const how = NETWORK[host];
    const base = { src: host, dst: US, linkType: LinkType.RAW, ttl: 61 };
    const k = r.kind(i);
    const tcp = (flags: number, seq: number, ack: number, to = r.srcPort(i)) =>
      core.buildTcp({ ...base, srcPort: r.dstPort(i), dstPort: to, seq, ack, flags });
    const isSyn = k === Kind.TCP && r.tcpFlags(i) === TcpFlag.SYN;
    const isAck = k === Kind.TCP && r.tcpFlags(i) === TcpFlag.ACK;
    const isEcho = k === Kind.ICMP4 && r.icmpType(i) === 8;
    if (how === "syn" && isSyn) return [tcp(TcpFlag.SYN | TcpFlag.ACK, 7, (r.seq(i) + 1) >>> 0)];
    // An ACK probe draws a bare RST whose seq is the probe's ack (RFC 9293 3.10.7.3).
    if (how === "ack" && isAck) return [tcp(TcpFlag.RST, r.ack(i), 0)];
    if (how === "echo" && isEcho) {
      return [core.buildIcmpEcho({ ...base, id: r.icmpId(i), seq: r.icmpSeq(i), reply: true })];
    }
    if (how === "forger") {
      const otherPort = (r.srcPort(i) + 7919) % 65536;
      if (isSyn) {
        return [
          tcp(TcpFlag.SYN | TcpFlag.ACK, 7, (r.seq(i) + 2) >>> 0), // not our cookie
          tcp(TcpFlag.SYN | TcpFlag.ACK, 7, (r.seq(i) + 1) >>> 0, otherPort), // not our port
        ];
      }
      if (isAck) return [tcp(TcpFlag.RST, (r.ack(i) + 1) >>> 0, 0)];
      if (isEcho) {
        return [
          core.buildIcmpEcho({ ...base, id: r.icmpId(i) ^ 1, seq: r.icmpSeq(i), reply: true }),
        ];
      }
    }
    return [];
  }
}

Deno.test("discovery: exactly the hosts that answer a ping are up, with nmap's reasons", async () => {
  const session = new FakeNetwork();
  const ctx = fakeEngineContext(["-sn", "-T5", ...Object.keys(NETWORK)], session);
  const hosts = Object.keys(NETWORK).map((address) =>
    new ScanHost({ address, family: 4, otherAddresses: [] }, ctx.jar)
  );
  await discoverHosts(ctx, hosts, true);
  const got = Object.fromEntries(
    hosts.map((h) => [h.address, h.up ? `up ${h.statusReason} ttl ${h.statusReasonTtl}` : "down"]),
  );
  assertEquals(got, {
    "10.0.0.2": "up syn-ack ttl 61",
    "10.0.0.3": "up reset ttl 61",
    "10.0.0.4": "up echo-reply ttl 61",
    "10.0.0.5": "down",
    "10.0.0.6": "down",
  });
});
