import { assert, assertEquals } from "../../tests/testing/assert.ts";
import type { HostResult, PortResult } from "../model/mod.ts";
import { FakeHost } from "../../tests/testing/os_fake_host.ts";
import { choosePorts, detectWithIo, omitReason } from "./detect.ts";
import { parseOsDb } from "./db.ts";
import { testToString } from "../model/os_fingerprint.ts";
import { runRound } from "./round.ts";

/** Repeatable "random" numbers. */
function rng(seed = 1): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

const ME = "10.9.0.1", TARGET = "10.9.0.2";

function host(ports: [proto: "tcp" | "udp", port: number, state: PortResult["state"]][]) {
  const h: HostResult = {
    address: TARGET,
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "syn-ack",
    ports: ports.map(([protocol, port, state]) => ({ protocol, port, state, reason: "" })),
    startTime: 0,
    endTime: 0,
  };
  return h;
}

Deno.test("a round against a simulated Linux host gives its fingerprint", async () => {
  const fake = new FakeHost({ address: TARGET, me: ME, openPort: 22 });
  const r = await runRound(
    fake,
    {
      ports: { open: 22, closedTcp: 1, closedUdp: 31000, closedTcpKnown: true },
      timeoutMs: 100,
      localhost: false,
      random: rng(),
    },
    0,
    -1,
  );
  const fp = Object.fromEntries(r.fingerprint.map((t) => [t.name, testToString(t)]));
  assertEquals(Object.keys(fp).join(" "), "SEQ OPS WIN ECN T1 T2 T3 T4 T5 T6 T7 U1 IE");
  assertEquals(
    fp.OPS,
    "OPS(O1=M5B4ST10NW7%O2=M5B4ST10NW7%O3=M5B4NNT10NW7%O4=M5B4ST10NW7%O5=M5B4ST10NW7%O6=M5B4ST10)",
  );
  assertEquals(fp.WIN, "WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88)");
  assertEquals(fp.ECN, "ECN(R=Y%DF=Y%T=40%W=FAF0%O=M5B4NNSNW7%CC=Y%Q=)");
  assertEquals(fp.T1, "T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)");
  assertEquals([fp.T2, fp.T3], ["T2(R=N)", "T3(R=N)"]);
  assertEquals(fp.T4, "T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)");
  assertEquals(fp.T5, "T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)");
  assertEquals(fp.T6, "T6(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)");
  assertEquals(fp.T7, "T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)");
  assertEquals(fp.U1, "U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)");
  assertEquals(fp.IE, "IE(R=Y%DFI=N%T=40%CD=S)");
  // The fake's ISNs step by a constant: GCD is the step, SP 0; its timestamps stand still.
  assertEquals(fp.SEQ, "SEQ(SP=0%GCD=3B9ACA7%ISR=EA%TI=Z%CI=Z%II=I)");
  assertEquals(r.udpDistance, 1);
  assertEquals(r.seq.responses, 6);
  // SEQ probes leave 100 ms apart: the ratio to the ideal 500 ms is 1.
  assertEquals(r.timingRatio, 1);
  // T2 and T3 get no answer: sent four times each; everything else once.
  const t2 = fake.sent.tcp.filter((p) => p.flags === 0).length;
  const t3 = fake.sent.tcp.filter((p) => p.flags === 0x2b).length;
  assertEquals([t2, t3], [4, 4]);
  assertEquals(fake.sent.udp.length, 1);
  assertEquals(fake.sent.echo.map((e) => [e.code, e.df, e.dataLength]), [
    [9, true, 120],
    [0, false, 150],
  ]);
  // The six OPS probes are not needed: the SEQ replies gave O1–O6 and W1–W6.
  assertEquals(fake.sent.tcp.filter((p) => p.flags === 0x02).length, 6 + 0 + 1);
});

