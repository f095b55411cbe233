/**
 * nmap and Porthole side by side on a lab scenario (as root):
 *
 *     deno task lab:compare -- [--scenario S] [--tag T] [--loss N] [--icmp-ratelimit on|off]
 *                              [--timeout SEC] [--raw] NMAP_ARGS...
 *
 * Brings the scenario up (default scanme), runs `nmap NMAP_ARGS` and then `porthole NMAP_ARGS`
 * inside the scanner namespace, prints both port tables side by side marking every difference,
 * and tears the lab down. In NMAP_ARGS, TARGET stands for the first target's address, TARGET6 for
 * its v6 address, TARGETS for every target, ANYIP for the AnyIP /16; with none of them the
 * target is appended. Exit status: 0 same tables, 1 differences (or a side failed), 2 bad usage
 * or no lab.
 */

import { Lab, labUnavailable, SCENARIOS } from "./mod.ts";
import { type RunResult, stripAnsi } from "./_exec.ts";
import { type HostTable, parseNmapNormal, type PortRow } from "./nmap_table.ts";

/** Compare's own options; they come before the scanner arguments. */
interface CompareOptions {
  scenario: string;
  tag: string;
  loss?: number;
  icmpRatelimit?: boolean;
  timeoutMs: number;
  raw: boolean;
  args: string[];
}

class UsageError extends Error {}

