/**
 * The driver every raw port-scan kind runs on: a {@link ProbeModule} (cli/engine/probe_module.ts)
 * on the shared scheduler, and the one place replies are matched to probes.
 *
 * - make: one template per session and module (headers built once by the core); per probe only
 *   destination, ports, IP ID and the module's tag fields are patched (core-wasm emitBatch).
 * - validate, statelessly: the source port encodes the try number (cookie.ts) and the tag is a
 *   keyed hash of the flow; a reply must come from a scanned host and port, to a port and with a
 *   tag only the holder of this run's key could predict. ICMP errors must quote our source, the
 *   target, both ports and the tag. With -g (one source port) the try rides in the tag.
 * - process: the module's rules give state and reason; TTL kept, MAC learnt on a shared LAN.
 *
 * @module
 */

import type { ParsedRecords, ProbeTemplate } from "../../core-wasm/mod.ts";
import { Kind, packetCore, ParseError, RecordFlag } from "../../core-wasm/mod.ts";
import type { EngineContext } from "../engine/context.ts";
import { FlowCookies } from "../engine/cookie.ts";
import { type ScanHost, v6Key } from "../engine/host.ts";
import type { ModuleShaping, ProbeModule, Verdict } from "../engine/probe_module.ts";
import { type RawSession, sessionTemplateBase } from "../engine/raw_session.ts";
import { newHostTiming, type ProbeIo, Scheduler } from "../engine/scheduler.ts";
import { PortTable } from "./port_table.ts";
import { formatIp, formatMac } from "../../core-wasm/addr.ts";

/** Tries the cookie decoder accepts (beyond any allowance the policy gives). */
export const MAX_TRIES = 64;

const TEMPLATE_CAPACITY = 512;

/** nmap sends raw probes with a random TTL (37..59); one per run here. */
export const RUN_TTL = 37 + Math.floor(Math.random() * 23);

/** The run's probe shaping from its options (--ttl, --data*, --badsum, --ip-options, --adler32). */
export function moduleShaping(ctx: Pick<EngineContext, "opts">): ModuleShaping {
  const s = ctx.opts.shaping ?? {};
  return {
    ttl: s.ttl ?? RUN_TTL,
    payload: s.payload,
    badsum: s.badsum,
    ...(s.ipOptions ? { ipOptions: packetCore().buildIpOptions(s.ipOptions) } : {}),
    ...(ctx.opts.adler32 ? { adler32: true } : {}),
  };
}

/** Callbacks while a scan runs (verbose lines, per-host completion). */
export interface ScanListener {
  /** A port's verdict became known (for "Discovered open port"). */
  port?(host: ScanHost, port: number, state: string): void;
  /** All ports of a host are settled; `table.results(h)` are its ports. */
  hostDone?(host: ScanHost, h: number, table: PortTable, timedOut: boolean): void;
}

const templates = new WeakMap<object, Map<string, ProbeTemplate>>();
const portIndexes = new WeakMap<readonly number[], Int32Array>();

/** port number → index in `ports` (-1: not scanned), shared by every group of a run. */
function portIndexOf(ports: readonly number[]): Int32Array {
  let idx = portIndexes.get(ports);
  if (!idx) {
    idx = new Int32Array(65536).fill(-1);
    ports.forEach((p, i) => (idx![p] = i));
    portIndexes.set(ports, idx);
  }
  return idx;
}

/**
 * Scan `ports` on `hosts` (all reachable through `session`) with `module`'s probes. Fills and
 * returns a PortTable; silent ports get the module's silence verdict. `templateKey` names the
 * module's headers for the session's template cache (one run has one shaping).
 */
