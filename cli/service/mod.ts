/**
 * Service and version detection (-sV): probes a host's open ports with the
 * probes of an nmap-service-probes database and fills `port.service`.
 *
 * ```ts
 * await detectServices(host, opts, (line) => console.error(line));
 * console.log(serviceInfoLine(host)); // "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel"
 * ```
 *
 * The database is Porthole's own (cli/data/porthole-service-probes), after
 * nmap's nmap-service-probes when installed (see db.ts), or the one file
 * `--versiondb FILE` names. See engine.ts
 * for how probing is scheduled and why results still follow nmap's order,
 * and version_script.ts for the NSE "version" scripts whose effect on the
 * service fields is reproduced (http-server-header, murmur-version,
 * stun-version, snmp-info).
 */

import type { HostResult, PortResult, ServiceInfo } from "../model/mod.ts";
import type { Options } from "../options/types.ts";
import { defaultServicesDb } from "../services_db.ts";
import { probeDbFor } from "./db.ts";
import { type EngineConfig, type PortOutcome, probePort } from "./engine.ts";
import { HostConnLimit } from "./hostlimit.ts";
import { LoopStalls } from "./loop_stalls.ts";
import { sanitizeField } from "./fingerprint.ts";
import { httpServerHeader, scriptApplies } from "./http_server_header.ts";
import { identifyRpcPorts } from "./rpc_grind.ts";
import { rpcPrograms } from "./rpc_programs.ts";
import { EXTRA_LEN, FIELD_LEN, TYPE_LEN } from "./template.ts";
import type { ProbeDb } from "./probe_db.ts";
import { type Endpoint, exchangeUdp } from "./conn.ts";
import {
  MURMUR_PING,
  MURMUR_TIMEOUT_MS,
  murmurApplies,
  murmurVersion,
  parseMurmurPong,
} from "./murmur_version.ts";
import { STUN_TIMEOUT_MS, stunApplies, stunBindingRequest, stunVersion } from "./stun_version.ts";
import { setPortVersion } from "./version_script.ts";
import {
  SNMP_TIMEOUT_MS,
  snmpApplies,
  SNMPV3_GET_REQUEST,
  SNMPV3_PROBE_NAME,
  snmpVersion,
} from "./snmp_version.ts";

export { serviceInfoLine, versionString } from "./info.ts";
export {
  BUILTIN_DB_NAME,
  checkProbeDb,
  loadProbeDb,
  mergeProbeDbs,
  probeDbFor,
  ServiceDbError,
} from "./db.ts";
export { unwrapFingerprint } from "./fingerprint.ts";
export { INTENSITY_ALL, INTENSITY_DEFAULT, INTENSITY_LIGHT } from "./plan.ts";
export type { ProbeDb } from "./probe_db.ts";

/** V= in fingerprints: which program and version made them. */
export const FINGERPRINT_VERSION = "Porthole";

/** The intensity from which nmap's RPC scripts run (their portrules ask for 7). */
const RPC_INTENSITY = 7;

/**
 * UDP probes in flight per port: every probe of nmap's file a port gets at the default intensity
 * (19, or a few more that list the port) in one round of waits, where 16 took two (5 s more on
 * each silent open|filtered port). A datagram holds no connection for a daemon to queue.
 */
const UDP_WINDOW = 24;

/**
 * How many times the window a TCP port's probes may be out at once when its silences stand as
 * they come (engine.ts silencesStand): the rounds of 5 s waits on a port that stays silent to
 * nmap's ~35 probes drop from six to two.
 */
export const WIDE_WINDOW_FACTOR = 4;

