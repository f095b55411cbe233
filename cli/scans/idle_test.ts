import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import {
  type IdleConfig,
  type IdleLink,
  IdleScan,
  ipIdDistance,
  qualifyZombie,
  type ZombieReply,
} from "./idle.ts";
import { UsageError } from "../errors.ts";

/** How the fake zombie numbers its packets. */
type Numbering = "incremental" | "random" | "zero" | "per-peer" | "silent" | "by-2";

/** A packet the zombie sends at `at`: a RST to us (answering `dstPort`) or to another peer. */
interface ZombieSend {
  at: number;
  peer: "us" | "target" | "elsewhere";
  dstPort: number;
}

/**
 * A zombie and a target on a virtual clock. The zombie answers our SYN|ACK probes and the
 * target's SYN-ACKs with resets, numbered as `numbering` says; the target answers a spoofed SYN
 * to an open port with a SYN-ACK to the zombie. One-way delays are 1 ms.
 */
class FakeNet implements IdleLink {
  t = 1000;
  readonly #pending: ZombieSend[] = [];
  readonly #inbox: ZombieReply[] = [];
  readonly #counters = new Map<string, number>();
  readonly spoofed: number[] = [];
  readonly lose: Set<number>;
  readonly abortAt?: number;

  constructor(
    readonly numbering: Numbering,
    readonly open: ReadonlySet<number> = new Set(),
    opts: { lose?: number[]; noiseAt?: number[]; abortAt?: number } = {},
  ) {
    this.lose = new Set(opts.lose);
    this.abortAt = opts.abortAt;
    for (const at of opts.noiseAt ?? []) {
      this.#pending.push({ at, peer: "elsewhere", dstPort: 0 });
    }
  }

  #id(peer: string): number {
    if (this.numbering === "zero") return 0;
    if (this.numbering === "random") return 1 + Math.floor(Math.random() * 65000);
    const key = this.numbering === "per-peer" ? peer : "all";
    const id = this.#counters.get(key) ?? (peer === "us" ? 40000 : 7);
    this.#counters.set(key, (id + (this.numbering === "by-2" ? 2 : 1)) & 0xffff);
    return id;
  }

  #advance(to: number): void {
    this.#pending.sort((a, b) => a.at - b.at);
    while (this.#pending.length && this.#pending[0]!.at <= to) {
      const s = this.#pending.shift()!;
      const id = this.#id(s.peer === "us" ? "us" : "other");
      if (s.peer === "us") {
        this.#inbox.push({ dstPort: s.dstPort, rst: true, ipId: id, at: s.at + 1 });
      }
    }
  }

  probeZombie(srcPort: number): void {
    if (this.numbering !== "silent") {
      this.#pending.push({ at: this.t + 1, peer: "us", dstPort: srcPort });
    }
  }
  spoofSyn(dstPort: number): void {
    this.spoofed.push(dstPort);
    if (this.lose.delete(dstPort)) return; // lost once on the way
    if (this.open.has(dstPort)) this.#pending.push({ at: this.t + 2, peer: "target", dstPort });
  }
  spoofToZombie(): void {
    this.#pending.push({ at: this.t + 1, peer: "target", dstPort: 0 });
  }
  receive(ms: number): Promise<ZombieReply | null> {
    const deadline = this.t + ms;
    this.#advance(deadline);
    this.#inbox.sort((a, b) => a.at - b.at);
    const r = this.#inbox[0];
    if (r && r.at <= deadline) {
      this.#inbox.shift();
      this.t = Math.max(this.t, r.at);
      return Promise.resolve(r);
    }
    this.t = deadline;
    return Promise.resolve(null);
  }
  now(): number {
    return this.t;
  }
  aborted(): boolean {
    return this.abortAt !== undefined && this.t >= this.abortAt;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    this.#advance(this.t);
    return Promise.resolve();
  }
}

const CFG: IdleConfig = {
  zombieName: "zombie.lab",
  zombieAddress: "10.0.0.5",
  probePort: 80,
  magicPort: 40000,
  magicPortSet: false,
  random: mulberry(7),
};