export async function probeScan(
  ctx: EngineContext,
  session: RawSession<ParsedRecords>,
  hosts: ScanHost[],
  ports: readonly number[],
  module: ProbeModule,
  templateKey: string,
  listener: ScanListener = {},
): Promise<PortTable> {
  const core = ctx.raw!.core;
  const route = session.route;
  const table = new PortTable(hosts.length, ports, module.protocol);
  const silence = module.silence;
  const cookies = ctx.cookies;
  const H = hosts.length;
  // -g: every probe leaves from one port, so the try number rides in the tag (as nmap's does).
  const fixedPort = ctx.opts.shaping?.sourcePort;
  // --defeat-rst-ratelimit: a closed port's late RST is not taken for congestion (Scheduler).
  const defeatRst = ctx.opts.defeatRstRatelimit === true;

  // Reply → host: numeric keys for IPv4 (no string per reply), bytes-as-text for IPv6.
  const byV4 = new Map<number, number>();
  const byKey = new Map<string, number>();
  hosts.forEach((h, i) => (h.family === 4 ? byV4.set(h.v4, i) : byKey.set(h.key, i)));
  const portIndex = portIndexOf(ports);

  // Templates live in the core's fixed memory and are never freed: one per session and module
  // for the whole run, however many host groups pass. -D: a template per decoy source as well,
  // patched like ours (ours is null).
  let perSession = templates.get(session);
  if (!perSession) templates.set(session, perSession = new Map());
  const sources = (ctx.decoys ?? [null]).filter((a) =>
    a === null || (a.includes(":") ? 6 : 4) === route.family
  );
  const headers = module.prepare();
  const templateFor = (src: string | null): ProbeTemplate => {
    const key = `${templateKey}/${src ?? "me"}`;
    let template = perSession!.get(key);
    if (template) return template;
    template = core.probeTemplate(
      {
        ...headers,
        ...sessionTemplateBase(session),
        ...(src === null ? {} : { src }),
        capacity: TEMPLATE_CAPACITY,
      } as Parameters<typeof core.probeTemplate>[0],
    );
    perSession!.set(key, template);
    return template;
  };
  const tpl: ProbeTemplate = templateFor(null);
  const decoyTpls = sources.filter((a) => a !== null).map(templateFor);

  const sched = new Scheduler({
    hosts: H,
    perHost: ports.length,
    plan: ctx.plan,
    randomize: ctx.opts.randomizePorts,
    signal: ctx.signal,
    onProgress: ctx.progress && ((d, t) => ctx.progress!.update(d, t)),
    timings: hosts.map((h) => (h.timing ??= newHostTiming(ctx.plan, ports.length))),
  });

  // Hosts may sit behind different next hops on the session's link (a LAN),
  // and a cached template serves many groups: on Ethernet every frame gets
  // its host's next-hop MAC written after the template is patched.
  const ethernet = session.sendLinkType === 1;
  const zeroMac = new Uint8Array(6);
  const macOf = hosts.map((h) => h.route?.dstMac ?? route.dstMac ?? zeroMac);
  const queuedMac: Uint8Array[] = new Array(TEMPLATE_CAPACITY);
  let queued = 0;
  let ipIdState = (Math.random() * 0x7fffffff) | 1;
  const send = (t: ProbeTemplate) => {
    const batch = core.emitBatch(t, queued);
    if (ethernet) {
      for (let k = 0; k < queued; k++) batch.data.set(queuedMac[k]!, batch.index[k * 4]!);
    }
    const fragment = ctx.opts.shaping?.fragment;
    if (fragment) session.sendFragmented(batch, queued, fragment);
    else session.sendBatch(batch, queued);
  };
  const io: ProbeIo = {
    emit(h, p, tryNo) {
      if (queued >= TEMPLATE_CAPACITY) return false;
      const host = hosts[h]!;
      queuedMac[queued] = macOf[h]!;
      const dport = ports[p]!;
      const sport = fixedPort ?? cookies.sourcePort(host.digest, dport, tryNo);
      const cookie = cookies.sequence(host.digest, dport, sport);
      if (host.family === 4) tpl.dstV4[queued] = host.v4;
      else tpl.dstV6.set(host.v6!, queued * 16);
      tpl.dstPort[queued] = dport;
      tpl.srcPort[queued] = sport;
      module.make(
        tpl,
        queued,
        fixedPort === undefined ? cookie : FlowCookies.withTry(cookie, tryNo),
      );
      // xorshift32 for the IP ID: Math.random() would box a double per probe.
      ipIdState ^= ipIdState << 13;
      ipIdState ^= ipIdState >>> 17;
      ipIdState ^= ipIdState << 5;
      tpl.ipId[queued] = ipIdState & 0xffff;
      queued++;
      return true;
    },
    flush() {
      if (queued === 0) return;
      // -D: the decoys' copies first, then ours, whose send time the scheduler keeps.
      for (const d of decoyTpls) {
        d.dstV4.set(tpl.dstV4.subarray(0, queued));
        d.dstV6.set(tpl.dstV6.subarray(0, queued * 16));
        d.dstPort.set(tpl.dstPort.subarray(0, queued));
        d.srcPort.set(tpl.srcPort.subarray(0, queued));
        d.seq.set(tpl.seq.subarray(0, queued));
        d.ack.set(tpl.ack.subarray(0, queued));
        d.ipId.set(tpl.ipId.subarray(0, queued));
        send(d);
      }
      send(tpl);
      queued = 0;
      return session.lastSend;
    },
    poll() {
      session.poll(handle);
    },
    async wait(ms) {
      await session.wait(ms);
    },
  };

  // On a shared Ethernet a reply's source MAC is the host's (nmap shows it).
  const learnMac = hosts.map((h) => !!h.route?.onLink && h.route.linkKind === "ethernet");
  const ourV4 = route.family === 4
    ? new DataView(route.sourceBytes.buffer, route.sourceBytes.byteOffset).getUint32(0)
    : 0;
  const ourV6 = route.family === 6 ? v6Key(route.sourceBytes) : "";

  const tryOf = (
    rec: ParsedRecords,
    i: number,
    host: ScanHost,
    dport: number,
    sport: number,
    quote: boolean,
  ) => replyTry(cookies, host.digest, dport, sport, fixedPort, module, rec, i, quote);

  function handle(rec: ParsedRecords, n: number): void {
    const pollTime = performance.now();
    const origin = performance.timeOrigin;
    for (let i = 0; i < n; i++) {
      if (rec.status(i) !== ParseError.OK) continue;
      // The capture's timestamp is when the reply arrived; polling comes later.
      const at = rec.tsSec(i) * 1000 + rec.tsUsec(i) / 1000 - origin;
      sched.replyAt = at > 0 && at <= pollTime ? at : pollTime;
      const k = rec.kind(i);
      if (k === module.replyKind) {
        const h = rec.family(i) === 4 ? byV4.get(rec.srcV4(i)) : byKey.get(v6Key(rec.srcV6(i)));
        if (h === undefined) continue;
        const dport = rec.srcPort(i);
        const p = portIndex[dport]!;
        if (p < 0) continue;
        const host = hosts[h]!;
        const tryNo = tryOf(rec, i, host, dport, rec.dstPort(i), false);
        if (tryNo < 0) continue;
        const v = module.classify(rec, i);
        if (!v) continue;
        sched.quietReply = defeatRst && v.state === "closed";
        if (sched.answer(h, p, tryNo)) {
          table.set(h, p, v, rec.ttl(i));
          if (learnMac[h] && !host.mac) {
            host.mac = { addr: formatMac(rec.srcMac(i)), addrtype: "mac" };
          }
          listener.port?.(host, dport, v.state);
        }
      } else if (k === Kind.ICMP4 || k === Kind.ICMP6) {
        if (!(rec.flags(i) & RecordFlag.QUOTE_PORTS) || rec.quotedProto(i) !== module.ipProto) {
          continue;
        }
        const fam = rec.family(i) as 4 | 6;
        let h: number | undefined;
        let fromTarget: boolean;
        if (fam === 4) {
          if (rec.quotedSrcV4(i) !== ourV4) continue;
          h = byV4.get(rec.quotedDstV4(i));
          fromTarget = h !== undefined && rec.srcV4(i) === hosts[h]!.v4;
        } else {
          if (v6Key(rec.quotedSrcV6(i)) !== ourV6) continue;
          const key = v6Key(rec.quotedDstV6(i));
          h = byKey.get(key);
          fromTarget = h !== undefined && v6Key(rec.srcV6(i)) === key;
        }
        if (h === undefined) continue;
        const host = hosts[h]!;
        const dport = rec.quotedDstPort(i);
        const p = portIndex[dport]!;
        if (p < 0) continue;
        const tryNo = tryOf(rec, i, host, dport, rec.quotedSrcPort(i), true);
        if (tryNo < 0) continue;
        const v = module.classifyIcmp(fam, rec.icmpType(i), rec.icmpCode(i), fromTarget);
        if (!v) continue;
        sched.quietReply = defeatRst && v.state === "closed";
        if (sched.answer(h, p, tryNo)) {
          const from = fromTarget ? undefined : formatSource(rec, i, fam);
          table.set(h, p, v, rec.ttl(i), from);
          listener.port?.(host, dport, v.state);
        }
      }
    }
  }

  return await runToTable(sched, io, hosts, table, silence, listener);
}

