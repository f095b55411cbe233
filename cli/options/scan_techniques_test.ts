/** -sO and -PO on the command line: protocol lists, defaults and nmap's refusals. */

import assert from "node:assert/strict";
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
