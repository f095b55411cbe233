/**
 * The network lab: scenarios of network namespaces that tests, the demo and benchmarks scan.
 *
 * ```ts
 * await using lab = await Lab.up({ tag: "t1", scenario: "scanme" });
 * const r = await lab.nmap(["-sS", "-T4", lab.target.v4]);
 * ```
 *
 * Layout (names and addresses from the tag: see addressing.ts):
 * - the scanner namespace `ph-<tag>-s` has one interface, `eth0`, and routes only to the lab,
 *   so whatever runs there (nmap, Porthole) can reach nothing but the lab;
 * - "routed" scenarios: `eth0` is a veth to the one target `ph-<tag>-t0`, which is also the
 *   scanner's gateway to the target's service address (on its loopback) and, for anyip16, to a
 *   whole /16 made local by AnyIP;
 * - "bridge" scenarios: scanner and targets hang off bridge `br0` in the hub `ph-<tag>-h`.
 * Each target gets an nftables ruleset (port policies, loss), its ICMP rate limit sysctls, and a
 * `services.ts` process. The scanner namespace resolves the targets' names through its own
 * /etc/hosts (/etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts).
 *
 * Bookkeeping lives in /run/ph-lab/<tag>.json, written before anything is created, so that
 * `Lab.down(tag)` and `Lab.sweep()` can always find what to remove.
 */

import { addressing, checkTag, type LabAddressing, parseNsName, PREFIX } from "./addressing.ts";
import { must, run, type RunOptions, type RunResult } from "./_exec.ts";
import { rulesetFor } from "./nft.ts";
import {
  type HostSpec,
  type Scenario,
  scenario as scenarioByName,
  validateScenario,
} from "./scenarios.ts";
import type { ServicesConfig } from "./services.ts";
import { type PathConfig, pathConfig, queueRules } from "./path.ts";
import { portholeEnv, portholeFlags as taskFlags } from "../../tools/artifact.ts";

export type { RunOptions, RunResult } from "./_exec.ts";
export * from "./scenarios.ts";
export { addressing, tagIndex } from "./addressing.ts";

/** The repository root (this file is tests/lab/mod.ts). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
/** Where lab bookkeeping lives (tmpfs: gone at reboot, like the namespaces themselves). */
export const STATE_DIR = "/run/ph-lab";
/** Orphan `ph-` namespaces (no lab bookkeeping) older than this are stale for {@link Lab.sweep}. */
export const ORPHAN_AGE_MS = 10 * 60_000;

const SERVICES_TS = `${REPO_ROOT}/tests/lab/services.ts`;
const PATH_TS = `${REPO_ROOT}/tests/lab/path.ts`;

/** A helper process the lab runs inside a namespace: a script and its permissions. */
interface Helper {
  script: string;
  flags: string[];
}
const SERVICES: Helper = { script: SERVICES_TS, flags: ["--allow-net", "--unstable-net"] };
/** The path process speaks netlink through libc (NFQUEUE). */
const PATH: Helper = { script: PATH_TS, flags: ["--allow-ffi"] };

/** Options of {@link Lab.up}. */
export interface LabUpOptions {
  /** 1–16 characters of [a-z0-9]; names the namespaces and picks the subnets. */
  tag: string;
  /** A scenario name from SCENARIOS, or a scenario of your own. Default "scanme". */
  scenario?: string | Scenario;
  /** Random loss each way at every target, percent (overrides the scenario's). */
  lossPercent?: number;
  /** The kernel's ICMP error rate limit in the targets (overrides the scenario's). */
  icmpRatelimit?: boolean;
  /**
   * Leave the lab up after this process exits (the `lab up` CLI): services do not watch their
   * starter, and only `Lab.down(tag)` or `Lab.sweep({ all: true })` removes it.
   */
  detach?: boolean;
  /** How long to wait for each target's services to bind (default 30 s). */
  servicesTimeoutMs?: number;
}

/** One target host as built. */
export interface TargetInfo {
  /** The host's name in its scenario, e.g. "scanme". */
  name: string;
  /** The name the scanner namespace resolves to it, if any (e.g. "scanme.lab"). */
  hostname?: string;
  ns: string;
  /** The address to scan. */
  v4: string;
  v6: string;
  spec: HostSpec;
}

/** The scanner side as built. */
export interface ScannerInfo {
  ns: string;
  iface: "eth0";
  v4: string;
  v6: string;
}

