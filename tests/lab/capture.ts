/**
 * The fingerprint capture: brings up the real-daemons lab (real_daemons.ts), sends every probe of
 * Porthole's built-in probe file and of nmap's (when installed) to every port of every daemon,
 * from inside the scanner namespace, runs nmap -sV once as the oracle, and writes the replay corpus
 * (replay.ts) to tests/data/real-daemons.json.
 *
 *     deno task lab:capture [--tag fp] [--out FILE] [--only name,name] [--no-nmap] [--no-install]
 *                           [--nmap-xml FILE]
 *
 * Kept per port: the NULL probe's reply, the replies of the probes whose ports/sslports name the
 * port, and every other probe that got an answer, each cut at REPLY_CAP bytes. Through TLS too,
 * for ports that complete a TLS handshake.
 *
 * Internal mode, run inside the scanner namespace by the above:
 *     capture.ts --probe-job JOB.json OUT.json
 */

import { builtinProbeDb, loadProbeDb } from "../../cli/service/db.ts";
import type { Probe, ProbeDb } from "../../cli/service/probe_db.ts";
import { type Channel, connectTcp, connectTls, openUdp } from "../../cli/service/conn.ts";
import {
  type Answer,
  type Corpus,
  CORPUS_PATH,
  type CorpusPort,
  probeKey,
  type Reply,
  toBase64,
} from "./replay.ts";
import { DAEMONS, installMissing, RealDaemonsLab } from "./real_daemons.ts";
import { REPO_ROOT } from "./mod.ts";
import { run } from "./_exec.ts";

/** nmap's probe file, when installed. */
export const NMAP_PROBES = "/usr/share/nmap/nmap-service-probes";
/** Bytes kept of each reply. */
export const REPLY_CAP = 1024;
/** Probes in flight per port. */
const PER_PORT = 4;

interface JobProbe {
  key: string;
  proto: "tcp" | "udp";
  payload: string;
  waitMs: number;
  /** Ports (and TLS ports) that the probe's file lists for it. */
  ports: number[];
  sslPorts: number[];
  /** The lowest rarity the probe has in the files. */
  rarity: number;
}

interface Job {
  address: string;
  ports: { proto: "tcp" | "udp"; port: number }[];
  probes: JobProbe[];
}

/** A reply as the probing side records it: bytes as base64, closed, ms until closed. */
type RawReply = [string, 0 | 1, number];
type JobResult = Record<
  string,
  { plain: Record<string, RawReply>; tls?: Record<string, RawReply> }
>;

// --- inside the scanner namespace ------------------------------------------------------------

async function readReply(chan: Channel, waitMs: number, udp: boolean): Promise<RawReply | null> {
  const start = performance.now();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let closed: 0 | 1 = 0;
  let deadline = start + waitMs;
  for (;;) {
    const ev = await chan.next(deadline);
    if (ev.kind === "timeout") break;
    if (ev.kind === "eof" || ev.kind === "error") {
      closed = 1;
      break;
    }
    chunks.push(ev.data);
    size += ev.data.length;
    if (udp || size >= REPLY_CAP) break;
    // Once something came, wait only a little for more.
    deadline = Math.min(start + waitMs, performance.now() + 800);
  }
  if (size === 0 && !closed) return null;
  const out = new Uint8Array(Math.min(size, REPLY_CAP));
  let off = 0;
  for (const c of chunks) {
    const n = Math.min(c.length, out.length - off);
    out.set(c.subarray(0, n), off);
    off += n;
    if (off >= out.length) break;
  }
  return [toBase64(out), closed, Math.round(performance.now() - start)];
}

async function probeOnce(
  address: string,
  port: number,
  p: JobProbe,
  tls: boolean,
): Promise<RawReply | null> {
  let chan: Channel;
  const ep = { address, port };
  try {
    chan = p.proto === "udp"
      ? await openUdp(ep)
      : tls
      ? await connectTls(ep, 8000)
      : await connectTcp(ep, 5000);
  } catch {
    return null;
  }
  try {
    const payload = Uint8Array.from(atob(p.payload), (c) => c.charCodeAt(0));
    if (payload.length) await chan.write(payload);
    return await readReply(chan, p.waitMs, p.proto === "udp");
  } catch {
    return null;
  } finally {
    chan.close();
  }
}

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await f(items[i++]!);
    }),
  );
}

