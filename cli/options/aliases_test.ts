/**
 * nmap 7.93's old spellings and aliases, as its nmap.cc reads them: --verbose, --debug, -oM,
 * --fuzzy, --log-errors, -I, -M, -sP, -sB, -sR and the -P letters I, 0, N, D, R, T, B. Each does
 * what the option it stands for does (tested there), with nmap's deprecation notes at -v.
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { parseOptions } from "./mod.ts";

const parse = (...argv: string[]) => parseOptions(argv, { skipFileChecks: true });
/** The notes `argv` gives at -v (nmap prints its deprecations only then). */
const notes = (...argv: string[]) => parse("-v", ...argv, "h").warnings ?? [];
const deprecation = (given: string, use: string) =>
  `Warning: The -${given} option is deprecated. Please use -${use}`;

Deno.test("--verbose and --debug are -v and -d (--debug=N sets both levels, as nmap's)", () => {
  equal(parse("--verbose", "h").verbose, 1);
  deepEqual([parse("--debug", "h").debug, parse("--debug", "h").verbose], [1, 1]);
  deepEqual([parse("--debug=3", "h").debug, parse("--debug=3", "h").verbose], [3, 3]);
});

Deno.test("-oM is -oG; --fuzzy is --osscan-guess; --log-errors changes nothing", () => {
  equal(parse("-oM", "out.gnmap", "h").output.grepable, "out.gnmap");
  deepEqual(notes("-oM", "out.gnmap"), [deprecation("oM", "oG")]);
  equal(parse("-O", "--fuzzy", "h").osscanGuess, true);
  // The same options, but for the command line it records.
  deepEqual({ ...parse("--log-errors", "h"), argv: [] }, { ...parse("h"), argv: [] });
});

Deno.test("-I warns that ident scans are gone; -M is --max-parallelism", () => {
  deepEqual(parse("-I", "h").warnings, [
    "WARNING: identscan (-I) no longer supported.  Ignoring -I",
  ]);
  equal(parse("-M", "5", "h").timing.maxParallelism, 5);
});

Deno.test("-sP is -sn, -sR is -sV, -sB is nmap's refusal", () => {
  equal(parse("-sP", "h").discovery.pingOnly, true);
  deepEqual(notes("-sP"), [deprecation("sP", "sn")]);
  equal(parse("-sR", "h").versionDetection, true);
  deepEqual(notes("-sR"), [
    deprecation("sR", "sV"),
    "WARNING: -sR is now an alias for -sV and activates version detection as well as RPC scan.",
  ]);
  throws(
    () => parse("-sB", "h"),
    /^UsageError: No scan type 'B', did you mean bounce scan \(-b\)\?$/,
  );
});

Deno.test("-PI is -PE; -P0, -PN, -PD are -Pn; -PT is -PA; -PB is the default probes", () => {
  equal(parse("-PI", "h").discovery.echo, true);
  deepEqual(notes("-PI"), [deprecation("PI", "PE")]);
  for (const spelling of ["-P0", "-PN", "-PD"]) {
    equal(parse(spelling, "h").discovery.skip, true);
    equal(notes(spelling)[0], deprecation(spelling.slice(1), "Pn"));
  }
  // nmap 7.93 reads -PT as -PA without a word.
  deepEqual(parse("-PT22", "h").discovery, parse("-PA22", "h").discovery);
  deepEqual(notes("-PT22"), []);
  const b = parse("-PB22", "h").discovery;
  deepEqual([b.echo, b.timestamp, b.synPorts, b.ackPorts], [true, true, [443], [22]]);
});

Deno.test("-PR: ARP is always used where it can be; at -v nmap's note says so", () => {
  deepEqual(parse("-PR", "h").warnings, []);
  deepEqual(notes("-PR"), [
    "The -PR option is deprecated. ARP scan is always done when possible.",
  ]);
});
