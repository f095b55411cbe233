/**
 * Send and receive figures for the OS edge, on a veth pair between two
 * namespaces (tests/ffi_lab.ts): frames per second for each send path, what
 * a capture on the far side receives and drops at that rate, the receive
 * strategies measured while a sender runs in the same process, and masscan
 * on the same link in the same run. Needs root; `runFfiBench()` is what
 * `deno task bench` calls (bench/micro.ts); run directly with
 * `deno run -A ffi/ffi_bench.ts [--quick] [--frames N] [--no-masscan]`.
 *
 * Every frame goes to the lab host's address inside the lab namespace.
 *
 * @module
 */

import { createLab, DENO, type FfiLab, labUnavailable } from "../tests/ffi_lab.ts";
import { PacketSocketSender } from "./packet_socket.ts";
import { RawIpSender } from "./raw_socket.ts";
import { Pcap } from "./pcap.ts";
import { createFrameBatch, type FrameBatch } from "./frame_batch.ts";
import { LinkType, packetCore, type ProbeTemplate } from "../core-wasm/mod.ts";

/** Options for {@link runFfiBench}. */
export interface FfiBenchOptions {
  /** Fewer frames and one round (for `deno task bench --quick`). */
  quick?: boolean;
  /** Frames per send path (default 2,000,000). */
  frames?: number;
  /** Rounds per send path (default 3). */
  rounds?: number;
  /** Also run masscan on the same link (default: when installed). */
  masscan?: boolean;
  /** Progress lines (default: console.error). */
  log?: (line: string) => void;
}

/** One send path's figures. */
export interface SendFigure {
  path: string;
  sent: number;
  /** Frames per second as timed by the sender (median of the rounds). */
  senderRate: number;
  /** Best round. */
  bestRate: number;
  /** Frames the lab-side capture saw, and its rate by capture timestamps. */
  sinkReceived: number;
  sinkRate: number;
  /** Frames the lab-side capture dropped (ring full). */
  sinkDropped: number;
}

/** One receive strategy's figures (sender and receiver in one process). */
export interface ReceiveFigure {
  method: string;
  sent: number;
  senderRate: number;
  /** Replies (RSTs) the lab kernel sent back, as counted by a second capture there. */
  repliesSent: number;
  /** Replies our capture delivered to JavaScript. */
  repliesReceived: number;
  /** Dropped by our capture's ring. */
  dropped: number;
  /** Worst and 99th-percentile event-loop delay of a 5 ms interval timer
   * while sending. */
  maxLoopLagMs: number;
  p99LoopLagMs: number;
}

/** Everything {@link runFfiBench} measured. */
export interface FfiBenchResult {
  skipped?: string;
  send: SendFigure[];
  receive: ReceiveFigure[];
  masscan?: SendFigure & { command: string };
}

const DPORT_SPAN = 65535;

// ---------------------------------------------------------------- children

function synTemplate(
  lab: { srcMac: string; dstMac: string; src: string; dst: string },
  linkType: number,
  capacity: number,
): ProbeTemplate {
  const core = packetCore();
  const t = core.probeTemplate({
    protocol: "tcp",
    linkType,
    srcMac: lab.srcMac,
    dstMac: lab.dstMac,
    src: lab.src,
    dst: lab.dst,
    srcPort: 40000,
    dstPort: 1,
    capacity,
  });
  for (let i = 0; i < capacity; i++) t.srcPort[i] = 40000 + (i & 0xff);
  return t;
}

let nextPort = 0;
function emit(t: ProbeTemplate, n: number): FrameBatch {
  for (let i = 0; i < n; i++) {
    t.dstPort[i] = 1 + (nextPort++ % DPORT_SPAN);
  }
  return packetCore().emitBatch(t, n);
}

interface SendChild {
  path: "pcap_sendpacket" | "sendmmsg" | "rawip";
  iface: string;
  frames: number;
  batch: number;
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
}

