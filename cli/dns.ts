/**
 * Name resolution for targets and reports. Forward lookups are the system's
 * getaddrinfo() (node:dns lookup), as nmap's are: /etc/hosts (and a network
 * namespace's /etc/netns overlay), nsswitch and resolv.conf's own timeouts,
 * so an unknown name fails as fast as it does for nmap. Reverse lookups (PTR)
 * read /etc/hosts, then ask DNS, cached and bounded in time so a slow
 * resolver cannot stall a scan, as nmap's own DNS client does.
 */

import { missingPermissionSentence } from "./errors.ts";
import { descriptorBudget, isLocalResourceError } from "./engine/descriptors.ts";
import { formatIpv6Value, parseIpv6Value } from "./targets.ts";

/** What target expansion and the reports need from name resolution. */
export interface Resolver {
  /** Addresses for a name: IPv4 first, then IPv6, each in answer order. Empty if none. */
  lookup(name: string): Promise<string[]>;
  /** The PTR name for an address, or undefined. */
  reverse(address: string): Promise<string | undefined>;
}

interface HostsEntry {
  address: string;
  names: string[];
}

/** Parses /etc/hosts text: address then names, `#` comments. */
export function parseHostsFile(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [address, ...names] = line.split(/\s+/);
    if (address && names.length) out.push({ address: canonical(address), names });
  }
  return out;
}

function canonical(address: string): string {
  if (!address.includes(":")) return address;
  const v = parseIpv6Value(address);
  return v === undefined ? address : formatIpv6Value(v.value) + (v.zone ? `%${v.zone}` : "");
}

/** IPv4 or IPv6 address → the DNS name of its PTR record. */
export function ptrName(address: string): string {
  if (!address.includes(":")) return address.split(".").reverse().join(".") + ".in-addr.arpa";
  const v = parseIpv6Value(address);
  if (v === undefined) throw new Error(`not an address: ${address}`);
  return v.value.toString(16).padStart(32, "0").split("").reverse().join(".") + ".ip6.arpa";
}

/** Options for {@link SystemResolver}. */
export interface SystemResolverOptions {
  /** Path of the hosts file reverse lookups read; default /etc/hosts. */
  hostsFile?: string;
  /** Per-query timeout for reverse DNS, milliseconds; default 3000. */
  timeoutMs?: number;
  /** Replaces Deno.resolveDns for reverse lookups (tests). */
  resolveDns?: (
    query: string,
    type: "PTR",
    signal: AbortSignal,
  ) => Promise<string[]>;
  /** Replaces getaddrinfo() for forward lookups (tests): every address of a name; throws if none. */
  getaddrinfo?: (name: string) => Promise<string[]>;
}

/** getaddrinfo(name, AF_UNSPEC) through node:dns: every address, in the system's order
 * (`verbatim`: Deno's own IPv4-first sort reverses the IPv4 addresses of a name). */
