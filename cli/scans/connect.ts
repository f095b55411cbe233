/**
 * -sT, the connect scan: what unprivileged users get, as with nmap. Each
 * probe is a full TCP connect through the OS (Deno.connect), closed at once;
 * the shared scheduler paces them, times them out at the host's RTO and
 * retries like raw probes. Reasons as nmap's connect scan gives them:
 * syn-ack (connected), conn-refused, host-unreach / net-unreach (ICMP errors
 * the kernel reports), no-response (timeout).
 *
 * @module
 */

import type { EngineContext } from "../engine/context.ts";
import type { ScanHost } from "../engine/host.ts";
import { newHostTiming, type ProbeIo, Scheduler } from "../engine/scheduler.ts";
import { PortTable } from "./port_table.ts";
import { silenceVerdict, type Verdict } from "./tcp_rules.ts";
import type { ScanListener } from "./probe_scan.ts";
import { Connects } from "../engine/connects.ts";
import { descriptorBudget } from "../engine/descriptors.ts";
import { ProxyChainError, ProxyRefused } from "../engine/proxy_chain.ts";

/** Connects in flight at most (the descriptor budget may allow fewer). */
export const MAX_CONNECTS_IN_FLIGHT = 512;

/** Connects in flight at most through --proxies: one proxy relays them all. */
export const MAX_PROXIED_IN_FLIGHT = 32;

/** What a finished connect attempt means, or null to let the timer decide. */
export function connectVerdict(err: unknown): Verdict | null {
  if (err === undefined) return { state: "open", reason: "syn-ack" };
  // Through --proxies: the last proxy answered quickly that it could not reach the port (a slow
  // refusal loses to the timer, as a silent port's does); a broken chain tells nothing.
  if (err instanceof ProxyRefused) return { state: "closed", reason: "conn-refused" };
  if (err instanceof ProxyChainError) return null;
  if (err instanceof Deno.errors.ConnectionRefused) {
    return { state: "closed", reason: "conn-refused" };
  }
  const msg = err instanceof Error ? err.message : String(err);
  // Deno reports the OS error number: 113 EHOSTUNREACH, 101 ENETUNREACH,
  // 13 EACCES / 1 EPERM (a local firewall rejecting the connect).
  if (/os error 113\b/.test(msg)) return { state: "filtered", reason: "host-unreach" };
  if (/os error 101\b/.test(msg)) return { state: "filtered", reason: "net-unreach" };
  if (/os error (13|1)\b/.test(msg)) return { state: "filtered", reason: "perm-denied" };
  if (/os error 111\b/.test(msg)) return { state: "closed", reason: "conn-refused" };
  return null;
}

/** Connect-scan `ports` on `hosts`; returns the filled PortTable. */
export async function connectScan(
  ctx: EngineContext,
  hosts: ScanHost[],
  ports: readonly number[],
  listener: ScanListener = {},
): Promise<PortTable> {
  const table = new PortTable(hosts.length, ports, "tcp");
  const silence = silenceVerdict("connect");
  const H = hosts.length;
  // A connect completes when the OS says so and the event loop gets to it:
  // no RACK (completion order is not send order) and nmap's own RTO floor
  // (the adaptive LAN floor is for raw replies timed by the capture).
  const plan = { ...ctx.plan, rtt: { ...ctx.plan.rtt, adaptiveFloorMs: undefined } };
  const connectLatency: boolean[] = [];
  const sched = new Scheduler({
    hosts: H,
    perHost: ports.length,
    plan,
    randomize: ctx.opts.randomizePorts,
    signal: ctx.signal,
    onProgress: ctx.progress && ((d, t) => ctx.progress!.update(d, t)),
    timings: hosts.map((h, i) => {
      const t = newHostTiming(plan, ports.length);
      // The reported latency stays raw discovery's, timed by the capture: connect completions
      // come through the event loop, which times retransmissions well but not the path.
      // Without one (-Pn), it is the connects' own, as nmap's -sT reports it.
      t.rtt.latency = h.timing?.rtt.latency;
      connectLatency[i] = t.rtt.latency === undefined;
      return (h.timing = t);
    }),
    maxInFlight: ctx.opts.proxies ? MAX_PROXIED_IN_FLIGHT : MAX_CONNECTS_IN_FLIGHT,
    rack: false,
  });
  // Sized to the file descriptors the process may still open; a shortage
  // withdraws the attempt (back-pressure), it never makes a port filtered.
  // The CONN lines follow --packet-trace as the p/P keys turn it on and off during the scan.
  const trace = (line: string) => ctx.packetTrace?.(line);
  using conns = new Connects(sched, trace, descriptorBudget(), ctx.opts.proxies);
  let chainWarned = false;

  const io: ProbeIo = {
    emit(h, p, tryNo) {
      conns.open(h, p, tryNo, hosts[h]!.address, ports[p]!);
      return true;
    },
    flush() {},
    poll() {
      for (const d of conns.drain()) {
        if (d.error instanceof ProxyChainError && !chainWarned) {
          chainWarned = true;
          ctx.log.warn(`Proxy chain failed (the port is tried again): ${d.error.message}`);
        }
        const verdict = connectVerdict(d.error);
        if (!verdict) continue;
        if (sched.answer(d.h, d.p, d.tryNo, d.at)) {
          if (connectLatency[d.h]) hosts[d.h]!.timing!.rtt.sampleLatency(d.at - d.started);
          table.set(d.h, d.p, verdict);
          listener.port?.(hosts[d.h]!, ports[d.p]!, verdict.state);
        }
        if (sched.isDone(d.h, d.p)) conns.settle(d.h, d.p);
      }
    },
    wait: (ms) => conns.wait(ms),
    room: () => conns.room(),
  };

  await sched.run(io, {
    silent(h, p) {
      conns.settle(h, p);
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