/** Knobs beyond the command line, for tests and benchmarks. */
export interface DetectTuning {
  /** Probe database (default: {@link probeDbFor}'s). */
  db?: ProbeDb;
  /** See EngineConfig.graceMs (default 500; >= 6000 gives nmap's sequential schedule). */
  graceMs?: number;
  /** Probes in flight per TCP port (default --version-parallelism, else 6; sshd starts dropping unauthenticated connections at 10). */
  window?: number;
  /** See EngineConfig.wideWindow (default {@link WIDE_WINDOW_FACTOR} × the window). */
  wideWindow?: number;
  /** Ports probed at once (default: nmap's, from the timing template). */
  parallelism?: number;
  /** TCP connections to the host at once, to start (default: the parallelism). */
  hostConnections?: number;
  /** Probe UDP ports too (default true). */
  udp?: boolean;
  /** Records the scan's beginning and end (XML's <taskbegin>/<taskend> with -v). */
  tasks?: {
    begin(task: string, time: number): void;
    end(task: string, time: number, extrainfo: string): void;
  };
}

/**
 * Ports probed at once. nmap's parallelism counts probes in flight, one per port; here each port
 * has its own window of connections and the host limit (hostlimit.ts) governs how many the
 * target holds, so {@link PORTS_AT_ONCE_FACTOR} times as many ports go at once: a port late in
 * the list (git-daemon's 9418, Murmur's 64738) no longer waits for twenty others to end before
 * its own waits begin. nmap's schedule (`--version-parallelism 1`), a slow timing template
 * (parallelism 1) and an explicit `--max-parallelism` keep nmap's count.
 */
export function portsAtOnce(parallelism: number, serial: boolean, opts: Options): number {
  if (serial || parallelism <= 1 || opts.timing.maxParallelism > 0) return parallelism;
  return parallelism * PORTS_AT_ONCE_FACTOR;
}

/** See {@link portsAtOnce}. */
export const PORTS_AT_ONCE_FACTOR = 3;

/** nmap's service-scan parallelism: 20/30/40 services at -T3/-T4/-T5, 1 below, within --min/--max-parallelism. */
export function serviceParallelism(opts: Options): number {
  const t = opts.timing;
  const desired = t.template >= 5 ? 40 : t.template === 4 ? 30 : t.template === 3 ? 20 : 1;
  const min = t.minParallelism;
  const max = Math.max(min, t.maxParallelism || 100);
  return Math.min(max, Math.max(min, desired));
}

/**
 * Probes the host's open TCP ports (and open or open|filtered UDP ports),
 * filling `port.service` in place: method "probed" with confidence 10 for a
 * match, "tcpwrapped" (confidence 8) for a port that closes at once, and the
 * table name plus an "SF:" fingerprint when nothing matched. A reply from an
 * open|filtered port proves it open, as in nmap. Throws ServiceDbError when
 * --versiondb names a missing or malformed file.
 */