async function captureLayer(job: Job, port: number, proto: "tcp" | "udp", tls: boolean) {
  const out: Record<string, RawReply> = {};
  const probes = job.probes.filter((p) => p.proto === proto);
  const hinted = (p: JobProbe) => (tls ? p.sslPorts : p.ports).includes(port) || p.key === "null";
  const keep = (p: JobProbe, r: RawReply | null) => {
    if (r && (r[0] !== "" || hinted(p))) out[p.key] = r;
  };
  await pool(probes, PER_PORT, async (p) => keep(p, await probeOnce(job.address, port, p, tls)));
  // Some daemons serve one connection at a time (kadmind, snmpd's SMUX): a probe that waited
  // silent beside others may just have queued. Those nmap would send at intensity 7 go again,
  // one at a time, on ports that answered something.
  if (Object.values(out).some((r) => r[0] !== "")) {
    const again = probes.filter((p) =>
      !(out[p.key]?.[0]) && p.key !== "null" && (hinted(p) || p.rarity <= 7)
    );
    await pool(again, 1, async (p) => keep(p, await probeOnce(job.address, port, p, tls)));
  }
  return out;
}

async function runJob(job: Job): Promise<JobResult> {
  const result: JobResult = {};
  await Promise.all(job.ports.map(async ({ proto, port }) => {
    const plain = await captureLayer(job, port, proto, false);
    let tls: Record<string, RawReply> | undefined;
    if (proto === "tcp") {
      // A few tries: some daemons make their certificate at start (Murmur), under load.
      for (let i = 0; i < 3 && !tls; i++) {
        const ok = await connectTls({ address: job.address, port }, 8000).then((c) => {
          c.close();
          return true;
        }, () => false);
        if (ok) tls = await captureLayer(job, port, proto, true);
        else await new Promise((r) => setTimeout(r, 2000));
      }
    }
    result[`${proto}/${port}`] = { plain, ...(tls ? { tls } : {}) };
  }));
  return result;
}

// --- outside: the lab, nmap, the corpus ------------------------------------------------------

function jobProbes(dbs: ProbeDb[]): JobProbe[] {
  const seen = new Map<string, JobProbe>();
  for (const db of dbs) {
    const all: Probe[] = [...(db.nullProbe ? [db.nullProbe] : []), ...db.probes];
    for (const p of all) {
      const key = probeKey(p.payload);
      const id = `${p.protocol}/${key}`;
      const old = seen.get(id);
      if (old) {
        old.rarity = Math.min(old.rarity, p.rarity);
        old.ports = [...new Set([...old.ports, ...p.ports])];
        old.sslPorts = [...new Set([...old.sslPorts, ...p.sslPorts])];
        continue;
      }
      seen.set(id, {
        key,
        proto: p.protocol,
        payload: toBase64(p.payload),
        // As long as nmap waits (6 s for NULL, 5 s by default), at most 8 s.
        waitMs: Math.min(p.totalWaitMs, 8000),
        ports: [...p.ports],
        sslPorts: [...p.sslPorts],
        rarity: p.rarity,
      });
    }
  }
  return [...seen.values()];
}

/** The ports of nmap's XML output: proto/port → answer. */
export function parseNmapXml(xml: string): Map<string, Answer> {
  const out = new Map<string, Answer>();
  const attr = (s: string, name: string) => {
    const m = new RegExp(`\\b${name}="([^"]*)"`).exec(s);
    return m
      ? m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">")
        .replace(/&apos;/g, "'").replace(/&amp;/g, "&")
      : undefined;
  };
  for (const m of xml.matchAll(/<port protocol="(\w+)" portid="(\d+)">([^]*?)<\/port>/g)) {
    const body = m[3]!;
    const state = /<state ([^>]*)>/.exec(body);
    const svc = /<service ([^>]*?)\/?>/.exec(body);
    const a: Answer = { state: state ? attr(state[1]!, "state") : undefined };
    // A name from nmap-services alone (method="table") is a guess, not an identification.
    if (svc && attr(svc[1]!, "method") === "probed") {
      a.service = attr(svc[1]!, "name");
      a.product = attr(svc[1]!, "product");
      a.version = attr(svc[1]!, "version");
      a.info = attr(svc[1]!, "extrainfo");
      if (attr(svc[1]!, "tunnel") === "ssl") a.tunnel = "ssl";
    }
    out.set(`${m[1]}/${m[2]}`, a);
  }
  return out;
}