function childSend(o: SendChild) {
  const raw = o.path === "rawip";
  const t = synTemplate(o, raw ? LinkType.RAW : LinkType.EN10MB, o.batch);
  let send: (b: FrameBatch, n: number) => number;
  let close: () => void;
  if (o.path === "sendmmsg") {
    const s = PacketSocketSender.open(o.iface, { batchSize: o.batch });
    send = (b, n) => s.sendBatch(b, n);
    close = () => s.close();
  } else if (raw) {
    const s = RawIpSender.open({ batchSize: o.batch });
    send = (b, n) => s.sendBatch(b, n);
    close = () => s.close();
  } else {
    const p = Pcap.open(o.iface, { snaplen: 64, bufferSize: 1 << 20 });
    send = (b, n) => p.sendBatch(b, n);
    close = () => p.close();
  }
  const t0 = performance.now();
  let sent = 0;
  while (sent < o.frames) {
    const n = Math.min(o.batch, o.frames - sent);
    sent += send(emit(t, n), n);
  }
  const secs = (performance.now() - t0) / 1000;
  close();
  return { sent, senderRate: sent / secs };
}

interface SinkChild {
  iface: string;
  filter: string;
  /** Stop after this long without frames (once some arrived), ms. */
  idleMs: number;
  maxMs: number;
}

async function childSink(o: SinkChild) {
  const cap = Pcap.open(o.iface, {
    filter: o.filter,
    snaplen: 96,
    bufferSize: 128 << 20,
    immediate: false,
    timeoutMs: 5,
  });
  const b = createFrameBatch(8192, 8192 * 128);
  console.log(JSON.stringify({ ready: true }));
  let count = 0, first = 0, last = 0, lastSeen = performance.now();
  const end = performance.now() + o.maxMs;
  while (performance.now() < end) {
    const n = cap.receiveBatch(b);
    if (n > 0) {
      const f = b.index[2]! + b.index[3]! / 1e6;
      const l = b.index[(n - 1) * 4 + 2]! + b.index[(n - 1) * 4 + 3]! / 1e6;
      if (count === 0) first = f;
      last = l;
      count += n;
      lastSeen = performance.now();
      continue;
    }
    if (count > 0 && performance.now() - lastSeen > o.idleMs) break;
    await cap.waitReadable(5);
  }
  const st = cap.stats();
  cap.close();
  return {
    received: count,
    rate: last > first ? (count - 1) / (last - first) : 0,
    dropped: st.dropped,
  };
}

interface ScanChild extends SendChild {
  method: "inline" | "timer" | "poll" | "worker";
  filter: string;
}

