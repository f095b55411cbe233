/**
 * --help's MISC: -4/-6, -A, --datadir, --send-eth/--send-ip, --privileged/--unprivileged,
 * --libpcap, the sharding options, -V and -h; and the old options nmap still accepts.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { OptionFamily, OptionHandler, OptionTable, ShardArgs } from "./state.ts";

/** -4 / -6: one family per scan. */
function family(af: 4 | 6): OptionHandler {
  return (s) => {
    if (s.af !== undefined && s.af !== af) fatal("Cannot use both -4 and -6 in one scan.");
    s.af = af;
  };
}

/** --shards, --shard, --seed, --shard-by: kept as given, checked together (validate.ts). */
const shardArg: OptionHandler = (s, arg, opt) => {
  s.shardArgs[opt.name as keyof ShardArgs] = arg;
};

/**
 * --nsock-engine: the engines nmap 7.93 on Linux was built with ("Available nsock engines" in
 * `nmap --version`); nmap refuses any other name. Porthole's I/O is Deno's whatever the name.
 */
export const NSOCK_ENGINES: readonly string[] = ["epoll", "poll", "select"];

/** -V / -h / --thc: print the text and exit, reading nothing further (as nmap exits there). */
function show(text: "help" | "version" | "thc"): OptionHandler {
  return (s) => {
    s.o.show = text;
    return "stop";
  };
}

const options: OptionTable = {
  "4": family(4),
  "6": family(6),
  A: (s) => {
    s.advanced = true; // its options are set once all are read (delayed.ts)
  },
  datadir: (s, dir) => {
    s.o.datadir = dir;
  },
  "send-eth": (s) => {
    s.o.sendMode = "eth";
  },
  "send-ip": (s) => {
    s.o.sendMode = "ip";
  },
  privileged: (s) => {
    s.o.privileged = true;
  },
  unprivileged: (s) => {
    s.o.privileged = false;
  },
  libpcap: (s, path) => {
    s.o.libpcap = path;
  },
  shards: shardArg,
  shard: shardArg,
  seed: shardArg,
  "shard-by": shardArg,
  merge: () => fatal("--merge stands alone. Usage: porthole --merge OUT SHARD-FILE..."),
  V: show("version"),
  version: show("version"),
  h: show("help"),
  help: show("help"),
  // Old options nmap accepts and ignores or refuses.
  I: (s) => {
    s.warnings.push("WARNING: identscan (-I) no longer supported.  Ignoring -I");
  },
  q: () => {}, // nmap accepts -q and ignores it
  "release-memory": () => {}, // nmap: a no-op, "We always release memory now" (so does Deno's GC)
  thc: show("thc"), // nmap prints its greeting and exits
  "nsock-engine": (s, name) => {
    if (!NSOCK_ENGINES.includes(name)) fatal(`Unknown or non-available engine: ${name}`);
    s.o.nsockEngine = name;
  },
  "route-dst": (s, target) => {
    (s.o.routeDst ??= []).push(target);
  },
};

/** Miscellaneous. */
export const misc: OptionFamily = { options };
