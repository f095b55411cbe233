/**
 * Target input in the lab's scanner namespace (issue 15): -iL and --excludefile from stdin, a
 * pipe, `<(…)` and a FIFO, each read once; names through the system resolver, an unknown one
 * reported as nmap reports it while the scan goes on; time options clamped to the timer range.
 * Lab tag: `intgt`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;

/** Quotes one word for bash. */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** A bash command line running Porthole (the lab's argv, without `ip netns exec NS`). */
async function portholeShell(lab: Lab, args: string): Promise<string> {
  const argv = (await lab.portholeArgv([])).slice(4);
  return `${argv.map(q).join(" ")} ${args}`;
}

const reports = (stdout: string) => [...stdout.matchAll(/scan report for (\S+)/g)].map((m) => m[1]);

Deno.test({
  name: "lab: -iL from stdin, a pipe, <(…) and a FIFO, and --excludefile from <(…), read once",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "intgt", scenario: "scanme" });
    const v4 = lab.target.v4;
    const gw = lab.scanner.v4.replace(/\.1$/, ".2"); // the routed target's link address
    const scan = "-sT -Pn -n -p 22";
    const cases: [string, string][] = [
      ["stdin", `printf '%s\\n' ${v4} | ${await portholeShell(lab, `${scan} -iL -`)}`],
      [
        "/dev/stdin",
        `printf '%s\\n' ${v4} | ${await portholeShell(lab, `${scan} -iL /dev/stdin`)}`,
      ],
      ["<(…)", `${await portholeShell(lab, `${scan} -iL <(printf '%s # c\\n' ${v4})`)}`],
      [
        "FIFO",
        `d=$(mktemp -d) && mkfifo "$d/list" && (printf '%s\\n' ${v4} > "$d/list" &) && ` +
        `${await portholeShell(lab, `${scan} -iL "$d/list"`)}; rc=$?; rm -rf "$d"; exit $rc`,
      ],
      [
        "--excludefile <(…)",
        `${await portholeShell(lab, `${scan} --excludefile <(printf '%s\\n' ${gw}) ${v4} ${gw}`)}`,
      ],
      [
        "-iL and --excludefile, both <(…)",
        `${await portholeShell(
          lab,
          `${scan} -iL <(printf '%s\\n' ${v4} ${gw}) --excludefile <(printf '%s\\n' ${gw})`,
        )}`,
      ],
    ];
    for (const [what, script] of cases) {
      const r = await lab.runInScanner(["bash", "-c", script], { timeoutMs: 90_000 });
      assert.equal(r.timedOut, false, `${what}: hung`);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.deepEqual(reports(r.stdout), [v4], `${what}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^22\/tcp\s+open\s/m, what);
      assert.match(r.stdout, /\(1 host up\)/, what);
    }
  },
});

Deno.test({
  name:
    "lab: unknown names fail through the system resolver, as nmap reports them; the scan goes on",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "intgt", scenario: "scanme" });
    const v4 = lab.target.v4;
    const args = ["-sT", "-Pn", "-n", "-p", "22", "nosuchhost", "x.invalid", "scanme.lab"];
    const r = await lab.porthole(args, { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const name of ["nosuchhost", "x.invalid"]) {
      assert.ok(r.stderr.includes(`Failed to resolve "${name}".\n`), r.stderr);
    }
    // scanme.lab comes from the namespace's /etc/netns hosts overlay, through getaddrinfo.
    assert.deepEqual(reports(r.stdout), ["scanme.lab"]);
    assert.ok(r.stdout.includes(`scan report for scanme.lab (${v4})`), r.stdout);
    assert.match(r.stdout, /Other addresses for scanme\.lab \(not scanned\): fd00:/);
    assert.match(r.stdout, /^22\/tcp\s+open\s/m);
    if (nmapMissing) return;
    const n = await lab.nmap(args, { timeoutMs: 90_000 });
    for (const name of ["nosuchhost", "x.invalid"]) {
      assert.ok(n.stderr.includes(`Failed to resolve "${name}".\n`), n.stderr);
    }
  },
});

Deno.test({
  name: "lab: --stats-every 1000h is clamped to the timer's range (no Stats line in a short scan)",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "intgt", scenario: "scanme" });
    const args = ["-sT", "-Pn", "-n", "-p", "1-2000", "--stats-every", "1000h", lab.target.v4];
    const r = await lab.porthole(args, { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^22\/tcp\s+open\s/m);
    // An overflowed interval fires every millisecond: hundreds of lines (seen: 505).
    assert.equal((r.stdout + r.stderr).match(/^Stats: /gm)?.length ?? 0, 0);
  },
});
