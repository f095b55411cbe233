/**
 * --help's MISC: -4/-6, -A, --datadir, --send-eth/--send-ip, --privileged/--unprivileged,
 * --libpcap, the sharding options, -V and -h; and the old options nmap still accepts.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import { type OptionFamily, type OptionHandler, type OptionTable, unsupported } from "./state.ts";

/** -4 / -6: one family per scan. */
function family(af: 4 | 6): OptionHandler {
  return (s) => {
    if (s.af !== undefined && s.af !== af) fatal("Cannot use both -4 and -6 in one scan.");
    s.af = af;
  };
}

/** --shards, --shard, --seed: kept as given, checked together (validate.ts). */
const shardArg: OptionHandler = (s, arg, opt) => {
  s.shardArgs[opt.name as "shards" | "shard" | "seed"] = arg;
};

/** -V / -h: print the text and exit, reading nothing further (as nmap exits there). */
function show(text: "help" | "version"): OptionHandler {
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
  thc: () => unsupported("--thc"),
};

/** Miscellaneous. */
export const misc: OptionFamily = { options };
