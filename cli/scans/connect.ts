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
import type { ScanListener } from "./tcp_raw.ts";

/** Connects in flight at most (file descriptors are the limit, not the network). */
export const MAX_CONNECTS_IN_FLIGHT = 512;

/** What a finished connect attempt means, or null to let the timer decide. */
export function connectVerdict(err: unknown): Verdict | null {
  if (err === undefined) return { state: "open", reason: "syn-ack" };
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

interface Done {
  h: number;
  p: number;
  tryNo: number;
  at: number;
  verdict: Verdict;
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
  const sched = new Scheduler({
    hosts: H,
    perHost: ports.length,
    plan: ctx.plan,
    randomize: ctx.opts.randomizePorts,
    signal: ctx.signal,
    timings: hosts.map((h) => (h.timing ??= newHostTiming(ctx.plan, ports.length))),
    maxInFlight: MAX_CONNECTS_IN_FLIGHT,
  });

  const pending = new Map<number, AbortController>();
  let finished: Done[] = [];
  let wake: (() => void) | undefined;

  function attempt(h: number, p: number, tryNo: number): void {
    const idx = p * H + h;
    pending.get(idx)?.abort();
    const ac = new AbortController();
    pending.set(idx, ac);
    const host = hosts[h]!;
    Deno.connect({ hostname: host.address, port: ports[p]!, signal: ac.signal }).then(
      (conn) => {
        try {
          conn.close();
        } catch {
          // already closed by the peer
        }
        return undefined;
      },
      (e) => e,
    ).then((err) => {
      if (pending.get(idx) === ac) pending.delete(idx);
      if (ac.signal.aborted) return;
      const verdict = connectVerdict(err);
      if (!verdict) return;
      finished.push({ h, p, tryNo, at: performance.now(), verdict });
      wake?.();
    });
  }

  const io: ProbeIo = {
    emit(h, p, tryNo) {
      attempt(h, p, tryNo);
      return true;
    },
    flush() {},
    poll() {
      const list = finished;
      finished = [];
      for (const d of list) {
        if (sched.answer(d.h, d.p, d.tryNo, d.at)) {
          table.set(d.h, d.p, d.verdict);
          listener.port?.(hosts[d.h]!, ports[d.p]!, d.verdict.state);
        }
      }
    },
    wait(ms) {
      if (finished.length > 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = undefined;
          resolve();
        }, Math.max(1, Math.ceil(ms)));
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
      });
    },
  };

  try {
    await sched.run(io, {
      silent(h, p) {
        pending.get(p * H + h)?.abort();
        table.set(h, p, silence);
      },
      hostDone(h, timedOut) {
        const host = hosts[h]!;
        if (timedOut) host.timedOut = true;
        listener.hostDone?.(host, h, table, timedOut);
      },
    });
  } finally {
    for (const ac of pending.values()) ac.abort();
    pending.clear();
  }
  return table;
}
