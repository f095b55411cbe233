/**
 * RPC program numbers and their names: nmap's nmap-rpc when found in the data
 * directories (data_files.ts), followed by the programs of a built-in table it
 * lacks; without it, the built-in table alone: the programs met on today's
 * networks (NFS, NIS, the lock and status monitors, Solaris' admin daemons,
 * Kerberos' kadmind), named as nmap-rpc names them. RPC grinding tries them in
 * order; the rpcbind list names its programs with them.
 *
 * ```ts
 * const programs = rpcPrograms(opts.datadir);
 * programs.name(100021); // "nlockmgr"
 * ```
 *
 * @module
 */

import { findDataFile, noteDataFileRead } from "../data_files.ts";

/** A program number and its name. */
export interface RpcProgram {
  name: string;
  number: number;
}

/** The programs known, in the order grinding tries them. */
export class RpcPrograms {
  readonly #names = new Map<number, string>();
  constructor(readonly list: readonly RpcProgram[]) {
    // A number listed twice is named by its last line, as nmap's datafiles.parse_rpc reads it.
    for (const p of list) this.#names.set(p.number, p.name);
  }
  /** The program's name, or undefined when unknown. */
  name(number: number): string | undefined {
    return this.#names.get(number);
  }
}

/**
 * The built-in table (used when no nmap-rpc is found): numbers are the programs' registered
 * ones (RFC 1831's assignments as every /etc/rpc lists them), names as nmap-rpc spells them.
 */
export const BUILTIN_RPC_PROGRAMS: readonly RpcProgram[] = ([
  ["rpcbind", 100000],
  ["rstatd", 100001],
  ["rusersd", 100002],
  ["nfs", 100003],
  ["ypserv", 100004],
  ["mountd", 100005],
  ["ypbind", 100007],
  ["walld", 100008],
  ["yppasswdd", 100009],
  ["etherstatd", 100010],
  ["rquotad", 100011],
  ["sprayd", 100012],
  ["rexd", 100017],
  ["llockmgr", 100020],
  ["nlockmgr", 100021],
  ["statmon", 100023],
  ["status", 100024],
  ["bootparam", 100026],
  ["ypupdated", 100028],
  ["keyserv", 100029],
  ["cmsd", 100068],
  ["ypxfrd", 100069],
  ["ttdbserverd", 100083],
  ["autofsd", 100099],
  ["event", 100101],
  ["nsm_addrand", 100133],
  ["nfs_acl", 100227],
  ["sadmind", 100232],
  ["cachefsd", 100235],
  ["snmpXdmid", 100249],
  ["nisd", 100300],
  ["mdcommd", 100422],
  ["pcnfsd", 150001],
  ["amd", 300019],
  ["sgi_fam", 391002],
  ["caloggerd", 395650],
  ["fmproduct", 1073741824],
  // MIT Kerberos' kadmind (kadm5/admin.h: KADM 2112); not in nmap-rpc.
  ["kerberos-adm", 2112],
] as const).map(([name, number]) => ({ name, number }));

/** nmap-rpc's lines: "name number [aliases] [# comment]", in file order. */
export function parseNmapRpc(text: string): RpcProgram[] {
  const out: RpcProgram[] = [];
  for (const line of text.split("\n")) {
    // nmap's rpc-grind reads each line with "^%s*([^%s#]+)%s+(%d+)".
    const m = /^\s*([^\s#]+)\s+(\d+)/.exec(line);
    if (m) out.push({ name: m[1]!, number: Number(m[2]) });
  }
  return out;
}

/** nmap's list, then the built-in programs whose numbers it lacks (ground last). */
export function mergeRpcPrograms(nmap: readonly RpcProgram[]): RpcProgram[] {
  const known = new Set(nmap.map((p) => p.number));
  return [...nmap, ...BUILTIN_RPC_PROGRAMS.filter((p) => !known.has(p.number))];
}

const cache = new Map<string, RpcPrograms>();

/** nmap-rpc from the data directories (noted as read, for -v), else the built-in table. */
export function rpcPrograms(datadir?: string): RpcPrograms {
  const path = findDataFile("nmap-rpc", datadir);
  const key = path ?? "";
  let programs = cache.get(key);
  if (!programs) {
    let list: RpcProgram[] = [];
    if (path !== undefined) {
      try {
        list = parseNmapRpc(Deno.readTextFileSync(path));
      } catch {
        // Unreadable after all: the built-in table serves.
      }
    }
    programs = new RpcPrograms(list.length ? mergeRpcPrograms(list) : BUILTIN_RPC_PROGRAMS);
    cache.set(key, programs);
  }
  if (path !== undefined && programs.list !== BUILTIN_RPC_PROGRAMS) {
    noteDataFileRead("nmap-rpc", path);
  }
  return programs;
}