/** Bookkeeping of one lab, in STATE_DIR/<tag>.json. */
export interface LabState {
  tag: string;
  scenario: string;
  namespaces: string[];
  /** The process whose lifetime bounds the lab; null for a detached lab. */
  ownerPid: number | null;
  /** `ps -o lstart=` of the owner, against pid reuse. */
  ownerStart: string | null;
  detached: boolean;
  created: string;
  scanner?: ScannerInfo;
  targets?: { name: string; hostname?: string; ns: string; v4: string; v6: string }[];
  anyip?: string;
  lossPercent: number;
  icmpRatelimit: boolean;
}

/** One lab as {@link Lab.status} sees it. */
export interface LabStatus {
  tag: string;
  state: LabState | null;
  /** Namespaces that exist now. */
  namespaces: string[];
  /** "up" (owner alive), "detached", "stale" (owner gone) or "orphan" (no bookkeeping). */
  health: "up" | "detached" | "stale" | "orphan";
  /** Pids running inside its namespaces. */
  pids: number[];
}

// --- small helpers ---------------------------------------------------------------------------

const nsExec = (ns: string, argv: string[], opts?: RunOptions) =>
  must(["ip", "netns", "exec", ns, ...argv], opts);

function denoExe(): string {
  const local = `${REPO_ROOT}/node_modules/.bin/deno`;
  try {
    Deno.statSync(local);
    return local;
  } catch {
    return Deno.execPath();
  }
}

async function isRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const r = await run(["id", "-u"]);
  return r.stdout.trim() === "0";
}

/** Why the lab cannot run here, or null when it can (root, Linux, ip, nft and sysctl present). */
export async function labUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "the lab needs Linux network namespaces";
  if (!(await isRoot())) return "the lab needs root (network namespaces, nftables)";
  for (const tool of ["ip", "nft", "sysctl", "ps"]) {
    const r = await run([tool, "-V"]);
    if (r.code === 127) return `the lab needs ${tool} (run tools/setup.sh)`;
  }
  return null;
}

async function processStart(pid: number): Promise<string | null> {
  const r = await run(["ps", "-o", "lstart=", "-p", String(pid)]);
  const s = r.stdout.trim();
  return r.code === 0 && s ? s : null;
}

async function listNamespaces(): Promise<string[]> {
  const r = await run(["ip", "netns", "list"]);
  if (r.code !== 0) return [];
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter((n) =>
    n.startsWith(PREFIX)
  );
}

async function nsPids(ns: string): Promise<number[]> {
  const r = await run(["ip", "netns", "pids", ns]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => n > 1 && n !== Deno.pid);
}

function statePath(tag: string): string {
  return `${STATE_DIR}/${tag}.json`;
}

async function readState(tag: string): Promise<LabState | null> {
  try {
    return JSON.parse(await Deno.readTextFile(statePath(tag))) as LabState;
  } catch {
    return null;
  }
}