async function childScan(o: ScanChild) {
  const t = synTemplate(o, LinkType.EN10MB, o.batch);
  const tx = PacketSocketSender.open(o.iface, { batchSize: o.batch });
  // Event-loop responsiveness while sending: how late a 5 ms interval fires.
  const lags: number[] = [];
  let lastTick = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let received = 0, dropped = 0;
  const rx = createFrameBatch(4096, 4096 * 128);
  // Yield to the event loop after every SLICE_MS of sending. In Deno 2.9 a
  // MessageChannel or resolved-promise "yield" starves timers while the loop
  // stays busy (a 5 ms interval fired 4 times in 500 ms with 1 ms of work per
  // turn); setTimeout(0) lets them run but costs ~2 ms of idle per call, so
  // yield by time budget, not per batch.
  const SLICE_MS = 5;
  let sliceStart = performance.now();
  const yieldMacrotask = async () => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await new Promise((r) => setTimeout(r, 0));
    sliceStart = performance.now();
  };
  let sent = 0, sendSecs = 0;
  const sendAll = async (between: () => void | Promise<void>) => {
    const t0 = lastTick = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      lags.push(Math.max(0, now - lastTick - 5));
      lastTick = now;
    }, 5);
    while (sent < o.frames) {
      const n = Math.min(o.batch, o.frames - sent);
      sent += tx.sendBatch(emit(t, n), n);
      await between();
    }
    sendSecs = (performance.now() - t0) / 1000;
    clearInterval(ticker);
    lags.push(Math.max(0, performance.now() - lastTick - 5));
  };
  if (o.method === "worker") {
    const w = new Worker(new URL("./_capture_worker.ts", import.meta.url), { type: "module" });
    const done = new Promise<{ received: number; dropped: number }>((res, rej) => {
      w.onmessage = (e) => {
        if (e.data.ready) start();
        else res(e.data);
      };
      w.onerror = (e) => {
        e.preventDefault();
        rej(new Error(`capture worker: ${e.message}`));
      };
    });
    let start!: () => void;
    const started = new Promise<void>((r) => (start = r));
    w.postMessage({ iface: o.iface, filter: o.filter });
    await started;
    await sendAll(yieldMacrotask);
    await new Promise((r) => setTimeout(r, 300));
    w.postMessage({ stop: true });
    const r = await done;
    w.terminate();
    received = r.received;
    dropped = r.dropped;
  } else {
    const cap = Pcap.open(o.iface, { filter: o.filter, snaplen: 128, bufferSize: 32 << 20 });
    const drain = () => {
      for (let n = cap.receiveBatch(rx); n > 0; n = cap.receiveBatch(rx)) received += n;
    };
    if (o.method === "inline") {
      await sendAll(() => {
        drain();
        return yieldMacrotask();
      });
    } else {
      let sending = true;
      const receiver = (async () => {
        while (sending) {
          drain();
          if (o.method === "poll") await cap.waitReadable(5);
          else await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await sendAll(yieldMacrotask);
      sending = false;
      await receiver;
    }
    const end = performance.now() + 300;
    while (performance.now() < end) {
      drain();
      await new Promise((r) => setTimeout(r, 5));
    }
    dropped = cap.stats().dropped;
    cap.close();
  }
  tx.close();
  return {
    sent,
    senderRate: sent / sendSecs,
    repliesReceived: received,
    dropped,
    maxLoopLagMs: Math.max(0, ...lags),
    p99LoopLagMs: lags.sort((a, b) => a - b)[Math.floor(lags.length * 0.99)] ?? 0,
  };
}

// ---------------------------------------------------------------- parent

async function child<T>(lab: FfiLab, ns: string, role: string, req: unknown): Promise<T> {
  const r = await lab.exec(ns, [
    DENO,
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-read",
    new URL(import.meta.url).pathname,
    "child",
    role,
    JSON.stringify(req),
  ]);
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`bench child ${role} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
}

async function startSink(lab: FfiLab, filter: string) {
  const c = lab.spawn(lab.host.ns, [
    DENO,
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-read",
    new URL(import.meta.url).pathname,
    "child",
    "sink",
    JSON.stringify({ iface: lab.host.iface, filter, idleMs: 700, maxMs: 60000 }),
  ]);
  const reader = c.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`capture sink did not start: ${text}`);
    text += value;
  }
  return async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await c.status;
    c.stderr.cancel().catch(() => {});
    const line = text.trim().split("\n").at(-1) ?? "{}";
    return JSON.parse(line) as { received: number; rate: number; dropped: number };
  };
}

async function rxPackets(lab: FfiLab): Promise<number> {
  const r = await lab.exec(lab.host.ns, ["ip", "-s", "-j", "link", "show", lab.host.iface]);
  return JSON.parse(r.stdout)[0].stats64.rx.packets;
}

function hasMasscan(): boolean {
  try {
    // masscan --version exits 1; being found and printing is enough.
    const out = new Deno.Command("masscan", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return new TextDecoder().decode(out.stdout).includes("Masscan");
  } catch {
    return false;
  }
}

/** One line of the bench table (what bench/micro.ts prints). */
export interface FfiFigure {
  name: string;
  framesPerSecond: number;
  notes?: string;
}

/** The figures as bench table rows: every send path, masscan on the same
 * link, and each receive strategy (its send rate while capturing replies). */
export async function runFfiBench(opts: FfiBenchOptions = {}): Promise<FfiFigure[]> {
  const r = await runFfiBenchDetailed(opts);
  if (r.skipped) return [];
  const rows: FfiFigure[] = r.send.map((f) => ({
    name: f.path,
    framesPerSecond: f.senderRate,
    notes:
      `median; best ${f.bestRate}; far side got ${f.sinkReceived}/${f.sent}, capture dropped ${f.sinkDropped}`,
  }));
  if (r.masscan) {
    rows.push({
      name: r.masscan.path + ", same link",
      framesPerSecond: r.masscan.senderRate,
      notes: `median by capture timestamps; best ${r.masscan.bestRate}; ${r.masscan.command}`,
    });
  }
  for (const f of r.receive) {
    rows.push({
      name: `send+receive, ${f.method} capture`,
      framesPerSecond: f.senderRate,
      notes:
        `replies ${f.repliesReceived}/${f.repliesSent}, dropped ${f.dropped}, loop lag p99 ${f.p99LoopLagMs} ms`,
    });
  }
  return rows;
}

/** Runs every measurement in a fresh lab and returns (and logs) the figures. */
export async function runFfiBenchDetailed(opts: FfiBenchOptions = {}): Promise<FfiBenchResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const why = labUnavailable();
  if (why) {
    log(`ffi bench skipped: ${why}`);
    return { skipped: why, send: [], receive: [] };
  }
  const frames = opts.frames ?? (opts.quick ? 300_000 : 2_000_000);
  const rounds = Math.max(1, opts.rounds ?? (opts.quick ? 1 : 3));
  const lab = await createLab();
  const result: FfiBenchResult = { send: [], receive: [] };
  try {
    const s = lab.scanner, h = lab.host;
    const base = { iface: s.iface, srcMac: s.mac, dstMac: h.mac, src: s.v4, dst: h.v4 };
    const synToHost = `tcp[13] & 2 != 0 and dst host ${h.v4}`;
    // Send figures measure the send path, not the lab kernel's TCP: the lab
    // host drops our SYNs in prerouting (after the capture taps saw them).
    const nft = await lab.exec(h.ns, ["nft", "-f", "-"], {
      input:
        `table inet phbench {\n  chain pre {\n    type filter hook prerouting priority -300; policy accept;\n` +
        `    ip daddr ${h.v4} tcp flags & syn == syn drop\n  }\n}\n`,
    });
    if (nft.code !== 0) throw new Error(`nft: ${nft.stderr}`);
    const paths: Array<[string, SendChild["path"], number, number]> = [
      ["sendmmsg batch 1024, no capture", "sendmmsg", 1024, frames],
      ["pcap_sendpacket", "pcap_sendpacket", 1024, Math.min(frames, 500_000)],
      ["sendmmsg batch 64", "sendmmsg", 64, frames],
      ["sendmmsg batch 1024", "sendmmsg", 1024, frames],
      ["raw IP socket sendmmsg (--send-ip)", "rawip", 1024, Math.min(frames, 1_000_000)],
    ];
    // Interleaved rounds: the host is shared, so one run says little; each
    // figure is the median (and best) of `rounds`.
    const runs = new Map<
      string,
      Array<
        {
          senderRate: number;
          sent: number;
          rx: { received: number; rate: number; dropped: number };
        }
      >
    >();
    for (let round = 0; round < rounds; round++) {
      for (const [name, path, batch, n] of paths) {
        // "no capture": the far side only counts (the veth's rx counter), so
        // the figure is the send path alone, without a capture's cost.
        const counted = name.endsWith("no capture");
        const rxBefore = counted ? await rxPackets(lab) : 0;
        const sink = counted ? undefined : await startSink(lab, synToHost);
        const tx = await child<{ sent: number; senderRate: number }>(lab, s.ns, "send", {
          ...base,
          path,
          batch,
          frames: n,
        });
        const rx = sink
          ? await sink()
          : { received: (await rxPackets(lab)) - rxBefore, rate: 0, dropped: 0 };
        runs.set(name, [...(runs.get(name) ?? []), {
          senderRate: tx.senderRate,
          sent: tx.sent,
          rx,
        }]);
        log(
          `send ${name} (round ${round + 1}): ${
            Math.round(tx.senderRate)
          } frames/s, capture ${rx.received}/${tx.sent}, dropped ${rx.dropped}`,
        );
      }
    }
    for (const [name] of paths) {
      const r = runs.get(name)!;
      const rates = r.map((x) => x.senderRate).sort((a, b) => a - b);
      const fig: SendFigure = {
        path: name,
        sent: r[0]!.sent,
        senderRate: Math.round(rates[Math.floor(rates.length / 2)]!),
        bestRate: Math.round(rates.at(-1)!),
        sinkReceived: Math.min(...r.map((x) => x.rx.received)),
        sinkRate: Math.round(
          r.map((x) => x.rx.rate).sort((a, b) => a - b)[Math.floor(r.length / 2)]!,
        ),
        sinkDropped: Math.max(...r.map((x) => x.rx.dropped)),
      };
      result.send.push(fig);
      log(
        `send ${name}: median ${fig.senderRate} frames/s, best ${fig.bestRate} (capture got ≥ ${fig.sinkReceived}/${fig.sent}, dropped ≤ ${fig.sinkDropped})`,
      );
    }
    if (opts.masscan ?? hasMasscan()) {
      // masscan's defaults are --rate 100 and --wait 10: ask for its maximum
      // and no wait; it resolves nothing (--router-mac is the lab host).
      const args = [
        h.v4,
        "-p1-65535",
        "--rate",
        "10000000",
        "-e",
        s.iface,
        "--router-mac",
        h.mac,
        "--adapter-ip",
        s.v4,
        "--wait",
        "0",
      ];
      const rates: number[] = [];
      let worst = { received: DPORT_SPAN, dropped: 0 };
      for (let round = 0; round < rounds; round++) {
        const sink = await startSink(lab, synToHost);
        const m = await lab.exec(s.ns, ["masscan", ...args]);
        const rx = await sink();
        if (m.code !== 0) log(`masscan exited ${m.code}: ${m.stderr.trim().split("\n").at(-1)}`);
        rates.push(rx.rate);
        worst = {
          received: Math.min(worst.received, rx.received),
          dropped: Math.max(worst.dropped, rx.dropped),
        };
        log(
          `masscan (round ${round + 1}): ${
            Math.round(rx.rate)
          } frames/s by capture timestamps, ${rx.received}/${DPORT_SPAN}`,
        );
      }
      rates.sort((a, b) => a - b);
      result.masscan = {
        command: `masscan ${args.join(" ")}`,
        path: "masscan 1.3.2 (libpcap)",
        sent: DPORT_SPAN,
        senderRate: Math.round(rates[Math.floor(rates.length / 2)]!),
        bestRate: Math.round(rates.at(-1)!),
        sinkReceived: worst.received,
        sinkRate: Math.round(rates[Math.floor(rates.length / 2)]!),
        sinkDropped: worst.dropped,
      };
      log(`masscan: median ${result.masscan.senderRate} frames/s, best ${result.masscan.bestRate}`);
    }
    // The receive figures need the lab kernel's answers: lift the drop.
    await lab.exec(h.ns, ["nft", "delete", "table", "inet", "phbench"]);
    const replyFilter = `tcp and src host ${h.v4} and dst host ${s.v4}`;
    const rstFromHost = `tcp[13] & 4 != 0 and src host ${h.v4}`;
    for (const method of ["inline", "timer", "poll", "worker"] as const) {
      const sink = await startSink(lab, rstFromHost);
      const r = await child<Omit<ReceiveFigure, "method" | "repliesSent">>(lab, s.ns, "scan", {
        ...base,
        path: "sendmmsg",
        batch: 1024,
        frames: Math.min(frames, 1_000_000),
        method,
        filter: replyFilter,
      });
      const k = await sink();
      const fig: ReceiveFigure = {
        method,
        sent: r.sent,
        senderRate: Math.round(r.senderRate),
        repliesSent: k.received,
        repliesReceived: r.repliesReceived,
        dropped: r.dropped,
        maxLoopLagMs: Math.round(r.maxLoopLagMs * 10) / 10,
        p99LoopLagMs: Math.round(r.p99LoopLagMs * 10) / 10,
      };
      result.receive.push(fig);
      log(
        `receive ${method}: sent ${fig.sent} at ${fig.senderRate}/s; replies ${fig.repliesReceived}/${fig.repliesSent}, dropped ${fig.dropped}, loop lag p99 ${fig.p99LoopLagMs} ms, max ${fig.maxLoopLagMs} ms`,
      );
    }
  } finally {
    await lab.close();
  }
  return result;
}

if (import.meta.main) {
  const [cmd, role, json] = Deno.args;
  if (cmd === "child") {
    const req = JSON.parse(json ?? "{}");
    const out = role === "send"
      ? childSend(req)
      : role === "sink"
      ? await childSink(req)
      : await childScan(req);
    console.log(JSON.stringify(out));
  } else {
    const fi = Deno.args.indexOf("--frames");
    const res = await runFfiBenchDetailed({
      frames: fi >= 0 ? Number(Deno.args[fi + 1]) : undefined,
      quick: Deno.args.includes("--quick"),
      masscan: Deno.args.includes("--no-masscan") ? false : undefined,
    });
    console.log(JSON.stringify(res, null, 2));
  }
}