export async function detectServices(
  host: HostResult,
  opts: Options,
  log: (line: string) => void = (line) => console.error(line),
  tuning: DetectTuning = {},
): Promise<void> {
  if (host.status !== "up") return;
  const db = tuning.db ?? await probeDbFor(opts);
  const udp = tuning.udp ?? true;
  // SCTP ports keep their table names: no probe here speaks SCTP.
  const wanted = (p: PortResult) =>
    p.protocol === "tcp" ? p.state === "open" || p.state === "open|filtered" : udp &&
      p.protocol === "udp" && (p.state === "open" || p.state === "open|filtered");
  // nmap probes every open port first, then the open|filtered ones.
  const ports = [
    ...host.ports.filter((p) => wanted(p) && p.state === "open"),
    ...host.ports.filter((p) => wanted(p) && p.state === "open|filtered"),
  ];
  const todo: PortResult[] = [];
  for (const p of ports) {
    // --allports: the probe file's Exclude directive is ignored (nmap's override_excludeports).
    const excluded = !opts.allports &&
      (p.protocol === "tcp" ? db.excludeTcp : db.excludeUdp).has(p.port);
    if (excluded) {
      // nmap records "Excluded from version scan" as the product, then its
      // processResults() overwrites it with an empty table result: the port
      // shows its services-table name with a "?" and no version.
      if (opts.debug) log(`EXCLUDING ${p.port}/${p.protocol}`);
      p.service = tableService(p);
    } else todo.push(p);
  }
  if (todo.length === 0) return;

  const hostTimeout = opts.timing.hostTimeoutMs;
  const parallelism = Math.max(1, tuning.parallelism ?? serviceParallelism(opts));
  // --version-parallelism 1 is nmap's schedule: one probe at a time, the NULL probe waited out.
  const window = tuning.window ?? opts.versionParallelism ?? 6;
  const serial = window === 1;
  const cfg: EngineConfig = {
    db,
    intensity: Math.max(0, Math.min(9, opts.versionIntensity)),
    trace: opts.versionTrace,
    debug: opts.debug,
    verbose: opts.verbose,
    log,
    graceMs: tuning.graceMs ?? (serial ? Infinity : 500),
    window,
    wideWindow: tuning.wideWindow ?? window * WIDE_WINDOW_FACTOR,
    udpWindow: UDP_WINDOW,
    sourceAddress: opts.sourceAddress,
    version: FINGERPRINT_VERSION,
    platform: Deno.build.target,
    deadline: hostTimeout > 0
      ? performance.now() + Math.max(0, hostTimeout - (Date.now() - host.startTime))
      : undefined,
    // TCP connections to this host at once: nmap's parallelism to start, up to
    // a full window on every port, halved when the host refuses connections.
    hostLimit: new HostConnLimit(
      tuning.hostConnections ?? parallelism,
      Math.max(tuning.hostConnections ?? parallelism, parallelism * (window + 1)),
    ),
    stalls: new LoopStalls(),
  };
  const name = host.userHostname ?? host.ptrHostname;
  const who = name ? `${name} (${host.address})` : host.address;
  const started = performance.now();
  const plural = `${todo.length} service${todo.length === 1 ? "" : "s"}`;
  tuning.tasks?.begin("Service scan", Date.now());
  if (opts.verbose) log(`Initiating Service scan at ${clock()}`);
  if (opts.allports && (opts.verbose || opts.debug)) {
    log("Overriding exclude ports option! Some undesirable ports may be version scanned!");
  }
  if (opts.verbose) log(`Scanning ${plural} on ${who}`);

  // Hosts are probed concurrently (each calls this function), so the limit on
  // ports in progress is shared, as nmap's is across its service group.
  const slots = sharedSlots(portsAtOnce(parallelism, serial, opts));
  const recorded = new Map<PortResult, ReadonlyMap<string, Uint8Array>>();
  const tcpNulls = new NullBarrier(todo.filter((p) => p.protocol === "tcp").length);
  cfg.stalls!.start();
  await Promise.all(todo.map(async (port) => {
    const tcp = port.protocol === "tcp";
    // A daemon that serves TCP and UDP in one thread blocks on a silent connection (net-snmp's
    // SMUX on the NULL probe's, for its 6 s): UDP probes go once no TCP NULL probe is out.
    if (!tcp) await tcpNulls.passed;
    const pastNull = tcp ? tcpNulls.oneDone() : undefined;
    const release = await slots.acquire();
    try {
      const outcome = await probePort(
        cfg,
        {
          address: host.address,
          port: port.port,
          sourceAddress: opts.sourceAddress,
          serverName: host.userHostname,
          proxies: opts.proxies,
        },
        port.protocol as "tcp" | "udp", // wanted() keeps TCP and UDP only
        pastNull,
      );
      applyOutcome(port, outcome, opts, log, who);
      recorded.set(port, outcome.recorded);
      // nmap's -sV also runs the "version" NSE scripts; http-server-header
      // names likely-HTTP ports that no match line did.
      if (scriptApplies(port, cfg.intensity) && port.service && port.service.confidence <= 3) {
        const named = await httpServerHeader(port, outcome.recorded, {
          address: host.address,
          port: port.port,
          sourceAddress: opts.sourceAddress,
          serverName: host.userHostname,
          proxies: opts.proxies,
        }, host.userHostname ?? host.address);
        if (named) port.service = named;
      }
    } finally {
      pastNull?.();
      release();
    }
  })).finally(() => cfg.stalls!.stop());
  // nmap's rpcinfo and rpc-grind, "version" scripts too: RPC ports get their program's name.
  if (cfg.intensity >= RPC_INTENSITY) {
    await identifyRpcPorts(host, todo, {
      address: host.address,
      sourceAddress: opts.sourceAddress,
      // Read (and listed by -v) only when an RPC port is named, as nmap reads nmap-rpc only
      // when its rpc scripts run.
      get programs() {
        return rpcPrograms(opts.datadir);
      },
      trace: cfg.trace || cfg.debug > 1 ? log : undefined,
    });
  }
  await udpVersionScripts(host, todo, recorded, cfg.intensity, opts.datadir, {
    address: host.address,
    sourceAddress: opts.sourceAddress,
  });
  if (opts.verbose) {
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    log(`Completed Service scan at ${clock()}, ${secs}s elapsed (${plural} on 1 host)`);
  }
  tuning.tasks?.end("Service scan", Date.now(), `${plural} on 1 host`);
}

