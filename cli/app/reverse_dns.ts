/**
 * Reverse DNS of the run (nmap's mass rDNS): one resolver per run, a bounded number of queries
 * in flight.
 *
 * @module
 */

let resolverPromise: Promise<{ reverse(a: string): Promise<string | undefined> }> | undefined;

/** Reverse lookups in flight at most. */
export const RDNS_PARALLEL = 32;
/** Timeout per reverse lookup, ms. */
const RDNS_TIMEOUT_MS = 2000;

/**
 * One reverse resolver per run: /etc/hosts, then DNS with at most
 * RDNS_PARALLEL queries in flight; after three timeouts in a row DNS is
 * taken to be unreachable and only the hosts file is asked (so a /16 does
 * not queue 65536 doomed queries).
 */
export function reverseResolver(
  servers?: readonly string[],
): Promise<{ reverse(a: string): Promise<string | undefined> }> {
  resolverPromise ??= import("../dns.ts").then((m) => {
    const dns = new m.SystemResolver({
      timeoutMs: RDNS_TIMEOUT_MS,
      resolveDns: servers ? m.askServers(servers) : undefined,
    });
    const hostsOnly = new m.SystemResolver({
      resolveDns: () => Promise.resolve([]),
    });
    let active = 0, timeouts = 0;
    const queue: (() => void)[] = [];
    return {
      async reverse(a: string): Promise<string | undefined> {
        if (timeouts >= 3) return hostsOnly.reverse(a);
        if (active >= RDNS_PARALLEL) await new Promise<void>((r) => queue.push(r));
        active++;
        const t0 = performance.now();
        try {
          const name = await (timeouts >= 3 ? hostsOnly : dns).reverse(a);
          if (name === undefined && performance.now() - t0 >= RDNS_TIMEOUT_MS * 0.9) timeouts++;
          else timeouts = 0;
          return name;
        } finally {
          active--;
          queue.shift()?.();
        }
      },
    };
  });
  return resolverPromise;
}