Deno.test("a round: no UDP answer and no echo give R=N; the distance then stays unknown", async () => {
  const fake = new FakeHost({
    address: TARGET,
    me: ME,
    openPort: 22,
    dropUdp: true,
    answerEcho: false,
    hops: 3,
  });
  const r = await runRound(
    fake,
    {
      ports: { open: 22, closedTcp: 1, closedUdp: 31000, closedTcpKnown: false },
      timeoutMs: 100,
      localhost: false,
      random: rng(2),
    },
    0,
    -1,
  );
  const fp = Object.fromEntries(r.fingerprint.map((t) => [t.name, testToString(t)]));
  assertEquals([fp.U1, fp.IE], ["U1(R=N)", "IE(R=N)"]);
  assertEquals(r.udpDistance, -1);
  // Without a distance, TTLs become guesses.
  assertEquals(fp.T1, "T1(R=Y%DF=Y%TG=40%S=O%A=S+%F=AS%RD=0%Q=)");
  assertEquals(r.distanceGuess, 2);
  assertEquals(fake.sent.udp.length, 4);
  assertEquals(fake.sent.echo.length, 8);
});

Deno.test("choosePorts: lowest open, closed, closed UDP; tcpwrapped avoided under -sV", () => {
  const r = () => 0;
  const h = host([
    ["tcp", 80, "open"],
    ["tcp", 22, "open"],
    ["tcp", 443, "closed"],
    ["tcp", 113, "closed"],
    ["udp", 53, "closed"],
  ]);
  const p = choosePorts(h.ports, { random: r });
  assertEquals([p.open, p.closedTcp, p.closedUdp, p.closedTcpKnown, p.closedUdpKnown], [
    22,
    113,
    53,
    true,
    true,
  ]);
  assertEquals(p.unreliable, false);
  h.ports[1]!.service = { name: "tcpwrapped", method: "probed", confidence: 8 };
  assertEquals(choosePorts(h.ports, { random: r, versionDetection: true }).open, 80);
  assertEquals(choosePorts(h.ports, { random: r }).open, 22);
  // Only filtered: random closed ports (30000–44780), results unreliable.
  const f = choosePorts(host([["tcp", 22, "open"], ["tcp", 25, "filtered"]]).ports, {
    random: () => 5,
  });
  assertEquals([f.closedTcp, f.closedTcpKnown, f.closedUdp, f.unreliable], [
    30005,
    false,
    30005,
    true,
  ]);
});

Deno.test("omitReason: nmap's reasons, in nmap's order", () => {
  const base = { openTcp: 22, closedTcp: 1, closedUdp: 9, distance: 1, maxTimingRatio: 1 };
  assertEquals(omitReason(base), undefined);
  assertEquals(omitReason({ ...base, scanDelayMs: 600 }), "Scan delay (600) is greater than 500");
  assertEquals(omitReason({ ...base, timingTemplate: 5 }), "Timing level 5 (Insane) used");
  assertEquals(
    omitReason({ ...base, openTcp: undefined }),
    "Missing an open TCP port so results incomplete",
  );
  assertEquals(
    omitReason({ ...base, closedTcp: undefined }),
    "Missing a closed TCP port so results incomplete",
  );
  assertEquals(
    omitReason({ ...base, distance: 7 }),
    "Host distance (7 network hops) is greater than five",
  );
  assertEquals(
    omitReason({ ...base, maxTimingRatio: 1.5 }),
    "maxTimingRatio (1.500000e+00) is greater than 1.4",
  );
  assertEquals(
    omitReason({ ...base, closedUdp: undefined }),
    "Didn't receive UDP response. Please try again with -sSU",
  );
  assertEquals(omitReason({ ...base, closedUdp: undefined, udpScanned: true }), undefined);
});

/** A database whose one entry is exactly what the fake host shows. */
const POINTS = `MatchPoints
SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)
OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)
WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)
ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)
T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)
T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T3(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T4(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T5(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T6(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
T7(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)
U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)
IE(R=50%DFI=40%T=15%TG=15%CD=100)
`;

const FAKE_DB = POINTS + `
Fingerprint Fake Linux
Class Linux | Linux | 6.X | general purpose
CPE cpe:/o:linux:linux_kernel:6 auto
OPS(O1=M5B4ST10NW7%O2=M5B4ST10NW7%O3=M5B4NNT10NW7%O4=M5B4ST10NW7%O5=M5B4ST10NW7%O6=M5B4ST10)
T1(R=Y%DF=Y%T=3B-45%TG=40%S=O%A=S+%F=AS%RD=0%Q=)
T2(R=N)
T3(R=N)
T4(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)
U1(DF=N%T=3B-45%TG=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)
IE(DFI=N%T=3B-45%TG=40%CD=S)
`;

