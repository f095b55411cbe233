/**
 * nmap's rarer options, as nmap 7.93's nmap.cc reads them: --release-memory, --nogcc, --thc,
 * --nsock-engine, --route-dst, --discovery-ignore-rst, --allports, --deprecated-xml-osclass,
 * --script-updatedb, --defeat-rst-ratelimit, and -oS / "-oN - -oX -". What each then does is
 * tested where it is done (named beside each test).
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseOptions } from "./mod.ts";
import { checkPrivileges } from "./validate.ts";
import { NSOCK_ENGINES } from "./misc.ts";

const parse = (...argv: string[]) => parseOptions(argv, { skipFileChecks: true });

Deno.test("--release-memory is accepted and changes nothing (nmap: always released now)", () => {
  const plain = parse("h");
  const o = parse("--release-memory", "h");
  deepEqual({ ...o, argv: plain.argv }, plain);
});

Deno.test("--nogcc turns the group congestion control off (timing_test.ts)", () => {
  equal(parse("--nogcc", "h").timing.noGroupCongestion, true);
  equal(parse("-T4", "--nogcc", "h").timing.noGroupCongestion, true); // survives the template
  equal(parse("h").timing.noGroupCongestion, undefined);
});

Deno.test("--thc stops reading, as nmap prints its greeting and exits (main_test.ts)", () => {
  equal(parse("--thc", "--bogus-option").show, "thc");
});

Deno.test("--nsock-engine takes nmap's engine names and refuses others as nmap does", () => {
  deepEqual(NSOCK_ENGINES, ["epoll", "poll", "select"]);
  for (const name of NSOCK_ENGINES) equal(parse("--nsock-engine", name, "h").nsockEngine, name);
  // kqueue and iocp are nmap's on BSD and Windows, not in nmap 7.93 on Linux.
  for (const name of ["kqueue", "iocp", "EPOLL", ""]) {
    throws(
      () => parse("--nsock-engine", name, "h"),
      (e) => e instanceof UsageError && e.message === `Unknown or non-available engine: ${name}`,
    );
  }
});

Deno.test("--route-dst collects its targets in order (route_dst_test.ts prints them)", () => {
  deepEqual(parse("--route-dst", "10.0.0.1", "--route-dst=h.lab", "h").routeDst, [
    "10.0.0.1",
    "h.lab",
  ]);
  equal(parse("h").routeDst, undefined);
});

Deno.test("--discovery-ignore-rst, --allports, --deprecated-xml-osclass, --script-updatedb set their switch", () => {
  const o = parse(
    "--discovery-ignore-rst",
    "--allports",
    "--deprecated-xml-osclass",
    "--script-updatedb",
    "h",
  );
  deepEqual(
    [o.discoveryIgnoreRst, o.allports, o.deprecatedXmlOsclass, o.scriptUpdateDb],
    [true, true, true, true],
  );
  // --script-updatedb is not a script scan (nmap's o.script stays false).
  equal(o.scripts, undefined);
});

Deno.test("--defeat-rst-ratelimit: only with a SYN scan, or --open (nmap's ValidateOptions)", () => {
  const msg = (e: unknown) =>
    e instanceof UsageError &&
    e.message === "Option --defeat-rst-ratelimit works only with a SYN scan (-sS)";
  equal(parse("--defeat-rst-ratelimit", "h").defeatRstRatelimit, true);
  checkPrivileges(parse("--defeat-rst-ratelimit", "h"), true); // root: SYN by default
  checkPrivileges(parse("--defeat-rst-ratelimit", "-sS", "-sU", "h"), true);
  checkPrivileges(parse("--defeat-rst-ratelimit", "-sT", "--open", "h"), false);
  throws(() => checkPrivileges(parse("--defeat-rst-ratelimit", "h"), false), msg); // connect
  throws(() => checkPrivileges(parse("--defeat-rst-ratelimit", "-sT", "h"), true), msg);
  throws(() => checkPrivileges(parse("--defeat-rst-ratelimit", "-sn", "h"), true), msg);
  // --open sets it as nmap's does, without the check.
  checkPrivileges(parse("--open", "-sT", "h"), false);
});

Deno.test("-oS, and -oN - with -oX -: nmap takes both to stdout", () => {
  equal(parse("-oS", "out.skid", "h").output.skid, "out.skid");
  const o = parse("-oN", "-", "-oX", "-", "h");
  deepEqual([o.output.normal, o.output.xml], ["-", "-"]);
  throws(() => parse("-oA", "-", "h"), /Cannot display multiple output types to stdout/);
});
