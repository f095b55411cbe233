/**
 * `porthole inventory …`: the store of scans from the command line. nmap's syntax is left
 * alone: this entry is taken only when `inventory` is the first word (a host of that name is
 * still scanned as `inventory.`, with the root's dot).
 *
 *     porthole inventory import [--store S] FILE…
 *     porthole inventory scans [--store S] [--json]
 *     porthole inventory diff [--store S] [--text|--xml|--json] [-v] A B
 *     porthole inventory query [--store S] [--port N] [--service S] … [--json]
 *     porthole inventory history [--store S] ADDRESS [--json]
 *     porthole inventory watch [--store S] [--baseline FILE] [--webhook URL] [--exec CMD]
 *         [--every DURATION] [-- SCAN ARGUMENTS]
 *     porthole inventory report [--store S] [--since @ID] [-o FILE]
 *
 * A or B is a scan file (nmap or Porthole XML, Porthole -oJ, masscan -oJ/-oL) or a stored
 * scan: `@ID`, `@last`, `@last~N`. Exit status: 0 done (diff: the same), 1 (diff: different),
 * 2 bad input or an unreachable store, with one line on stderr, as ndiff's.
 *
 * @module
 */

import { changeEvents, ndiffText, ndiffXml } from "./diff.ts";
import { ImportError, importScan } from "./import.ts";
import type { InvScan } from "./scan.ts";
import { openStore, type ServiceFilter, type Store, StoreError } from "./store.ts";
import { BaselineError, parseBaseline, watchEvents } from "./watch.ts";
import { execCommand, execProblem, postWebhook } from "./deliver.ts";
import { UsageError } from "../errors.ts";
import { renderReport } from "./report.ts";

/** Where the inventory commands keep scans when no --store is given. */
export const DEFAULT_STORE = "porthole-inventory.db";

/** Exit statuses (ndiff's). */
export const EXIT_SAME = 0, EXIT_DIFFERENT = 1, EXIT_ERROR = 2;

/** The inventory's usage text (also part of --help). */
export const INVENTORY_USAGE = `INVENTORY (a store of scans; nmap's options are unchanged):
  --store <file|postgres://user@host/db>: also record this scan in a store
  porthole inventory import [--store S] FILE...: store nmap/Porthole XML, -oJ, masscan -oJ/-oL
  porthole inventory scans [--store S] [--json]: list stored scans
  porthole inventory diff [--text|--xml|--json] [-v] A B: what changed, as ndiff (exit 0 same,
    1 different); A, B: scan files or stored scans @ID, @last, @last~N
  porthole inventory query [--port N] [--protocol P] [--service S] [--product P] [--version V]
    [--cpe CPE] [--seen-since DATE] [--first-seen-since DATE] [--not-seen-since DATE] [--json]
  porthole inventory history ADDRESS [--json]: every stored scan's view of one host
  porthole inventory watch [--baseline FILE] [--webhook URL] [--exec CMD]: changes since the
    scan before the last, and what the baseline does not allow (NDJSON; exit 0 nothing,
    1 something, 2 an error); --exec runs CMD with /bin/sh, the events on its stdin
    (it needs Deno's --allow-run=/bin/sh, which Porthole is not given by default)
  porthole inventory watch --store S [--every DURATION] [...] -- SCAN ARGUMENTS: scans first
    (as porthole SCAN ARGUMENTS --store S), then compares with the previous scan of the same
    arguments; --every 15m (s, m, h, d) repeats until Ctrl-C
  porthole inventory report [--since @ID] [-o FILE]: one self-contained HTML file: hosts and
    open ports over time, changes since a scan (default: the one before the last), open ports
  The default store is ./${DEFAULT_STORE}.
`;

class InventoryUsage extends Error {}

interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
}

/** The scans `inventory watch … -- SCAN ARGUMENTS` asks for, handed to the scanner. */
export interface WatchScanPlan {
  /** The store every scan is recorded in. */
  store: string;
  /** nmap-style arguments of the scan, without --store. */
  scanArgs: string[];
  /** Repeat every this many milliseconds until stopped; once when undefined. */
  everyMs?: number;
  /** Compares stored scan `scanId` and delivers what changed; the round's exit status. */
  report(scanId: number): Promise<number>;
}

/** What the face lends the inventory: the scanner, a room this one does not import. */
export interface InventoryHooks {
  /** Runs a watch's scans (cli/app/watch_scans.ts); returns the exit status. */
  watchScans?(plan: WatchScanPlan): Promise<number>;
}

interface Parsed {
  flags: Map<string, string | true>;
  rest: string[];
  /** The words after `--`, if it was given (they are in `rest` too). */
  dashed?: string[];
}