async function writeState(s: LabState): Promise<void> {
  await Deno.mkdir(STATE_DIR, { recursive: true });
  const tmp = `${statePath(s.tag)}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(s, null, 2) + "\n");
  await Deno.rename(tmp, statePath(s.tag));
}

async function ownerAlive(s: LabState): Promise<boolean> {
  if (s.ownerPid === null) return false;
  const start = await processStart(s.ownerPid);
  return start !== null && start === s.ownerStart;
}

async function killPids(pids: number[]): Promise<void> {
  if (pids.length === 0) return;
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* gone */ }
  }
  for (let i = 0; i < 20; i++) {
    const alive = [];
    for (const pid of pids) if (await processStart(pid)) alive.push(pid);
    if (alive.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
    if (i === 19) {
      for (const pid of alive) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
  }
}

/** Removes one namespace: its processes, the namespace, its /etc/netns overlay. Idempotent. */
async function removeNamespace(ns: string): Promise<void> {
  await killPids(await nsPids(ns));
  await run(["ip", "netns", "delete", ns]);
  await Deno.remove(`/etc/netns/${ns}`, { recursive: true }).catch(() => {});
}

// --- services processes ----------------------------------------------------------------------

/** A helper process (`services.ts`, `path.ts`) inside one target namespace. */
class ServiceProc {
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null;
  #drains: Promise<void>[] = [];
  #tail = "";

  private constructor(
    child: Deno.ChildProcess,
    stdin: WritableStreamDefaultWriter<Uint8Array> | null,
  ) {
    this.#child = child;
    this.#stdin = stdin;
  }

  /** Starts it and waits for its `ready` line; throws with its error output otherwise. */
  static async start(
    ns: string,
    cfg: ServicesConfig | PathConfig,
    detach: boolean,
    timeoutMs: number,
    helper: Helper = SERVICES,
  ) {
    const json = JSON.stringify(cfg);
    if (json.length > 120_000) {
      throw new Error(`services config for ${ns} too large (${json.length} bytes)`);
    }
    const argv = [
      ...(detach ? ["setsid"] : []),
      "ip",
      "netns",
      "exec",
      ns,
      denoExe(),
      "run",
      "--quiet",
      ...helper.flags,
      // The SCTP responder's and the idle zombie's raw sockets (libc through FFI).
      ...(("sctp" in cfg && cfg.sctp) || ("zombie" in cfg && cfg.zombie) ? ["--allow-ffi"] : []),
      helper.script,
      ...(detach ? ["--detach"] : []),
      json,
    ];
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: detach ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = new ServiceProc(child, detach ? null : child.stdin.getWriter());
    const out = child.stdout.getReader();
    const err = child.stderr.getReader();
    const errText = (async () => {
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await err.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        proc.#tail = (proc.#tail + dec.decode(value)).slice(-4000);
      }
    })();
    let buf = "";
    let ready = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    const dec = new TextDecoder();
    while (!ready) {
      const got = await Promise.race([out.read(), timeout]);
      if (got === "timeout" || got.done) break;
      buf += dec.decode(got.value);
      ready = /^ready /m.test(buf);
    }
    clearTimeout(timer);
    if (!ready) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await out.cancel().catch(() => {});
      await child.status;
      await errText;
      proc.#stdin?.close().catch(() => {});
      const why = (proc.#tail || buf).trim().split("\n").slice(-3).join(" / ");
      const what = helper === SERVICES ? "services" : "path";
      throw new Error(`${what} in ${ns} did not start: ${why || "no output"}`);
    }
    if (detach) {
      // Nobody will read these pipes after this process exits; let go of them now.
      await out.cancel().catch(() => {});
      await err.cancel().catch(() => {});
      await errText;
      child.unref();
      return proc;
    }
    proc.#drains.push(
      errText,
      (async () => {
        for (;;) {
          const { done } = await out.read().catch(() => ({ done: true }));
          if (done) return;
        }
      })(),
    );
    return proc;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Stops it (end of stdin, then SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    if (!this.#stdin) return; // detached: down() kills it by namespace
    await this.#stdin.close().catch(() => {});
    this.#stdin = null;
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already exited */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), 3000));
    if ((await Promise.race([this.#child.status, late])) === "late") {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
      await this.#child.status;
    }
    clearTimeout(timer);
    await Promise.all(this.#drains);
  }
}

// --- the lab ---------------------------------------------------------------------------------

/** The `deno run` flags of Porthole: the `porthole` task's (tools/artifact.ts reads them). */
export function portholeFlags(): Promise<string[]> {
  return Promise.resolve(["--quiet", ...taskFlags()]);
}

/** A lab that is up. Create with {@link Lab.up}; dispose (or {@link Lab.down}) to remove it. */
export class Lab implements AsyncDisposable {
  readonly tag: string;
  /** The scenario as built (with the loss and rate limit overrides applied). */
  readonly scenario: Scenario;
  readonly addr: LabAddressing;
  readonly scanner: ScannerInfo;
  readonly targets: TargetInfo[];
  /** The range made local by AnyIP (anyip16 scenario), e.g. "10.103.0.0/16". */
  readonly anyip?: string;
  #procs: ServiceProc[] = [];
  #gone = false;

  private constructor(tag: string, sc: Scenario, targets: TargetInfo[]) {
    this.tag = tag;
    this.scenario = sc;
    this.addr = addressing(tag);
    this.scanner = {
      ns: this.addr.scannerNs,
      iface: "eth0",
      v4: this.addr.scannerV4,
      v6: this.addr.scannerV6,
    };
    this.targets = targets;
    if (sc.anyip16) this.anyip = this.addr.anyipV4.replace(/16$/, `${sc.anyipPrefixLength ?? 16}`);
  }

  /** The first (for routed scenarios, the only) target. */
  get target(): TargetInfo {
    return this.targets[0]!;
  }

  /** Brings a scenario up. On any failure, removes whatever it had built and rethrows. */
  static async up(opts: LabUpOptions): Promise<Lab> {
    // PH_LAB_TAG_SUFFIX lets several developers run the same lab tests at once without meeting.
    opts = { ...opts, tag: opts.tag + (Deno.env.get("PH_LAB_TAG_SUFFIX") ?? "") };
    checkTag(opts.tag);
    const why = await labUnavailable();
    if (why) throw new Error(why);
    const base = typeof opts.scenario === "object"
      ? opts.scenario
      : scenarioByName(opts.scenario ?? "scanme");
    const sc: Scenario = {
      ...base,
      lossPercent: opts.lossPercent ?? base.lossPercent,
      icmpRatelimit: opts.icmpRatelimit ?? base.icmpRatelimit,
    };
    validateScenario(sc);
    if (pathConfig(sc.path) && (await run(["iptables-restore", "-V"])).code === 127) {
      throw new Error(`scenario ${sc.name} needs iptables (NFQUEUE): run tools/setup.sh`);
    }
    const a = addressing(opts.tag);

    await Lab.sweep({ orphans: false }); // labs of crashed runs (this tag's included) go first
    const prior = await readState(opts.tag);
    if (prior) {
      const who = prior.detached ? "detached" : `owned by pid ${prior.ownerPid}`;
      throw new Error(
        `lab ${opts.tag} is already up (${who}): run \`deno task lab down --tag ${opts.tag}\``,
      );
    }
    const existing = (await listNamespaces()).filter((n) => parseNsName(n)?.tag === opts.tag);
    if (existing.length) {
      throw new Error(
        `namespace ${existing[0]} exists but is no lab's; remove it or pick another tag`,
      );
    }

    const targets: TargetInfo[] = sc.hosts.map((h, i) => ({
      name: h.name,
      hostname: h.hostname,
      ns: a.targetNs(i),
      v4: sc.topology === "bridge" ? a.hostV4(i) : a.serviceV4,
      v6: sc.topology === "bridge" ? a.hostV6(i) : a.serviceV6,
      spec: h,
    }));
    const namespaces = [
      a.scannerNs,
      ...(sc.topology === "bridge" ? [a.hubNs] : []),
      ...routerNumbers(sc).map((k) => a.routerNs(k)),
      ...targets.map((t) => t.ns),
    ];
    const state: LabState = {
      tag: opts.tag,
      scenario: sc.name,
      namespaces,
      ownerPid: opts.detach ? null : Deno.pid,
      ownerStart: opts.detach ? null : await processStart(Deno.pid),
      detached: !!opts.detach,
      created: new Date().toISOString(),
      lossPercent: sc.lossPercent ?? 0,
      icmpRatelimit: sc.icmpRatelimit,
    };
    // First, so that a crash from here on leaves something to sweep; created exclusively, so
    // two processes bringing up the same tag at once cannot both proceed.
    await Deno.mkdir(STATE_DIR, { recursive: true });
    try {
      await Deno.writeTextFile(statePath(opts.tag), JSON.stringify(state, null, 2) + "\n", {
        createNew: true,
      });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new Error(`lab ${opts.tag} is being brought up by another process`);
      }
      throw e;
    }

    const lab = new Lab(opts.tag, sc, targets);
    try {
      await lab.#build(!!opts.detach, opts.servicesTimeoutMs ?? 30_000);
      await writeState({
        ...state,
        scanner: lab.scanner,
        targets: targets.map(({ spec: _, ...t }) => t),
        anyip: lab.anyip,
      });
    } catch (e) {
      await lab.down();
      throw e;
    }
    return lab;
  }

  async #build(detach: boolean, servicesTimeoutMs: number): Promise<void> {
    const a = this.addr;
    const sc = this.scenario;
    // Few processes per lab (it is often built on a busy machine): one `ip -batch` per
    // namespace and step, one sysctl per namespace.
    const batch = (ns: string | null, lines: string[]) =>
      must(["ip", ...(ns ? ["-n", ns] : []), "-batch", "-"], { stdin: lines.join("\n") + "\n" });
    // Fixed MACs (locally administered, 02:70:68 = "ph") keep scan outputs reproducible.
    const mac = (host: number, oui = "02:70:68") =>
      `${oui}:${a.b.toString(16).padStart(2, "0")}:00:${host.toString(16).padStart(2, "0")}`;
    const S = a.scannerNs;
    const H = a.hubNs;
    const bridged = sc.topology === "bridge";
    const routers = routerNumbers(sc).map((k) => a.routerNs(k));
    const all = [S, ...(bridged ? [H] : []), ...routers, ...this.targets.map((t) => t.ns)];
    await batch(null, all.map((ns) => `netns add ${ns}`));
    const noDad = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"];
    await nsExec(S, ["sysctl", "-qw", ...noDad]);
    for (const t of this.targets) {
      await nsExec(t.ns, ["sysctl", "-qw", ...noDad, ...ratelimitSysctls(sc.icmpRatelimit)]);
    }
    if (sc.topology === "chain") {
      await this.#buildChain(batch, mac);
    } else if (!bridged) {
      const T = this.targets[0]!.ns;
      await batch(S, [
        "link set lo up",
        `link add eth0 address ${mac(1)} type veth peer name eth0 address ${mac(2)} netns ${T}`,
        `addr add ${a.scannerV4}/24 dev eth0`,
        `addr add ${a.scannerV6}/64 nodad dev eth0`,
        "link set eth0 up",
      ]);
      await batch(T, [
        "link set lo up",
        `addr add ${a.gatewayV4}/24 dev eth0`,
        `addr add ${a.gatewayV6}/64 nodad dev eth0`,
        "link set eth0 up",
        // The target's own address sits on its loopback, one hop away: a remote host to nmap.
        `addr add ${a.serviceV4}/32 dev lo`,
        `addr add ${a.serviceV6}/128 nodad dev lo`,
        // AnyIP: a local route makes every address of the /16 the target's own.
        ...(this.anyip ? [`route add local ${this.anyip} dev lo`] : []),
      ]);
      await batch(S, [
        `route add ${a.serviceNetV4} via ${a.gatewayV4}`,
        `route add ${a.serviceNetV6} via ${a.gatewayV6}`,
        ...(this.anyip ? [`route add ${this.anyip} via ${a.gatewayV4}`] : []),
      ]);
    } else {
      // The hub only bridges: no addresses, no IPv6 chatter of its own.
      await nsExec(H, [
        "sysctl",
        "-qw",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ]);
      const ends = [
        { ns: S, port: "s", host: 1, v4: a.scannerV4, v6: a.scannerV6, oui: undefined },
        ...this.targets.map((t, i) => ({
          ns: t.ns,
          port: `t${i}`,
          host: 10 + i,
          v4: t.v4,
          v6: t.v6,
          oui: t.spec.oui,
        })),
      ];
      for (const e of ends) {
        await batch(e.ns, [
          "link set lo up",
          `link add eth0 address ${mac(e.host, e.oui)} type veth peer name ${e.port} netns ${H}`,
          `addr add ${e.v4}/24 dev eth0`,
          `addr add ${e.v6}/64 nodad dev eth0`,
          "link set eth0 up",
        ]);
      }
      await batch(H, [
        "link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
        "link set br0 up",
        ...ends.map((e) => `link set ${e.port} master br0 up`),
      ]);
    }

    // The scanner resolves the targets' names through its own /etc/hosts.
    const hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
    for (const t of this.targets) {
      if (t.hostname) hosts.push(`${t.v4}\t${t.hostname}`, `${t.v6}\t${t.hostname}`);
    }
    // Chain routers get names (r1.lab, …) for the addresses their time-exceeded messages come
    // from, so that traceroute's reverse DNS has something to find.
    for (const k of routerNumbers(sc)) {
      const from = sc.chain!.otherSource === k
        ? `10.${a.b}.30.${k}`
        : k === 1
        ? a.gatewayV4
        : `10.${a.b}.${19 + k}.2`;
      const from6 = sc.chain!.otherSource === k
        ? `fd00:${a.b}:30::${k}`
        : k === 1
        ? a.gatewayV6
        : `fd00:${a.b}:${19 + k}::2`;
      hosts.push(`${from}\tr${k}.lab`, `${from6}\tr${k}.lab`);
    }
    await Deno.mkdir(`/etc/netns/${a.scannerNs}`, { recursive: true });
    await Deno.writeTextFile(`/etc/netns/${a.scannerNs}/hosts`, hosts.join("\n") + "\n");
    // No resolver reachable from the lab: lookups fail at once instead of leaving it.
    await Deno.writeTextFile(
      `/etc/netns/${a.scannerNs}/resolv.conf`,
      "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );

    for (const t of this.targets) {
      await nsExec(t.ns, ["nft", "-f", "-"], {
        stdin: rulesetFor(t.spec, { lossPercent: sc.lossPercent, path: sc.path }),
      });
    }
    // Delay and bursts on the path: each target's link queues its packets to a path process.
    const path = pathConfig(sc.path);
    if (path) {
      for (const t of this.targets) {
        await nsExec(t.ns, ["iptables-restore"], { stdin: queueRules(path, "eth0", false) });
        await nsExec(t.ns, ["ip6tables-restore"], { stdin: queueRules(path, "eth0", true) });
        this.#procs.push(await ServiceProc.start(t.ns, path, detach, servicesTimeoutMs, PATH));
      }
    }
    const starts = this.targets.map((t) => {
      const cfg = servicesConfig(t, sc, this.targets);
      if (!cfg) return null;
      return ServiceProc.start(t.ns, cfg, detach, servicesTimeoutMs);
    });
    const results = await Promise.allSettled(starts);
    for (const r of results) if (r.status === "fulfilled" && r.value) this.#procs.push(r.value);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * The chain topology (see Scenario.chain): scanner 10.B.0.1 — 10.B.0.2 r1 10.B.21.1 —
   * 10.B.21.2 r2 … rN 10.B.(20+N).1 — 10.B.(20+N).2 target (10.B.1.1 and 10.B.1.2 on its lo),
   * and alike in IPv6 (fd00:B::1 — fd00:B::2 r1 fd00:B:21::1 — …, target fd00:B:1::1 and ::2).
   * Each router forwards towards the target by default and back to the scanner's link by a route.
   */
  async #buildChain(
    batch: (ns: string | null, lines: string[]) => Promise<unknown>,
    mac: (host: number) => string,
  ): Promise<void> {
    const a = this.addr;
    const chain = this.scenario.chain!;
    const n = chain.routers;
    const net = (k: number) => k === 0 ? `10.${a.b}.0` : `10.${a.b}.${20 + k}`;
    // The v6 link reads as the v4 one: 10.B.21.1 ↔ fd00:B:21::1.
    const net6 = (k: number) => k === 0 ? `fd00:${a.b}:` : `fd00:${a.b}:${20 + k}:`;
    const T = this.targets[0]!.ns;
    const nsOf = (k: number) => k === 0 ? a.scannerNs : k > n ? T : a.routerNs(k);
    // Link k joins hop k (its eth1, or the scanner's eth0) and hop k+1 (its eth0).
    for (let k = 0; k <= n; k++) {
      const left = nsOf(k), right = nsOf(k + 1);
      const leftIf = k === 0 ? "eth0" : "eth1";
      await batch(left, [
        "link set lo up",
        `link add ${leftIf} address ${mac(40 + 2 * k)} type veth peer name eth0 address ${
          mac(41 + 2 * k)
        } netns ${right}`,
        `addr add ${net(k)}.1/24 dev ${leftIf}`,
        `addr add ${net6(k)}:1/64 nodad dev ${leftIf}`,
        `link set ${leftIf} up`,
      ]);
      await batch(right, [
        "link set lo up",
        `addr add ${net(k)}.2/24 dev eth0`,
        `addr add ${net6(k)}:2/64 nodad dev eth0`,
        "link set eth0 up",
      ]);
    }
    await batch(a.scannerNs, [
      `route add ${a.serviceNetV4} via ${net(0)}.2`,
      `route add ${a.serviceNetV6} via ${net6(0)}:2`,
    ]);
    for (let k = 1; k <= n; k++) {
      const R = a.routerNs(k);
      await nsExec(R, [
        "sysctl",
        "-qw",
        `net.ipv4.ip_forward=${chain.relayOnly ? 0 : 1}`,
        `net.ipv6.conf.all.forwarding=${chain.relayOnly ? 0 : 1}`,
        ...ratelimitSysctls(false),
      ]);
      const other = chain.otherSource === k ? `10.${a.b}.30.${k}` : undefined;
      const other6 = chain.otherSource === k ? `fd00:${a.b}:30::${k}` : undefined;
      await batch(
        R,
        [
          `route add default via ${net(k)}.2`,
          `route add default via ${net6(k)}:2`,
          ...(other ? [`addr add ${other}/32 dev lo`, `addr add ${other6}/128 nodad dev lo`] : []),
          k === 1
            ? (other ? `route replace ${net(0)}.0/24 dev eth0 src ${other}` : "")
            : `route add ${net(0)}.0/24 via ${net(k - 1)}.1${other ? ` src ${other}` : ""}`,
          k === 1
            ? (other ? `route replace ${net6(0)}:/64 dev eth0 src ${other6}` : "")
            : `route add ${net6(0)}:/64 via ${net6(k - 1)}:1${other ? ` src ${other6}` : ""}`,
        ].filter(Boolean),
      );
      if (chain.silent === k) {
        await nsExec(R, ["nft", "-f", "-"], {
          stdin:
            "table inet ph_silent {\n  chain out {\n    type filter hook output priority 0;\n" +
            "    icmp type time-exceeded drop\n    icmpv6 type time-exceeded drop\n  }\n}\n",
        });
      }
    }
    await batch(T, [
      `addr add ${a.serviceV4}/32 dev lo`,
      `addr add 10.${a.b}.1.2/32 dev lo`,
      `addr add ${a.serviceV6}/128 nodad dev lo`,
      `addr add fd00:${a.b}:1::2/128 nodad dev lo`,
      `route add default via ${net(n)}.1`,
      `route add default via ${net6(n)}:1`,
    ]);
  }

  /** Runs `cmd` inside the scanner namespace (its only link leads to the lab). */
  runInScanner(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(["ip", "netns", "exec", this.scanner.ns, ...cmd], { cwd: REPO_ROOT, ...opts });
  }

  /**
   * One more scanner namespace `ph-<tag>-s<k>` (k ≥ 1, routed scenarios), as a second pod
   * would be: its own link `eth0` to the target (10.B.(10+k).1/24, the target's end .2) and the
   * same routes as the first scanner's. Removed with the lab. Returns the argv prefix that runs
   * a command inside it (`ip netns exec <ns>`) and its namespace.
   */
  async addScanner(k: number): Promise<{ ns: string; exec: string[] }> {
    if (this.scenario.topology !== "routed") throw new Error("addScanner: routed scenarios only");
    if (!Number.isInteger(k) || k < 1 || k > 9) throw new Error(`addScanner: k=${k} not in 1..9`);
    const a = this.addr;
    const ns = `${a.scannerNs}${k}`;
    const net = `10.${a.b}.${10 + k}`;
    const T = this.targets[0]!.ns;
    await must(["ip", "netns", "add", ns]);
    const batch = (n: string, lines: string[]) =>
      must(["ip", "-n", n, "-batch", "-"], { stdin: lines.join("\n") + "\n" });
    await batch(ns, [
      "link set lo up",
      `link add eth0 type veth peer name s${k} netns ${T}`,
      `addr add ${net}.1/24 dev eth0`,
      "link set eth0 up",
    ]);
    await batch(T, [`addr add ${net}.2/24 dev s${k}`, `link set s${k} up`]);
    await batch(ns, [
      `route add ${a.serviceNetV4} via ${net}.2`,
      ...(this.anyip ? [`route add ${this.anyip} via ${net}.2`] : []),
    ]);
    await Deno.mkdir(`/etc/netns/${ns}`, { recursive: true });
    await Deno.writeTextFile(
      `/etc/netns/${ns}/resolv.conf`,
      "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    return { ns, exec: ["ip", "netns", "exec", ns] };
  }

  /** Runs `cmd` inside target `i`'s namespace (for inspection: nft, sysctl, ss). */
  runInTarget(i: number, cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
    const t = this.targets[i];
    if (!t) throw new Error(`lab ${this.tag} has no target ${i}`);
    return run(["ip", "netns", "exec", t.ns, ...cmd], { cwd: REPO_ROOT, ...opts });
  }

  /**
   * The argv {@link porthole} runs: `ip netns exec <scanner> env <task's variables> deno run
   * <flags> cli/main.ts ...args`, the porthole task's command inside the scanner namespace.
   */
  async portholeArgv(args: string[]): Promise<string[]> {
    return [
      "ip",
      "netns",
      "exec",
      this.scanner.ns,
      "env",
      ...portholeEnv(),
      denoExe(),
      "run",
      ...(await portholeFlags()),
      "cli/main.ts",
      ...args,
    ];
  }

  /** Runs Porthole from source inside the scanner namespace (needs core-wasm built: `deno task build`). */
  async porthole(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(await this.portholeArgv(args), { cwd: REPO_ROOT, ...opts });
  }

  /** Runs nmap inside the scanner namespace. */
  nmap(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.runInScanner(["nmap", ...args], opts);
  }

  /** Removes the lab: services, namespaces, overlays, bookkeeping. Idempotent. */
  async down(): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    await Promise.all(this.#procs.map((p) => p.stop()));
    this.#procs = [];
    await Lab.down(this.tag);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }

  /**
   * Removes lab `tag` from any process (the `lab down` CLI): every process inside its namespaces,
   * the namespaces, their /etc/netns overlays and the bookkeeping. Idempotent.
   */
  static async down(tag: string): Promise<void> {
    checkTag(tag);
    const state = await readState(tag);
    const names = new Set(state?.namespaces ?? []);
    for (const n of await listNamespaces()) if (parseNsName(n)?.tag === tag) names.add(n);
    // Targets first: their services are the processes most likely to be busy.
    const order = [...names].sort((x, y) =>
      (x.endsWith("-s") ? 1 : 0) - (y.endsWith("-s") ? 1 : 0)
    );
    for (const ns of order) await removeNamespace(ns);
    await Deno.remove(statePath(tag)).catch(() => {});
  }

  /** Every lab and `ph-` namespace on this machine, with its health (and pids, unless `pids: false`). */
  static async status(opts: { pids?: boolean } = {}): Promise<LabStatus[]> {
    const byTag = new Map<string, string[]>();
    for (const n of await listNamespaces()) {
      const tag = parseNsName(n)?.tag ?? n.slice(PREFIX.length);
      byTag.set(tag, [...(byTag.get(tag) ?? []), n]);
    }
    try {
      for await (const e of Deno.readDir(STATE_DIR)) {
        const m = /^([a-z0-9]{1,16})\.json$/.exec(e.name);
        if (m && !byTag.has(m[1]!)) byTag.set(m[1]!, []);
      }
    } catch { /* no state dir yet */ }
    const out: LabStatus[] = [];
    for (const [tag, namespaces] of [...byTag].sort()) {
      const state = /^[a-z0-9]{1,16}$/.test(tag) ? await readState(tag) : null;
      const health = !state
        ? "orphan"
        : state.detached
        ? "detached"
        : (await ownerAlive(state))
        ? "up"
        : "stale";
      const pids = opts.pids === false ? [] : (await Promise.all(namespaces.map(nsPids))).flat();
      out.push({ tag, state, namespaces: namespaces.sort(), health, pids });
    }
    return out;
  }

  /**
   * Removes stale labs: those whose owner process is gone and, unless `orphans` is false,
   * `ph-` namespaces without lab bookkeeping older than ORPHAN_AGE_MS (a younger one may be
   * another test's, being set up right now). Detached labs stay. With `all`, removes every `ph-`
   * namespace and lab. `tags` limits it to those tags. Returns the namespaces removed.
   */
  static async sweep(
    opts: { all?: boolean; orphans?: boolean; tags?: string[] } = {},
  ): Promise<string[]> {
    const removed: string[] = [];
    for (const s of await Lab.status({ pids: false })) {
      if (opts.tags && !opts.tags.includes(s.tag)) continue;
      let stale = opts.all || s.health === "stale";
      if (s.health === "orphan" && !stale && opts.orphans !== false) {
        const ages = await Promise.all(
          s.namespaces.map(async (n) => {
            const st = await Deno.stat(`/run/netns/${n}`).catch(() => null);
            return Date.now() - (st?.mtime?.getTime() ?? 0);
          }),
        );
        stale = ages.length > 0 && ages.every((age) => age > ORPHAN_AGE_MS);
      }
      if (!stale) continue;
      if (/^[a-z0-9]{1,16}$/.test(s.tag)) {
        await Lab.down(s.tag);
      } else {
        for (const n of s.namespaces) await removeNamespace(n);
      }
      removed.push(...s.namespaces);
    }
    return removed;
  }
}