/** A seeded uniform generator, so a test's tree of counts is the same every run. */
function mulberry(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function idleScan(net: FakeNet, ports: number[], cfg: Partial<IdleConfig> = {}) {
  const lines: string[] = [];
  const z = await qualifyZombie(net, { ...CFG, random: mulberry(7), ...cfg }, (l) => lines.push(l));
  const results = (await new IdleScan(z).run(ports))!;
  const open = results.filter((r) => r.state === "open").map((r) => r.port);
  return { lines, results, open, zombie: z };
}

Deno.test("idle: an incremental zombie finds exactly the open ports; nmap's states and reasons", async () => {
  const ports = [21, 22, 23, 24, 25, 80, 81, 443, 1000, 1001, 3306, 8080];
  const net = new FakeNet("incremental", new Set([22, 80, 443, 3306]));
  const { lines, results, open } = await idleScan(net, ports);
  assertEquals(lines, ["Idle scan using zombie zombie.lab (10.0.0.5:80); Class: Incremental"]);
  assertEquals(open, [22, 80, 443, 3306]);
  assertEquals(results[0], {
    protocol: "tcp",
    port: 21,
    state: "closed|filtered",
    reason: "no-ipid-change",
  });
  assertEquals(results[1], { protocol: "tcp", port: 22, state: "open", reason: "ipid-change" });
});

Deno.test("idle: a thousand ports in groups, open ones found by halving", async () => {
  const ports = Array.from({ length: 1000 }, (_, i) => i + 1);
  const openSet = new Set([1, 2, 3, 64, 65, 500, 999, 1000]);
  const { open } = await idleScan(new FakeNet("incremental", openSet), ports);
  assertEquals(open, [...openSet]);
});

Deno.test("idle: a zombie counting by two, and a lost SYN recounted", async () => {
  const openSet = new Set([5, 9, 30]);
  const ports = Array.from({ length: 40 }, (_, i) => i + 1);
  const { open, zombie } = await idleScan(new FakeNet("by-2", openSet, { lose: [9] }), ports);
  assertEquals(zombie.seqClass, "incr-by-2");
  assertEquals(open, [5, 9, 30]);
});

Deno.test("idle: traffic of the zombie's own during a count is recounted, not reported", async () => {
  const ports = Array.from({ length: 20 }, (_, i) => 100 + i);
  // Packets the zombie sends to others while the first counts run.
  const net = new FakeNet("incremental", new Set([105]), { noiseAt: [1700, 1750, 2400] });
  const { open } = await idleScan(net, ports);
  assertEquals(open, [105]);
});

Deno.test("idle: Ctrl-C stops the scan where it is, with no refusal", async () => {
  const net = new FakeNet("incremental", new Set([5]), { abortAt: 3000 });
  const z = await qualifyZombie(net, { ...CFG, random: mulberry(7) }, () => {});
  const ports = Array.from({ length: 1000 }, (_, i) => i + 1);
  assertEquals(await new IdleScan(z).run(ports), null);
  assert(net.now() < 10_000, `stopped at ${net.now()} ms`);
});

Deno.test("idle: nmap's refusals of a zombie", async () => {
  const refuses = (net: FakeNet, message: string) =>
    rejects(idleScan(net, [22]), (e: unknown) => e instanceof UsageError && e.message === message);
  await refuses(
    new FakeNet("random"),
    "Idle scan zombie zombie.lab (10.0.0.5) port 80 cannot be used because IP ID sequence class is: Randomized.  Try another proxy.",
  );
  await refuses(
    new FakeNet("zero"),
    "Idle scan zombie zombie.lab (10.0.0.5) port 80 cannot be used because IP ID sequence class is: All zeros.  Try another proxy.",
  );
  await refuses(
    new FakeNet("silent"),
    "Idle scan zombie zombie.lab (10.0.0.5) port 80 cannot be used because it has not returned any of our probes -- perhaps it is down or firewalled.",
  );
  await refuses(
    new FakeNet("per-peer"),
    "Even though your Zombie (zombie.lab; 10.0.0.5) appears to be vulnerable to IP ID sequence prediction (class: Incremental), our attempts have failed.  This generally means that either the Zombie uses a separate IP ID base for each host (like Solaris), or because you cannot spoof IP packets (perhaps your ISP has enabled egress filtering to prevent IP spoofing), or maybe the target network recognizes the packet source as bogus and drops them",
  );
});

Deno.test("idle: every port of a group gets its spoofed SYN", async () => {
  const net = new FakeNet("incremental", new Set([22]));
  await idleScan(net, [22, 23]);
  // Each port at least once; the halves of the group are counted separately.
  assertEquals([...new Set(net.spoofed)].sort((a, b) => a - b), [22, 23]);
});

Deno.test("idle: IP ID distance per class (wrapping, byte-swapped, by two)", () => {
  assertEquals(ipIdDistance("incr", 65534, 2), 4);
  assertEquals(ipIdDistance("broken-incr", 0x0100, 0x0300), 2);
  assertEquals(ipIdDistance("incr-by-2", 10, 20), 5);
  assertEquals(ipIdDistance("rd", 10, 20), -1);
});
