/**
 * nmap's rarer options against nmap 7.93 in the lab: --route-dst (routed and bridged targets,
 * loopback, IPv6), --discovery-ignore-rst (a TCP ping answered by a RST proves nothing) and
 * --defeat-rst-ratelimit (against the rst-limit scenario's rate-limited resets). nmap's output for
 * the same command is the oracle. Lab tags: `rare`, `rarebr`, `rarerst`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";
import { haveTool } from "./_oracle.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;
const ignore = unavailable !== null || nmapMissing;
const NMAP_SCRIPTS = "/usr/share/nmap/scripts";

/** One tool's output with what differs by nature (name, version, times, latency) made equal. */
function normalise(text: string): string {
  return text
    .replaceAll("Porthole", "Nmap")
    .replace(/^Starting Nmap .*$/m, "Starting Nmap")
    .replace(/ scanned in [\d.]+ seconds/g, " scanned in T seconds")
    .replace(/^Host is up \([\d.]+s latency\)\./gm, "Host is up (Ls latency).")
    .replace(/^Host is up, received (\S+) \([\d.]+s latency\)\./gm, "Host is up, received $1 (L).");
}

/** The same command under both tools: exit codes, stdout (normalised) and stderr equal. */
async function sameAsNmap(lab: Lab, args: string[]): Promise<void> {
  const [n, p] = await Promise.all([
    lab.nmap(args, { timeoutMs: 60_000 }),
    lab.porthole(args, { timeoutMs: 60_000 }),
  ]);
  const what = args.join(" ");
  assert.equal(p.code, n.code, `${what}: ${p.stderr}`);
  assert.equal(normalise(p.stdout), normalise(n.stdout), what);
  assert.equal(p.stderr, n.stderr, what);
}

Deno.test({
  name: "lab: --route-dst and --discovery-ignore-rst print what nmap 7.93 prints (routed target)",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "rare", scenario: "scanme" });
    const t = lab.target;
    // Routed: the target is behind the scanner's gateway; loopback is direct.
    await sameAsNmap(lab, ["--route-dst", t.v4, "--route-dst", "127.0.0.1", "-sL", "-n", t.v4]);
    await sameAsNmap(lab, ["--route-dst", "scanme.lab", "-sL", "-n", t.v4]);
    await sameAsNmap(lab, ["-6", "--route-dst", t.v6, "--route-dst", "::1", "-sL", "-n", t.v6]);
    await sameAsNmap(lab, ["--route-dst", "nowhere.invalid", "-sL", "-n", t.v4]);
    // scanme's port 113 is closed: its RST answers an ACK or SYN ping, unless ignored. Port 22
    // is open: the SYN ping's SYN-ACK still counts.
    for (
      const ping of [["-PA80"], ["-PS113"], ["-PS22"], ["-PA80", "-PE"], ["-PA80", "-PS22"]]
    ) {
      await sameAsNmap(lab, ["-sn", "-n", ...ping, t.v4]);
      await sameAsNmap(lab, ["-sn", "-n", "--discovery-ignore-rst", ...ping, t.v4]);
    }
    // Unprivileged, a refused connect is no proof either: Porthole says what nmap's raw ping
    // says. (nmap 7.93's own connect ping reads the refused socket's SO_ERROR a second time,
    // finds it cleared to 0 and reports the host up, "received syn-ack", which the port never
    // sent: scan_engine_connect.cc leaves the probe outstanding when it ignores the refusal.)
    const args = ["-sn", "-n", "-PS113", "--discovery-ignore-rst", t.v4];
    const [n, p] = await Promise.all([lab.nmap(args), lab.porthole(["--unprivileged", ...args])]);
    assert.equal(p.code, n.code, p.stderr);
    assert.equal(normalise(p.stdout), normalise(n.stdout));
    assert.match(p.stdout, /0 hosts up/);
  },
});

Deno.test({
  name: "lab: --script-updatedb writes the script.db nmap 7.93 writes, saying what nmap says",
  ignore: ignore || !haveTool(`${NMAP_SCRIPTS}/banner.nse`),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "rare", scenario: "scanme" });
    const db = async (tool: "nmap" | "porthole") => {
      // A data directory with a few of nmap's scripts, whose script.db each tool rebuilds.
      const dir = await Deno.makeTempDir({ prefix: "ph-updatedb-" });
      try {
        await Deno.mkdir(`${dir}/scripts`);
        for (const name of ["banner", "http-title", "ssl-cert", "smb-os-discovery", "vulners"]) {
          await Deno.copyFile(`${NMAP_SCRIPTS}/${name}.nse`, `${dir}/scripts/${name}.nse`);
        }
        const r = await lab[tool](["--script-updatedb", "--datadir", dir], { timeoutMs: 60_000 });
        return { ...r, db: await Deno.readTextFile(`${dir}/scripts/script.db`) };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    };
    const n = await db("nmap");
    const p = await db("porthole");
    assert.equal(p.code, n.code, p.stderr);
    assert.equal(normalise(p.stdout), normalise(n.stdout));
    assert.equal(p.stderr, n.stderr);
    assert.equal(p.db, n.db);
    assert.match(
      p.db,
      /^Entry \{ filename = "banner.nse", categories = \{ "discovery", "safe", \} \}$/m,
    );
  },
});

Deno.test({
  name: "lab: --route-dst for on-link targets (bridge), as nmap 7.93 prints it",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "rarebr", scenario: "many-hosts" });
    const [a, b] = lab.targets;
    await sameAsNmap(lab, ["--route-dst", a!.v4, "--route-dst", b!.v4, "-sL", "-n", a!.v4]);
    await sameAsNmap(lab, ["-6", "--route-dst", a!.v6, "-sL", "-n", a!.v6]);
  },
});

/** The port lines of a normal report: "22/tcp open ssh" → "22/tcp open". */
const portStates = (stdout: string) =>
  [...stdout.matchAll(/^(\d+\/tcp)\s+(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);

Deno.test({
  name: "lab: --defeat-rst-ratelimit against rate-limited resets: nmap's ports and note",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "rarerst", scenario: "rst-limit" });
    const t = lab.target.v4;
    // Only with a SYN scan (or --open), as nmap says.
    await sameAsNmap(lab, ["--defeat-rst-ratelimit", "-sT", "-p", "22", t]);
    await sameAsNmap(lab, ["--defeat-rst-ratelimit", "-sn", t]);
    // The target sends 100 resets a second: a closed port's RST may never come. Which closed
    // ports are left "filtered" is chance, so the open ports are compared, and each tool's note
    // follows its own table, as nmap's rule says (output.cc: a TCP scan with filtered ports).
    const args = ["-sS", "-n", "-p", "1-300,9929,31337", "--defeat-rst-ratelimit", t];
    const [n, p] = await Promise.all([lab.nmap(args), lab.porthole(args)]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(n.code, 0, n.stderr);
    const open = (s: string) => portStates(s).filter((l) => l.endsWith(" open"));
    assert.deepEqual(open(p.stdout), open(n.stdout));
    assert.deepEqual(open(p.stdout), [
      "22/tcp open",
      "80/tcp open",
      "9929/tcp open",
      "31337/tcp open",
    ]);
    const note = "Some closed ports may be reported as filtered due to --defeat-rst-ratelimit";
    for (const r of [p, n]) {
      const filtered = /filtered/.test(r.stdout.replace(note, ""));
      assert.equal(r.stdout.includes(note), filtered, r.stdout);
    }
  },
});