/** Router numbers 1..N of a chain scenario (none for the others). */
function routerNumbers(sc: Scenario): number[] {
  return sc.topology === "chain" ? Array.from({ length: sc.chain!.routers }, (_, i) => i + 1) : [];
}

/** The sysctls that turn the kernel's ICMP error rate limits on (classic 1000 ms) or off. */
export function ratelimitSysctls(on: boolean): string[] {
  return on
    ? [
      "net.ipv4.icmp_ratelimit=1000",
      "net.ipv6.icmp.ratelimit=1000",
      "net.ipv4.icmp_msgs_per_sec=1000",
      "net.ipv4.icmp_msgs_burst=50",
    ]
    : [
      "net.ipv4.icmp_ratelimit=0",
      "net.ipv6.icmp.ratelimit=0",
      // The global ICMP budget (per namespace) would still cap errors at 1000/s.
      "net.ipv4.icmp_msgs_per_sec=1000000",
      "net.ipv4.icmp_msgs_burst=1000000",
    ];
}

/** The services.ts configuration of target `t`, or null when it runs no service. */
export function servicesConfig(
  t: TargetInfo,
  sc: Scenario,
  targets: readonly TargetInfo[] = [t],
): ServicesConfig | null {
  if (t.spec.dark) return null;
  const cfg: ServicesConfig = {
    // AnyIP answers for a whole /16: only a wildcard socket can hear all of it.
    udpAddresses: sc.anyip16 ? [] : [t.v4, t.v6],
    tcp: [],
    udp: [],
  };
  for (const r of t.spec.rules) {
    if (r.proto === "sctp") {
      cfg.sctp ??= { listen: [] };
      if (r.service) cfg.sctp.listen.push(r.ports);
    } else if (!r.service) continue;
    else if (r.proto === "tcp") cfg.tcp.push({ ports: r.ports, service: r.service });
    else cfg.udp.push({ ports: r.ports, service: r.service });
  }
  if (t.spec.zombie) cfg.zombie = t.spec.zombie;
  const f = t.spec.flood;
  if (f) {
    const to = targets.find((o) => o.name === f.to);
    if (!to) throw new Error(`${t.name}: flood to unknown host ${f.to}`);
    cfg.flood = { ...f, from: t.v4, to: to.v4 };
  }
  return cfg.tcp.length || cfg.udp.length || cfg.flood || cfg.sctp || cfg.zombie ? cfg : null;
}
