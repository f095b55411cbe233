/**
 * -sI, the idle scan, as nmap 7.93 runs it (idle_scan.cc): the target is probed with SYNs that
 * carry the zombie's address, and the zombie's IP ID counter tells how many SYN-ACKs the target
 * sent it (each makes the zombie send a RST, one IP ID). No packet from our address reaches the
 * target.
 *
 * 1. Qualify the zombie: six SYN|ACK probes 30 ms apart; their resets' IP IDs must be
 *    incremental (by 1, by 2, or byte-swapped), else nmap's refusal. Then four SYN|ACKs spoofed
 *    from the target: unless the zombie's counter moved, the spoofing does not work (or the zombie
 *    counts per peer, as Solaris does) and the scan cannot.
 * 2. Count open ports of a group: spoofed SYNs to each, then probes of the counter; the distance
 *    less our own probes is the number of open ports.
 * 3. Tree search: groups of up to twice the group size, halved while a half counts open ports;
 *    a single port counting one is open. Counts that disagree are redone; group size and send
 *    delay follow the agreement (nmap's adjust_idle_timing).
 *
 * Everything on the wire goes through an {@link IdleLink}, so the algorithm runs against a fake
 * zombie in the tests and against the raw session (idle_link.ts) in a run.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { IPID_CLASS_TEXT, type IpIdClass, ipIdSequence16 } from "../model/os.ts";
import type { PortResult } from "../model/mod.ts";

/** A TCP segment from the zombie's probe port to us. */
export interface ZombieReply {
  dstPort: number;
  rst: boolean;
  ipId: number;
  /** When it arrived (the link's clock, ms). */
  at: number;
}

/** The idle scan's wire and clock. */
export interface IdleLink {
  /** A SYN|ACK from our `srcPort` to the zombie's probe port (nmap's IP ID probe). */
  probeZombie(srcPort: number, seq: number, ack: number): void;
  /** A SYN from the zombie's probe port to the target's `dstPort`: our address nowhere. */
  spoofSyn(dstPort: number, seq: number): void;
  /** A SYN|ACK from the target's `srcPort` to the zombie's probe port (the spoofing test). */
  spoofToZombie(srcPort: number, seq: number, ack: number): void;
  /** The next segment from the zombie's probe port to us, or null after `ms`. */
  receive(ms: number): Promise<ZombieReply | null>;
  /** The link's clock, ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Ctrl-C: the scan stops at once (receive and sleep return at once too). */
  aborted?(): boolean;
}

/** What the idle scan needs to know beyond the link. */
export interface IdleConfig {
  /** The zombie as the user named it, and its address. */
  zombieName: string;
  zombieAddress: string;
  probePort: number;
  /** nmap's magic port (-g, else 33000 + a random number below 31000), and whether -g set it. */
  magicPort: number;
  magicPortSet: boolean;
  /** --min-parallelism / --max-parallelism (0: unset). */
  minParallelism?: number;
  maxParallelism?: number;
  /** --min-rtt-timeout / --max-rtt-timeout, ms (nmap: 100 and 10000). */
  minRttTimeoutMs?: number;
  maxRttTimeoutMs?: number;
  /** --scan-delay, ms. */
  scanDelayMs?: number;
  /** Uniform in [0, 1) (tests pass their own). */
  random?: () => number;
  /** -d lines. */
  debug?: (line: string) => void;
}

/** An RTT estimate, ms, as nmap's timeout_info (timing.cc adjust_timeouts2). */
export class RttInfo {
  srtt = -1;
  rttvar = -1;
  timeout: number;
  constructor(initialMs: number, readonly minMs: number, readonly maxMs: number) {
    this.timeout = initialMs;
  }

  /** One sample: sent at `sent`, answered at `received`. */
  sample(sent: number, received: number): void {
    let delta = received - sent;
    if (delta < 0 && delta > -50) delta = 10;
    if (this.srtt === -1 && this.rttvar === -1) {
      this.srtt = delta;
      this.rttvar = Math.min(2000, Math.max(5, delta));
    } else {
      if (delta >= 8000 || delta < 0) return;
      const d = delta - this.srtt;
      if (d > 1500 && d > 3 * this.srtt + 2 * this.rttvar) return;
      this.srtt += d / 8;
      this.rttvar += (Math.abs(d) - this.rttvar) / 4;
    }
    if (this.rttvar > 2300) this.rttvar = 2000;
    this.timeout = Math.min(this.maxMs, Math.max(this.minMs, this.srtt + 4 * this.rttvar));
  }
}