async function systemGetaddrinfo(name: string): Promise<string[]> {
  // Loaded on first use: a static node: import would load at every start of the bundle.
  const { lookup } = await import("node:dns/promises");
  const answers = await lookup(name, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

/** glibc's gai_strerror() texts for the codes Node gives getaddrinfo's failures. */
const GAI_TEXT: Record<string, string> = {
  ENOTFOUND: "Name or service not known", // EAI_NONAME (and EAI_NODATA, which Node folds in)
  EAI_AGAIN: "Temporary failure in name resolution",
  EAI_FAIL: "Non-recoverable failure in name resolution",
  EAI_ADDRFAMILY: "Address family for hostname not supported",
  EAI_MEMORY: "Memory allocation failure",
};

/**
 * The first address getaddrinfo() gives `name` in `family`, as nmap's resolve() asks it. Throws
 * an Error whose message is gai_strerror()'s, as nmap words it ("Name or service not known").
 */
export async function resolveFirst(name: string, family: 4 | 6): Promise<string> {
  const { lookup } = await import("node:dns/promises");
  try {
    return canonical((await lookup(name, { family, verbatim: true })).address);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    throw new Error(GAI_TEXT[code] ?? (e instanceof Error ? e.message : String(e)));
  }
}

/** Forward lookups: getaddrinfo(). Reverse: /etc/hosts, then the system's DNS servers. */
export class SystemResolver implements Resolver {
  #hosts?: HostsEntry[];
  readonly #opts: SystemResolverOptions;
  readonly #ptrCache = new Map<string, Promise<string | undefined>>();

  constructor(opts: SystemResolverOptions = {}) {
    this.#opts = opts;
  }

  #hostsEntries(): HostsEntry[] {
    if (!this.#hosts) {
      try {
        this.#hosts = parseHostsFile(Deno.readTextFileSync(this.#opts.hostsFile ?? "/etc/hosts"));
      } catch {
        this.#hosts = [];
      }
    }
    return this.#hosts;
  }

  async #dns(query: string, type: "PTR"): Promise<string[]> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.#opts.timeoutMs ?? 3000);
    const ask = this.#opts.resolveDns ??
      ((q: string, t: "PTR", signal: AbortSignal) => Deno.resolveDns(q, t, { signal }));
    try {
      // A query holds a socket: it takes a descriptor from the budget the
      // connects share, and a shortage (EMFILE) is waited out, never taken
      // for "no name".
      const budget = descriptorBudget();
      for (;;) {
        await budget.acquire(ctl.signal);
        try {
          const names = await ask(query, type, ctl.signal);
          budget.give();
          budget.opened();
          return names;
        } catch (e) {
          if (!isLocalResourceError(e) || ctl.signal.aborted) {
            budget.give();
            throw e;
          }
          budget.overrun();
        }
      }
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  async lookup(name: string): Promise<string[]> {
    let addrs: string[];
    try {
      addrs = (await (this.#opts.getaddrinfo ?? systemGetaddrinfo)(name)).map(canonical);
    } catch (e) {
      // A missing --allow-net is not an unknown name: say so instead of "Failed to resolve".
      if ((e as { code?: string }).code === "EPERM") {
        throw new Error(missingPermissionSentence("net", `to resolve "${name}"`));
      }
      return []; // EAI_NONAME, EAI_AGAIN, …: the caller says "Failed to resolve"
    }
    const v4 = addrs.filter((a) => !a.includes(":"));
    const v6 = addrs.filter((a) => a.includes(":"));
    return unique([...v4, ...v6]);
  }

  reverse(address: string): Promise<string | undefined> {
    let p = this.#ptrCache.get(address);
    if (!p) {
      p = this.#reverse(address);
      this.#ptrCache.set(address, p);
    }
    return p;
  }

  async #reverse(address: string): Promise<string | undefined> {
    const addr = canonical(address);
    const hit = this.#hostsEntries().find((e) => e.address === addr);
    if (hit) return hit.names[0];
    // Deno's resolver answers "localhost" for every loopback PTR itself; nmap asks the
    // DNS servers, which know none, so only the hosts file names loopback addresses.
    if (isLoopback(addr)) return undefined;
    const names = await this.#dns(ptrName(addr), "PTR");
    const first = names[0];
    return first === undefined ? undefined : first.replace(/\.$/, "");
  }
}

/**
 * --dns-servers: PTR queries to these servers (port 53) instead of the system's, each tried in
 * turn when one fails or times out; a name that does not exist (NXDOMAIN) ends the search.
 */
export function askServers(
  servers: readonly string[],
): (query: string, type: "PTR", signal: AbortSignal) => Promise<string[]> {
  return async (query, type, signal) => {
    for (const ipAddr of servers) {
      if (signal.aborted) break;
      try {
        return await Deno.resolveDns(query, type, { signal, nameServer: { ipAddr, port: 53 } });
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return [];
      }
    }
    return [];
  };
}

/** 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1";
}

function unique(a: string[]): string[] {
  return [...new Set(a)];
}
