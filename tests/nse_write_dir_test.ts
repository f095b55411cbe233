/**
 * --script-write-dir end to end through cli/main.ts on loopback: a script writes a file under the
 * directory the user named, its write outside is refused as io.open's (nil, msg, errno) and the
 * scan goes on; without the option every write is refused; a directory that is not one ends
 * the run with one message.
 */

import assert from "node:assert/strict";
import { portholeFlags } from "../tools/artifact.ts";
import { runArgv } from "./_shard_lab.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const FLAGS = ["run", "--quiet", ...portholeFlags()];
const haveNselib = (() => {
  try {
    return Deno.statSync("/usr/share/nmap/nselib/stdnse.lua").isFile;
  } catch {
    return false;
  }
})();

const porthole = (args: string[]) => runArgv([Deno.execPath(), ...FLAGS, MAIN, ...args]);

/** A prerule script writing `inside` and trying `outside`; it reports both. */
const script = (inside: string, outside: string) =>
  `description = [[write test]]
categories = {"safe"}
prerule = function() return true end
action = function()
  local out = {}
  local f, msg = io.open("${inside}", "w")
  if f then f:write("written by NSE\\n"); f:close(); out[#out + 1] = "inside ok"
  else out[#out + 1] = "inside: " .. msg end
  local g, why, errno = io.open("${outside}", "w")
  out[#out + 1] = g and "outside WRITTEN" or ("outside: " .. why .. " " .. errno)
  return table.concat(out, "; ")
end
`;

Deno.test({
  name: "cli: --script-write-dir lets scripts write under the directory only",
  ignore: !haveNselib,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const base = Deno.realPathSync(await Deno.makeTempDir({ prefix: "ph-nsewd-" }));
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const dir = `${base}/out`;
      await Deno.mkdir(dir);
      const inside = `${dir}/result.txt`, outside = `${base}/escaped.txt`;
      await Deno.writeTextFile(`${base}/wd-test.nse`, script(inside, `${dir}/../escaped.txt`));
      const port = String((l.addr as Deno.NetAddr).port);
      const common = ["--unprivileged", "-n", "-Pn", "-p", port, "--script", `${base}/wd-test.nse`];

      const r = await porthole([...common, "--script-write-dir", dir, "127.0.0.1"]);
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        new RegExp(
          `wd-test: inside ok; outside: ${dir}/\\.\\./escaped\\.txt: Permission denied \\(outside --script-write-dir ${dir}\\) 13`,
        ),
      );
      assert.match(r.out, /Porthole done: 1 IP address \(1 host up\)/);
      assert.equal(await Deno.readTextFile(inside), "written by NSE\n");
      await assert.rejects(Deno.stat(outside), Deno.errors.NotFound);

      await Deno.remove(inside);
      const none = await porthole([...common, "127.0.0.1"]);
      assert.equal(none.code, 0, none.err);
      assert.match(
        none.out,
        /wd-test: inside: \S+: Permission denied \(scripts write only under --script-write-dir\);/,
      );
      await assert.rejects(Deno.stat(inside), Deno.errors.NotFound);

      const bad = await porthole([...common, "--script-write-dir", `${base}/nope`, "127.0.0.1"]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /--script-write-dir \S+\/nope: No such file or directory/);
      assert.equal(bad.out, "");
    } finally {
      l.close();
      await Deno.remove(base, { recursive: true });
    }
  },
});