/** The classes whose IP IDs count packets (idle_scan.cc's accepted sequence classes). */
const USABLE: readonly IpIdClass[] = ["incr", "incr-by-2", "broken-incr"];

/** How many packets the zombie sent between IP IDs `start` and `end`; -1 when unknowable. */
export function ipIdDistance(cls: IpIdClass, start: number, end: number): number {
  if (cls === "incr") return (end - start) & 0xffff;
  if (cls === "broken-incr") return (swap16(end) - swap16(start)) & 0xffff;
  if (cls === "incr-by-2") return ((end - start) & 0xffff) >> 1;
  return -1;
}

const swap16 = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

const NUM_IPID_PROBES = 6;
/** The zombie's reply to our six qualifying probes may take this long (nmap's hardtimeout). */
const QUALIFY_TIMEOUT_MS = 9000;

/** A qualified zombie and the scan's state around it (nmap's idle_proxy_info). */
export class Zombie {
  seqClass: IpIdClass = "unknown";
  latestId = 0;
  readonly rtt: RttInfo;
  readonly minGroup: number;
  readonly maxGroup: number;
  currentGroup = 0;
  /** Between spoofed SYNs, ms (nmap: µs). */
  sendDelay = 0;
  readonly maxSendDelay = 100;
  #probeSeqBase: number;
  #probeAck: number;
  #probesSent = 0;
  #spoofSeq: number;
  readonly #random: () => number;

  constructor(readonly link: IdleLink, readonly cfg: IdleConfig) {
    this.#random = cfg.random ?? Math.random;
    this.rtt = new RttInfo(1000, cfg.minRttTimeoutMs ?? 100, cfg.maxRttTimeoutMs ?? 10000);
    this.minGroup = cfg.minParallelism || 4;
    this.maxGroup = Math.max(this.minGroup, cfg.maxParallelism || 100);
    this.#probeSeqBase = this.randomU32();
    this.#probeAck = this.randomU32();
    this.#spoofSeq = this.randomU32();
  }

