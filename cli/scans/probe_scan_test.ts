/**
 * The probe-module driver (probe_scan.ts) end to end over a fake raw session, with no
 * permissions: the probes the core builds are parsed back, a fake host answers them as a real
 * stack would (SCTP INIT ACK / ABORT / ICMP protocol unreachable; TCP SYN-ACK / RST), and
 * forgeries a blind attacker could send — a wrong tag, another source port, an ICMP quote of a
 * probe we never sent — must decide nothing.
 */

import { assert, assertEquals } from "../../tests/testing/assert.ts";
import { Kind, LinkType, packetCore, type ParsedRecords, TcpFlag } from "../../core-wasm/mod.ts";
import { ScanHost } from "../engine/host.ts";
import type { RawSession } from "../engine/raw_session.ts";
import { fakeEngineContext, FakeRawSession } from "../../tests/testing/fake_session.ts";
import type { PortResult } from "../model/mod.ts";
import { probeScan } from "./probe_scan.ts";
import { sctpInitModule } from "./sctp_init.ts";
import { tcpProbeModule } from "./tcp_raw.ts";

const core = packetCore();
const US = "10.0.0.1";
const TARGET = "10.0.0.2";
const ROUTER = "10.0.0.254";

type Answer = "open" | "closed" | "unreach" | "router" | "silent";

/** A fake host behind a fake raw session (tests/testing/fake_session.ts). */
class FakeSession extends FakeRawSession {
  forged = 0;

  constructor(readonly answers: Record<number, Answer>, readonly forge: boolean) {
    super(US, TARGET);
  }

  protected answer(r: ParsedRecords, i: number): Uint8Array[] {
    const probe = r.frame(i).slice(r.l3Offset(i));
    const sport = r.srcPort(i), dport = r.dstPort(i);
    const kind = r.kind(i);
    const base = { src: TARGET, dst: US, srcPort: dport, linkType: LinkType.RAW };
    const icmp = (src: string, code: number, quote = probe) =>
      core.buildIcmp({ src, dst: US, type: 3, code, payload: quote, linkType: LinkType.RAW });
    const reply = (to: number, good: boolean): Uint8Array => {
      if (kind === Kind.SCTP) {
        const tag = good ? r.sctpInitiateTag(i) : r.sctpInitiateTag(i) ^ 0x5a5a;
        const chunks = this.answers[dport] === "open"
          ? [{ ...initAck, initiateTag: 0x01020304 }]
          : [{ type: "abort" as const }];
        return core.buildSctp({ ...base, dstPort: to, vtag: tag, chunks });
      }
      const flags = this.answers[dport] === "open" ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.RST |
        TcpFlag.ACK;
      const ack = good ? (r.seq(i) + 1) >>> 0 : (r.seq(i) + 2) >>> 0;
      return core.buildTcp({ ...base, dstPort: to, seq: 7, ack, flags });
    };
    const out: Uint8Array[] = [];
    if (this.forge) {
      // A wrong tag to the right port, the right tag to a port no try could use, and an ICMP
      // error quoting a probe from that other port.
      const other = (sport + 7919) % 65536;
      const quoted = probe.slice();
      quoted[20] = other >> 8;
      quoted[21] = other & 255;
      out.push(reply(sport, false), reply(other, true), icmp(TARGET, 2, quoted));
      this.forged += 3;
    }
    const a = this.answers[dport] ?? "silent";
    if (a === "open" || a === "closed") out.push(reply(sport, true));
    else if (a === "unreach") out.push(icmp(TARGET, 2));
    else if (a === "router") out.push(icmp(ROUTER, 1));
    return out;
  }
}

const initAck = {
  type: "initAck" as const,
  initiateTag: 0,
  aRwnd: 106496,
  outboundStreams: 10,
  inboundStreams: 10,
  initialTsn: 1,
  params: Uint8Array.of(0, 7, 0, 8, 1, 2, 3, 4),
};

function byPort(rs: PortResult[]): Record<number, string> {
  return Object.fromEntries(rs.map((r) => [r.port, `${r.protocol} ${r.state} ${r.reason}`]));
}

const ANSWERS: Record<number, Answer> = {
  80: "open",
  81: "closed",
  82: "unreach",
  83: "router",
  84: "silent",
};
const PORTS = [80, 81, 82, 83, 84];

