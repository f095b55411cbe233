/**
 * The lab from the command line (`deno task lab ...`, as root):
 *
 *     lab up [SCENARIO] [--tag T] [--loss N] [--icmp-ratelimit on|off] [--hold]
 *     lab down [--tag T]
 *     lab sweep [--all]
 *     lab status
 *     lab scenarios
 *     lab exec [--tag T] -- COMMAND...     run COMMAND inside the scanner namespace
 *
 * `up` leaves the lab running after it exits (until `down`), unless `--hold`: then it stays in
 * the foreground and tears the lab down on Ctrl-C / SIGTERM. The default tag is "lab".
 */

import { parseArgs } from "node:util";
import { Lab, labUnavailable, SCENARIOS } from "./mod.ts";

const USAGE = `usage:
  lab up [SCENARIO] [--tag T] [--loss N] [--icmp-ratelimit on|off] [--hold]
  lab down [--tag T]
  lab sweep [--all]
  lab status
  lab scenarios
  lab exec [--tag T] -- COMMAND...`;

class UsageError extends Error {}

function onOff(v: string | undefined, flag: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === "on") return true;
  if (v === "off") return false;
  throw new UsageError(`${flag} takes on or off, not ${JSON.stringify(v)}`);
}

function percent(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/%$/, ""));
  if (!/^\d+(\.\d+)?%?$/.test(v) || n > 100) {
    throw new UsageError(`--loss takes 0-100, not ${JSON.stringify(v)}`);
  }
  return n;
}

function describe(lab: Lab): string {
  const sc = lab.scenario;
  const lines = [
    `lab ${lab.tag} up: ${sc.name} (${sc.description})`,
    `  scanner   ${lab.scanner.ns}  eth0 ${lab.scanner.v4} ${lab.scanner.v6}`,
    ...lab.targets.map((t) =>
      `  target    ${t.ns}  ${t.v4} ${t.v6}${t.hostname ? `  (${t.hostname})` : ""}${
        t.spec.dark ? "  dark" : ""
      }`
    ),
    ...(lab.anyip ? [`  anyip     ${lab.anyip} (every address answers)`] : []),
    `  loss ${sc.lossPercent ?? 0}% each way, ICMP rate limit ${sc.icmpRatelimit ? "on" : "off"}`,
    `  try:      ip netns exec ${lab.scanner.ns} nmap ${lab.target.hostname ?? lab.target.v4}`,
  ];
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const dashdash = rest.indexOf("--");
  const own = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const after = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        tag: { type: "string", default: "lab" },
        loss: { type: "string" },
        "icmp-ratelimit": { type: "string" },
        hold: { type: "boolean", default: false },
        all: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values: o, positionals } = parsed;
  if (o.help || !cmd || cmd === "help") {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === "scenarios") {
    for (const s of Object.values(SCENARIOS)) console.log(`${s.name.padEnd(16)} ${s.description}`);
    return 0;
  }
  const why = await labUnavailable();
  if (why) {
    console.error(`lab: ${why}`);
    return 1;
  }
  switch (cmd) {
    case "up": {
      if (positionals.length > 1) {
        throw new UsageError(`one scenario, not ${positionals.join(" ")}`);
      }
      const name = positionals[0] ?? "scanme";
      if (!SCENARIOS[name]) {
        throw new UsageError(
          `unknown scenario ${JSON.stringify(name)}: ${Object.keys(SCENARIOS).join(", ")}`,
        );
      }
      const lab = await Lab.up({
        tag: o.tag!,
        scenario: name,
        lossPercent: percent(o.loss),
        icmpRatelimit: onOff(o["icmp-ratelimit"], "--icmp-ratelimit"),
        detach: !o.hold,
      });
      console.log(describe(lab));
      if (!o.hold) {
        console.log(`  down:     deno task lab down --tag ${lab.tag}`);
        return 0;
      }
      console.log("  holding: Ctrl-C or SIGTERM tears it down");
      await new Promise<void>((resolve) => {
        for (const sig of ["SIGINT", "SIGTERM"] as const) {
          Deno.addSignalListener(sig, () => resolve());
        }
      });
      await lab.down();
      console.log(`lab ${lab.tag} down`);
      return 0;
    }
    case "down":
      await Lab.down(o.tag!);
      console.log(`lab ${o.tag} down`);
      return 0;
    case "sweep": {
      const gone = await Lab.sweep({ all: o.all });
      console.log(gone.length ? `removed ${gone.join(" ")}` : "nothing stale");
      return 0;
    }
    case "status": {
      const all = await Lab.status();
      if (all.length === 0) console.log("no labs");
      for (const s of all) {
        const st = s.state;
        const owner = st?.ownerPid ? ` owner pid ${st.ownerPid}` : "";
        console.log(
          `${s.tag}: ${s.health}${st ? ` ${st.scenario}` : ""}${owner}, ${s.pids.length} processes`,
        );
        for (const n of s.namespaces) console.log(`  ${n}`);
        for (const t of st?.targets ?? []) {
          console.log(`  target ${t.name} ${t.v4} ${t.v6}${t.hostname ? ` (${t.hostname})` : ""}`);
        }
        if (st?.anyip) console.log(`  anyip ${st.anyip}`);
      }
      return 0;
    }
    case "exec": {
      const words = after.length ? after : positionals;
      if (!words.length) throw new UsageError("exec needs a command after --");
      const st = (await Lab.status()).find((s) => s.tag === o.tag);
      const ns = st?.state?.scanner?.ns;
      if (!ns) throw new UsageError(`no lab ${o.tag} is up`);
      const child = new Deno.Command("ip", { args: ["netns", "exec", ns, ...words] }).spawn();
      return (await child.status).code;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`lab: ${msg}`);
    if (e instanceof UsageError) console.error(USAGE);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