  randomU32(): number {
    return Math.floor(this.#random() * 0x100000000) >>> 0;
  }
  randomU8(): number {
    return Math.floor(this.#random() * 256);
  }

  /** "NAME (ADDR)" as nmap's messages name the zombie. */
  get label(): string {
    return `${this.cfg.zombieName} (${this.cfg.zombieAddress})`;
  }

  /**
   * One IP ID from the zombie (nmap's ipid_proxy_probe): up to three SYN|ACKs from consecutive
   * source ports, each waited for a timeout. -1 when none was answered.
   */
  async probe(): Promise<{ ipId: number; sent: number; rcvd: number }> {
    const base = this.cfg.magicPortSet ? this.cfg.magicPort : this.cfg.magicPort + this.randomU8();
    const sentAt: number[] = [];
    let ipId = -1, sent = 0, rcvd = 0;
    for (let tries = 0; ipId === -1 && tries < 3; tries++) {
      sentAt.push(this.link.now());
      this.link.probeZombie(
        base + tries,
        (this.#probeSeqBase + this.#probesSent++ * 500 + 1) >>> 0,
        this.#probeAck,
      );
      sent++;
      for (;;) {
        if (ipId !== -1 && sent <= rcvd) break;
        const left = this.rtt.timeout - (this.link.now() - sentAt[tries]!);
        if (left <= 0) break;
        const r = await this.link.receive(left);
        if (!r) break;
        if (r.dstPort < base || r.dstPort - base > tries || !r.rst) {
          // An answer to an earlier probe of ours: the zombie is slower than we thought.
          if (r.dstPort > this.cfg.magicPort && r.dstPort < this.cfg.magicPort + 260) {
            this.rtt.rttvar *= 1.2;
            rcvd++;
          }
          continue;
        }
        rcvd++;
        ipId = r.ipId;
        this.rtt.sample(sentAt[r.dstPort - base]!, r.at);
      }
    }
    return { ipId, sent, rcvd };
  }

  /** A spoofed SYN to each of `ports` (the send delay between them). */
  async spoof(ports: readonly number[]): Promise<void> {
    for (let i = 0; i < ports.length; i++) {
      if (this.cfg.scanDelayMs) await this.link.sleep(this.cfg.scanDelayMs);
      else if (this.sendDelay && i > 0) await this.link.sleep(this.sendDelay);
      this.link.spoofSyn(ports[i]!, this.#spoofSeq);
    }
  }
}

/** nmap's refusal of a zombie that answered none of our probes. */
export function silentZombie(
  cfg: Pick<IdleConfig, "zombieName" | "zombieAddress" | "probePort">,
): never {
  fatal(
    `Idle scan zombie ${cfg.zombieName} (${cfg.zombieAddress}) port ${cfg.probePort} cannot be used because it has not returned any of our probes -- perhaps it is down or firewalled.`,
  );
}

/**
 * Qualifies the zombie (see the module comment); returns it, or throws nmap's fatal message.
 * `announce` gets nmap's "Idle scan using zombie …" line.
 */
export async function qualifyZombie(
  link: IdleLink,
  cfg: IdleConfig,
  announce: (line: string) => void,
): Promise<Zombie> {
  const z = new Zombie(link, cfg);
  const seqBase = z.randomU32();
  const ack = z.randomU32();
  const sentAt: number[] = [];
  const ids: number[] = [];
  let lastId = 0;
  let returned = 0;
  const take = (r: ZombieReply) => {
    if (lastId !== 0 && r.ipId === lastId) return; // probably a duplicate
    lastId = r.ipId;
    const first = cfg.magicPort + 1;
    if (r.dstPort < first || r.dstPort - cfg.magicPort > NUM_IPID_PROBES || !r.rst) return;
    // nmap files answers in arrival order and times each against that probe.
    z.rtt.sample(sentAt[returned]!, r.at);
    ids.push(r.ipId);
    returned++;
  };
  for (let i = 0; i < NUM_IPID_PROBES; i++) {
    if (cfg.scanDelayMs) await link.sleep(cfg.scanDelayMs);
    else if (i > 0) await link.sleep(30);
    link.probeZombie(cfg.magicPort + i + 1, (seqBase + i + 1) >>> 0, ack);
    sentAt.push(link.now());
    for (;;) {
      const r = await link.receive(1);
      if (!r) break;
      take(r);
    }
  }
  const lastSent = sentAt[NUM_IPID_PROBES - 1]!;
  while (returned < NUM_IPID_PROBES) {
    const left = QUALIFY_TIMEOUT_MS - (link.now() - lastSent);
    if (left <= 0) break;
    const r = await link.receive(left);
    if (!r) break;
    take(r);
  }
  const port = cfg.probePort;
  if (returned === 0) silentZombie(cfg);
  z.seqClass = ipIdSequence16(ids, false);
  const text = IPID_CLASS_TEXT[z.seqClass];
  if (!USABLE.includes(z.seqClass)) {
    fatal(
      `Idle scan zombie ${z.label} port ${port} cannot be used because IP ID sequence class is: ${text}.  Try another proxy.`,
    );
  }
  announce(
    `Idle scan using zombie ${cfg.zombieName} (${cfg.zombieAddress}:${port}); Class: ${text}`,
  );
  z.latestId = ids[returned - 1]!;
  z.currentGroup = Math.min(z.maxGroup, 30);
  if (returned < NUM_IPID_PROBES) {
    // Already losing packets: start small.
    z.currentGroup = Math.max(Math.min(12, z.maxGroup), z.minGroup);
    z.sendDelay += 5;
  }

  // Spoofed SYN|ACKs "from" the target must move the counter: otherwise the zombie counts per
  // peer, or our spoofed packets never arrive (egress filtering).
  for (let i = 0; i < 4; i++) {
    if (i > 0) await link.sleep(50);
    link.spoofToZombie(cfg.magicPort, (seqBase + i + 1) >>> 0, ack);
  }
  await link.sleep(300);
  let newId = (await z.probe()).ipId;
  if (newId === -1) newId = (await z.probe()).ipId;
  const zl = `${cfg.zombieName}; ${cfg.zombieAddress}`;
  if (newId < 0) {
    fatal(`Your IP ID Zombie (${zl}) is behaving strangely -- suddenly cannot obtain IP ID`);
  }
  const distance = ipIdDistance(z.seqClass, z.latestId, newId);
  if (distance <= 0) {
    fatal(
      `Your IP ID Zombie (${zl}) is behaving strangely -- suddenly cannot obtain valid IP ID distance.`,
    );
  } else if (distance === 1) {
    fatal(
      `Even though your Zombie (${zl}) appears to be vulnerable to IP ID sequence prediction (class: ${text}), our attempts have failed.  This generally means that either the Zombie uses a separate IP ID base for each host (like Solaris), or because you cannot spoof IP packets (perhaps your ISP has enabled egress filtering to prevent IP spoofing), or maybe the target network recognizes the packet source as bogus and drops them`,
    );
  }
  if (distance !== 5) {
    cfg.debug?.(
      `WARNING: IP ID spoofing test sent 4 packets and expected a distance of 5, but instead got ${distance}`,
    );
  }
  z.latestId = newId;
  return z;
}

/** The target's timing during the scan (nmap's target->to), ms. */
export interface TargetTiming {
  srtt: number;
  rttvar: number;
}

/** A count's send and last-change times, for timing when the count proves right. */
interface CountTimes {
  sent: number;
  changed: number;
}

/** One idle scan of a target's ports over a qualified zombie (nmap's idle_scan body). */
export class IdleScan {
  readonly open = new Set<number>();
  readonly target: RttInfo;
  /** A port found open (-v's "Discovered open port"), as the search finds it. */
  onOpen?: (port: number) => void;
  #phantomWarned = false;

  /**
   * `known`: the target's timing from discovery (ms), when it had any (an ARP or ping reply).
   */
  constructor(
    readonly z: Zombie,
    readonly warn: (line: string) => void = () => {},
    known?: TargetTiming,
  ) {
    const p = z.rtt;
    const zSrtt = p.srtt === -1 ? 0 : p.srtt, zVar = p.rttvar === -1 ? 0 : p.rttvar;
    const t = this.target = new RttInfo(1000, p.minMs, p.maxMs);
    if (known) {
      // nmap's: the slower of the two.
      t.srtt = Math.max(known.srtt, zSrtt);
      t.rttvar = Math.max(known.rttvar, zVar);
    } else {
      // No timing of our own for the target: the zombie's, doubled (the path is two legs).
      t.srtt = Math.max(200, 2 * zSrtt);
      t.rttvar = Math.max(10, Math.min(zVar, 2000));
    }
    t.timeout = t.srtt + 4 * t.rttvar;
  }

  /** Scans `ports`; each one's result in `ports` order (null when cut short by Ctrl-C). */
  async run(ports: readonly number[]): Promise<PortResult[] | null> {
    for (let at = 0; at < ports.length;) {
      if (this.z.link.aborted?.()) return null;
      // Twice the group size: the tree search halves it at once.
      const n = Math.min(ports.length - at, Math.floor(this.z.currentGroup * 2));
      await this.treeScan(ports.slice(at, at + n), -1);
      at += n;
    }
    return ports.map((port) =>
      this.open.has(port)
        ? { protocol: "tcp", port, state: "open", reason: "ipid-change" }
        : { protocol: "tcp", port, state: "closed|filtered", reason: "no-ipid-change" }
    );
  }

  /** Open ports among `ports` by one round of spoofed SYNs (nmap's idlescan_countopen2). */
  async countOpen2(ports: readonly number[], times?: CountTimes): Promise<number> {
    const z = this.z, link = z.link;
    const start = link.now();
    let changed = 0;
    await z.spoof(ports);
    const end = link.now();
    const t = this.target;
    const probeTimes = [
      start + Math.max(50, (t.srtt * 3) / 4),
      start + t.srtt,
      end + Math.max(75, 2 * t.srtt + t.rttvar),
      end + Math.min(4000, 2 * t.srtt + 4 * t.rttvar),
    ];
    let open = -1, sent = 0, rcvd = 0, newId = 0, doTry3 = false;
    for (let tries = 0; tries <= 3; tries++) {
      if (tries === 2) doTry3 = z.randomU8() > 200;
      if (tries === 3 && !doTry3) break; // the long wait, only now and then
      const lastTry = tries === 3 || (tries === 2 && !doTry3);
      let sleep = probeTimes[tries]! - link.now();
      if (!lastTry && sent > 0 && sleep < 50) continue; // too soon after the last probe
      if (tries === 0 && sleep < 0.5) sleep = 0.5;
      if (sleep > 0) await link.sleep(sleep);
      const p = await z.probe();
      newId = p.ipId;
      sent += p.sent;
      rcvd += p.rcvd;
      if (newId > 0) {
        const dist = ipIdDistance(z.seqClass, z.latestId, newId) - sent;
        if (dist > open) {
          open = dist;
          changed = link.now();
        }
      }
      if (open > ports.length || (ports.length <= 2 && open === ports.length)) break;
    }
    if (sent > rcvd) {
      // We lost a probe of the zombie: slow down.
      z.sendDelay = Math.min(z.maxSendDelay, z.sendDelay + 5);
    } else {
      z.sendDelay *= 0.95;
      if (z.sendDelay < 0.5) z.sendDelay = 0;
    }
    z.currentGroup = Math.max(z.minGroup, Math.min(z.currentGroup, 500 / (z.sendDelay + 0.001)));
    if (open > 0 && open <= ports.length && times) {
      times.sent = start;
      times.changed = changed;
    }
    if (newId > 0) z.latestId = newId;
    return open;
  }

  /** countOpen2 until its count is possible, with nmap's pauses; fatal after six tries. */
  async countOpen(ports: readonly number[], times?: CountTimes): Promise<number> {
    let open: number;
    for (let tries = 1;; tries++) {
      if (this.z.link.aborted?.()) return 0;
      open = await this.countOpen2(ports, times);
      if (tries === 6 || (open >= 0 && open <= ports.length)) break;
      // Maybe the zombie had a burst of traffic: wait, then read its counter afresh.
      await this.z.link.sleep(tries * tries * 1000 + (tries === 5 ? 45_000 : 0));
      this.z.latestId = (await this.z.probe()).ipId;
    }
    if (open < 0 || open > ports.length) {
      fatal(
        `Idle scan is unable to obtain meaningful results from proxy ${this.z.label}.  I'm sorry it didn't work out.`,
      );
    }
    return open;
  }

  /** Group size and send delay after a count of `test` where `real` was true. */
  adjustTiming(test: number, real: number): void {
    const z = this.z;
    if (test < real) {
      // A port missed: a probe or the zombie's answer was lost; slow down.
      z.currentGroup = Math.max(z.minGroup, z.currentGroup * 0.8);
      z.sendDelay = Math.min(z.maxSendDelay, z.sendDelay + 10);
      z.currentGroup = Math.max(z.minGroup, Math.min(z.currentGroup, 500 / (z.sendDelay + 0.001)));
    } else if (test > real) {
      z.currentGroup = Math.max(z.minGroup, z.currentGroup * 0.8);
      if (!this.#phantomWarned) {
        this.#phantomWarned = true;
        this.warn(
          `WARNING: idle scan has erroneously detected phantom ports -- is the proxy ${z.label} really idle?`,
        );
      }
    } else {
      z.sendDelay *= 0.9;
      if (z.sendDelay < 0.5) z.sendDelay = 0;
      z.currentGroup = Math.min(z.currentGroup * 1.1, 500 / (z.sendDelay + 0.001), z.maxGroup);
    }
  }

  /** Depth-first halving of `ports` to find its open ones (nmap's idle_treescan). */
  async treeScan(ports: readonly number[], expected: number): Promise<number> {
    const n1 = (ports.length + 1) >> 1;
    const halves = [ports.slice(0, n1), ports.slice(n1)] as const;
    const flat = [0, 0];
    const deep = [-1, -1];
    const times: CountTimes[] = [{ sent: 0, changed: 0 }, { sent: 0, changed: 0 }];
    for (const h of [0, 1]) {
      const half = halves[h]!;
      flat[h] = await this.countOpen(half, times[h]);
      if (half.length > 1 && flat[h]! > 0) {
        deep[h] = await this.treeScan(half, flat[h]!);
        this.adjustTiming(flat[h]!, deep[h]!);
      }
    }
    let total = (deep[0] === -1 ? flat[0]! : deep[0]!) + (deep[1] === -1 ? flat[1]! : deep[1]!);
    if (flat[0]! + flat[1]! === total && (expected === total || expected === -1)) {
      for (const h of [0, 1]) {
        if (flat[h]! > 0) this.target.sample(times[h]!.sent, times[h]!.changed);
      }
    }
    if (total !== expected) {
      for (const h of [0, 1]) {
        if (deep[h] !== -1) continue;
        const half = halves[h]!;
        let retry = await this.countOpen(half);
        if (retry === flat[h]) continue;
        if (half.length > 1 && retry > 0) {
          const first = retry;
          retry = await this.treeScan(half, retry);
          this.adjustTiming(first, retry);
        } else {
          this.adjustTiming(flat[h]!, retry);
        }
        total += retry - flat[h]!;
        // A lone port counted open the first time and not now: forget it.
        if (half.length === 1 && flat[h] === 1 && retry === 0) this.open.delete(half[0]!);
        flat[h] = retry;
      }
    }
    for (const h of [0, 1]) {
      const port = halves[h]![0]!;
      if (halves[h]!.length !== 1 || flat[h] !== 1 || this.open.has(port)) continue;
      this.open.add(port);
      this.onOpen?.(port);
    }
    return total;
  }
}
