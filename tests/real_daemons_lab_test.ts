/**
 * The real-daemons lab (tests/lab/real_daemons.ts): at least 50 real daemons from Debian packages
 * come up inside the lab's target namespace only, answer from the scanner namespace, and are gone
 * (processes, namespaces, temporary directory) after teardown, also when the test body throws.
 * Needs root and the packages (`deno task lab:capture` installs them); ignored otherwise. Tags "rd".
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labUnavailable } from "./lab/mod.ts";
import { DAEMONS, installedVersion, RealDaemonsLab, upstreamVersion } from "./lab/real_daemons.ts";

const why = await labUnavailable();
const installed = why ? 0 : (await Promise.all(DAEMONS.map((d) => installedVersion(d.pkg))))
  .filter((v) => v !== null).length;

Deno.test("real-daemons: ground truth is the upstream version of the Debian package", () => {
  assertEquals(upstreamVersion("1:9.2p1-2+deb12u3"), "9.2p1");
  assertEquals(upstreamVersion("1:9.18.28-1~deb12u2"), "9.18.28");
  assertEquals(upstreamVersion("2:4.17.12+dfsg-0+deb12u1"), "4.17.12");
  assertEquals(upstreamVersion("1:10.11.6-0+deb12u1"), "10.11.6");
  assertEquals(upstreamVersion("15.8-0+deb12u1"), "15.8");
  assertEquals(upstreamVersion("2.0.11-1.2+deb12u1"), "2.0.11");
  assertEquals(upstreamVersion("4.96"), "4.96");
  // Every daemon's ports are distinct: they share one target.
  const seen = new Set<string>();
  for (const d of DAEMONS) {
    for (const p of d.ports) {
      const k = `${p.proto}/${p.port}`;
      assert(!seen.has(k), `${k} twice`);
      seen.add(k);
    }
  }
  assert(new Set(DAEMONS.map((d) => d.name)).size >= 50);
});

const alive = (pid: number) => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name: "real-daemons lab: 50+ Debian daemons in the target namespace, all gone after teardown",
  ignore: why !== null || installed < 50,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let rl: RealDaemonsLab | undefined;
    let pids: number[] = [];
    let dir = "";
    let ns = "";
    const boom = new Error("the test body fails on purpose");
    try {
      await using lab = await RealDaemonsLab.up({ tag: "rd" });
      rl = lab;
      dir = lab.dir;
      ns = lab.lab.target.ns;
      const failed = lab.failed.map((f) => `${f.name}: ${f.why}`).join("\n");
      assert(lab.started.length >= 50, `${lab.started.length} up:\n${failed}`);
      pids = lab.started.map((s) => s.pid).filter((p) => p > 0);
      // Each daemon runs in the target's network namespace, none in ours.
      const targetNs = (await Deno.stat(`/run/netns/${ns}`)).ino;
      const ours = (await Deno.stat("/proc/self/ns/net")).ino;
      for (const pid of pids) {
        const st = await Deno.stat(`/proc/${pid}/ns/net`);
        assertEquals(st.ino, targetNs, `pid ${pid} in another namespace`);
        assert(st.ino !== ours);
      }
      // The scanner namespace reaches them: OpenSSH greets.
      const ssh = await lab.lab.runInScanner(
        ["bash", "-c", `exec 3<>/dev/tcp/${lab.v4}/22; head -c 8 <&3`],
        { timeoutMs: 10_000 },
      );
      assertEquals(ssh.stdout, "SSH-2.0-");
      // Ground truth: upstream versions, no epoch nor Debian revision.
      const sshd = lab.started.find((s) => s.daemon.name === "openssh")!;
      assert(/^\d/.test(sshd.version) && !sshd.version.includes("-"), sshd.version);
      throw boom;
    } catch (e) {
      if (e !== boom) throw e;
    }
    assert(rl);
    for (const pid of pids) assert(!alive(pid), `pid ${pid} still runs`);
    assert(!(await Deno.stat(dir).then(() => true, () => false)), `${dir} left behind`);
    assert(!(await Deno.stat(`/run/netns/${ns}`).then(() => true, () => false)), `${ns} left`);
  },
});