/**
 * The effect of nmap's version scripts that ask a UDP port (murmur-version, stun-version,
 * snmp-info), run as nmap runs its scripts: once every port is probed. An answer makes the UDP
 * port open (nmap.set_port_state: reason "script-set"); a recognised one names the port.
 * `recorded` holds each port's probe replies, which snmp-info reads before asking.
 */
async function udpVersionScripts(
  host: HostResult,
  ports: PortResult[],
  recorded: ReadonlyMap<PortResult, ReadonlyMap<string, Uint8Array>>,
  intensity: number,
  datadir: string | undefined,
  at: Omit<Endpoint, "port">,
): Promise<void> {
  const setOpen = (n: number) => {
    const udp = host.ports.find((p) => p.protocol === "udp" && p.port === n);
    if (!udp || udp.state === "open") return;
    udp.state = "open";
    udp.reason = "script-set";
    delete udp.reasonTtl;
  };
  // murmur-version asks once per port number (its host registry), for TCP and UDP alike.
  const murmurAsked = new Map<number, Promise<Uint8Array | null>>();
  await Promise.all(ports.map(async (port) => {
    const ep = { ...at, port: port.port };
    if (murmurApplies(port, intensity)) {
      let ask = murmurAsked.get(port.port);
      if (!ask) {
        ask = exchangeUdp(ep, MURMUR_PING, MURMUR_TIMEOUT_MS);
        murmurAsked.set(port.port, ask);
      }
      const reply = await ask;
      if (reply) {
        setOpen(port.port);
        const pong = parseMurmurPong(reply);
        if (pong) {
          port.service = setPortVersion(
            port.service,
            murmurVersion(pong, port.protocol as "tcp" | "udp"),
          );
        }
      }
    }
    if (stunApplies(port, intensity)) {
      const reply = await exchangeUdp(ep, stunBindingRequest(), STUN_TIMEOUT_MS);
      const v = reply && stunVersion(reply);
      if (v) {
        setOpen(port.port);
        port.service = setPortVersion(port.service, v);
      }
    }
    if (snmpApplies(port, intensity)) {
      // "Did the service engine already do the hard work?": only an unmatched port's replies.
      const seen = port.service?.fingerprint
        ? recorded.get(port)?.get(SNMPV3_PROBE_NAME)
        : undefined;
      const reply = seen ?? await exchangeUdp(ep, SNMPV3_GET_REQUEST, SNMP_TIMEOUT_MS);
      const v = reply && snmpVersion(reply, port.service, datadir);
      if (v) port.service = setPortVersion(port.service, v);
    }
  }));
}

