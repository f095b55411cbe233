/**
 * Measures one host's OS fingerprint without a port scan, for tools/gen_os_db.ts and the lab
 * tests (root; run it where the target is reachable, e.g. inside a lab's scanner namespace):
 *
 *     deno run -A tools/os_measure.ts --target 10.216.1.1 --open 22 --closed 1 [--closed-udp 9]
 *         [--osdb /usr/share/nmap/nmap-os-db] [--max-os-tries 1] [--json]
 *
 * It prints what `-O -v` prints for the host (or, with --json, the OsResult). The ports stand
 * in for the scan's findings, as nmap's own choice would make them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { HostResult, PortResult } from "../cli/model/mod.ts";
import { loadOsDb } from "../cli/os/db.ts";
import { detectWithIo } from "../cli/os/detect.ts";
import { osLines } from "../cli/output/os.ts";
import { SessionIo } from "../cli/os/io.ts";
import { packetCore } from "../core-wasm/mod.ts";
import { resolveRoute } from "../cli/engine/route.ts";
import { resolveNextHop } from "../cli/engine/next_hop.ts";
import { formatMac, parseMac } from "../core-wasm/ip.ts";
import { PORTHOLE_VERSION } from "../cli/model/product.ts";

/** Runs the measurement; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      open: { type: "string" },
      closed: { type: "string" },
      "closed-udp": { type: "string" },
      osdb: { type: "string" },
      "max-os-tries": { type: "string" },
      "timeout-ms": { type: "string" },
      json: { type: "boolean" },
      guess: { type: "boolean" },
      v: { type: "boolean", multiple: true, short: "v" },
      d: { type: "boolean", multiple: true, short: "d" },
    },
  });
  if (!v.target) {
    console.error("usage: os_measure.ts --target IPv4 [--open P] [--closed P] [--closed-udp P]");
    return 2;
  }
  const ports: PortResult[] = [];
  const add = (protocol: "tcp" | "udp", state: "open" | "closed", p?: string) => {
    if (p !== undefined) ports.push({ protocol, port: Number(p), state, reason: "" });
  };
  add("tcp", "open", v.open);
  add("tcp", "closed", v.closed);
  add("udp", "closed", v["closed-udp"]);
  const host: HostResult = {
    address: v.target,
    family: 4,
    otherAddresses: [],
    status: "up",
    statusReason: "user-set",
    ports,
    startTime: Date.now(),
    endTime: Date.now(),
  };
  const route = resolveRoute(v.target);
  if (!route.dstMac) {
    const hop = await resolveNextHop({
      iface: route.iface,
      linkKind: route.linkKind,
      loopback: route.loopback,
      srcMac: formatMac(route.srcMac),
      source: route.source,
      nextHop: route.nextHop,
    });
    if (!hop) {
      console.error(`no answer from the next hop ${route.nextHop}`);
      return 1;
    }
    if (hop.mac) route.dstMac = parseMac(hop.mac)!;
  }
  if (route.onLink && route.dstMac) {
    host.mac = { addr: formatMac(route.dstMac).toUpperCase(), addrtype: "mac" };
  }
  const db = await loadOsDb(v.osdb);
  const io = SessionIo.open(packetCore(), route, v.target);
  const verbose = v.v?.length ?? 0, debug = v.d?.length ?? 0;
  try {
    const os = await detectWithIo(
      io,
      {
        host,
        localhost: route.loopback || route.source === v.target,
        directMac: host.mac?.addr,
        timeoutMs: Number(v["timeout-ms"] ?? 100),
      },
      db,
      {
        maxOsTries: v["max-os-tries"] ? Number(v["max-os-tries"]) : undefined,
        verbose,
        debug,
        log: (l) => console.log(l),
        version: PORTHOLE_VERSION,
        platform: Deno.build.target,
      },
    );
    if (!os) return 1;
    host.os = os;
    if (v.json) console.log(JSON.stringify(os));
    else {
      for (const l of osLines(host, { osscanGuess: v.guess, verbose, debug })) console.log(l);
    }
    return 0;
  } finally {
    io.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