Deno.test("detectWithIo: a perfect match ends after one try", async () => {
  const db = parseOsDb(FAKE_DB);
  const fake = new FakeHost({ address: TARGET, me: ME, openPort: 22 });
  const lines: string[] = [];
  const os = (await detectWithIo(
    fake,
    {
      host: host([["tcp", 22, "open"], ["tcp", 1, "closed"]]),
      localhost: false,
      timeoutMs: 100,
    },
    db,
    {
      random: rng(3),
      sleep: () => Promise.resolve(),
      verbose: 1,
      log: (l) => lines.push(l),
      version: "test",
      platform: "x",
    },
  ))!;
  assertEquals(os.tries, 1);
  assertEquals(os.perfect, 1);
  assertEquals(os.matches[0]?.name, "Fake Linux");
  assertEquals(os.portsUsed, { openTcp: 22, closedTcp: 1, closedUdp: os.portsUsed.closedUdp });
  assert(os.portsUsed.closedUdp! >= 30000, "U1's random port, recorded once it answered");
  assertEquals([os.distance, os.distanceMethod], [1, "icmp"]);
  assertEquals(os.omitReason, undefined);
  assertEquals(lines, [`Initiating OS detection (try #1) against ${TARGET}`]);
});

Deno.test("detectWithIo: no perfect match: five tries (two when unfit), best round kept", async () => {
  // Close, not exact: the T1 DF bit differs.
  const db = parseOsDb(
    POINTS + "\nFingerprint Near Miss\nClass Linux | Linux | 6.X | general purpose\n" +
      "T1(R=Y%DF=N%T=40%S=O%A=S+%F=AS%RD=0%Q=)\nT2(R=N)\nT3(R=N)\n",
  );
  const run = async (ports: Parameters<typeof host>[0], extra = {}, dropUdp = false) => {
    const fake = new FakeHost({ address: TARGET, me: ME, openPort: 22, dropUdp });
    const pauses: number[] = [];
    const os = (await detectWithIo(
      fake,
      {
        host: host(ports),
        localhost: false,
        timeoutMs: 100,
      },
      db,
      {
        random: rng(4),
        sleep: (ms) => (pauses.push(ms), Promise.resolve()),
        version: "test",
        platform: "x",
        ...extra,
      },
    ))!;
    return { os, pauses };
  };
  const a = await run([["tcp", 22, "open"], ["tcp", 1, "closed"]]);
  assertEquals(a.os.tries, 5);
  // Every ICMP answer came back: short pauses. Without them, nmap's 1 s (2.5 s before try 4).
  assertEquals(a.pauses, [100, 100, 100, 100]);
  assertEquals(a.os.rounds.length, 5);
  const lossy = await run([["tcp", 22, "open"], ["tcp", 1, "closed"]], {}, true);
  assertEquals(lossy.pauses, [1000]);
  assertEquals(lossy.os.tries, 2); // no U1 answer and no UDP scan: unfit, two tries
  const lossyUdp = await run(
    [["tcp", 22, "open"], ["tcp", 1, "closed"]],
    { udpScanned: true },
    true,
  );
  assertEquals(lossyUdp.pauses, [1000, 1000, 1000, 1500, 1000]);
  // No closed port from the scan: unfit for submission, two tries.
  const b = await run([["tcp", 22, "open"]]);
  assertEquals(b.os.tries, 2);
  assertEquals(b.os.omitReason, "Missing a closed TCP port so results incomplete");
  assertEquals(b.os.unreliable, true);
  // --max-os-tries 1.
  assertEquals(
    (await run([["tcp", 22, "open"], ["tcp", 1, "closed"]], { maxOsTries: 1 })).os.tries,
    1,
  );
  // --osscan-limit skips the unreliable host.
  const c = await detectWithIo(
    new FakeHost({ address: TARGET, me: ME, openPort: 22 }),
    {
      host: host([["tcp", 22, "open"]]),
      localhost: false,
      timeoutMs: 100,
    },
    db,
    { osscanLimit: true, version: "t", platform: "x" },
  );
  assertEquals(c, undefined);
});