/**
 * Runs `sched` to the end over `io`: a port that stays silent gets `silence`, and each finished
 * host (marked when its time ran out) is told to `listener`. Every raw scan ends this way.
 */
export async function runToTable(
  sched: Scheduler,
  io: ProbeIo,
  hosts: ScanHost[],
  table: PortTable,
  silence: Verdict,
  listener: ScanListener,
): Promise<PortTable> {
  await sched.run(io, {
    silent(h, p) {
      table.set(h, p, silence);
    },
    hostDone(h, timedOut) {
      const host = hosts[h]!;
      if (timedOut) host.timedOut = true;
      listener.hostDone?.(host, h, table, timedOut);
    },
  });
  return table;
}

/**
 * The try that reply `i` (direct, or quoted in an ICMP error when `quote`) to the flow (`digest`,
 * `dport`) from our `sport` answers, or -1 when it carries no tag of ours: the source port names
 * the try and `module` checks the keyed tag; with -g (`fixedPort`) the try rides in the tag.
 * Every raw port scan and ping (discovery) validates its replies here.
 */
export function replyTry(
  cookies: FlowCookies,
  digest: number,
  dport: number,
  sport: number,
  fixedPort: number | undefined,
  module: Pick<ProbeModule, "validate" | "validateQuote">,
  rec: ParsedRecords,
  i: number,
  quote: boolean,
): number {
  const check = quote ? module.validateQuote : module.validate;
  if (fixedPort === undefined) {
    const tryNo = cookies.tryNumber(digest, dport, sport, MAX_TRIES);
    if (tryNo < 0) return -1;
    return check.call(module, rec, i, cookies.sequence(digest, dport, sport)) ? tryNo : -1;
  }
  if (sport !== fixedPort) return -1;
  const cookie = cookies.sequence(digest, dport, sport);
  for (let t = 0; t < MAX_TRIES; t++) {
    if (check.call(module, rec, i, FlowCookies.withTry(cookie, t))) return t;
  }
  return -1;
}

function formatSource(rec: ParsedRecords, i: number, fam: 4 | 6): string {
  if (fam === 6) return formatIp(rec.srcV6(i).slice());
  const a = rec.srcV4(i);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
