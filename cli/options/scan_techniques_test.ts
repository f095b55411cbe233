import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseOptions } from "./mod.ts";

const parse = (...argv: string[]) => parseOptions(argv, { skipFileChecks: true });
const refuses = (message: string, ...argv: string[]) =>
  throws(() => parse(...argv), (e: unknown) => e instanceof UsageError && e.message === message);

Deno.test("-sI: nmap's long option, a TCP scan of its own, the zombie as given", () => {
  const o = parse("-Pn", "-sI", "zombie.lab:443", "10.0.0.1");
  assertEquals(o.scans, ["idle"]);
  assertEquals(o.idleZombie, "zombie.lab:443");
  assertEquals(o.warnings ?? [], []);
  // getopt_long_only: -sI=ZOMBIE too.
  assertEquals(parse("-Pn", "-sI=10.0.0.5", "10.0.0.1").idleZombie, "10.0.0.5");
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
  assertEquals(parse("-sI", "z", "h").warnings, [
    "WARNING: Many people use -Pn w/Idlescan to prevent pings from their true IP.  On the other hand, timing info Nmap gains from pings can allow for faster, more reliable scans.",
  ]);
  // -sU beside it is a UDP scan, not a second TCP one.
  assertEquals(parse("-Pn", "-sU", "-sI", "z", "h").scans.sort(), ["idle", "udp"]);
});