/** Long options with values, and switches, for each command. */
const VALUED = new Set([
  "store",
  "port",
  "protocol",
  "service",
  "product",
  "version",
  "cpe",
  "seen-since",
  "first-seen-since",
  "not-seen-since",
  "limit",
  "baseline",
  "webhook",
  "since",
  "o",
  "exec",
  "every",
]);
const SWITCHES = new Set(["json", "xml", "text", "v", "verbose"]);

function parse(args: string[], allowed: string[]): Parsed {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      rest.push(...args.slice(i + 1));
      return { flags, rest, dashed: args.slice(i + 1) };
    }
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const name = m[1]!;
    if (!allowed.includes(name)) throw new InventoryUsage(`unknown option ${a}`);
    if (VALUED.has(name)) {
      const v = m[2] ?? args[++i];
      if (v === undefined) throw new InventoryUsage(`${a} needs a value`);
      flags.set(name, v);
    } else if (SWITCHES.has(name)) flags.set(name, true);
  }
  return { flags, rest };
}

const str = (p: Parsed, k: string) => {
  const v = p.flags.get(k);
  return typeof v === "string" ? v : undefined;
};

/** A duration as the inventory writes them (30s, 15m, 12h, 7d) in milliseconds, or undefined. */
function durationMs(s: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"];
}

/** The longest wait a timer takes (2^31-1 ms, about 24.8 days). */
const TIMER_MAX_MS = 2 ** 31 - 1;

/** The value of --every: at least a second, at most what a timer can wait. */
function parseEvery(s: string): number {
  const ms = durationMs(s);
  if (ms === undefined || ms < 1000 || ms > TIMER_MAX_MS) {
    throw new InventoryUsage(
      `--every ${s}: not a duration from 1s to 24d (a whole number and s, m, h or d: 30s, 15m, 1h, 1d)`,
    );
  }
  return ms;
}

function parseDate(s: string, flag: string): number {
  const rel = durationMs(s);
  if (rel !== undefined) return Date.now() - rel;
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    throw new InventoryUsage(`--${flag} ${s}: not a date (2026-11-25, 2026-11-25T12:00Z, 7d, 12h)`);
  }
  return t;
}

/** The value of --limit: a whole number, 1 or more. */
function parseCount(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) {
    throw new InventoryUsage(`--${flag} ${s}: not a count (a whole number, 1 or more)`);
  }
  return Number(s);
}

const iso = (ms: number | null) =>
  ms === null ? "-" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

function readScanFile(path: string): InvScan {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new ImportError(`cannot read ${path}: ${why}`);
  }
  return importScan(text, path);
}

