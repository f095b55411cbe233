/**
 * --script-trace on the scanme replica: every script socket operation as nmap's "NSE: TCP
 * lhost:lport > rhost:rport | …" lines (text, or a hex dump when under 95% of the bytes are
 * printable), with what is not printable escaped by Porthole where nmap writes it raw.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";

const haveScripts = (() => {
  try {
    return Deno.statSync("/usr/share/nmap/scripts/script.db").isFile;
  } catch {
    return false;
  }
})();

// The SSH banner (text with CR LF), then 20 binary bytes (a hex dump), then close.
const SCRIPT = `local nmap = require "nmap"
description = [[trace test]]
categories = {"safe"}
portrule = function(host, port) return port.number == 22 end
action = function(host, port)
  local s = nmap.new_socket()
  s:set_timeout(5000)
  assert(s:connect(host, port))
  local ok, banner = s:receive_lines(1)
  assert(ok, banner)
  local bytes = {}
  for i = 0, 19 do bytes[#bytes + 1] = string.char(i * 13 % 256) end
  assert(s:send(table.concat(bytes) .. "\\r\\n"))
  s:close()
  return "done"
end
`;

/** The trace lines, with the local port (which differs by nature) masked. */
function traceLines(out: string): string[] {
  const lines = out.split("\n");
  const keep: string[] = [];
  let inDump = false;
  for (const l of lines) {
    if (l.startsWith("NSE: TCP ")) {
      keep.push(l.replace(/:\d+ ([<>]) /, ":PORT $1 "));
      inDump = true;
    } else if (inDump && /^[0-9a-f]{8}: |^$/.test(l)) {
      keep.push(l);
    } else {
      inDump = false;
    }
  }
  return keep;
}

Deno.test({
  name: "nse lab: --script-trace prints nmap's NSE socket trace, escaped",
  ignore: !haveScripts || missingTools("nmap").length > 0 || (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.up({ tag: "nsetr", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-nsetr-" });
    try {
      await Deno.writeTextFile(`${dir}/trace-test.nse`, SCRIPT);
      const args = ["-n", "-p22", "--script", `${dir}/trace-test.nse`, "--script-trace"];
      const theirs = await lab.nmap([...args, lab.target.v4], { timeoutMs: 120_000 });
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await lab.porthole([...args, lab.target.v4], { timeoutMs: 120_000 });
      assert.equal(ours.code, 0, ours.stderr);
      // nmap writes the banner's CR raw; Porthole escapes it.
      const expected = traceLines(theirs.stdout).map((l) => l.replaceAll("\r", "\\x0D"));
      assert.ok(expected.some((l) => l.endsWith("| CONNECT")), theirs.stdout);
      assert.ok(expected.some((l) => /^00000010: /.test(l)), "no hex dump in nmap's trace");
      assert.deepEqual(traceLines(ours.stdout), expected, ours.stdout);
      assert.ok(!ours.stdout.includes("\r"), "a raw CR reached the terminal");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