/** Local time as nmap's progress lines show it ("16:10"). */
function clock(): string {
  const d = new Date();
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** A counting semaphore. */
class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(public size: number) {}

  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.used++;
        let done = false;
        resolve(() => {
          if (done) return;
          done = true;
          this.used--;
          this.pump();
        });
      };
      this.waiting.push(grant);
      this.pump();
    });
  }

  private pump(): void {
    while (this.used < this.size && this.waiting.length) this.waiting.shift()!();
  }
}

/** Resolves `passed` once each of `count` ports has said (once) that its NULL probe is done. */
export class NullBarrier {
  readonly passed: Promise<void>;
  private open!: () => void;

  constructor(private count: number) {
    this.passed = new Promise((r) => (this.open = r));
    if (count <= 0) this.open();
  }

  /** The one port's "done": calls after the first do nothing. */
  oneDone(): () => void {
    let told = false;
    return () => {
      if (told) return;
      told = true;
      if (--this.count === 0) this.open();
    };
  }
}

let slotsShared: Slots | undefined;

/** The process-wide limit on ports being probed (resized to the latest request). */
function sharedSlots(size: number): Slots {
  slotsShared ??= new Slots(size);
  slotsShared.size = size;
  return slotsShared;
}

/** The services-table view of a port (nmap's fallback when probing told nothing). */
function tableService(p: PortResult): ServiceInfo {
  const name = p.service?.method === "table"
    ? p.service.name
    : defaultServicesDb().name(p.protocol, p.port) ?? "unknown";
  return { name, method: "table", confidence: 3 };
}

/** Stores a probing outcome in the port, as nmap's setServiceProbeResults does. */
export function applyOutcome(
  port: PortResult,
  o: PortOutcome,
  opts: Pick<Options, "verbose" | "debug">,
  log: (line: string) => void,
  who: string,
): void {
  if (o.provedOpen && port.state === "open|filtered") {
    if (opts.verbose || opts.debug > 1) {
      log(`Discovered open|filtered port ${port.port}/${port.protocol} on ${who} is actually open`);
    }
    port.state = "open";
    port.reason = port.protocol === "tcp" ? "tcp-response" : "udp-response";
    delete port.reasonTtl;
  }
  let s: ServiceInfo;
  if (o.state === "hard" || o.state === "soft") {
    s = { name: o.service ?? "unknown", method: "probed", confidence: 10 };
  } else if (o.state === "tcpwrapped") {
    s = { name: "tcpwrapped", method: "probed", confidence: 8 };
  } else {
    s = tableService(port);
    // An incomplete probe keeps a softmatched name (still "table", as nmap reports it).
    if (o.state === "incomplete" && o.service) s.name = o.service;
  }
  const m = o.match;
  if (m && o.state !== "tcpwrapped" && o.state !== "nomatch") {
    const set = <K extends keyof ServiceInfo>(k: K, v: ServiceInfo[K] | undefined) => {
      if (v !== undefined && v !== "") s[k] = v;
    };
    set("product", sanitizeField(m.product, FIELD_LEN));
    set("version", sanitizeField(m.version, FIELD_LEN));
    set("extraInfo", sanitizeField(m.info, EXTRA_LEN));
    set("hostname", sanitizeField(m.hostname, FIELD_LEN));
    set("osType", sanitizeField(m.ostype, TYPE_LEN));
    set("deviceType", sanitizeField(m.devicetype, TYPE_LEN));
    const cpe = [m.cpeA, m.cpeH, m.cpeO]
      .filter((c): c is string => c !== undefined)
      .map((c) => sanitizeField(c, FIELD_LEN)!);
    if (cpe.length) s.cpe = cpe;
  }
  if (o.ssl) s.tunnel = "ssl";
  if (o.fingerprint) s.fingerprint = o.fingerprint;
  port.service = s;
}