/** Runs `porthole inventory ARGS`; returns the exit status. */
export async function inventoryMain(
  args: string[],
  io: Io,
  hooks: InventoryHooks = {},
): Promise<number> {
  const [cmd, ...rest] = args;
  let store: Store | undefined;
  const storeOf = async (p: Parsed) => store ??= await openStore(str(p, "store") ?? DEFAULT_STORE);
  try {
    switch (cmd) {
      case "import": {
        const p = parse(rest, ["store"]);
        if (p.rest.length === 0) throw new InventoryUsage("import needs at least one file");
        // Every file is read before anything is stored: a bad one stores none.
        const scans = p.rest.map((f) => [f, readScanFile(f)] as const);
        const s = await storeOf(p);
        for (const [f, scan] of scans) {
          const id = await s.addScan(scan, f);
          const ports = scan.hosts.reduce((n, h) => n + h.ports.length, 0);
          io.stdout(`stored scan ${id} from ${f}: ${scan.hosts.length} hosts, ${ports} ports\n`);
        }
        return 0;
      }
      case "scans": {
        const p = parse(rest, ["store", "json"]);
        const rows = await (await storeOf(p)).scans();
        for (const r of rows) {
          io.stdout(
            p.flags.has("json")
              ? JSON.stringify(r) + "\n"
              : `${r.id}\t${iso(r.startTime)}\t${r.hostsUp}/${r.hostsTotal} up\t${
                r.shards ? shardsNote(r.shards) + "\t" : ""
              }${r.args}\n`,
          );
        }
        return 0;
      }
      case "diff": {
        const p = parse(rest, ["store", "json", "xml", "text", "v", "verbose"]);
        if (p.rest.length !== 2) throw new InventoryUsage("diff needs exactly two scans");
        const formats = ["json", "xml", "text"].filter((f) => p.flags.has(f));
        if (formats.length > 1) throw new InventoryUsage("contradictory output format options");
        const load = async (ref: string) => {
          if (!ref.startsWith("@")) return readScanFile(ref);
          const s = await storeOf(p);
          return s.loadScan(await s.resolveScan(ref.slice(1)));
        };
        const a = await load(p.rest[0]!);
        const b = await load(p.rest[1]!);
        const verbose = p.flags.has("v") || p.flags.has("verbose");
        if (formats[0] === "json") {
          const events = changeEvents(a, b);
          for (let i = 0; i < events.length; i += 4096) {
            io.stdout(events.slice(i, i + 4096).map((e) => JSON.stringify(e) + "\n").join(""));
          }
          return events.length === 0 ? EXIT_SAME : EXIT_DIFFERENT;
        }
        const out = (formats[0] === "xml" ? ndiffXml : ndiffText)(a, b, verbose, io.stdout);
        return out.cost === 0 ? EXIT_SAME : EXIT_DIFFERENT;
      }
      case "query": {
        const p = parse(rest, [
          "store",
          "json",
          "port",
          "protocol",
          "service",
          "product",
          "version",
          "cpe",
          "seen-since",
          "first-seen-since",
          "not-seen-since",
          "limit",
        ]);
        if (p.rest.length > 0) throw new InventoryUsage(`unexpected argument ${p.rest[0]}`);
        const f: ServiceFilter = {};
        const port = str(p, "port");
        if (port !== undefined) {
          if (!/^\d+$/.test(port) || Number(port) > 65535) {
            throw new InventoryUsage(`--port ${port}: not a port number`);
          }
          f.port = Number(port);
        }
        f.protocol = str(p, "protocol");
        f.service = str(p, "service");
        f.product = str(p, "product");
        f.version = str(p, "version");
        f.cpe = str(p, "cpe");
        const d = (k: string) => str(p, k) === undefined ? undefined : parseDate(str(p, k)!, k);
        f.seenSince = d("seen-since");
        f.firstSeenSince = d("first-seen-since");
        f.notSeenSince = d("not-seen-since");
        const limit = str(p, "limit");
        if (limit !== undefined) f.limit = parseCount(limit, "limit");
        const rows = await (await storeOf(p)).services(f);
        for (const r of rows) {
          io.stdout(
            p.flags.has("json") ? JSON.stringify(r) + "\n" : [
              r.address,
              `${r.port}/${r.protocol}`,
              r.service ?? "-",
              [r.product, r.version].filter((x) => x).join(" ") || "-",
              iso(r.firstSeen),
              iso(r.lastSeen),
            ].join("\t") + "\n",
          );
        }
        return 0;
      }
      case "history": {
        const p = parse(rest, ["store", "json"]);
        if (p.rest.length !== 1) throw new InventoryUsage("history needs one address");
        const rows = await (await storeOf(p)).history(p.rest[0]!);
        for (const r of rows) {
          if (p.flags.has("json")) {
            io.stdout(JSON.stringify(r) + "\n");
            continue;
          }
          const open = r.ports.filter((x) => x.state === "open").map((x) =>
            `${x.port}/${x.protocol}${x.service ? " " + x.service : ""}`
          );
          io.stdout(`scan ${r.scanId}\t${iso(r.time)}\t${r.status}\t${open.join(", ") || "-"}\n`);
        }
        return 0;
      }
      case "watch":
        return await watch(
          parse(rest, ["store", "baseline", "webhook", "exec", "every"]),
          io,
          hooks,
        );
      case "report": {
        const p = parse(rest, ["store", "since", "o", "limit"]);
        if (p.rest.length > 0) throw new InventoryUsage(`unexpected argument ${p.rest[0]}`);
        const limit = parseCount(str(p, "limit") ?? "5000", "limit");
        const s = await storeOf(p);
        const scans = await s.scans();
        const last = scans[scans.length - 1];
        const ref = str(p, "since");
        let since;
        if (last && (ref !== undefined || scans.length > 1)) {
          const fromId = ref !== undefined
            ? await s.resolveScan(ref.replace(/^@/, ""))
            : scans[scans.length - 2]!.id;
          since = {
            from: scans.find((x) => x.id === fromId)!,
            to: last,
            events: changeEvents(await s.loadScan(fromId), await s.loadScan(last.id)),
          };
        }
        const services = await s.services({ limit: limit + 1 });
        const all = services.length > limit ? (await s.counts()).services : services.length;
        const html = renderReport({
          store: s.where,
          generated: Date.now(),
          scans,
          timeline: await s.timeline(),
          since,
          services: services.slice(0, limit),
          servicesLeftOut: all - Math.min(all, limit),
        });
        const out = str(p, "o");
        if (out === undefined || out === "-") io.stdout(html);
        else {
          try {
            Deno.writeTextFileSync(out, html);
          } catch (e) {
            throw new InventoryUsage(`cannot write ${out}: ${e instanceof Error ? e.message : e}`);
          }
        }
        return 0;
      }
      case undefined:
      case "-h":
      case "--help":
      case "help":
        io.stdout(INVENTORY_USAGE);
        return cmd === undefined ? EXIT_ERROR : 0;
      default:
        throw new InventoryUsage(`unknown inventory command ${cmd}`);
    }
  } catch (e) {
    if (
      e instanceof InventoryUsage || e instanceof ImportError || e instanceof StoreError ||
      e instanceof BaselineError || e instanceof UsageError
    ) {
      io.stderr(`porthole inventory: ${e.message}\n`);
      if (e instanceof InventoryUsage) io.stderr("See porthole inventory --help.\n");
      return EXIT_ERROR;
    }
    throw e;
  } finally {
    await store?.close();
  }
}

