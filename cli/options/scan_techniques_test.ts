/** Scan techniques on the command line: -sO and -PO (protocol lists, defaults, nmap's refusals),
 * -sI. */

import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseOptions } from "./mod.ts";
import { UsageError } from "../errors.ts";
import { checkPrivileges } from "./validate.ts";

const parse = (argv: string[]) => parseOptions(argv, { skipFileChecks: true });

Deno.test("-sO scans IP protocols: every one (0-255) by default, -p's numbers otherwise", () => {
  const all = parse(["-sO", "h"]);
  assert.deepEqual(all.scans, ["ipproto"]);
  assert.deepEqual(all.portLists?.ip, Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(all.portLists?.tcp, []);
  assert.deepEqual(parse(["-sO", "-p", "1,6,17,47-50", "h"]).portLists?.ip, [
    1,
    6,
    17,
    47,
    48,
    49,
    50,
  ]);
  assert.deepEqual(parse(["-sO", "-p", "P:2,T:80", "h"]).portLists?.ip, [2]);
  assert.deepEqual(parse(["-sO", "-p", "250-", "h"]).portLists?.ip, [250, 251, 252, 253, 254, 255]);
  assert.deepEqual(parse(["-sO", "-p", "0-10", "--exclude-ports", "2-9", "h"]).portLists?.ip, [
    0,
    1,
    10,
  ]);
  assert.equal(parse(["-sO", "-p", "6", "h"]).ports[0]?.protocol, "ip");
  assert.throws(
    () => parse(["-sO", "-p", "256", "h"]),
    /Protocols specified must be between 0 and 255/,
  );
});

Deno.test("-sO: alone, without -O and -sV, as nmap's checks say", () => {
  assert.throws(
    () => parse(["-sO", "-sS", "h"]),
    /IPProtoscan \(-sO\) must currently be used alone/,
  );
  assert.throws(() => parse(["-sO", "-sn", "h"]), UsageError);
  assert.equal(parse(["-sO", "-O", "h"]).osDetection, false);
  assert.equal(parse(["-sO", "-sV", "h"]).versionDetection, false);
  assert.throws(() => checkPrivileges(parse(["-sO", "h"]), false), /requires root privileges/);
});

Deno.test("-PO pings IP protocols: nmap's 1,2,4 by default, one -PO only, root only", () => {
  assert.deepEqual(parse(["-sn", "-PO", "h"]).discovery.protocols, [1, 2, 4]);
  assert.deepEqual(parse(["-sn", "-PO6,17,132", "h"]).discovery.protocols, [6, 17, 132]);
  assert.throws(() => parse(["-PO1", "-PO2", "h"]), /Only one -PO option is allowed/);
  assert.throws(() => parse(["-PO300", "h"]), /Protocols specified must be between 0 and 255/);
  assert.throws(
    () => checkPrivileges(parse(["-sn", "-PO", "h"]), false),
    /IPProto Ping \(-PO\) only works if you are root/,
  );
});

const parseArgs = (...argv: string[]) => parseOptions(argv, { skipFileChecks: true });
const refuses = (message: string, ...argv: string[]) =>
  throws(
    () => parseArgs(...argv),
    (e: unknown) => e instanceof UsageError && e.message === message,
  );

Deno.test("-sI: nmap's long option, a TCP scan of its own, the zombie as given", () => {
  const o = parseArgs("-Pn", "-sI", "zombie.lab:443", "10.0.0.1");
  assertEquals(o.scans, ["idle"]);
  assertEquals(o.idleZombie, "zombie.lab:443");
  assertEquals(o.warnings ?? [], []);
  // getopt_long_only: -sI=ZOMBIE too.
  assertEquals(parseArgs("-Pn", "-sI=10.0.0.5", "10.0.0.1").idleZombie, "10.0.0.5");
});

Deno.test("-sI: nmap's rules beside the other options", () => {
  refuses(
    "You specified more than one type of TCP scan.  Please choose only one of -sA, -b, -sT, -sF, -sI, -sM, -sN, -sS, -sW, and -sX",
    "-sS",
    "-sI",
    "z",
    "h",
  );
  refuses("Traceroute does not support idle scan", "--traceroute", "-sI", "z", "h");
  refuses("ERROR: -sI argument must be less than 254 characters", "-sI", "z".repeat(255), "h");
  refuses("Porthole does not support -sI (idle scan) with -6.", "-6", "-sI", "z", "::1");
  // Pings come from our own address: nmap's warning, unless -Pn.
  assertEquals(parseArgs("-sI", "z", "h").warnings, [
    "WARNING: Many people use -Pn w/Idlescan to prevent pings from their true IP.  On the other hand, timing info Nmap gains from pings can allow for faster, more reliable scans.",
  ]);
  // -sU beside it is a UDP scan, not a second TCP one.
  assertEquals(parseArgs("-Pn", "-sU", "-sI", "z", "h").scans.sort(), ["idle", "udp"]);
});