async function scan(module: "sctp" | "syn", forge: boolean, argv: string[] = []) {
  const ctx = fakeEngineContext(["-sS", "-T5", "--max-retries", "1", ...argv, TARGET]);
  const session = new FakeSession(ANSWERS, forge);
  const host = new ScanHost({ address: TARGET, family: 4, otherAddresses: [] }, ctx.jar);
  const shaping = { ttl: 64, payload: ctx.opts.shaping?.payload };
  const m = module === "sctp" ? sctpInitModule(shaping) : tcpProbeModule("syn", shaping);
  const table = await probeScan(
    ctx,
    session as unknown as RawSession<ParsedRecords>,
    [host],
    PORTS,
    m,
    `${module}${forge}`,
  );
  return { got: byPort(table.results(0)), session, results: table.results(0) };
}

Deno.test("probe scan, SCTP INIT: INIT ACK open, ABORT closed, ICMP filtered, silence", async () => {
  for (const forge of [false, true]) {
    const { got, session, results } = await scan("sctp", forge);
    assertEquals(got, {
      80: "sctp open init-ack",
      81: "sctp closed abort",
      82: "sctp filtered proto-unreach",
      83: "sctp filtered host-unreach",
      84: "sctp filtered no-response",
    });
    assertEquals(results.find((r) => r.port === 83)!.reasonAddr, ROUTER);
    if (forge) assert(session.forged > 0, "forgeries were sent and ignored");
  }
});

Deno.test("probe scan, SYN: the ack must acknowledge our cookie; forgeries decide nothing", async () => {
  for (const forge of [false, true]) {
    const { got } = await scan("syn", forge);
    assertEquals(got, {
      80: "tcp open syn-ack",
      81: "tcp closed reset",
      82: "tcp filtered proto-unreach",
      83: "tcp filtered host-unreach",
      84: "tcp filtered no-response",
    });
  }
});

Deno.test("probe scan, -g: one source port, the try rides in the tag", async () => {
  for (const module of ["sctp", "syn"] as const) {
    const { got } = await scan(module, false, ["-g", "5353"]);
    assertEquals(got[80]!.split(" ").slice(1), [
      "open",
      module === "sctp" ? "init-ack" : "syn-ack",
    ]);
    assertEquals(got[81]!.split(" ")[1], "closed");
  }
});

/**
 * A host that drops the first try of every probe to `loseFirst` ports, then answers as
 * FakeSession does (open, closed, silent), and counts the tries each port received.
 */
class LossyHost extends FakeSession {
  readonly tries: Record<number, number> = {};

  constructor(readonly loseFirst: number[]) {
    super(ANSWERS, false);
  }

  protected override answer(r: ParsedRecords, i: number): Uint8Array[] {
    const dport = r.dstPort(i);
    this.tries[dport] = (this.tries[dport] ?? 0) + 1;
    if (this.tries[dport] === 1 && this.loseFirst.includes(dport)) return [];
    return super.answer(r, i);
  }
}

async function lossyScan(maxRetries: number, loseFirst: number[]) {
  const ctx = fakeEngineContext(["-sS", "-T5", "--max-retries", String(maxRetries), TARGET]);
  const session = new LossyHost(loseFirst);
  const host = new ScanHost({ address: TARGET, family: 4, otherAddresses: [] }, ctx.jar);
  const table = await probeScan(
    ctx,
    session as unknown as RawSession<ParsedRecords>,
    [host],
    [80, 81, 84],
    tcpProbeModule("syn", { ttl: 64 }),
    `lossy${maxRetries}`,
  );
  return { got: byPort(table.results(0)), tries: session.tries };
}

// nmap's rule (scan_engine.cc allowedTryno; cli/timing/retry.ts): a probe gets one try beyond
// the highest try that drew a reply from its host, at least two, at most --max-retries + 1.
Deno.test("probe scan, retries: a lost first try is retried and the port gets its state", async () => {
  const { got, tries } = await lossyScan(5, [80, 81]);
  assertEquals(got, {
    80: "tcp open syn-ack",
    81: "tcp closed reset",
    84: "tcp filtered no-response",
  });
  // Answers came to try 1 (the second): the silent port gets tries 0, 1 and 2.
  assertEquals(tries, { 80: 2, 81: 2, 84: 3 });
});

Deno.test("probe scan, retries: a loss-free host's silent port gets nmap's two tries", async () => {
  const { got, tries } = await lossyScan(5, []);
  assertEquals(got[84], "tcp filtered no-response");
  assertEquals(tries, { 80: 1, 81: 1, 84: 2 });
});

Deno.test("probe scan, retries: --max-retries 0 leaves one try; its loss is silence", async () => {
  const { got, tries } = await lossyScan(0, [80]);
  assertEquals(got, {
    80: "tcp filtered no-response",
    81: "tcp closed reset",
    84: "tcp filtered no-response",
  });
  assertEquals(tries, { 80: 1, 81: 1, 84: 1 });
});