/** A sharded scan's shards as `inventory scans` lists them: "shards 3/3", or the missing named. */
function shardsNote(s: { total: number; arrived: number[]; missing: number[] }): string {
  const head = `shards ${s.arrived.length}/${s.total}`;
  return s.missing.length ? `${head} (missing ${s.missing.join(", ")})` : head;
}

/**
 * `inventory watch`: reads and checks everything first (the baseline, the permission --exec
 * needs), then reports on the newest stored scan, or has the scanner run the scan after `--`
 * (once, or --every DURATION) and reports on each one it stores.
 */
async function watch(p: Parsed, io: Io, hooks: InventoryHooks): Promise<number> {
  const scanArgs = p.dashed;
  const positional = p.rest.slice(0, p.rest.length - (scanArgs?.length ?? 0));
  if (positional.length > 0) {
    throw new InventoryUsage(
      `unexpected argument ${positional[0]} (a scan's arguments go after --)`,
    );
  }
  if (scanArgs !== undefined && scanArgs.length === 0) {
    throw new InventoryUsage("-- needs the scan's arguments after it (targets at least)");
  }
  const every = str(p, "every");
  const everyMs = every === undefined ? undefined : parseEvery(every);
  if (everyMs !== undefined && scanArgs === undefined) {
    throw new InventoryUsage(`--every needs a scan to repeat: -- SCAN ARGUMENTS`);
  }
  const where = str(p, "store");
  if (scanArgs !== undefined && where === undefined) {
    throw new InventoryUsage("a watch that scans needs --store (where its scans are kept)");
  }
  // The baseline is read first: a broken one stops the watch before anything else.
  const file = str(p, "baseline");
  let baseline: ReturnType<typeof parseBaseline> | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (e) {
      throw new BaselineError(
        `cannot read ${file}: ${
          e instanceof Deno.errors.NotFound ? "No such file or directory" : String(e)
        }`,
      );
    }
    baseline = parseBaseline(text, file);
  }
  const command = str(p, "exec");
  if (command !== undefined) {
    const problem = await execProblem();
    if (problem) throw new UsageError(problem);
  }
  const hook = str(p, "webhook");
  const store = where ?? DEFAULT_STORE;

  /** Compares and delivers one round; with `scanId`, against the previous scan of the same
   * arguments, else the newest stored scan against the one before it. */
  const report = async (scanId?: number): Promise<number> => {
    let events;
    {
      await using s = await openStore(store);
      const scans = await s.scans();
      const at = scanId === undefined ? scans.length - 1 : scans.findIndex((x) => x.id === scanId);
      const latest = scans[at];
      if (!latest) throw new StoreError(`${s.where} has no scan to watch`);
      const before = scanId === undefined
        ? scans[at - 1]
        : scans.slice(0, at).findLast((x) => x.args === latest.args);
      events = watchEvents(
        await s.loadScan(latest.id),
        before && await s.loadScan(before.id),
        baseline,
      );
    }
    if (events.length === 0) return EXIT_SAME;
    const body = events.map((e) => JSON.stringify(e) + "\n").join("");
    io.stdout(body);
    // Every delivery is tried; one that fails is reported and the watch goes on.
    let failed = false;
    if (hook !== undefined) {
      try {
        await postWebhook(hook, body);
      } catch (e) {
        io.stderr(`porthole inventory: ${e instanceof Error ? e.message : e}\n`);
        failed = true;
      }
    }
    if (command !== undefined) {
      const how = await execCommand(command, body, io.stderr);
      if (how) {
        io.stderr(`porthole inventory: ${how}\n`);
        failed = true;
      }
    }
    return failed ? EXIT_ERROR : EXIT_DIFFERENT;
  };

  if (scanArgs === undefined) return await report();
  if (!hooks.watchScans) throw new InventoryUsage("this build of Porthole cannot scan");
  return await hooks.watchScans({
    store,
    scanArgs,
    everyMs,
    report: async (id) => {
      try {
        return await report(id);
      } catch (e) {
        // A round whose store cannot be read is reported; the next round tries again.
        if (!(e instanceof StoreError)) throw e;
        io.stderr(`porthole inventory: ${e.message}\n`);
        return EXIT_ERROR;
      }
    },
  });
}