/** A port's raw replies as the corpus keeps them: distinct bytes once, times only for NULL. */
function compact(
  raw: { plain: Record<string, RawReply>; tls?: Record<string, RawReply> },
): Pick<CorpusPort, "blobs" | "plain" | "tls"> {
  const blobs: string[] = [];
  const index = new Map<string, number>();
  const layer = (l: Record<string, RawReply>) => {
    const out: Record<string, Reply> = {};
    for (const key of Object.keys(l).sort()) {
      const [b64, closed, ms] = l[key]!;
      let i = -1;
      if (b64 !== "") {
        i = index.get(b64) ?? blobs.length;
        if (i === blobs.length) {
          blobs.push(b64);
          index.set(b64, i);
        }
      }
      out[key] = key === "null" && closed ? [i, closed, ms] : [i, closed];
    }
    return out;
  };
  const plain = layer(raw.plain);
  const tls = raw.tls ? layer(raw.tls) : undefined;
  return { blobs, plain, ...(tls ? { tls } : {}) };
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "--probe-job") {
    const job = JSON.parse(await Deno.readTextFile(args[1]!)) as Job;
    await Deno.writeTextFile(args[2]!, JSON.stringify(await runJob(job)));
    return 0;
  }
  const tag = arg(args, "--tag") ?? "fp";
  const outPath = arg(args, "--out") ?? CORPUS_PATH;
  const only = arg(args, "--only")?.split(",");
  const unknown = only?.filter((n) => !DAEMONS.some((d) => d.name === n)) ?? [];
  if (unknown.length) {
    throw new Error(
      `no daemon ${unknown.join(", ")} (known: ${DAEMONS.map((d) => d.name).join(" ")})`,
    );
  }
  const daemons = only ? DAEMONS.filter((d) => only.includes(d.name)) : DAEMONS;
  const log = (s: string) => console.error(s);
  if (!args.includes("--no-install")) await installMissing(daemons, log);

  const dbs = [builtinProbeDb()];
  const haveNmapDb = await Deno.stat(NMAP_PROBES).then(() => true, () => false);
  if (haveNmapDb) dbs.push(await loadProbeDb(NMAP_PROBES));
  const probes = jobProbes(dbs);

  await using rl = await RealDaemonsLab.up({ tag, daemons, log });
  for (const f of rl.failed) log(`not up: ${f.name}: ${f.why}`);
  log(`${rl.started.length} daemons up, ${rl.ports().length} ports`);
  const ports = rl.ports();
  const job: Job = {
    address: rl.v4,
    ports: ports.map(({ port }) => ({ proto: port.proto, port: port.port })),
    probes,
  };
  const jobPath = `${rl.dir}/job.json`;
  const resPath = `${rl.dir}/result.json`;
  await Deno.writeTextFile(jobPath, JSON.stringify(job));
  await Deno.chmod(rl.dir, 0o755);
  const t0 = performance.now();
  const cap = await rl.lab.runInScanner([
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--unstable-net",
    `${REPO_ROOT}/tests/lab/capture.ts`,
    "--probe-job",
    jobPath,
    resPath,
  ], { timeoutMs: 1_800_000 });
  if (cap.code !== 0) throw new Error(`capture failed: ${cap.stderr.trim().slice(-2000)}`);
  log(`captured in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const result = JSON.parse(await Deno.readTextFile(resPath)) as JobResult;

  let nmapAnswers = new Map<string, Answer>();
  let nmapVersion: string | undefined;
  if (!args.includes("--no-nmap")) {
    const tcpPorts = ports.filter((p) => p.port.proto === "tcp").map((p) => p.port.port);
    const udpPorts = ports.filter((p) => p.port.proto === "udp").map((p) => p.port.port);
    const xml = `${rl.dir}/nmap.xml`;
    const t1 = performance.now();
    const r = await rl.lab.nmap([
      "-sV",
      "-sS",
      ...(udpPorts.length ? ["-sU"] : []),
      "-Pn",
      "-n",
      "-p",
      `T:${tcpPorts.join(",")}${udpPorts.length ? `,U:${udpPorts.join(",")}` : ""}`,
      "-oX",
      xml,
      rl.v4,
    ], { timeoutMs: 1_800_000 });
    if (r.code !== 0) throw new Error(`nmap failed: ${r.stderr.trim()}`);
    log(`nmap -sV in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
    nmapAnswers = parseNmapXml(await Deno.readTextFile(xml));
    const keepXml = arg(args, "--nmap-xml");
    if (keepXml) await Deno.copyFile(xml, keepXml);
    nmapVersion = /Nmap version (\S+)/.exec((await run(["nmap", "--version"])).stdout)?.[1];
  }

  const corpus: Corpus = {
    captured: new Date().toISOString().slice(0, 10),
    nmapVersion,
    replyCap: REPLY_CAP,
    ports: ports.map(({ daemon, port }): CorpusPort => {
      const id = `${port.proto}/${port.port}`;
      const got = compact(result[id] ?? { plain: {} });
      return {
        daemon: daemon.daemon.name,
        pkg: daemon.daemon.pkg,
        pkgVersion: daemon.pkgVersion,
        proto: port.proto,
        port: port.port,
        truth: {
          service: port.service,
          products: port.products,
          version: daemon.version,
          ...(port.noVersion ? { noVersion: true } : {}),
        },
        ...(nmapAnswers.has(id) ? { nmap: nmapAnswers.get(id) } : {}),
        ...got,
      };
    }),
  };
  // One port per line: small diffs when the corpus is captured again.
  const body = corpus.ports.map((p) => JSON.stringify(p)).join(",\n");
  const { ports: _, ...head } = corpus;
  await Deno.writeTextFile(
    outPath,
    JSON.stringify(head).replace(/}$/, `,"ports":[\n${body}\n]}\n`),
  );
  log(`wrote ${outPath}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`lab:capture: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