/** Splits leading compare options from the scanner arguments. */
export function parseCompareArgs(argv: string[]): CompareOptions {
  const o: CompareOptions = {
    scenario: "scanme",
    tag: "cmp",
    timeoutMs: 300_000,
    raw: false,
    args: [],
  };
  const a = argv[0] === "--" ? argv.slice(1) : [...argv];
  const value = (flag: string): string => {
    const v = a.shift();
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  while (a.length) {
    const w = a[0]!;
    if (w === "--scenario") {
      a.shift();
      o.scenario = value(w);
      if (!SCENARIOS[o.scenario]) {
        throw new UsageError(
          `unknown scenario ${o.scenario}: ${Object.keys(SCENARIOS).join(", ")}`,
        );
      }
    } else if (w === "--tag") {
      a.shift();
      o.tag = value(w);
    } else if (w === "--loss") {
      a.shift();
      const v = value(w);
      o.loss = Number(v);
      if (!/^\d+$/.test(v) || o.loss > 100) throw new UsageError(`--loss takes 0-100, not ${v}`);
    } else if (w === "--icmp-ratelimit") {
      a.shift();
      const v = value(w);
      if (v !== "on" && v !== "off") {
        throw new UsageError(`--icmp-ratelimit takes on or off, not ${v}`);
      }
      o.icmpRatelimit = v === "on";
    } else if (w === "--timeout") {
      a.shift();
      const v = value(w);
      if (!/^\d+$/.test(v) || Number(v) < 1) {
        throw new UsageError(`--timeout takes seconds, not ${v}`);
      }
      o.timeoutMs = Number(v) * 1000;
    } else if (w === "--raw") {
      a.shift();
      o.raw = true;
    } else {
      break;
    }
  }
  o.args = a[0] === "--" ? a.slice(1) : a;
  return o;
}

/** Replaces TARGET, TARGET6, TARGETS and ANYIP; appends the target when none appears. */
export function substituteTargets(
  args: string[],
  t: { v4: string; v6: string; all: string[]; anyip?: string },
): string[] {
  let used = false;
  const out: string[] = [];
  for (const w of args) {
    if (w === "TARGETS") {
      out.push(...t.all);
      used = true;
      continue;
    }
    const r = w.replace(/\bTARGET6\b|\bTARGET\b|\bANYIP\b/g, (m) => {
      used = true;
      if (m === "TARGET6") return t.v6;
      if (m === "ANYIP") {
        if (!t.anyip) throw new UsageError("ANYIP needs the anyip16 scenario");
        return t.anyip;
      }
      return t.v4;
    });
    out.push(r);
  }
  if (!used) out.push(t.v4);
  return out;
}

/** One line on why a side failed. */
function failure(r: RunResult): string {
  if (r.timedOut) return "timed out";
  const lines = stripAnsi(r.stderr || r.stdout).trim().split("\n").filter(Boolean);
  const err = lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
  return `exit ${r.code}${err ? `: ${err.trim()}` : ""}`;
}

const cell = (p: PortRow | undefined) =>
  p ? [p.state, p.service, p.version].filter(Boolean).join(" ") : "-";

/** The side-by-side table of two parsed outputs and its count of differing rows. */
export function sideBySide(
  nmap: HostTable[],
  ph: HostTable[] | null,
): { text: string; diffs: number } {
  const lines: string[] = [];
  let diffs = 0;
  const addrs = [...new Set([...nmap.map((h) => h.address), ...(ph ?? []).map((h) => h.address)])];
  const W = 34;
  for (const addr of addrs) {
    const a = nmap.find((h) => h.address === addr);
    const b = ph?.find((h) => h.address === addr);
    const name = a?.hostname ?? b?.hostname;
    lines.push("", `HOST ${addr}${name ? ` (${name})` : ""}`);
    lines.push(
      `${"PORT".padEnd(11)} ${"NMAP".padEnd(W)} ${ph ? "PORTHOLE" : "PORTHOLE (no output)"}`,
    );
    const keys = new Map<string, [number, string]>();
    for (const p of [...(a?.ports ?? []), ...(b?.ports ?? [])]) {
      keys.set(`${p.port}/${p.proto}`, [p.port, p.proto]);
    }
    const sorted = [...keys].sort((x, y) => x[1][1].localeCompare(y[1][1]) || x[1][0] - y[1][0]);
    const row = (label: string, l: string, r: string) => {
      const differ = ph !== null && l !== r;
      if (differ) diffs++;
      lines.push(
        `${label.padEnd(11)} ${l.padEnd(W)} ${ph ? r : ""}${differ ? "   <-- differs" : ""}`
          .trimEnd(),
      );
    };
    if (ph && (a?.hostname ?? "") !== (b?.hostname ?? "")) {
      row("name", a?.hostname ?? "-", b?.hostname ?? "-");
    }
    if (a?.up === false || b?.up === false) {
      row("host", a ? (a.up ? "up" : "down") : "-", b ? (b.up ? "up" : "down") : "-");
    }
    for (const [key] of sorted) {
      row(
        key,
        cell(a?.ports.find((p) => `${p.port}/${p.proto}` === key)),
        cell(b?.ports.find((p) => `${p.port}/${p.proto}` === key)),
      );
    }
    row("not shown", a?.notShown ?? "-", b?.notShown ?? "-");
  }
  return { text: lines.join("\n"), diffs };
}

async function main(argv: string[]): Promise<number> {
  const o = parseCompareArgs(argv);
  if (o.args.length === 0) throw new UsageError("give the scan arguments, e.g. -sS TARGET");
  const why = await labUnavailable();
  if (why) {
    console.error(`lab:compare: ${why}`);
    return 2;
  }
  // Ctrl-C: take the lab down before leaving (a crash leaves it to `lab sweep`).
  Deno.addSignalListener("SIGINT", () => Lab.down(o.tag).finally(() => Deno.exit(130)));
  await using lab = await Lab.up({
    tag: o.tag,
    scenario: o.scenario,
    lossPercent: o.loss,
    icmpRatelimit: o.icmpRatelimit,
  });
  const args = substituteTargets(o.args, {
    v4: lab.target.v4,
    v6: lab.target.v6,
    all: lab.targets.map((t) => t.v4),
    anyip: lab.anyip,
  });
  console.log(
    `lab ${lab.tag}: ${lab.scenario.name}, target ${lab.target.v4}${
      lab.target.hostname ? ` (${lab.target.hostname})` : ""
    }`,
  );
  const nm = await lab.nmap(args, { timeoutMs: o.timeoutMs });
  console.log(
    `nmap     ${args.join(" ")}: ${nm.code === 0 ? "ok" : failure(nm)}, ${
      (nm.wallMs / 1000).toFixed(2)
    } s`,
  );
  const ph = await lab.porthole(args, { timeoutMs: o.timeoutMs });
  console.log(
    `porthole ${args.join(" ")}: ${ph.code === 0 ? "ok" : failure(ph)}, ${
      (ph.wallMs / 1000).toFixed(2)
    } s`,
  );
  if (o.raw) {
    console.log(
      "\n--- nmap ---\n" + nm.stdout.trimEnd() + "\n--- porthole ---\n" + ph.stdout.trimEnd(),
    );
    if (ph.code !== 0 && ph.stderr.trim()) {
      console.log("--- porthole stderr ---\n" + stripAnsi(ph.stderr).trimEnd());
    }
  }
  const nmapHosts = parseNmapNormal(nm.stdout);
  const phHosts = ph.code === 0 ? parseNmapNormal(ph.stdout) : null;
  const { text, diffs } = sideBySide(nmapHosts, phHosts);
  console.log(text);
  console.log("");
  if (!phHosts) {
    console.log("porthole produced no result to compare");
    return 1;
  }
  console.log(diffs ? `${diffs} difference${diffs > 1 ? "s" : ""}` : "same tables");
  return diffs || nm.code !== 0 ? 1 : 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    console.error(`lab:compare: ${e instanceof Error ? e.message : e}`);
    code = e instanceof UsageError ? 2 : 1;
  }
  Deno.exit(code);
}
